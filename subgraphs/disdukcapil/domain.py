"""Disdukcapil's domain: children in the national index, registry persons and families — plain objects."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

from subgraphs.common.agency import Agency


class Sex(enum.StrEnum):
    F = "F"
    M = "M"


class KiaStatus(enum.StrEnum):
    """KIA: Kartu Identitas Anak, the child identity card (under 17)."""

    NONE = "NONE"
    ISSUED = "ISSUED"


class DocumentStatus(enum.StrEnum):
    DOCUMENTED = "DOCUMENTED"
    NO_BIRTH_CERTIFICATE = "NO_BIRTH_CERTIFICATE"
    NO_NIK = "NO_NIK"
    UNDOCUMENTED = "UNDOCUMENTED"  # neither NIK nor birth certificate


def document_status(nik: str | None, birth_certificate_number: str | None) -> DocumentStatus:
    if nik and birth_certificate_number:
        return DocumentStatus.DOCUMENTED
    if nik:
        return DocumentStatus.NO_BIRTH_CERTIFICATE
    if birth_certificate_number:
        return DocumentStatus.NO_NIK
    return DocumentStatus.UNDOCUMENTED


def kabupaten_of(region_code: str) -> str:
    """'14.71.02.1001' -> '14.71': the level identity.basic may show."""
    return ".".join(region_code.split(".")[:2])


CHILD_ID_PREFIX = "ANK"


def format_child_id(number: int) -> str:
    return f"{CHILD_ID_PREFIX}{number:09d}"


def child_id_number(child_id: str) -> int | None:
    digits = child_id[len(CHILD_ID_PREFIX) :]
    if not child_id.startswith(CHILD_ID_PREFIX) or not digits.isdigit():
        return None
    return int(digits)


@dataclass(frozen=True)
class ChildRecord:
    id: str
    nik: str | None
    full_name: str
    sex: Sex
    birth_date: date | None
    birth_date_approximate: bool
    birth_place: str | None
    mother_name: str | None
    father_name: str | None
    region_code: str
    address: str | None
    kk_number: str | None
    birth_certificate_number: str | None
    kia_status: KiaStatus
    registry_person_id: int | None
    registered_by: Agency
    registered_at: datetime

    @property
    def document_status(self) -> DocumentStatus:
        return document_status(self.nik, self.birth_certificate_number)

    @property
    def birth_year(self) -> int | None:
        return self.birth_date.year if self.birth_date else None

    @property
    def kabupaten_code(self) -> str:
        return kabupaten_of(self.region_code)


@dataclass(frozen=True)
class PersonRecord:
    id: int
    nik: str
    kk_number: str
    full_name: str
    sex: Sex
    birth_date: date
    birth_place: str
    mother_name: str | None
    father_name: str | None
    relationship: str
    region_code: str
    birth_certificate_number: str | None


@dataclass(frozen=True)
class FamilyRecord:
    kk_number: str
    head_name: str
    region_code: str
    address: str
    issued_on: date


@dataclass(frozen=True)
class OtherName:
    child_id: str
    name: str
    recorded_by: str


@dataclass(frozen=True)
class AttributeReport:
    child_id: str
    agency: Agency
    attribute: str
    value: str
    reported_at: datetime


@dataclass(frozen=True)
class NewChild:
    """What an agency reports when it registers a child the index does not know yet."""

    reported_by: str
    full_name: str
    sex: Sex
    region_code: str
    birth_date: date | None = None
    birth_date_approximate: bool = False
    birth_place: str | None = None
    mother_name: str | None = None
    father_name: str | None = None
    address: str | None = None
    kk_number: str | None = None
    nik: str | None = None
    other_names: tuple[str, ...] = ()
    # Whether the child is linked to `nik` (Disdukcapil's right, as linkNik); another agency's
    # NIK is kept as its report only, for Disdukcapil to link.
    link_nik: bool = True

    @property
    def linked_nik(self) -> str | None:
        return self.nik if self.link_nik else None

    def reported_attributes(self) -> dict[str, str]:
        """The attributes the agency gave, as text, for the attribute-report trail."""
        values = {
            "fullName": self.full_name,
            "sex": self.sex.value,
            "regionCode": self.region_code,
            "birthDate": self.birth_date.isoformat() if self.birth_date else None,
            "birthPlace": self.birth_place,
            "motherName": self.mother_name,
            "fatherName": self.father_name,
            "address": self.address,
            "kkNumber": self.kk_number,
            "nik": self.nik,
        }
        return {key: value for key, value in values.items() if value}
