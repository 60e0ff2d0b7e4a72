"""The name-knowledge module: every rule of spelling, prefixes, titles, nicknames and keys."""

from __future__ import annotations

import random

import pytest

from resolution.names import (
    KEYBOARD_NEIGHBOURS,
    MUHAMMAD_FORMS,
    OLD_TO_NEW,
    ParsedName,
    canonical_prefix,
    fold,
    formal_names,
    nicknames_of,
    normalize_name,
    old_spelling,
    one_keystroke,
    parse_name,
    phonetic_key,
)
from satu_anak.synthetic import names as generator
from satu_anak.synthetic.names import Culture, generate_family_names, name_variant


def test_fold() -> None:
    assert fold("  Siti-Nur'aini,  S.Pd. ") == "siti nur aini s pd"
    assert fold("BY. NY. 2 SARI") == "by ny sari"
    assert fold("José Fernández") == "jose fernandez"  # accents dropped, not the letter


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("Soekarni", "sukarni"),  # oe → u
        ("Djoko", "joko"),  # dj → j
        ("Tjahjo", "cahyo"),  # tj → c, and the token is old-spelled, so its j → y
        ("Sjarifah", "syarifah"),  # sj → sy
        ("Chairoel", "khairul"),  # ch → kh
        ("Soenjoto", "sunyoto"),  # nj → ny in an old-spelled token
        ("Soerja", "surya"),  # j → y in an old-spelled token
        ("Djojohadikoesoemo", "joyohadikusumo"),  # the j of dj is not read again
        ("Pandjaitan", "panjaitan"),  # n + dj: today's n + j
        ("Moehammad Djoko Soetrisno", "muhammad joko sutrisno"),
        ("Sjarifah\tChairoel", "syarifah khairul"),
        ("  DJOKO   Soesilo ", "joko susilo"),
    ],
)
def test_normalize_name_writes_old_spelling_as_today(old: str, new: str) -> None:
    assert normalize_name(old) == new


@pytest.mark.parametrize(
    "current",
    # Today's j, nj and y are left alone where nothing says the token is old-spelled.
    ["joko", "panjaitan", "tanjung", "simanjuntak", "yusuf", "nyoman", "surya", "sunyoto"],
)
def test_normalize_name_keeps_current_spelling(current: str) -> None:
    assert normalize_name(current.title()) == current


def test_ambiguous_old_j_is_settled_by_the_phonetic_key() -> None:
    # A bare "Jusuf" or "Njoman" shows no other old digraph: normalize_name cannot tell.
    assert normalize_name("Jusuf") == "jusuf"
    assert normalize_name("Njoman") == "njoman"
    assert phonetic_key("Jusuf") == phonetic_key("Yusuf")
    assert phonetic_key("Njoman") == phonetic_key("Nyoman")
    assert phonetic_key("Djoko") == phonetic_key("Joko") == phonetic_key("Yoko")


def test_soenjoto_agrees_everywhere() -> None:
    """The issue's example: one normalizer said 'sunyoto', the other 'sunjoto'."""
    assert normalize_name("Soenjoto") == normalize_name("Sunyoto") == "sunyoto"
    assert old_spelling("Sunyoto") == "Soenjoto"
    assert phonetic_key("Soenjoto") == phonetic_key("Sunyoto") == phonetic_key("Sunjoto")
    # The synthetic world's own normalizer is this one.
    from satu_anak.synthetic import common

    assert common.normalize_name is normalize_name


def test_old_to_new_table_covers_the_reform() -> None:
    assert dict(OLD_TO_NEW) == {
        "oe": "u", "dj": "j", "tj": "c", "sj": "sy", "ch": "kh", "nj": "ny", "j": "y",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("current", "old"),
    [
        ("Sukarni", "Soekarni"),
        ("Joko Susilo", "Djoko Soesilo"),
        ("Cahyani", "Tjahjani"),
        ("Sunyoto", "Soenjoto"),
        ("Surya", "Soerja"),
        ("Khadijah", "Chadidjah"),
        ("Tanjung", "Tandjoeng"),
        ("Firdaus", "Firdaus"),  # the diphthong au kept its spelling
        ("Yoga", "Yoga"),  # y alone: written j only when asked (ambiguous=True)
        ("Tyas", "Tyas"),  # ty would read back as c
        ("SITI AISYAH", "SITI AISJAH"),
    ],
)
def test_old_spelling(current: str, old: str) -> None:
    assert old_spelling(current) == old


def test_ambiguous_old_spelling_round_trips_through_the_phonetic_key_only() -> None:
    assert old_spelling("Yoga", ambiguous=True) == "Joga"
    assert old_spelling("Nyoman", ambiguous=True) == "Njoman"
    assert normalize_name("Joga") != "yoga"
    assert phonetic_key("Joga") == phonetic_key("Yoga")


def _generated_names(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    cultures = list(Culture)
    names: list[str] = []
    for i in range(n):
        family = generate_family_names(rng, "F" if i % 2 else "M", culture=cultures[i % 4])
        names += [family.child, family.father, family.mother]
    return names


def test_generator_old_spelling_round_trips_through_normalize_name() -> None:
    for name in _generated_names(7, 4000):
        assert normalize_name(old_spelling(name)) == normalize_name(name), name


def test_generator_ambiguous_old_spelling_round_trips_through_phonetic_keys() -> None:
    for name in _generated_names(8, 3000):
        old = old_spelling(name, ambiguous=True)
        keys = [phonetic_key(t) for t in normalize_name(old).split()]
        assert keys == [phonetic_key(t) for t in normalize_name(name).split()], name


def test_generator_variants_use_this_module() -> None:
    assert generator.old_spelling is old_spelling
    assert generator.MUHAMMAD_FORMS is MUHAMMAD_FORMS


def test_normalize_name_is_idempotent_on_generated_names() -> None:
    for name in _generated_names(9, 2000):
        once = normalize_name(old_spelling(name))
        assert normalize_name(once) == once


@pytest.mark.parametrize(
    ("variants", "rule"),
    [
        (("Djoko", "Joko", "Yoko"), "j/y (old j = y)"),
        (("Hafidz", "Hafiz"), "dz → z"),
        (("Chairul", "Khairul", "Kairul"), "kh → k"),
        (("Syaiful", "Saiful", "Sjaiful"), "sy → s"),
        (("Ramadhan", "Ramadan"), "dh → d"),
        (("Fathur", "Fatur"), "th → t"),
        (("Stephanus", "Stefanus"), "ph → f"),
        (("Rizki", "Riski", "Rizky"), "z → s; final y → i"),
        (("Vina", "Fina"), "v → f"),
        (("Taufiq", "Taufik"), "q → k"),
        (("Alex", "Aleks"), "x → ks"),
        (("Jacky", "Jaky"), "ck → k"),
        (("Husein", "Husen"), "ei → e"),
        (("Sofie", "Sofi"), "final ie → i"),
        (("Fatimah", "Fatima"), "final h after a vowel"),
        (("Muhammad", "Muhamad"), "doubled letters"),
        (("Annisa", "Anisa"), "doubled letters"),
        (("Soenjoto", "Sunyoto"), "spelling reform first"),
        (("Pandjaitan", "Panjaitan"), "spelling reform first"),
    ],
)
def test_phonetic_key_joins_spelling_variants(variants: tuple[str, ...], rule: str) -> None:
    keys = {phonetic_key(v) for v in variants}
    assert len(keys) == 1, (rule, keys)


@pytest.mark.parametrize(
    ("a", "b"),
    [("Hasan", "Husen"), ("Rina", "Rini"), ("Budi", "Bayu"), ("Sari", "Siti"), ("Joko", "Eko")],
)
def test_phonetic_key_keeps_different_names_apart(a: str, b: str) -> None:
    assert phonetic_key(a) != phonetic_key(b)


def test_phonetic_variants_of_the_generator_share_the_key() -> None:
    rng = random.Random(4)
    for name in _generated_names(4, 1500):
        try:
            variant, _ = name_variant(rng, name, ["phonetic", "old_spelling"])
        except ValueError:
            continue
        original = [phonetic_key(t) for t in normalize_name(name).split()]
        assert [phonetic_key(t) for t in normalize_name(variant).split()] == original


@pytest.mark.parametrize("form", [*MUHAMMAD_FORMS, "Moehammad", "Mohammed", "Mhd", "MUH."])
def test_every_muhammad_form_is_one_prefix(form: str) -> None:
    assert canonical_prefix(form) == "muhammad"
    parsed = parse_name(f"{form} Rizki Pratama")
    assert (parsed.prefix, parsed.given, parsed.tokens) == (
        "muhammad",
        "rizki",
        ("rizki", "pratama"),
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Muhammad Rizki", ParsedName(("rizki",), "rizki", "muhammad", None, None, False)),
        ("M. Rizki", ParsedName(("rizki",), "rizki", "muhammad", None, None, False)),
        ("Achmad Fauzi", ParsedName(("fauzi",), "fauzi", "ahmad", None, None, False)),
        ("Siti Aisyah", ParsedName(("aisyah",), "aisyah", "siti", None, None, False)),
        ("Nurul Aini", ParsedName(("aini",), "aini", "nur", None, None, False)),
        ("Nur Aini", ParsedName(("aini",), "aini", "nur", None, None, False)),
        ("Siti Nurul Hidayah", ParsedName(("hidayah",), "hidayah", "siti", None, None, False)),
        # A prefix alone is the name itself.
        ("Siti", ParsedName(("siti",), "siti", None, None, None, False)),
        ("Muhammad", ParsedName(("muhammad",), "muhammad", None, None, None, False)),
        ("Ahmad bin Yusuf", ParsedName(("ahmad",), "ahmad", None, "yusuf", None, False)),
        # An. = anak (child); bin/binti X: the father is X.
        ("An. Budi bin Slamet", ParsedName(("budi",), "budi", None, "slamet", None, False)),
        (
            "Siti Aminah binti H. Abdullah",
            ParsedName(("aminah",), "aminah", "siti", "abdullah", None, False),
        ),
        ("Rini bt. Sukardi", ParsedName(("rini",), "rini", None, "sukardi", None, False)),
        # By. Ny. X: the baby of Mrs X, no name of its own yet.
        ("By. Ny. Sari Wahyuni", ParsedName((), None, None, None, "sari wahyuni", True)),
        ("BAYI NY. SUKARNI", ParsedName((), None, None, None, "sukarni", True)),
        ("By Ny Tumini", ParsedName((), None, None, None, "tumini", True)),
        ("By. Budi", ParsedName(("budi",), "budi", None, None, None, True)),
        # Titles of adults: Ny./Nn./Tn., H./Hj., Alm.; Batak br. before the marga.
        ("Ny. Sulastri", ParsedName(("sulastri",), "sulastri", None, None, None, False)),
        (
            "Tn. Hotman Sitorus",
            ParsedName(("hotman", "sitorus"), "hotman", None, None, None, False),
        ),
        ("Hj. Siti Fatimah", ParsedName(("fatimah",), "fatimah", "siti", None, None, False)),
        ("Tiurma br. Sinaga", ParsedName(("tiurma", "sinaga"), "tiurma", None, None, None, False)),
        # Old spelling is read as today's.
        (
            "Moehammad Djoko Soetrisno",
            ParsedName(("joko", "sutrisno"), "joko", "muhammad", None, None, False),
        ),
        ("", ParsedName((), None, None, None, None, False)),
    ],
)
def test_parse_name(name: str, expected: ParsedName) -> None:
    assert parse_name(name) == expected


@pytest.mark.parametrize(
    ("nickname", "formal"),
    [
        ("Iki", {"rizki", "rizky"}),
        ("kiki", {"rizki", "rizky"}),
        ("Ucup", {"yusuf"}),
        ("Agus", {"agustinus", "agustina"}),
        ("Nisa", {"annisa", "khairunnisa"}),
        ("Baim", {"ibrahim"}),
        ("Yuni", {"wahyuni"}),
    ],
)
def test_formal_names_of_a_nickname(nickname: str, formal: set[str]) -> None:
    assert formal <= formal_names(nickname)


def test_formal_names_unknown_is_empty_and_never_the_name_itself() -> None:
    assert formal_names("Zzzq") == frozenset()
    assert "indra" not in formal_names("Indra")


def test_nickname_table_is_shared_with_the_generator() -> None:
    assert nicknames_of("Muhammad") == ("Mamad", "Amat")
    rng = random.Random(0)
    for formal in ("Muhammad Rizki", "Siti Aisyah", "Yusuf", "Ibrahim"):
        nick = generator.nickname(rng, formal)
        assert parse_name(formal).given in formal_names(nick)


SLIPS = [
    ("idmas", "dimas"),  # two letters swapped
    ("mrkus", "markus"),  # a letter dropped
    ("jokko", "joko"),  # a letter doubled
    ("infra", "indra"),  # f beside d
    ("katarinq", "katarina"),  # q beside a, at the end
    ("parulian", "paruliam"),  # m beside n, at the end
]
NOT_SLIPS = [
    ("rina", "rini"),  # twins: one vowel for another at the end
    ("dodo", "dodi"),  # ... even on neighbouring keys (o, i)
    ("alif", "alifa"),  # twins: a letter added at the end
    ("putra", "putri"),
    ("marcus", "markus"),  # c is not beside k
    ("budi", "bidu"),  # two changes
    ("eka", "eja"),  # three letters: a slip mostly makes another name
    ("dimas", "dimas"),  # the same
]


@pytest.mark.parametrize(("a", "b"), SLIPS)
def test_one_keystroke_reads_a_typing_slip_both_ways(a: str, b: str) -> None:
    assert one_keystroke(a, b) and one_keystroke(b, a)


@pytest.mark.parametrize(("a", "b"), NOT_SLIPS)
def test_one_keystroke_leaves_twins_names_and_other_names_apart(a: str, b: str) -> None:
    assert not one_keystroke(a, b) and not one_keystroke(b, a)


def test_a_call_name_slip_may_be_three_letters() -> None:
    assert one_keystroke("yri", "tri", shortest=3)
    assert not one_keystroke("yri", "tri")


def test_the_generator_strikes_the_keys_this_module_reads() -> None:
    assert generator.KEYBOARD_NEIGHBOURS is KEYBOARD_NEIGHBOURS
    rng = random.Random(7)
    names = ["Dimas", "Markus", "Katarina", "Yohanes", "Ngatini", "Suparman", "Fransiskus"]
    slips = [(name, generator._typo(rng, name)) for name in names * 30]
    read = [one_keystroke(fold(typed), fold(name)) for name, typed in slips]
    # Every slip the generator makes is one keystroke; those it makes at the very end of the
    # name in one vowel for another, or by a doubled last letter, are left to other levels.
    assert sum(read) / len(read) > 0.8
    for (name, typed), ok in zip(slips, read, strict=True):
        if not ok:
            assert fold(typed)[-1] != fold(name)[-1] or len(typed) != len(name), (name, typed)
