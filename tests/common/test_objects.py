"""from_record: a Strawberry object from a domain record, field by field, by name."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import strawberry

from subgraphs.common.objects import from_record


@dataclass(frozen=True)
class CaseRecord:
    id: int
    child_id: str
    summary: str
    stage: str

    @property
    def is_open(self) -> bool:
        return self.stage != "CLOSED"


@strawberry.type
class Case:
    id: strawberry.ID
    child_id: strawberry.Private[str]
    summary: str | None
    is_open: bool | None
    headline: str | None

    @strawberry.field
    def length(self) -> int:
        return len(self.summary or "")


def test_fields_come_from_the_record_by_name_properties_included() -> None:
    record = CaseRecord(12, "ANK000000001", "Needs a home visit", "INTAKE")
    case = from_record(Case, record, headline="Home visit")
    assert case.id == "12" and isinstance(case.id, str)  # an integer key as the ID's text
    assert case.child_id == "ANK000000001"  # private fields too
    assert (case.summary, case.is_open, case.headline) == ("Needs a home visit", True, "Home visit")


def test_a_field_the_record_lacks_must_be_given() -> None:
    record = CaseRecord(1, "ANK000000001", "s", "CLOSED")
    with pytest.raises(AttributeError, match="headline"):
        from_record(Case, record)
    with pytest.raises(TypeError, match="no field title"):
        from_record(Case, record, headline=None, title="x")
