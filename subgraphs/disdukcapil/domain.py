"""Disdukcapil's domain: children in the national index, registry persons and families — plain objects."""

from __future__ import annotations

import enum
import re
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


_CHILD_ID = re.compile(rf"{CHILD_ID_PREFIX}[0-9]{{1,13}}")


def is_child_id(text: str) -> bool:
    """Whether `text` can be a Child.id at all (ANK and ASCII digits, fitting the column): any
    other text names no child, and is never sent to the database (a NUL is an error there)."""
    return _CHILD_ID.fullmatch(text) is not None


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


# --- identity resolution (docs/identity-resolution.md) ------------------------------------------


class DecisionKind(enum.StrEnum):
    """What the officer decided about a child's registry candidates."""

    LINK = "LINK"  # the child is this registry person (linkNik)
    NOT_THIS_PERSON = "NOT_THIS_PERSON"  # never propose this person for this child again
    NEW_REGISTRATION = "NEW_REGISTRATION"  # the child is not in the registry: register anew


class DecisionStatus(enum.StrEnum):
    """Where a child stands in the work queue: its latest decision still in force."""

    UNDECIDED = "UNDECIDED"
    LINKED = "LINKED"
    REGISTRATION_STARTED = "REGISTRATION_STARTED"
    CANDIDATES_REJECTED = "CANDIDATES_REJECTED"  # only "not this person" so far


class MissingDocument(enum.StrEnum):
    NIK = "NIK"
    BIRTH_CERTIFICATE = "BIRTH_CERTIFICATE"


@dataclass(frozen=True)
class Decider:
    """Who decides (or undoes): the token's user, never an argument."""

    subject: str
    name: str
    role: str


@dataclass(frozen=True)
class NewDecision:
    child_id: str
    kind: DecisionKind
    reason: str
    decider: Decider
    nik: str | None = None
    score: float | None = None
    band: str | None = None
    explanation: str | None = None  # JSON
    model_version: str | None = None
    undo_data: str | None = None  # JSON: what undoing a LINK restores


@dataclass(frozen=True)
class IdentityDecisionRecord:
    id: int
    child_id: str
    kind: DecisionKind
    nik: str | None
    score: float | None
    band: str | None
    explanation: str | None
    model_version: str | None
    reason: str
    undo_data: str | None
    decided_by: str
    decided_by_name: str
    decided_by_role: str
    decided_at: datetime
    undone_at: datetime | None
    undone_by: str | None
    undone_by_name: str | None
    undo_reason: str | None

    @property
    def active(self) -> bool:
        return self.undone_at is None


def decision_status(decisions: list[IdentityDecisionRecord]) -> DecisionStatus:
    """The status the active decisions give (`decisions` in any order)."""
    active = {d.kind for d in decisions if d.active}
    if DecisionKind.LINK in active:
        return DecisionStatus.LINKED
    if DecisionKind.NEW_REGISTRATION in active:
        return DecisionStatus.REGISTRATION_STARTED
    if DecisionKind.NOT_THIS_PERSON in active:
        return DecisionStatus.CANDIDATES_REJECTED
    return DecisionStatus.UNDECIDED
