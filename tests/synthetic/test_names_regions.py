"""Tests for the synthetic name generator, spelling helpers, name variants and region table."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from resolution.names import normalize_name, old_spelling
from satu_anak.synthetic.names import (
    VARIANT_KINDS,
    Culture,
    Generation,
    generate_family_names,
    generate_parent_names,
    generate_person_name,
    is_single_name,
    name_variant,
    nickname,
    pick_culture,
)
from satu_anak.synthetic.regions import (
    KABUPATEN,
    PROVINCES,
    all_desa,
    all_kecamatan,
    get_region,
    kabupaten_name,
    kecamatan_name,
    province_name,
    random_desa,
    random_kecamatan,
    region_name,
)
from subgraphs.common.identifiers import validate_region_code

# --- names ---------------------------------------------------------------------------------


def _names(seed: int, n: int = 200) -> list[str]:
    rng = random.Random(seed)
    return [generate_person_name(rng, rng.choice("FM")) for _ in range(n)]


def test_names_are_deterministic_for_a_seed() -> None:
    assert _names(11) == _names(11)
    assert _names(11) != _names(12)


def test_family_names_are_deterministic_for_a_seed() -> None:
    def families(seed: int) -> list[object]:
        rng = random.Random(seed)
        return [generate_family_names(rng, "F", province="14") for _ in range(100)]

    assert families(3) == families(3)


def test_single_name_share_is_realistic() -> None:
    rng = random.Random(2024)
    n = 10_000
    singles = sum(is_single_name(generate_person_name(rng, rng.choice("FM"))) for _ in range(n))
    assert 0.13 <= singles / n <= 0.22


def test_parents_generation_has_more_single_names_in_java() -> None:
    rng = random.Random(1)

    def share(generation: Generation) -> float:
        names = [
            generate_person_name(rng, "F", culture=Culture.JAVANESE, generation=generation)
            for _ in range(3000)
        ]
        return sum(map(is_single_name, names)) / len(names)

    assert share("parent") > share("child")


def test_names_look_like_names() -> None:
    for name in _names(5, 2000):
        assert name == name.strip() and "  " not in name
        assert name[0].isupper()
        assert all(part[0].isalpha() for part in name.split(" "))


def test_sex_must_be_f_or_m() -> None:
    with pytest.raises(ValueError):
        generate_person_name(random.Random(0), "X")


def test_muslim_prefixes_follow_sex() -> None:
    rng = random.Random(9)
    women = [generate_person_name(rng, "F", culture=Culture.MALAY) for _ in range(3000)]
    men = [generate_person_name(rng, "M", culture=Culture.MALAY) for _ in range(3000)]
    assert any(w.startswith("Siti ") for w in women)
    assert any(w.startswith(("Nur ", "Nurul ")) for w in women)
    assert any(m.startswith("Muhammad ") for m in men)
    assert not any(w.startswith("Muhammad ") for w in women)
    assert not any(m.startswith("Siti ") for m in men)


def test_culture_follows_province() -> None:
    rng = random.Random(4)
    ntt = Counter(pick_culture(rng, "53") for _ in range(2000))
    assert ntt[Culture.NTT] > 1700
    sumbar = Counter(pick_culture(rng, "13.71.01") for _ in range(2000))
    assert sumbar[Culture.MALAY] > 1500
    assert Counter(pick_culture(rng) for _ in range(2000)).keys() == set(Culture)


def test_batak_child_carries_father_marga_and_mother_another() -> None:
    rng = random.Random(8)
    for _ in range(300):
        family = generate_family_names(rng, "M", culture=Culture.BATAK)
        child_marga, father_marga = family.child.split()[-1], family.father.split()[-1]
        if len(family.child.split()) > 1 and len(family.father.split()) > 1:
            assert child_marga == father_marga
            assert family.mother.split()[-1] != father_marga


def test_ntt_family_shares_family_name() -> None:
    rng = random.Random(10)
    shared = 0
    for _ in range(300):
        family = generate_family_names(rng, "F", culture=Culture.NTT)
        shared += family.child.split()[-1] == family.father.split()[-1]
    assert shared > 200


def test_parent_names_use_the_given_family_name() -> None:
    rng = random.Random(1)
    for _ in range(200):
        father, mother = generate_parent_names(rng, Culture.NTT, family_name="Tefa")
        assert father.endswith(" Tefa") or is_single_name(father)
        assert mother and mother[0].isupper()


# --- spelling ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("modern", "old"),
    [
        ("Sukarni", "Soekarni"),
        ("Joko Susilo", "Djoko Soesilo"),
        ("Cahyani", "Tjahjani"),  # y→j only where the token shows it is old-spelled
        ("Yoga", "Yoga"),
        ("Syarifah", "Sjarifah"),
        ("Khairul", "Chairoel"),
        ("Muhammad Yusuf", "Moehammad Joesoef"),
        ("SITI AISYAH", "SITI AISJAH"),
        ("JOKO", "DJOKO"),
        ("Radja", "Radja"),  # already old: left as is, not made into "Raddja"
        ("Oematan", "Oematan"),
    ],
)
def test_old_spelling(modern: str, old: str) -> None:
    assert old_spelling(modern) == old


def test_normalize_name() -> None:
    assert normalize_name("  Soekarni ") == "sukarni"
    assert normalize_name("DJOKO   Soesilo") == "joko susilo"
    assert normalize_name("Tjahjani") == "cahyani"
    assert normalize_name("Sjarifah\tChairoel") == "syarifah khairul"


def test_old_spelling_normalizes_back_for_generated_names() -> None:
    for name in _names(21, 5000):
        assert normalize_name(old_spelling(name)) == normalize_name(name)


def test_old_spelling_normalizes_back_for_arbitrary_strings() -> None:
    rng = random.Random(0)
    alphabet = "abcdehijkostuyCDJKSTUO "
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))
        if any(old in text.lower() for old in ("oe", "dj", "tj", "sj", "ch")):
            continue  # already old-spelled: nothing to write the old way
        assert normalize_name(old_spelling(text)) == normalize_name(text)


# --- variants ------------------------------------------------------------------------------


def test_variant_is_different_and_labelled() -> None:
    rng = random.Random(13)
    kinds: Counter[str] = Counter()
    for name in _names(13, 3000):
        variant, kind = name_variant(rng, name)
        assert variant != name and variant.strip()
        assert kind in VARIANT_KINDS
        kinds[kind] += 1
    assert set(kinds) == set(VARIANT_KINDS)


def test_variants_are_deterministic() -> None:
    def run(seed: int) -> list[tuple[str, str]]:
        rng = random.Random(seed)
        return [name_variant(rng, n) for n in _names(2, 300)]

    assert run(1) == run(1)


def test_muhammad_variants() -> None:
    rng = random.Random(3)
    forms = {name_variant(rng, "Muhammad Rizki", ["muhammad_abbrev"])[0] for _ in range(200)}
    assert {"M. Rizki", "Moh. Rizki", "Muhamad Rizki", "Mohammad Rizki"} <= forms
    assert all(f.endswith(" Rizki") for f in forms)
    again, _ = name_variant(rng, "M. Rizki", ["muhammad_abbrev"])
    assert again != "M. Rizki" and again.endswith(" Rizki")


def test_old_spelling_variant_round_trips() -> None:
    variant, kind = name_variant(random.Random(0), "Siti Khadijah", ["old_spelling"])
    assert (variant, kind) == ("Siti Chadidjah", "old_spelling")
    assert normalize_name(variant) == normalize_name("Siti Khadijah")


def test_nur_and_prefix_variants() -> None:
    rng = random.Random(0)
    assert name_variant(rng, "Nurul Aini", ["nur_variant"]) == ("Nur Aini", "nur_variant")
    assert name_variant(rng, "Nur Aini", ["nur_variant"]) == ("Nurul Aini", "nur_variant")
    assert name_variant(rng, "Siti Aisyah", ["dropped_prefix"]) == ("Aisyah", "dropped_prefix")
    assert name_variant(rng, "M. Fajar", ["dropped_prefix"]) == ("Fajar", "dropped_prefix")


def test_nicknames() -> None:
    rng = random.Random(0)
    assert {nickname(rng, "Muhammad Rizki") for _ in range(50)} == {"Iki", "Kiki"}
    assert {nickname(rng, "Siti Aisyah") for _ in range(50)} == {"Ais", "Ica"}
    assert nickname(rng, "Dewi Lestari") == "Wiwi"
    assert nickname(rng, "Ridwan") == "Wan"


def test_dropped_family_name() -> None:
    rng = random.Random(0)
    assert name_variant(rng, "Tiurma br. Sinaga", ["dropped_family_name"])[0] == "Tiurma"
    assert name_variant(rng, "Maria Goreti da Costa", ["dropped_family_name"])[0] == (
        "Maria Goreti"
    )


def test_inapplicable_kind_raises() -> None:
    with pytest.raises(ValueError):
        name_variant(random.Random(0), "Joko Susilo", ["muhammad_abbrev", "nur_variant"])


def test_typo_keeps_name_close() -> None:
    rng = random.Random(6)
    for name in _names(6, 500):
        variant, _ = name_variant(rng, name, ["typo"])
        assert variant != name and abs(len(variant) - len(name)) <= 1


# --- regions -------------------------------------------------------------------------------


def test_region_table_codes_are_valid_and_nested() -> None:
    for region in (*PROVINCES, *KABUPATEN, *all_kecamatan(), *all_desa()):
        assert validate_region_code(region.code) == region.code
        if region.parent:
            assert get_region(region.parent).code == region.parent
            assert region.code.startswith(region.parent + ".")
    assert {r.code for r in PROVINCES} >= {"13", "14", "15", "18", "21", "53"}


def test_known_region_names() -> None:
    assert kabupaten_name("14.71") == "Kota Pekanbaru"
    assert kabupaten_name("14.08.01.1001") == "Kabupaten Siak"
    assert kabupaten_name("13.73.01") == "Kota Sawahlunto"
    assert kabupaten_name("21.71") == "Kota Batam"
    assert kabupaten_name("18.02") == "Kabupaten Lampung Tengah"
    assert kabupaten_name("53.71") == "Kota Kupang"
    assert province_name("53.01.06") == "Nusa Tenggara Timur"
    assert province_name("14") == "Riau"
    assert region_name("53.01.06.1003") == "Naibonat"
    assert kecamatan_name("14.71.12.1001") == "Rumbai"
    assert get_region("14.71").is_kota and not get_region("14.08").is_kota
    with pytest.raises(KeyError):
        kabupaten_name("14")
    with pytest.raises(KeyError):
        province_name("99")


def test_every_kabupaten_has_kecamatan_with_desa() -> None:
    kec_by_kab = Counter(k.parent for k in all_kecamatan())
    desa_by_kec = Counter(d.parent for d in all_desa())
    assert all(kec_by_kab[k.code] >= 3 for k in KABUPATEN)
    assert all(desa_by_kec[k.code] >= 3 for k in all_kecamatan())


def test_random_desa_is_deterministic_and_weighted() -> None:
    def draw(seed: int) -> list[str]:
        rng = random.Random(seed)
        return [random_desa(rng) for _ in range(20_000)]

    first = draw(1)
    assert first == draw(1)
    desa_codes = {d.code for d in all_desa()}
    assert set(first) <= desa_codes
    share = Counter(code[:2] for code in first)
    # Riau and NTT are the largest on purpose; every province appears.
    assert share.most_common(2)[0][0] == "14" and share.most_common(2)[1][0] == "53"
    assert set(share) == {r.code for r in PROVINCES}


def test_random_kecamatan_is_a_listed_kecamatan() -> None:
    rng = random.Random(0)
    codes = {k.code for k in all_kecamatan()}
    assert all(random_kecamatan(rng) in codes for _ in range(1000))
