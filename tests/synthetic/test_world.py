"""The synthetic world: deterministic, internally consistent, realistic in shares, stories planted."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

import pytest
from rapidfuzz.fuzz import ratio

from resolution.names import normalize_name, parse_name, phonetic_key
from satu_anak.synthetic.common import REFERENCE_DATE, GroundTruth, child_id
from satu_anak.synthetic.protection import CASE_STAGES
from satu_anak.synthetic.stories import (
    STORIES,
    STORY_BALAI_HISTORY,
    STORY_PKH_DROPOUT,
    STORY_UNDOCUMENTED,
)
from satu_anak.synthetic.undocumented import VARIATION_KINDS, differs, given_token
from satu_anak.synthetic.world import COLUMNS, TABLES, Chunk, generate
from subgraphs.common.identifiers import parse_nik, validate_kk

CHILDREN = 40_000
SEED = 20261101
AGENCIES = {"DISDUKCAPIL", "DINSOS", "PKH", "BALAI", "LKSA"}


@dataclass
class World:
    tables: dict[str, list[Any]]
    ground_truth: list[GroundTruth]
    chunks: list[tuple[int, int, int]]

    def by(self, table: str, key: str) -> dict[Any, Any]:
        return {getattr(row, key): row for row in self.tables[table]}

    def group(self, table: str, key: str) -> dict[Any, list[Any]]:
        grouped: dict[Any, list[Any]] = defaultdict(list)
        for row in self.tables[table]:
            grouped[getattr(row, key)].append(row)
        return grouped


def collect(chunks: Iterable[Chunk]) -> World:
    shapes = {
        table: NamedTuple(table, [(c, Any) for c in columns])
        for tables in COLUMNS.values()
        for table, columns in tables.items()
    }
    tables: dict[str, list[Any]] = defaultdict(list)
    truth: list[GroundTruth] = []
    seen = []
    for chunk in chunks:
        seen.append((chunk.index, chunk.first_child, chunk.children))
        for subgraph, rows_by_table in chunk.rows.items():
            for table, rows in rows_by_table.items():
                assert all(len(row) == len(COLUMNS[subgraph][table]) for row in rows), table
                tables[table].extend(map(shapes[table]._make, rows))
        truth.extend(chunk.ground_truth)
    return World(tables, truth, seen)


@pytest.fixture(scope="module")
def world() -> World:
    return collect(generate(CHILDREN, SEED, chunk_size=7_000))


def age_on(birth: date, on: date = REFERENCE_DATE) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def agency_known(world: World) -> set[str]:
    known = {m.child_id for m in world.tables["member"] if m.child_id}
    for table in ("registry_member", "complaint", "placement", "referral", "atensi_case"):
        known |= {row.child_id for row in world.tables[table]}
    return known


# --- shape and determinism -------------------------------------------------------------------


def test_columns_follow_the_tables() -> None:
    for subgraph, tables in TABLES.items():
        assert set(COLUMNS[subgraph]) == {t.name for t in tables}
        for table in tables:
            names = [c.name for c in table.columns]
            ours = COLUMNS[subgraph][table.name]
            assert list(ours) == [n for n in names if n in ours], table.name
            for column in table.columns:
                if column.name not in ours:
                    # Left to a default: NULL, the model's, or the database's.
                    assert (
                        column.nullable
                        or column.default is not None
                        or column.server_default is not None
                    ), column


def test_same_seed_same_rows_other_seed_other_rows() -> None:
    first = list(generate(3_000, 7, chunk_size=1_000))
    assert first == list(generate(3_000, 7, chunk_size=1_000))
    other = list(generate(3_000, 8, chunk_size=1_000))
    assert first[1].rows["disdukcapil"]["child"] != other[1].rows["disdukcapil"]["child"]


def test_chunks_cover_the_index_in_order(world: World) -> None:
    assert world.chunks[0] == (0, 1, 7_000)
    assert sum(count for _, _, count in world.chunks) == CHILDREN
    ids = [c.id for c in world.tables["child"]]
    assert sorted(ids) == [child_id(n) for n in range(1, CHILDREN + 1)]
    assert child_id(1234) == "ANK000001234"


def test_stories_come_first_even_in_a_tiny_world() -> None:
    tiny = collect(generate(len(STORIES), 1, chunk_size=len(STORIES)))
    assert [c.id for c in tiny.tables["child"]] == [s.child_id for s in STORIES]
    assert len(tiny.chunks) == 1
    with pytest.raises(ValueError):
        next(generate(len(STORIES) - 1, 1))


def test_integer_ids_are_unique_per_table(world: World) -> None:
    for tables in COLUMNS.values():
        for table, columns in tables.items():
            key = columns[0]
            values = [getattr(row, key) for row in world.tables[table]]
            assert len(values) == len(set(values)), table


def test_unique_constraints_hold(world: World) -> None:
    t = world.tables
    for values in (
        [p.nik for p in t["person"]],
        [c.nik for c in t["child"] if c.nik],
        [f.kk_number for f in t["beneficiary_family"]],
        [m.child_id for m in t["member"] if m.child_id],
        [r.child_id for r in t["registry_member"]],
        [c.case_number for c in t["atensi_case"]],
        [(v.member_id, v.year, v.period) for v in t["verification"]],
        [(p.family_id, p.year, p.stage) for p in t["payment"]],
    ):
        assert len(values) == len(set(values))


# --- identities ------------------------------------------------------------------------------


def test_niks_agree_with_birth_date_sex_and_region(world: World) -> None:
    for person in world.tables["person"]:
        parts = parse_nik(person.nik, today=REFERENCE_DATE)
        assert parts.birth_date == person.birth_date
        assert parts.sex == person.sex
        assert parts.region_code == person.region_code[:8]
    persons = world.by("person", "id")
    for child in world.tables["child"]:
        if child.nik is not None:
            person = persons[child.registry_person_id]
            assert (child.nik, child.birth_date, child.sex) == (
                person.nik,
                person.birth_date,
                person.sex,
            )


def test_family_cards_are_valid(world: World) -> None:
    for family in world.tables["family"]:
        assert validate_kk(family.kk_number) == family.kk_number
        assert family.kk_number[:6] == family.region_code[:8].replace(".", "")
        issued = family.issued_on
        assert family.kk_number[6:12] == f"{issued:%d%m%y}"
        assert issued < REFERENCE_DATE


def test_children_are_0_to_17_and_families_make_sense(world: World) -> None:
    persons = world.by("person", "id")
    households = world.group("person", "kk_number")
    for truth_birth in (p.birth_date for p in persons.values() if p.relationship == "CHILD"):
        assert 0 <= age_on(truth_birth) <= 17
    ages = Counter(age_on(c.birth_date) for c in world.tables["child"] if c.nik)
    assert min(ages.values()) > 0.6 * max(ages.values())  # roughly even over 0-17
    for members in households.values():
        heads = [p for p in members if p.relationship == "HEAD"]
        assert len(heads) == 1
        for kid in (p for p in members if p.relationship == "CHILD"):
            for parent in (p for p in members if p.relationship in ("HEAD", "SPOUSE")):
                assert age_on(parent.birth_date, kid.birth_date) >= 15


def test_every_child_has_a_known_registering_agency(world: World) -> None:
    for child in world.tables["child"]:
        assert child.registered_by in AGENCIES
        assert child.registered_at.tzinfo is not None
        if child.nik is None:
            assert child.registered_by != "DISDUKCAPIL"


# --- undocumented children -------------------------------------------------------------------


def test_undocumented_share_of_agency_known_children(world: World) -> None:
    known = agency_known(world)
    undocumented = {c.id for c in world.tables["child"] if c.nik is None}
    assert undocumented <= known
    assert 0.03 <= len(undocumented) / len(known) <= 0.05
    for child in world.tables["child"]:
        if child.nik is None:
            assert child.registry_person_id is None


def test_ground_truth_links_most_undocumented_children_to_their_registry_person(
    world: World,
) -> None:
    children = world.by("child", "id")
    persons = world.by("person", "id")
    undocumented = {c.id for c in children.values() if c.nik is None}
    assert {g.child_id for g in world.ground_truth} == undocumented
    matched = [g for g in world.ground_truth if g.person_id is not None]
    # A quarter of the queries have no true match (the evaluation).
    assert 0.68 <= len(matched) / len(world.ground_truth) <= 0.82
    linked = {c.registry_person_id for c in children.values()}
    for truth in matched:
        child, person = children[truth.child_id], persons[truth.person_id]
        assert person.relationship == "CHILD" and person.id not in linked
        assert (child.sex, child.kk_number in (None, person.kk_number)) == (person.sex, True)
        assert not truth.negative and truth.confuser_person_id is None
        assert set(truth.variations) & (NAME_KINDS | BIRTH_KINDS), truth
    kinds = Counter(k for g in world.ground_truth for k in g.variations)
    assert set(kinds) <= set(VARIATION_KINDS)
    assert {k for k in VARIATION_KINDS if kinds[k] == 0} <= {"phonetic", "nur_variant"}


NAME_KINDS = frozenset(VARIATION_KINDS[: VARIATION_KINDS.index("birth_date_approximate")])
BIRTH_KINDS = frozenset(k for k in VARIATION_KINDS if k.startswith("birth_date"))


def test_every_variation_is_what_its_label_says(world: World) -> None:
    """Each labelled kind is visible in the record, and what is not labelled is as registered."""
    children = world.by("child", "id")
    persons = world.by("person", "id")
    reports = world.group("child_attribute_report", "child_id")
    for truth in (g for g in world.ground_truth if g.person_id is not None):
        child, person = children[truth.child_id], persons[truth.person_id]
        kinds = set(truth.variations)
        _check_birth(child, person.birth_date, kinds, reports[child.id])
        _check_name(child.full_name, person, kinds)
        _check_parents(child, person, kinds)
        assert ("moved" in kinds) == (child.region_code[:5] != person.region_code[:5])
        if "birthplace_missing" in kinds:
            assert child.birth_place is None
        elif "birthplace_different" in kinds:
            assert child.birth_place not in (None, person.birth_place)
        else:
            assert child.birth_place == person.birth_place


def _check_birth(child: Any, true: date, kinds: set[str], reports: list[Any]) -> None:
    (kind,) = kinds & BIRTH_KINDS or {None}
    ages = [r for r in reports if r.attribute == "ageEstimate"]
    if kind is None:
        assert (child.birth_date, child.birth_date_approximate) == (true, False)
    elif kind == "birth_date_unknown":
        # The age an officer wrote on the report's day (a year either way), not on the
        # reference day: an estimate written years before 2026-11-01 is years younger.
        assert child.birth_date is None and len(ages) == 1
        assert abs(int(ages[0].value) - age_on(true, ages[0].reported_at.date())) <= 1
    elif kind == "birth_date_swapped":
        assert child.birth_date == date(true.year, true.day, true.month) != true
        assert not child.birth_date_approximate
    elif kind == "birth_date_year_off":
        assert abs(child.birth_date.year - true.year) == 1 and child.birth_date_approximate
        assert child.birth_date.month == true.month
    else:
        assert child.birth_date != true and child.birth_date_approximate
        assert abs((child.birth_date - true).days) <= 366
    if kind != "birth_date_unknown":
        assert not ages


def _check_name(recorded: str, person: Any, kinds: set[str]) -> None:
    parsed = parse_name(recorded)
    if "by_ny" in kinds:
        assert parsed.baby and parsed.given is None
        assert parsed.mother == normalize_name(person.mother_name) or "mother_nickname" in kinds
        return
    assert ("title_an" in kinds) == recorded.startswith("An. ")
    assert ("bin_binti" in kinds) == (parsed.father is not None)
    if parsed.father is not None:
        assert person.father_name and parsed.father in normalize_name(person.father_name)
    if "single_name" in kinds:
        assert len(parsed.tokens) == 1 < len(person.full_name.split())
    if not kinds & NAME_KINDS:
        assert normalize_name(recorded) == normalize_name(person.full_name)
    elif kinds & NAME_KINDS == {"old_spelling"}:
        old = [phonetic_key(t) for t in normalize_name(recorded).split()]
        assert old == [phonetic_key(t) for t in normalize_name(person.full_name).split()]
    elif len(kinds & NAME_KINDS) == 1:
        assert normalize_name(recorded) != normalize_name(person.full_name)
    else:  # two renderings may undo each other in part ("Moehammad", then "Muhammad")
        assert recorded != person.full_name


def _check_parents(child: Any, person: Any, kinds: set[str]) -> None:
    if "no_mother" in kinds:
        assert child.mother_name is None
    elif "mother_nickname" in kinds:
        assert child.mother_name and child.mother_name != person.mother_name
    else:  # as registered, if perhaps in the old spelling (ANK000000002's "Sri Wahjoeni")
        assert normalize_name(child.mother_name) == normalize_name(person.mother_name)
    if "no_father" in kinds:
        assert person.father_name and child.father_name is None
    else:
        assert child.father_name in (None, person.father_name)
        assert (child.father_name is None) == (person.father_name is None)


def test_a_quarter_of_the_undocumented_have_no_match_most_with_a_look_alike(world: World) -> None:
    """Hard negatives: the registry holds a sibling, a twin or a namesake, not the child."""
    children = world.by("child", "id")
    persons = world.by("person", "id")
    negatives = [g for g in world.ground_truth if g.person_id is None]
    shares = Counter(g.negative for g in negatives)
    assert set(shares) == {"sibling", "twin", "namesake", "unregistered"}
    assert all(n >= 0.12 * len(negatives) for n in shares.values()), shares
    linked = {c.registry_person_id for c in children.values()}
    for truth in negatives:
        child = children[truth.child_id]
        kinds = set(truth.variations)
        if truth.negative == "unregistered":
            assert truth.confuser_person_id is None
            continue
        other = persons[truth.confuser_person_id]
        assert other.relationship == "CHILD"
        # A registered sibling is in the child index; a generated twin or namesake is not.
        assert (other.id in linked) == (truth.negative == "sibling")
        exact_birth = not kinds & BIRTH_KINDS
        same_name = not kinds & NAME_KINDS
        own_mother = not kinds & {"no_mother", "mother_nickname"}
        if truth.negative in ("sibling", "twin"):
            assert (
                differs(given_token(child.full_name), given_token(other.full_name)) or not same_name
            )
            if own_mother:
                assert child.mother_name == other.mother_name
            assert child.kk_number in (None, other.kk_number)
            if not kinds & {"moved", "no_father"} and child.father_name:
                assert child.father_name == other.father_name
            if exact_birth:
                apart = abs((child.birth_date - other.birth_date).days)
                assert apart == 0 if truth.negative == "twin" else 365 <= apart <= 8 * 366
        if truth.negative == "namesake":
            if same_name:
                assert ratio(normalize_name(child.full_name), other.normalized_name) >= 80
            if own_mother:
                assert differs(given_token(child.mother_name), given_token(other.mother_name))
            if exact_birth:
                assert abs(child.birth_date.year - other.birth_date.year) <= 2


def test_undocumented_children_carry_names_and_attribute_reports(world: World) -> None:
    reports = world.group("child_attribute_report", "child_id")
    undocumented = [c for c in world.tables["child"] if c.nik is None]
    for child in undocumented:
        said = {(r.agency, r.attribute): r.value for r in reports[child.id]}
        assert said[(child.registered_by, "fullName")] == child.full_name
        assert said[(child.registered_by, "regionCode")] == child.region_code
    assert {n.recorded_by for n in world.tables["child_name"]} <= AGENCIES - {"DISDUKCAPIL"}
    named = {n.child_id for n in world.tables["child_name"]}
    assert len(named & {c.id for c in undocumented}) > 0.2 * len(undocumented)


# --- programmes ------------------------------------------------------------------------------


def test_pkh_and_social_registry_shares(world: World) -> None:
    pkh_children = {m.child_id for m in world.tables["member"] if m.child_id}
    registry = world.by("registry_member", "child_id")
    assert 0.20 <= len(pkh_children) / CHILDREN <= 0.25
    assert 0.35 <= len(registry) / CHILDREN <= 0.40
    in_registry = [registry[c] for c in pkh_children if c in registry]
    assert len(in_registry) > 0.95 * len(pkh_children)
    assert sum(r.decile <= 4 for r in in_registry) > 0.97 * len(in_registry)
    programmes = Counter(a.programme for a in world.tables["assistance"])
    assert set(programmes) == {"PKH", "SEMBAKO", "PBI_JKN", "PIP", "ATENSI_YAPI", "BLT"}


def test_pkh_components_follow_age(world: World) -> None:
    children = world.by("child", "id")
    persons = world.by("person", "id")
    families = world.by("beneficiary_family", "id")
    components = world.group("component", "member_id")
    bands = {"EARLY_CHILDHOOD": (0, 6), "SD": (7, 12), "SMP": (13, 15), "SMA": (16, 18)}
    checked = 0
    for member in world.tables["member"]:
        if member.child_id is None or families[member.family_id].status != "ACTIVE":
            continue
        child = children[member.child_id]
        if child.registry_person_id is None:
            continue
        birth = persons[child.registry_person_id].birth_date
        (current,) = [c for c in components[member.id] if c.ended_on is None]
        low, high = bands[current.kind]
        assert low <= age_on(birth) <= high
        checked += 1
    assert checked > 1000


def test_pkh_compliance_is_plausible(world: World) -> None:
    verifications = world.tables["verification"]
    compliant = sum(v.compliant for v in verifications) / len(verifications)
    assert 0.85 <= compliant <= 0.95
    for v in verifications:
        if v.school_attendance_pct is not None:
            assert v.health_visits_met is None
            assert v.compliant == (v.school_attendance_pct >= 85)
        else:
            assert v.health_visits_met == v.compliant
    periods = {(v.year, v.period) for v in verifications}
    assert periods == {(2025, 4), (2026, 1), (2026, 2), (2026, 3)}
    by_member = world.group("verification", "member_id")
    twice = sum(
        1
        for rows in by_member.values()
        if [r.compliant for r in sorted(rows, key=lambda r: (r.year, r.period))][-2:]
        == [False, False]
    )
    assert twice > 0.01 * len(by_member)
    statuses = Counter(p.status for p in world.tables["payment"])
    assert statuses["PAID"] > statuses["WITHHELD"] > 0 and statuses["PENDING"] > 0


def test_facilitators_serve_about_250_families_in_their_kecamatan(world: World) -> None:
    facilitators = world.by("facilitator", "id")
    load = Counter(f.facilitator_id for f in world.tables["beneficiary_family"])
    for family in world.tables["beneficiary_family"]:
        assert family.region_code.startswith(facilitators[family.facilitator_id].region_code + ".")
    assert max(load.values()) <= 300
    assert set(load) == set(facilitators)


# --- protection ------------------------------------------------------------------------------


def test_protection_shares(world: World) -> None:
    t = world.tables
    assert 0.015 <= len({c.child_id for c in t["complaint"]}) / CHILDREN <= 0.025
    assert 0.004 <= len({p.child_id for p in t["placement"]}) / CHILDREN <= 0.006
    assert 0.005 <= len({c.child_id for c in t["atensi_case"]}) / CHILDREN <= 0.009
    # ACCEPTED is only ever recent (decided in the last month), so a small world may lack it.
    statuses = {r.status for r in t["referral"]}
    assert statuses <= {"REQUESTED", "ACCEPTED", "REJECTED", "COMPLETED", "REVOKED"}
    assert {"REQUESTED", "REJECTED", "COMPLETED", "REVOKED"} <= statuses
    assert {c.status for c in t["complaint"]} == {"RECEIVED", "IN_RESPONSE", "REFERRED", "CLOSED"}


def test_more_children_in_conflict_with_the_law_than_victims_of_sexual_crimes_both_rising(
    world: World,
) -> None:
    per_year = Counter((c.ampk_category, c.opened_on.year) for c in world.tables["atensi_case"])
    totals = Counter(c.ampk_category for c in world.tables["atensi_case"])
    assert totals["CONFLICT_WITH_LAW"] > totals["SEXUAL_CRIME_VICTIM"]
    assert set(c.opened_on.year for c in world.tables["atensi_case"]) == set(range(2022, 2027))
    for category in ("CONFLICT_WITH_LAW", "SEXUAL_CRIME_VICTIM"):
        early = per_year[(category, 2022)] + per_year[(category, 2023)]
        late = per_year[(category, 2025)] + per_year[(category, 2026)]
        assert late > early


def test_cases_walk_through_the_atensi_stages(world: World) -> None:
    events = world.group("stage_event", "case_id")
    balai = world.by("balai", "code")
    workers = world.by("caseworker", "id")
    children = world.by("child", "id")
    stories = {s.child_id for s in STORIES}
    for case in world.tables["atensi_case"]:
        stages = [e.stage for e in sorted(events[case.id], key=lambda e: e.entered_at)]
        assert stages == list(CASE_STAGES[: len(stages)]) and stages[-1] == case.stage
        # Closing is a status (closed_on), not a stage: every stored stage is a real one.
        assert case.stage in CASE_STAGES and case.stage != "CLOSED"
        assert "CLOSED" not in stages
        assert workers[case.caseworker_id].balai_code == case.balai_code
        if case.child_id not in stories:
            province = children[case.child_id].region_code[:2]
            assert province in balai[case.balai_code].provinces_served.split(",")
        if case.ampk_category == "CONFLICT_WITH_LAW":
            birth = children[case.child_id].birth_date
            assert birth is None or age_on(birth, case.opened_on) >= 11  # 12, give or take a blur
    assert balai["RUMBAI"].provinces_served == "14,13,21,18"
    assert balai["ALYATAMA"].provinces_served == "15" and balai["NAIBONAT"].provinces_served == "53"
    assert any(w.is_supervisor for w in workers.values())
    assert world.tables["residential_stay"] and world.tables["intervention_plan"]


def test_references_resolve(world: World) -> None:
    t = world.tables
    children = world.by("child", "id")
    persons = world.by("person", "id")
    kks = {f.kk_number for f in t["family"]}
    for person in t["person"]:
        assert person.kk_number in kks
    for child in t["child"]:
        assert child.kk_number is None or child.kk_number in kks
        assert child.registry_person_id is None or child.registry_person_id in persons
    for table in ("child_name", "child_attribute_report", "registry_member", "assistance",
                  "complaint", "referral", "placement", "atensi_case"):  # fmt: skip
        assert {row.child_id for row in t[table]} <= set(children), table
    assert {m.child_id for m in t["member"] if m.child_id} <= set(children)
    assert {g.person_id for g in world.ground_truth if g.person_id} <= set(persons)

    def refs(table: str, column: str, target: str, key: str = "id") -> None:
        values = {getattr(row, column) for row in t[table]} - {None}
        assert values <= {getattr(row, key) for row in t[target]}, f"{table}.{column}"

    refs("case_response", "complaint_id", "complaint")
    refs("referral", "complaint_id", "complaint")
    refs("placement", "lksa_id", "lksa")
    refs("placement", "referral_id", "referral")
    refs("beneficiary_family", "facilitator_id", "facilitator")
    refs("beneficiary_family", "kk_number", "family", "kk_number")
    refs("registry_member", "kk_number", "family", "kk_number")
    refs("member", "family_id", "beneficiary_family")
    refs("component", "member_id", "member")
    refs("verification", "member_id", "member")
    refs("payment", "family_id", "beneficiary_family")
    refs("caseworker", "balai_code", "balai", "code")
    refs("atensi_case", "balai_code", "balai", "code")
    refs("atensi_case", "caseworker_id", "caseworker")
    for table in ("stage_event", "residential_stay", "assessment", "intervention_plan"):
        refs(table, "case_id", "atensi_case")
    lksa_ids = {str(row.id) for row in t["lksa"]}
    referral_ids = {f"DINSOS:{r.id}" for r in t["referral"] if r.target_kind == "BALAI"}
    for referral in t["referral"]:
        assert referral.target_code in (
            lksa_ids if referral.target_kind == "LKSA" else set(world.by("balai", "code"))
        )
    for case in t["atensi_case"]:
        if case.referral_source and case.referral_source.startswith("DINSOS:"):
            assert case.referral_source in referral_ids


# --- the planted stories ---------------------------------------------------------------------


def test_story_pkh_dropout(world: World) -> None:
    kid = STORY_PKH_DROPOUT.child_id
    child = world.by("child", "id")[kid]
    assert child.nik is not None and child.region_code.startswith("14.71.")
    (member,) = [m for m in world.tables["member"] if m.child_id == kid]
    kinds = {
        c.kind for c in world.tables["component"] if c.member_id == member.id and c.ended_on is None
    }
    assert kinds == {"SMP"}
    checks = sorted(
        (v for v in world.tables["verification"] if v.member_id == member.id),
        key=lambda v: (v.year, v.period),
    )
    assert [v.compliant for v in checks] == [True, True, False, False]
    assert all(v.school_attendance_pct < 85 for v in checks[-2:])
    (case,) = [c for c in world.tables["atensi_case"] if c.child_id == kid]
    assert (case.balai_code, case.stage, case.closed_on) == ("RUMBAI", "INTERVENTION", None)


def test_story_undocumented(world: World) -> None:
    kid = STORY_UNDOCUMENTED.child_id
    child = world.by("child", "id")[kid]
    assert (child.nik, child.registry_person_id) == (None, None)
    assert child.full_name == "Moehammad Djoko Soetrisno" and child.birth_date_approximate
    assert child.region_code.startswith("21.71.")
    lksa = world.by("lksa", "id")
    (placement,) = [p for p in world.tables["placement"] if p.child_id == kid]
    assert placement.ended_on is None and lksa[placement.lksa_id].region_code.startswith("21.71.")
    (truth,) = [g for g in world.ground_truth if g.child_id == kid]
    person = world.by("person", "id")[truth.person_id]
    assert person.full_name == "Muhammad Joko Sutrisno"
    assert person.birth_date != child.birth_date and person.birth_date.year == child.birth_date.year
    assert normalize_name(child.full_name) == normalize_name(person.full_name)
    assert "old_spelling" in truth.variations


def test_story_balai_history(world: World) -> None:
    kid = STORY_BALAI_HISTORY.child_id
    child = world.by("child", "id")[kid]
    assert child.nik is not None and child.region_code.startswith("14.71.")
    cases = sorted(
        (c for c in world.tables["atensi_case"] if c.child_id == kid), key=lambda c: c.opened_on
    )
    assert [(c.balai_code, c.stage) for c in cases] == [
        ("ALYATAMA", "AFTERCARE"),
        ("RUMBAI", "ASSESSMENT"),
    ]
    complaints = [c for c in world.tables["complaint"] if c.child_id == kid]
    assert len(complaints) == 2
    responded = {r.complaint_id for r in world.tables["case_response"]}
    assert all(c.id in responded and c.received_at.date() < cases[1].opened_on for c in complaints)
    referrals = [r for r in world.tables["referral"] if r.child_id == kid]
    assert any(r.status == "COMPLETED" for r in referrals)
    (placement,) = [p for p in world.tables["placement"] if p.child_id == kid]
    assert placement.ended_on is not None and placement.ended_on < cases[1].opened_on
    assert any(m.child_id == kid for m in world.tables["member"])
    assert cases[1].referral_source in {f"DINSOS:{r.id}" for r in referrals}


def test_an_age_estimate_is_the_age_on_its_reports_day(world: World) -> None:
    """Estimates written years before the reference day give the child's age then, not now."""
    children = world.by("child", "id")
    persons = world.by("person", "id")
    reports = world.group("child_attribute_report", "child_id")
    early = 0
    for truth in (g for g in world.ground_truth if "birth_date_unknown" in g.variations):
        (report,) = (r for r in reports[truth.child_id] if r.attribute == "ageEstimate")
        day = report.reported_at.date()
        true = persons[truth.person_id].birth_date if truth.person_id else None
        if true is None or age_on(true) - age_on(true, day) < 2:
            continue
        early += 1
        assert int(report.value) < age_on(true), (children[truth.child_id].id, report)
    assert early > 0


def test_agencies_write_the_familys_address_as_clerks_do(world: World) -> None:
    """An address is recorded for some children of their own desa: mostly the family card's
    address in another form or with parts left out, sometimes with a slip or an older house."""
    from resolution.address import parse_address

    children = world.by("child", "id")
    persons = world.by("person", "id")
    families = world.by("family", "kk_number")
    written = []
    for truth in (g for g in world.ground_truth if g.person_id is not None):
        child, person = children[truth.child_id], persons[truth.person_id]
        if child.address is not None:
            assert child.region_code == person.region_code  # only in the family's own desa
            written.append((child.address, families[person.kk_number].address))
    assert len(written) > 100
    verbatim = sum(a == b for a, b in written)
    parts = [(parse_address(a), parse_address(b)) for a, b in written]
    same_parts = sum(a == b for a, b in parts)
    # every part given is the family card's (a form of its own, or parts left out)
    consistent = sum(
        all(getattr(a, f) in (None, getattr(b, f)) for f in ("way", "number", "rt", "rw"))
        for a, b in parts
    )
    assert 0.05 < verbatim / len(written) < 0.2
    assert 0.4 < same_parts / len(written) < 0.75
    assert 0.65 < consistent / len(written) < 0.9
    assert all(a for a, _ in parts)  # every written address says something
