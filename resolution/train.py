"""Re-learning the weights (``satu-anak identity train``): u, sibling-u, m by EM, band thresholds.

No ground-truth label is used for the weights:

- u (a stranger): level frequencies over random pairs of registry persons;
- u among siblings: level frequencies over registry children sharing a KK (real SIAK has KKs);
- m: expectation–maximisation over blocked candidate pairs of the undocumented children in the
  child index (Splink's algorithm: E-step the posterior of each pair's class, M-step m per level,
  u fixed), with four classes instead of two — the child, a sibling, a twin, a stranger — where a
  sibling shares the child's m for the family attributes and the sibling-u for the rest, and a
  twin shares the child's m for all but the given name (learned: how twins' names differ) and the
  sex (the sibling-u); the twin class's prior, twins per child, is learned too;
- given-name frequencies for the term-frequency adjustment, from the registry.

The reading helpers (registry, child records, in-memory blocking) serve the evaluation too.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import hashlib
import json
import math
import random
import sqlite3
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Final

import numpy as np

from resolution.compare import (
    ATTRIBUTES,
    FAMILY_ATTRIBUTES,
    LEVELS,
    Side,
    compare,
    level_indexes,
    person_as_record,
    person_side,
    record_side,
)
from resolution.model import DESA_U, TF_LEVELS, TWIN_ATTRIBUTES, WEIGHTS_FILE
from resolution.names import formal_names, parse_name, phonetic_key
from resolution.records import ChildRecord, RegistryRecord

RANDOM_PAIRS: Final = 200_000
EM_ITERATIONS: Final = 60
SMOOTHING: Final = 1.0  # pseudo-count per level: no probability is ever 0
# The given-name levels another child's name reaches (a twin's, learned by EM).
TWIN_NAME_LEVELS: Final = ("SIMILAR", "ALIKE", "TOKEN_SHARED", "DIFFERENT")
NO_MATCH_PRIOR: Final = 0.2
TWIN_SHARE: Final = 0.02  # EM's starting point: sibling pairs born the same day (1 birth in 80)
YEAR_WINDOW: Final = 3
BLOCK_CAP: Final = 1000  # a common name's block is narrowed further, to the kabupaten


# --- reading a Disdukcapil database ---------------------------------------------------------


@dataclass(frozen=True)
class Registry:
    """The registry persons, with their KK relationships (who is whose sibling)."""

    persons: tuple[RegistryRecord, ...]
    relationship: tuple[str, ...]


def read_registry(db: sqlite3.Connection) -> Registry:
    rows = db.execute(
        "SELECT p.id, p.nik, p.full_name, p.sex, p.birth_date, p.birth_place, p.region_code, "
        "p.kk_number, p.mother_name, p.father_name, f.address, p.relationship "
        "FROM person p LEFT JOIN family f ON f.kk_number = p.kk_number ORDER BY p.id"
    ).fetchall()
    persons = tuple(
        RegistryRecord(
            person_id=r[0],
            nik=r[1],
            full_name=r[2],
            sex=r[3],
            birth_date=date.fromisoformat(r[4]),
            birth_place=r[5],
            region_code=r[6],
            kk_number=r[7],
            mother_name=r[8],
            father_name=r[9],
            address=r[10] or None,
        )
        for r in rows
    )
    return Registry(persons, tuple(r[11] for r in rows))


_REPORTED: Final = {
    "fullName": "names", "birthPlace": "places", "regionCode": "regions",
    "motherName": "mothers", "fatherName": "fathers", "address": "addresses",
}  # fmt: skip


def read_child_records(db: sqlite3.Connection, undocumented_only: bool = True) -> list[ChildRecord]:
    """Index children as ChildRecords: the index row, other names and every agency's report."""
    where = "WHERE nik IS NULL" if undocumented_only else ""
    children = db.execute(
        "SELECT id, full_name, sex, birth_date, birth_date_approximate, birth_place, "
        f"mother_name, father_name, region_code, kk_number, address FROM child {where} ORDER BY id"
    ).fetchall()
    extra: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for child_id, name in db.execute("SELECT child_id, name FROM child_name ORDER BY id"):
        extra[child_id]["names"].append(name)
    ages: dict[str, tuple[float, date]] = {}
    for child_id, attribute, value, reported_at in db.execute(
        "SELECT child_id, attribute, value, reported_at FROM child_attribute_report ORDER BY id"
    ):
        if attribute in _REPORTED:
            extra[child_id][_REPORTED[attribute]].append(value)
        elif attribute == "kkNumber":
            extra[child_id]["kk"].append(value)
        elif attribute == "ageEstimate" and child_id not in ages:
            # An age is the age when it was reported.
            ages[child_id] = (float(value), date.fromisoformat(str(reported_at)[:10]))
    records = []
    for c in children:
        more = extra.get(c[0], {})
        records.append(
            ChildRecord(
                names=_unique((c[1], *more.get("names", ()))),
                sex=c[2],
                birth_date=date.fromisoformat(c[3]) if c[3] else None,
                birth_date_exact=not c[4],
                birth_places=_unique((c[5], *more.get("places", ()))),
                region_codes=_unique((c[8], *more.get("regions", ()))),
                mother_names=_unique((c[6], *more.get("mothers", ()))),
                father_names=_unique((c[7], *more.get("fathers", ()))),
                kk_number=c[9] or next(iter(more.get("kk", ())), None),
                addresses=_unique((c[10], *more.get("addresses", ()))),
                age_estimate=ages[c[0]][0] if c[0] in ages else None,
                as_of=ages[c[0]][1] if c[0] in ages else None,
                record_id=c[0],
                indexed=True,
            )
        )
    return records


def _unique(values: Iterable[str | None]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


# --- blocking in memory (the database version is resolution.store) -------------------------


class MemoryBlocks:
    """Candidate retrieval over a registry held in memory: several blocks, unioned."""

    def __init__(self, persons: Sequence[RegistryRecord]) -> None:
        self.persons = persons
        self.by_key: dict[str, list[int]] = defaultdict(list)
        self.by_mother: dict[str, list[int]] = defaultdict(list)
        self.by_kk: dict[str, list[int]] = defaultdict(list)
        self.by_father: dict[str, list[int]] = defaultdict(list)
        self.by_desa_year: dict[tuple[str, int], list[int]] = defaultdict(list)
        self.by_date: dict[date, list[int]] = defaultdict(list)
        for i, p in enumerate(persons):
            parsed = parse_name(p.full_name)
            for key in {phonetic_key(t) for t in parsed.tokens if t != parsed.prefix}:
                self.by_key[key].append(i)
            if p.mother_name and (given := parse_name(p.mother_name).given):
                self.by_mother[phonetic_key(given)].append(i)
            if p.father_name and (given := parse_name(p.father_name).given):
                self.by_father[phonetic_key(given)].append(i)
            if p.kk_number:
                self.by_kk[p.kk_number].append(i)
            self.by_desa_year[(p.region_code, p.birth_date.year)].append(i)
            self.by_date[p.birth_date].append(i)

    def candidates(self, record: ChildRecord) -> list[RegistryRecord]:
        side = record_side(record)
        found: set[int] = set()
        keys = {phonetic_key(t) for n in side.names for t in (n.given or "", *n.others) if t}
        keys |= {phonetic_key(f) for n in side.names if n.given for f in formal_names(n.given)}
        for key in keys:
            found.update(self._narrow(self.by_key.get(key, ()), side))
        for parents, index in ((side.mothers, self.by_mother), (side.fathers, self.by_father)):
            for parent in parents:
                given = parent.name.given
                if given:
                    found.update(self._narrow(index.get(phonetic_key(given), ()), side))
        if side.kk:
            found.update(self.by_kk.get(side.kk, ()))
        for region in side.regions:
            if len(region) == 4:
                # The desa's children of about the age (all of them when no age is known).
                years = (
                    range(side.birth_year - 1, side.birth_year + 2)
                    if side.birth_year is not None
                    else range(date.today().year - 18, date.today().year + 1)
                )
                for year in years:
                    found.update(self.by_desa_year.get((".".join(region), year), ()))
        if side.birth_date is not None:
            # Born that very day, anywhere, of the record's sex: a family that moved, no mother.
            found.update(
                i
                for i in self.by_date.get(side.birth_date, ())
                if side.sex is None or self.persons[i].sex == side.sex
            )
        return [self.persons[i] for i in sorted(found)]

    def _narrow(self, block: Sequence[int], side: Side) -> Iterable[int]:
        """A name or parent block within the birth-year window, or within the kabupaten when the
        record has no year (the person table's (key, birth_year) and (key, region_code) indexes)."""
        year = side.birth_year
        persons = self.persons
        if year is not None:
            block = [i for i in block if abs(persons[i].birth_date.year - year) <= YEAR_WINDOW]
            if len(block) <= BLOCK_CAP:
                return block
        kabupaten = {".".join(r[:2]) for r in side.regions}
        return (i for i in block if persons[i].region_code[:5] in kabupaten)


# --- estimation -----------------------------------------------------------------------------


def level_frequencies(levels: np.ndarray) -> dict[str, list[float]]:
    """Per attribute, how often each level occurs (MISSING excluded, smoothed, MISSING = 1)."""
    result = {}
    for j, attribute in enumerate(ATTRIBUTES):
        n_levels = len(LEVELS[attribute])
        counts = np.bincount(levels[:, j], minlength=n_levels).astype(float)[: n_levels - 1]
        probs = (counts + SMOOTHING) / (counts.sum() + SMOOTHING * (n_levels - 1))
        result[attribute] = [*probs.tolist(), 1.0]
    return result


def pair_levels(pairs: Iterable[tuple[Side, Side]]) -> np.ndarray:
    rows = [level_indexes(compare(a, b)) for a, b in pairs]
    return np.array(rows, dtype=np.int64).reshape(-1, len(ATTRIBUTES))


def random_pairs(
    records: Sequence[ChildRecord], persons: Sequence[RegistryRecord], n: int, rng: random.Random
) -> np.ndarray:
    """Child records against random registry persons: how a record compares with someone it is
    not (a random pair is a match with probability ~1/registry size).

    Records, not registry persons, on the left: nicknames, call syllables, year-only dates and age
    estimates occur in records only, and their u must be how often a record's value reaches the
    level by chance. Without records (an empty child index), registry persons stand in.
    """
    sides = [record_side(r) for r in records] or [record_side(person_as_record(p)) for p in persons]
    picks = ((rng.randrange(len(sides)), rng.randrange(len(persons))) for _ in range(n))
    return pair_levels((sides[i], person_side(persons[j])) for i, j in picks)


def sibling_pairs(
    registry: Registry, approximate_share: float = 0.0, rng: random.Random | None = None
) -> tuple[np.ndarray, float]:
    """Level indexes of every ordered pair of registry children sharing a KK; siblings a child has
    on average.

    The registry's dates are all written as known; a record's are approximate in
    ``approximate_share`` of the records that carry a date, and a sibling compared with such a
    record reaches the APPROX_ levels as often: that share of the pairs is compared with the left
    side's date marked approximate (drawn by ``rng``).
    """
    by_kk: dict[str, list[int]] = defaultdict(list)
    for i, (p, rel) in enumerate(zip(registry.persons, registry.relationship, strict=True)):
        if rel == "CHILD" and p.kk_number:
            by_kk[p.kk_number].append(i)
    ps = registry.persons
    draw = (rng or random.Random(0)).random

    def left(i: int) -> Side:
        record = person_as_record(ps[i])
        if approximate_share and draw() < approximate_share:
            record = dataclasses.replace(record, birth_date_exact=False)
        return record_side(record)

    pairs = [
        (left(i), person_side(ps[j]))
        for members in by_kk.values()
        for i in members
        for j in members
        if i != j
    ]
    children = sum(len(m) for m in by_kk.values())
    return pair_levels(pairs), len(pairs) / max(children, 1)


def approximate_share(records: Sequence[ChildRecord]) -> float:
    """Of the records that carry a birth date, the share whose date is marked approximate."""
    dated = [r for r in records if r.birth_date is not None]
    return sum(not r.birth_date_exact for r in dated) / len(dated) if dated else 0.0


def given_name_frequencies(persons: Sequence[RegistryRecord], minimum: int = 3) -> dict[str, float]:
    counts = Counter(
        phonetic_key(g) for p in persons if (g := parse_name(p.full_name).given) is not None
    )
    n = len(persons)
    return {k: round(c / n, 8) for k, c in counts.most_common() if c >= minimum}


def sibling_u(
    among_siblings: dict[str, list[float]], u: dict[str, list[float]]
) -> dict[str, list[float]]:
    """Sibling-u no lower than u at any level, renormalised.

    The registry compares siblings' true values; a record's values are noisy (a birth date off by
    months, a year written wrong), so a sibling may reach a level the registry's siblings never do
    (no two registered siblings born 10 months apart, yet a record's blurred date lands there). A
    sibling agrees at least as often as a stranger does.
    """
    result = {}
    for attribute, probs in among_siblings.items():
        floored = [max(s, x) for s, x in zip(probs[:-1], u[attribute][:-1], strict=True)]
        total = sum(floored)
        result[attribute] = [*(f / total for f in floored), 1.0]
    return result


def desa_pairs(persons: Sequence[RegistryRecord], n: int, rng: random.Random) -> np.ndarray:
    """Level indexes of ``n`` random pairs of persons registered in one desa, not in one KK.

    Neighbours share more than strangers do: the town they were born in, the family names of
    their place. Agreement on those counts as evidence only beyond what one desa shares, else a
    namesake next door adds the birthplace and the family name up to a confident wrong match.
    """
    by_desa: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(persons):
        if p.region_code:
            by_desa[p.region_code].append(i)
    pickable = [i for members in by_desa.values() if len(members) > 1 for i in members]
    pairs: list[tuple[int, int]] = []
    for _ in range(n * 3):
        if not pickable or len(pairs) == n:
            break
        i = rng.choice(pickable)
        j = rng.choice(by_desa[persons[i].region_code or ""])
        if j != i and persons[i].kk_number != persons[j].kk_number:
            pairs.append((i, j))
    return pair_levels(
        (record_side(person_as_record(persons[i])), person_side(persons[j])) for i, j in pairs
    )


def desa_correction(
    levels: np.ndarray, u: dict[str, list[float]], u_desa: dict[str, list[float]]
) -> np.ndarray:
    """Per pair, ln u_desa − ln u summed over DESA_U attributes where the region agrees on the
    desa (the model's own substitution, ``Model.pair_from_levels``)."""
    same_desa = levels[:, ATTRIBUTES.index("region")] == LEVELS["region"].index("DESA")
    total = np.zeros(len(levels))
    for attribute, local in u_desa.items():
        j = ATTRIBUTES.index(attribute)
        diff = np.log(np.array(local)) - np.log(np.array(u[attribute]))
        total += np.where(same_desa, diff[levels[:, j]], 0.0)
    return total


def twin_names(learned: list[float], among_siblings: list[float]) -> list[float]:
    """A twin's given name compared with the record: another name, as a sibling's is.

    Twins are two children with two names; a record of one reaches a same-name level with the
    other only as often as with any sibling (the registry's siblings say how often). EM learns
    only how the other name differs — rhymes (SIMILAR, ALIKE), shares a token, or not at all.
    Left free, the twin class is the match class under another name (it shares every other
    attribute with it) and swallows the matches: 0.31 "twins" per child on seed 1.
    """
    free = [LEVELS["given_name"].index(level) for level in TWIN_NAME_LEVELS]
    fixed = sum(p for i, p in enumerate(among_siblings[:-1]) if i not in free)
    mass = sum(learned[i] for i in free)
    return [
        learned[i] * (1 - fixed) / mass if i in free else among_siblings[i]
        for i in range(len(learned) - 1)
    ] + [1.0]


# Birth-date levels from the nearest to the farthest, one chain per kind of date (a date written
# as known, an approximation, a year alone); SWAPPED and YEAR_OFF are slips, not distances, and
# DIFFERENT is every chain's end.
DATE_CHAINS: Final = (
    ("EXACT", "WITHIN_MONTH", "SAME_YEAR", "WITHIN_1_YEAR", "WITHIN_3_YEARS"),
    ("APPROX_WITHIN_MONTH", "APPROX_SAME_YEAR", "APPROX_WITHIN_1_YEAR", "APPROX_WITHIN_3_YEARS"),
    ("YEAR_ONLY_SAME", "YEAR_ONLY_NEAR", "YEAR_ONLY_WITHIN_3_YEARS"),
)


def closer_counts_more(m: list[float], u: list[float]) -> list[float]:
    """The birth date's m with its Bayes factor m/u never rising with the distance along each of
    ``DATE_CHAINS``: where a nearer level's m/u is below a farther one's, the levels between are
    pooled (adjacent violators: Σm / Σu) and each takes u times the pooled ratio, so that the
    chain's m still sums to what EM counted.

    A date a month from the person is never weaker evidence than one half a year from it; a
    world whose approximations are rarely that close (the seeder's are 1–8 months off, or the
    year's first day) would otherwise teach the officer's explanation that "approximate, within a
    month" adds less than "approximate, the same year".
    """
    result = list(m)
    levels = LEVELS["birth_date"]
    for chain in DATE_CHAINS:
        index = [levels.index(level) for level in chain]
        blocks: list[list[int]] = []  # pooled runs of the chain, nearest first
        for i in index:
            blocks.append([i])
            while len(blocks) > 1 and _ratio(m, u, blocks[-2]) < _ratio(m, u, blocks[-1]):
                last = blocks.pop()
                blocks[-1].extend(last)
        for block in blocks:
            ratio = _ratio(m, u, block)
            for i in block:
                result[i] = u[i] * ratio
    return result


def _ratio(m: list[float], u: list[float], block: list[int]) -> float:
    return sum(m[i] for i in block) / sum(u[i] for i in block)


def initial_m() -> dict[str, list[float]]:
    """A starting point for EM: agreement likely, each weaker level half as likely."""
    result = {}
    for attribute, levels in LEVELS.items():
        raw = [0.5**i for i in range(len(levels) - 1)]
        result[attribute] = [*(r / sum(raw) for r in raw), 1.0]
    return result


@dataclass(frozen=True)
class EmResult:
    m: dict[str, list[float]]
    expected_matches: float  # posterior number of records with their match among the pairs
    iterations: int
    u_twin: dict[str, list[float]] = field(default_factory=dict)  # TWIN_ATTRIBUTES' levels
    twins_per_child: float = 0.0  # the twin class's posterior count per child record


@dataclass(frozen=True)
class Evidence:
    """What training learns from, before any estimation: pair levels and registry counts."""

    u_levels: np.ndarray  # random registry pairs
    sibling_levels: np.ndarray  # ordered pairs of registry children sharing a KK
    siblings_per_child: float
    blocked_levels: np.ndarray  # every child record against its blocked candidates
    log_tf: np.ndarray  # per blocked pair: ln of the given name's frequency at TF levels, else nan
    record_starts: np.ndarray  # index of each record's first pair (pairs are grouped by record)
    name_frequencies: dict[str, float]
    registry_persons: int
    child_records: int
    # Pairs of registry persons of one desa, not of one KK: how neighbours compare (DESA_U).
    desa_levels: np.ndarray = field(
        default_factory=lambda: np.zeros((0, len(ATTRIBUTES)), dtype=np.int64)
    )


class EmptyRegistry(ValueError):
    """Nothing to learn from: the database's person table is empty."""


def gather(db_path: Path, random_seed: int = 1, n_random: int = RANDOM_PAIRS) -> Evidence:
    """Compare what training needs compared: random pairs, sibling pairs, blocked pairs."""
    rng = random.Random(random_seed)
    with sqlite3.connect(db_path) as db:
        registry = read_registry(db)
        records = read_child_records(db)
    persons = registry.persons
    if not persons:
        raise EmptyRegistry("the registry holds no person to learn from")
    u_levels = random_pairs(records, persons, n_random, rng)
    sib_levels, siblings_per_child = sibling_pairs(registry, approximate_share(records), rng)
    neighbours = desa_pairs(persons, n_random // 2, rng)
    frequencies = given_name_frequencies(persons)
    blocks = MemoryBlocks(persons)
    floor = 1.0 / len(persons)
    rows: list[tuple[int, ...]] = []
    log_tf: list[float] = []
    starts: list[int] = []
    for record in records:
        side = record_side(record)
        found = blocks.candidates(record)
        if found:
            starts.append(len(rows))
        for person in found:
            other = person_side(person)
            levels = compare(side, other)
            rows.append(level_indexes(levels))
            key = other.names[0].given_key if other.names else None
            tf = max(frequencies.get(key or "", floor), floor)
            log_tf.append(math.log(tf) if levels["given_name"] in TF_LEVELS else math.nan)
    return Evidence(
        u_levels,
        sib_levels,
        siblings_per_child,
        np.array(rows, dtype=np.int64).reshape(-1, len(ATTRIBUTES)),
        np.array(log_tf),
        np.array(starts, dtype=np.int64),
        frequencies,
        len(persons),
        len(records),
        neighbours,
    )


def expectation_maximisation(
    evidence: Evidence,
    u: dict[str, list[float]],
    u_sibling: dict[str, list[float]],
    no_match: float,
    iterations: int = EM_ITERATIONS,
    u_desa: dict[str, list[float]] | None = None,
) -> EmResult:
    """m per level by EM over blocked pairs, u and sibling-u fixed (Splink's scheme).

    Two departures from a plain two-class EM, both the scoring model's own structure: a pair that
    is not the child is a sibling, a twin or a stranger (family attributes of a sibling compare
    with the child's m, the rest with the sibling-u; a twin's everything but the given name and
    the sex with the child's m — its name levels and how many twins there are per child are
    learned here as well, from the twin class's posterior); and a record is at most one person, so the E-step
    shares each record's posterior among its candidates and "none of them" — the one-to-one
    constraint that stops the match class from swallowing every blocked pair. m is counted from
    the child class's posterior only: counting the sibling class's share for the family attributes
    too let strangers in one desa with a common father's name teach the mother's m.
    """
    levels, n = evidence.blocked_levels, evidence.registry_persons
    m = initial_m()
    # The twin class starts as a sibling born the same day (TWIN_SHARE of siblings), named and
    # sexed as siblings are; EM then learns how often a twin is there and how twins compare.
    t = {a: list(u_sibling[a]) for a in TWIN_ATTRIBUTES}
    t["given_name"] = twin_names(t["given_name"], u_sibling["given_name"])
    twins_per_child = TWIN_SHARE * evidence.siblings_per_child
    missing = np.array([levels[:, j] == len(LEVELS[a]) - 1 for j, a in enumerate(ATTRIBUTES)]).T
    given = ATTRIBUTES.index("given_name")
    tf_rows = ~np.isnan(evidence.log_tf)
    log_u = sum(np.log(np.array(u[a]))[levels[:, j]] for j, a in enumerate(ATTRIBUTES))
    log_u = log_u + desa_correction(levels, u, u_desa or {})
    log_u = log_u + np.where(
        tf_rows, evidence.log_tf - np.log(np.array(u["given_name"]))[levels[:, given]], 0.0
    )
    log_usib = {a: np.log(np.array(u_sibling[a]))[levels[:, j]] for j, a in enumerate(ATTRIBUTES)}
    pi_s = min(0.5, max(evidence.siblings_per_child / n, 1e-12))
    children = max(evidence.child_records, 1)
    log_prior = math.log((1 - no_match) / n)
    starts = evidence.record_starts
    done, expected, twins = 0, 0.0, 0.0

    def level_probs(j: int, weights: np.ndarray) -> list[float]:
        attribute = ATTRIBUTES[j]
        r = np.where(missing[:, j], 0.0, weights)
        n_levels = len(LEVELS[attribute])
        counted = np.bincount(levels[:, j], weights=r, minlength=n_levels)[: n_levels - 1]
        probs = (counted + SMOOTHING) / (counted.sum() + SMOOTHING * (n_levels - 1))
        return [*probs.tolist(), 1.0]

    for done in range(1, iterations + 1):  # noqa: B007
        log_m = {a: np.log(np.array(m[a]))[levels[:, j]] for j, a in enumerate(ATTRIBUTES)}
        l_match = sum(log_m.values())
        l_sib = math.log(pi_s) + sum(
            log_m[a] if a in FAMILY_ATTRIBUTES else log_usib[a] for a in ATTRIBUTES
        )
        pi_t = min(0.25, twins_per_child / n)
        l_twin = math.log(max(pi_t, 1e-300)) + sum(
            np.log(np.array(t[a]))[levels[:, j]] if a in t else log_m[a]
            for j, a in enumerate(ATTRIBUTES)
        )
        l_stranger = math.log(1 - pi_s - pi_t) + log_u
        l_other = np.logaddexp(np.logaddexp(l_sib, l_stranger), l_twin)
        odds = np.exp(np.minimum(log_prior + l_match - l_other, 700.0))
        per_record = np.add.reduceat(odds, starts)
        counts = np.diff(np.append(starts, len(odds)))
        p_match = odds / (1.0 + np.repeat(per_record, counts))
        expected = float(p_match.sum())
        # The twin class's share of what is not the match.
        p_twin = (1.0 - p_match) * np.exp(l_twin - l_other)
        twins = float(p_twin.sum())
        new_m = {a: level_probs(j, p_match) for j, a in enumerate(ATTRIBUTES)}
        new_m["birth_date"] = closer_counts_more(new_m["birth_date"], u["birth_date"])
        # Only the name is learned: a twin's sex compares as a sibling's does (the registry's
        # siblings say how often). Learned too, the sex made the twin class "a child of the
        # other sex", and same-sex twins matches with an unknown name (a test's world).
        given_twin = level_probs(given, p_twin)
        new_t = {**t, "given_name": twin_names(given_twin, u_sibling["given_name"])}
        change = max(
            abs(a - b)
            for old, new in ((m, new_m), (t, new_t))
            for attr in new
            for a, b in zip(old[attr], new[attr], strict=True)
        )
        m, t = new_m, new_t
        twins_per_child = twins / children
        if change < 1e-5:
            break
    return EmResult(m, expected, done, t, twins_per_child)


# --- the whole run --------------------------------------------------------------------------


@dataclass(frozen=True)
class Training:
    weights: dict[str, object]
    summary: dict[str, object]


def fit(evidence: Evidence, bands: dict[str, float] | None = None) -> Training:
    """Estimate every probability from gathered evidence: the weights artifact and a summary."""
    u = level_frequencies(evidence.u_levels)
    u_sib = sibling_u(level_frequencies(evidence.sibling_levels), u)
    u_desa = (
        {a: level_frequencies(evidence.desa_levels)[a] for a in DESA_U}
        if len(evidence.desa_levels)
        else {}
    )
    em = expectation_maximisation(evidence, u, u_sib, NO_MATCH_PRIOR, u_desa=u_desa)
    trained_at = datetime.now(UTC).replace(microsecond=0).isoformat()
    summary: dict[str, object] = {
        "trained_at": trained_at,
        "registry_persons": evidence.registry_persons,
        "child_records": evidence.child_records,
        "blocked_pairs": len(evidence.blocked_levels),
        "random_pairs": len(evidence.u_levels),
        "sibling_pairs": len(evidence.sibling_levels),
        "desa_pairs": len(evidence.desa_levels),
        "em_iterations": em.iterations,
        "em_expected_matches": round(em.expected_matches, 1),
        "em_twins_per_child": round(em.twins_per_child, 5),
    }
    weights: dict[str, object] = {
        "version": f"fs2-{trained_at[:10]}",
        "training": summary,
        "priors": {
            "registry_size": evidence.registry_persons,
            "siblings_per_child": round(evidence.siblings_per_child, 4),
            "no_match": NO_MATCH_PRIOR,
            "twins_per_child": round(em.twins_per_child, 6),
        },
        "bands": bands or {"auto_suggest": 0.9, "review": 0.05},
        "attributes": {
            a: {
                "levels": list(LEVELS[a]),
                "m": _round(em.m[a]),
                "u": _round(u[a]),
                "u_sibling": None if a in FAMILY_ATTRIBUTES else _round(u_sib[a]),
                **({"u_desa": _round(u_desa[a])} if a in u_desa else {}),
                **({"u_twin": _round(em.u_twin[a])} if a in em.u_twin else {}),
            }
            for a in ATTRIBUTES
        },
        "name_frequencies": evidence.name_frequencies,
    }
    # The version names the weights themselves: the same numbers, the same version.
    learned = json.dumps({k: weights[k] for k in ("priors", "attributes")}, sort_keys=True)
    digest = hashlib.sha256(learned.encode()).hexdigest()[:8]
    weights["version"] = f"fs2-{trained_at[:10]}-{digest}"
    return Training(weights, summary)


def train(
    db_path: Path,
    *,
    random_seed: int = 1,
    n_random: int = RANDOM_PAIRS,
    bands: dict[str, float] | None = None,
) -> Training:
    """Learn the weights from a Disdukcapil SQLite database (registry + child index)."""
    return fit(gather(db_path, random_seed, n_random), bands)


def _round(values: Sequence[float]) -> list[float]:
    return [float(f"{v:.6g}") for v in values]


def seed_world(children: int, seed: int, folder: Path) -> Path:
    """A synthetic world in SQLite files under ``folder``; the Disdukcapil database's path."""
    from satu_anak.synthetic.loader import SUBGRAPHS
    from satu_anak.synthetic.loader import seed as seed_databases
    from subgraphs.common.settings import SubgraphSettings

    folder.mkdir(parents=True, exist_ok=True)
    settings = {
        name: SubgraphSettings(name, f"sqlite+aiosqlite:///{folder / f'{name}.db'}")
        for name in SUBGRAPHS
    }
    asyncio.run(
        seed_databases(children, seed, settings, ground_truth_dir=folder, only_if_empty=False)
    )
    return folder / "disdukcapil.db"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="satu-anak identity train", description="Re-learn the matcher's weights."
    )
    parser.add_argument("--db", type=Path, help="a Disdukcapil SQLite database to learn from")
    parser.add_argument("--children", type=int, default=60_000, help="seed a world this big")
    parser.add_argument("--seed", type=int, default=1, help="the seeded world's seed")
    parser.add_argument("--random-pairs", type=int, default=RANDOM_PAIRS, help="pairs for u")
    parser.add_argument("--out", type=Path, default=WEIGHTS_FILE)
    args = parser.parse_args(argv)
    if args.db is not None and not args.db.is_file():
        parser.error(f"--db: no such file: {args.db}")
    if args.children < 1 or args.random_pairs < 1:
        parser.error("--children and --random-pairs must be positive")
    with tempfile.TemporaryDirectory(prefix="identity-train-") as tmp:
        db = args.db or seed_world(args.children, args.seed, Path(tmp))
        old_bands = _current_bands(args.out)
        try:
            result = train(db, n_random=args.random_pairs, bands=old_bands)
        except sqlite3.DatabaseError as exc:
            parser.error(f"--db: not a Disdukcapil database ({exc})")
        except EmptyRegistry as exc:
            parser.error(f"--db: {exc}")
        if args.db is None:
            result.summary["seeded"] = {"children": args.children, "seed": args.seed}
    partial = args.out.with_suffix(".json.partial")
    partial.write_text(json.dumps(result.weights, indent=1) + "\n", encoding="utf-8")
    partial.replace(args.out)  # the reviewed artifact is never half-written
    print(json.dumps(result.summary, indent=1))
    print(f"weights written to {args.out}")
    return 0


def _current_bands(path: Path) -> dict[str, float] | None:
    """Band thresholds are chosen by measurement (bench/identity), kept across retraining."""
    try:
        bands: dict[str, float] = json.loads(path.read_text(encoding="utf-8"))["bands"]
    except (OSError, ValueError, KeyError):
        return None
    return bands


if __name__ == "__main__":
    raise SystemExit(main())
