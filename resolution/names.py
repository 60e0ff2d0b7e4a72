"""Name knowledge: the one place that knows how Indonesian names are written and miswritten.

Three layers, from strict to loose:

- ``fold``: lowercase letters and single spaces.
- ``normalize_name``: ``fold`` plus the 1972 spelling reform (Ejaan Soewandi → EYD), the
  comparison and search form stored in ``normalized_name`` columns. Spelling only, no meaning:
  "M." stays "m", "Ny." stays "ny".
- ``phonetic_key``: one token folded further, so that spelling variants still current today
  ("Rizky"/"Rizki", "Hafidz"/"Hafiz", "Joko"/"Yoko") share a key; the blocking keys.

``parse_name`` takes a name apart (titles, Muhammad/Siti/Nur prefixes, bin/binti, "By. Ny."),
``formal_names`` knows the common panggilan (call names); ``one_keystroke`` knows a typing slip
from another name. The synthetic generator draws its old spellings, Muhammad forms, nicknames
and typing slips from here, so the two cannot drift.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

# --- spelling reform --------------------------------------------------------------------
# Ejaan Soewandi -> EYD (1972). Old spellings live on in older documents and in habits.
# The first five digraphs are unambiguous: no current spelling writes them (modern loans such
# as "Michael" or "Noel" fold the same way on both sides, so comparisons still agree). The
# last two are not: old "j" is today's "y" ("Soerja" = Surya), but today's "j" is everywhere
# ("Joko"), and old "nj" is today's "ny" ("Soenjoto" = Sunyoto) while today's "nj" is n+j
# ("Panjaitan", "Tanjung"). ``normalize_name`` therefore reads j and nj the old way only in a
# token that shows an unambiguous old digraph ("Soenjoto", "Tjahjo" → cahyo); a bare "Jusuf"
# stays "jusuf". ``phonetic_key`` folds j and y together, which settles the rest.
OLD_TO_NEW: Final[tuple[tuple[str, str], ...]] = (
    ("oe", "u"), ("dj", "j"), ("tj", "c"), ("sj", "sy"), ("ch", "kh"), ("nj", "ny"), ("j", "y"),
)  # fmt: skip
_UNAMBIGUOUS_OLD: Final = ("oe", "dj", "tj", "sj", "ch")
_OLD_EVIDENCE: Final = re.compile("|".join(_UNAMBIGUOUS_OLD))
_NEW: Final = dict(OLD_TO_NEW)
# Single pass, leftmost first: the "j" of "dj" is never read again as an old "j".
_OLD_TOKEN_RE: Final = re.compile("|".join(old for old, _ in OLD_TO_NEW))

_NOT_LETTER: Final = re.compile(r"[^a-z ]+")
_SPACES: Final = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lowercase letters and single spaces: punctuation and digits become spaces, accents go."""
    if not text.isascii():
        text = "".join(
            c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
        )
    return _SPACES.sub(" ", _NOT_LETTER.sub(" ", text.lower())).strip()


def _modern_token(token: str) -> str:
    if _OLD_EVIDENCE.search(token) is None:
        return token
    return _OLD_TOKEN_RE.sub(lambda m: _NEW[m.group(0)], token)


def normalize_name(name: str) -> str:
    """The comparison form of a name: folded, pre-1972 spellings written as today.

    "Moehammad Djoko Soetrisno" → "muhammad joko sutrisno"; "Soenjoto" → "sunyoto".
    """
    folded = fold(name)
    if _OLD_EVIDENCE.search(folded) is None:
        return folded  # the common case: nothing written the old way
    return " ".join(_modern_token(token) for token in folded.split(" "))


# Current spellings back to the old ones, for generating old-spelled records. Old digraphs
# already present are kept ("dj" is not made "ddj"); "u" after "a" is the diphthong "au",
# which kept its spelling ("Firdaus").
_TO_OLD: Final[dict[str, str]] = {
    "dj": "dj", "tj": "tj", "sj": "sj", "ch": "ch", "oe": "oe", "au": "au",
    "sy": "sj", "kh": "ch", "j": "dj", "c": "tj", "u": "oe", "ny": "nj", "y": "j",
}  # fmt: skip
# A "y" after t or d stays: "Tyas" written "Tjas" would read back as "Cas".
_TO_OLD_RE: Final = re.compile(r"dj|tj|sj|ch|oe|au|sy|kh|ny|j|c|u|(?<![td])y", re.IGNORECASE)
_TO_OLD_SURE_RE: Final = re.compile(r"dj|tj|sj|ch|oe|au|sy|kh|j|c|u", re.IGNORECASE)


def _old_token(token: str, pattern: re.Pattern[str]) -> str:
    all_caps = token.isupper()

    def convert(m: re.Match[str]) -> str:
        found = m.group(0)
        old = _TO_OLD[found.lower()]
        if all_caps:
            return old.upper()
        return old.capitalize() if found[0].isupper() else old

    return pattern.sub(convert, token)


def old_spelling(name: str, *, ambiguous: bool = False) -> str:
    """The name as it would be written before 1972 ('Sunyoto' → 'Soenjoto', 'Joko' → 'Djoko').

    By default y→j and ny→nj are written only in a token that also carries an unambiguous old
    digraph, so that ``normalize_name`` gives the current spelling back exactly. With
    ``ambiguous=True`` every y is written j ('Yoga' → 'Joga'): only ``phonetic_key`` undoes that.
    """
    tokens = []
    for token in name.split(" "):
        sure = _old_token(token, _TO_OLD_SURE_RE)
        if ambiguous or _OLD_EVIDENCE.search(sure.lower()):
            sure = _old_token(token, _TO_OLD_RE)
        tokens.append(sure)
    return " ".join(tokens)


# --- phonetic key -----------------------------------------------------------------------
# Applied in order to one normalized token; each rule with the variants it joins.
_PHONETIC_RULES: Final[tuple[tuple[re.Pattern[str], str], ...]] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"j", "y"),  # Joko/Yoko, Jusuf/Yusuf (old j = y), Njoman/Nyoman, Panjaitan/Pandjaitan
        (r"dz", "z"),  # Hafidz/Hafiz, Dzulkifli/Zulkifli
        (r"kh", "k"),  # Khairul/Kairul, Chairul (ch→kh)/Khairul, Akhmad/Akmad
        (r"sy", "s"),  # Syaiful/Saiful, Sjarif (sj→sy)/Syarif/Sarif
        (r"dh", "d"),  # Ramadhan/Ramadan, Dhani/Dani
        (r"th", "t"),  # Fathur/Fatur, Thomas/Tomas
        (r"ph", "f"),  # Stephanus/Stefanus, Philipus/Filipus
        (r"z", "s"),  # Rizki/Riski, Fauzan/Fausan, Zulkifli/Sulkifli
        (r"v", "f"),  # Vina/Fina, Novita/Nofita
        (r"q", "k"),  # Taufiq/Taufik, Qori/Kori
        (r"x", "ks"),  # Alex/Aleks
        (r"ck", "k"),  # Jacky/Jaky
        (r"ei", "e"),  # Husein/Husen, Reihan/Rehan
        (r"ie$", "i"),  # Sofie/Sofi, Melanie/Melani
        (r"(?<=[a-z])y$", "i"),  # Rizky/Rizki, Hendy/Hendi
        (r"(?<=[aeiou])h$", ""),  # Fatimah/Fatima, Aisyah/Aisya, Ramadhan keeps its n
        (r"([a-z])\1+", r"\1"),  # Muhammad/Muhamad, Annisa/Anisa, Hassan/Hasan, Yohanna/Yohana
    )
)


@lru_cache(maxsize=1 << 16)  # bounded: tokens are short and the vocabulary of names is small
def _phonetic(token: str) -> str:
    key = normalize_name(token).replace(" ", "")
    for pattern, replacement in _PHONETIC_RULES:
        key = pattern.sub(replacement, key)
    return key


def phonetic_key(token: str) -> str:
    """A key that spelling variants of one name token share ('Djoko', 'Joko', 'Yoko'…)."""
    return _phonetic(token)


# --- prefixes, titles and kinship words -------------------------------------------------
# Forms of Muhammad as they are written, for generating variants; all parse to "muhammad".
MUHAMMAD_FORMS: Final[tuple[str, ...]] = (
    "Muhammad", "Muhamad", "Mohammad", "Mohamad", "Mochammad", "Mochamad", "Muhammat",
    "Moh.", "Muh.", "M.", "Mhd.", "Moch.",
)  # fmt: skip
# Matched on normalized tokens (so "Moch." arrives as "mokh", "Moehammad" as "muhammad").
_MUHAMMAD_TOKEN: Final = re.compile(r"m[uo](?:kh|h)?amm?[ae][dt]|mu?hd|moh|muh|mokh|md|mohd|m|mhmd")
_AHMAD_TOKEN: Final = re.compile(r"a(?:kh|h)?m[ae][dt]")
# Canonical prefix of each (normalized) prefix token.
_PREFIX_TOKENS: Final[dict[str, str]] = {"siti": "siti", "st": "siti", "nur": "nur", "nurul": "nur"}
_TITLES: Final = frozenset({
    "an", "anak", "ny", "nyonya", "nn", "nona", "tn", "tuan", "sdr", "sdri", "saudara", "saudari",
    "alm", "almh", "almarhum", "almarhumah", "h", "hj", "haji", "hajah", "br", "boru",
})  # fmt: skip
_BABY: Final = frozenset({"by", "bayi"})
_MRS: Final = frozenset({"ny", "nyonya"})
_BIN: Final = frozenset({"bin", "binti", "bt", "bte", "binte"})


def canonical_prefix(token: str) -> str | None:
    """'muhammad', 'ahmad', 'siti' or 'nur' if ``token`` is a form of that prefix."""
    return _prefix_of(normalize_name(token))


def _prefix_of(norm: str) -> str | None:
    if norm[:1] == "m" and _MUHAMMAD_TOKEN.fullmatch(norm):
        return "muhammad"
    if norm[:1] == "a" and _AHMAD_TOKEN.fullmatch(norm):
        return "ahmad"
    return _PREFIX_TOKENS.get(norm)


@dataclass(frozen=True, slots=True)
class ParsedName:
    """A name taken apart: what the person is called, the rest, and what the name says of kin."""

    tokens: tuple[str, ...]  # normalized meaningful tokens, titles and prefixes removed
    given: str | None  # the token the person is called by (past Muhammad/Siti/Nur…)
    prefix: str | None  # muhammad / siti / nur … (canonical), if any
    father: str | None  # from "bin"/"binti X"
    mother: str | None  # from "By. Ny. X" (baby of Mrs X): then the name is the mother's
    baby: bool  # "By." / "Bayi": the child had no name of its own yet


def _strip_titles(tokens: list[str]) -> list[str]:
    return [t for t in tokens if t not in _TITLES]


def _own_name(tokens: list[str]) -> tuple[tuple[str, ...], str | None, str | None]:
    """(tokens past prefixes and initials, given name, canonical prefix) of a person's own name."""
    prefix: str | None = None
    rest = list(tokens)
    while len(rest) > 1 and (found := _prefix_of(rest[0])) is not None:
        prefix = prefix or found
        rest.pop(0)
    meaningful = tuple(t for t in rest if len(t) > 1) or tuple(rest)
    return meaningful, (meaningful[0] if meaningful else None), prefix


@lru_cache(maxsize=1 << 16)  # bounded; names repeat a lot (a registry is built from few pools)
def parse_name(name: str) -> ParsedName:
    """Take ``name`` apart: "M. Rizki bin Slamet" → given rizki, prefix muhammad, father slamet.

    "By. Ny. Sari" (baby of Mrs Sari) has no name of its own: tokens (), mother "sari".
    "An." (anak), "Ny."/"Nn."/"Tn.", "H."/"Hj.", "Alm." and Batak "br." are dropped.
    """
    tokens = normalize_name(name).split()
    baby = False
    mother: str | None = None
    if tokens and tokens[0] in _BABY:
        baby = True
        tokens = tokens[1:]
        if tokens and tokens[0] in _MRS:
            mother = " ".join(_strip_titles(tokens[1:])) or None
            return ParsedName((), None, None, None, mother, True)
    father: str | None = None
    for i, token in enumerate(tokens):
        if token in _BIN and 0 < i < len(tokens) - 1:
            father = " ".join(_strip_titles(tokens[i + 1 :])) or None
            tokens = tokens[:i]
            break
    own, given, prefix = _own_name(_strip_titles(tokens) or tokens)
    return ParsedName(own, given, prefix, father, mother, baby)


# --- nicknames (panggilan) --------------------------------------------------------------
# Common call names of formal given names. Keys are normalized given names; values are written
# as they appear on records. The generator also derives call names by rule (Dewi → Wiwi).
NICKNAMES: Final[dict[str, tuple[str, ...]]] = {
    "rizki": ("Iki", "Kiki"), "rizky": ("Iki", "Kiki"), "aisyah": ("Ais", "Ica"),
    "muhammad": ("Mamad", "Amat"), "ahmad": ("Amat", "Mad"), "fajar": ("Jar",),
    "yohanes": ("Anes", "Yoyo"), "yosef": ("Ocep", "Osef"), "maria": ("Ria", "Mia"),
    "fransiskus": ("Frans", "Sisko"), "fransiska": ("Siska",), "dominggus": ("Minggus",),
    "petrus": ("Piter", "Pit"), "elisabeth": ("Lisa", "Eli"), "margareta": ("Greta", "Eta"),
    "fatimah": ("Ima", "Tima"), "khadijah": ("Dijah",), "nurhaliza": ("Liza", "Icha"),
    "putri": ("Put", "Uti"), "budi": ("Bud",), "bambang": ("Bams",), "agus": ("Gus",),
    "slamet": ("Met",), "joko": ("Jek",), "dimas": ("Dim",), "samuel": ("Sam", "Sammy"),
    "daniel": ("Dani", "Niel"), "yosua": ("Yos", "Ucok"), "agustinus": ("Agus", "Tinus"),
    "yakobus": ("Kobus", "Ako"), "kornelis": ("Nelis",), "melkianus": ("Melki",),
    "yuliana": ("Yuli", "Ana"), "salsabila": ("Salsa", "Bila"), "nabila": ("Bila",),
    "khairunnisa": ("Nisa", "Ica"), "annisa": ("Nisa", "Ica"), "azzahra": ("Ara",),
    "zahra": ("Ara",), "syifa": ("Ifa",), "aulia": ("Lia", "Aul"), "amalia": ("Amel", "Lia"),
    "fauzan": ("Ojan",), "farhan": ("Aan", "Paan"), "ramadhan": ("Rama", "Dhani"),
    "syahrul": ("Arul",), "khairul": ("Irul",), "zulkifli": ("Zul", "Ipli"),
    "ibrahim": ("Baim",), "ismail": ("Mail",), "yusuf": ("Ucup",), "hasan": ("Acan",),
    "tiurma": ("Tiur",), "romauli": ("Uli",), "aloysius": ("Alo",), "benediktus": ("Ben",),
    "vinsensius": ("Vinsen", "Sensi"), "wilhelmina": ("Mina", "Wilma"),
    "emerensiana": ("Ensi", "Rensi"), "skolastika": ("Tika",), "paskalia": ("Lia",),
    "abdullah": ("Dul", "Dullah"), "rahmat": ("Mamat",), "hidayat": ("Dayat",),
    "irwan": ("Iwan",), "kurniawan": ("Awan", "Wawan"),
    "setiawan": ("Wawan",), "syaiful": ("Ipul", "Epul"), "husein": ("Uce",),
    "sulastri": ("Las", "Tri"), "sumiati": ("Mia",), "wahyuni": ("Yuni",), "rahayu": ("Ayu",),
    "purwanti": ("Wanti", "Ipur"), "sukarni": ("Karni",), "ngatini": ("Tini",),
    "nurhayati": ("Yati", "Nur"), "rosmawati": ("Ros", "Wati"), "marlina": ("Lina",),
    "halimah": ("Imah", "Lim"), "juliana": ("Juli", "Ana"), "fitria": ("Fitri", "Pipit"),
    "agustina": ("Tina", "Agus"), "margaretha": ("Greta",), "katarina": ("Rina", "Kati"),
    "veronika": ("Vero", "Nika"), "theresia": ("Resi", "Tere"), "kristina": ("Tina", "Kris"),
    "yohana": ("Ana", "Nona"), "debora": ("Ora", "Debi"), "anastasia": ("Tasya", "Ana"),
    "stefanus": ("Stef", "Epan"), "gabriel": ("Gabi", "Riel"), "andreas": ("Andre",),
    "kristian": ("Kris", "Tian"), "immanuel": ("Nuel", "Imma"), "natanael": ("Nata", "Nael"),
    "fransina": ("Sina",), "yuliati": ("Yuli",), "selfina": ("Elfi",),
    "suparman": ("Parman",), "sutrisno": ("Tris",), "sugiyono": ("Giyono",),
    "mulyono": ("Mul",), "suwarno": ("Warno",), "sunardi": ("Nardi",), "supardi": ("Pardi",),
    "hendra": ("Hen",), "indra": ("Indra",), "afrizal": ("Ijal", "Rizal"),
    "zulfikar": ("Zul", "Fikar"), "nasrul": ("Nas",), "syamsul": ("Samsul", "Sul"),
    "firdaus": ("Daus",), "khairil": ("Iril",), "junaidi": ("Juned",), "efendi": ("Pendi",),
    "aditya": ("Adit",), "andika": ("Dika",), "satria": ("Satri", "Ria"), "gilang": ("Ilang",),
    "bagas": ("Bagas",), "nayla": ("Nay",), "kirana": ("Kiran", "Rana"), "cantika": ("Tika",),
    "adinda": ("Dinda",), "anggun": ("Anggun",), "nadia": ("Nad",), "intan": ("Tan",),
}  # fmt: skip


def _reverse_nicknames(table: dict[str, tuple[str, ...]]) -> dict[str, frozenset[str]]:
    reverse: dict[str, set[str]] = {}
    for formal, nicks in table.items():
        for nick in nicks:
            key = normalize_name(nick)
            if key != formal:
                reverse.setdefault(key, set()).add(formal)
    return {nick: frozenset(formals) for nick, formals in reverse.items()}


_FORMAL_NAMES: Final[dict[str, frozenset[str]]] = _reverse_nicknames(NICKNAMES)


def nicknames_of(given: str) -> tuple[str, ...]:
    """The call names known for the formal given name ``given`` ('Rizki' → Iki, Kiki)."""
    return NICKNAMES.get(normalize_name(given), ())


def formal_names(token: str) -> frozenset[str]:
    """The formal given names a nickname (panggilan) may stand for ('iki' → rizki, rizky…)."""
    return _FORMAL_NAMES.get(normalize_name(token), frozenset())


# --- typing slips -------------------------------------------------------------------------
# Most misspellings typed by hand are one slip (Damerau, 1964): two adjacent letters swapped, a
# letter dropped or doubled, or a neighbouring key struck. The keys beside each key on a QWERTY
# keyboard, on its row (the generator strikes these; ``one_keystroke`` reads them both ways).
KEYBOARD_NEIGHBOURS: Final[dict[str, str]] = {
    "a": "sqz", "b": "vn", "c": "xv", "d": "sf", "e": "wr", "f": "dg", "g": "fh", "h": "gj",
    "i": "uo", "j": "hk", "k": "jl", "l": "k", "m": "n", "n": "bm", "o": "ip", "p": "o",
    "q": "a", "r": "et", "s": "ad", "t": "ry", "u": "yi", "v": "cb", "w": "qe", "x": "zc",
    "y": "tu", "z": "x",
}  # fmt: skip
_SHORTEST_SLIPPED: Final = 4  # a slip in a three-letter name mostly makes another name
_VOWELS: Final = frozenset("aeiou")


def _neighbouring_keys(a: str, b: str) -> bool:
    return b in KEYBOARD_NEIGHBOURS.get(a, "") or a in KEYBOARD_NEIGHBOURS.get(b, "")


def one_keystroke(a: str, b: str, shortest: int = _SHORTEST_SLIPPED) -> bool:
    """True if one folded token is the other with one typing slip: two adjacent letters
    swapped, a letter dropped or added, or a neighbouring key struck ('Idmas' / 'Dimas',
    'Mrkus' / 'Markus', 'Katarinq' / 'Katarina'). Names given to twins and siblings differ at
    the end ('Rina' / 'Rini', 'Alif' / 'Alifa', 'Putra' / 'Putri'), so a change of the last
    letter is read as a slip only when it is a neighbouring key and not one vowel for another.
    Tokens shorter than ``shortest`` are never read as slips (a call name's few letters may be
    compared with ``shortest`` 3)."""
    if a == b or min(len(a), len(b)) < shortest:
        return False
    if a[-1] != b[-1]:
        return (
            len(a) == len(b)
            and a[:-1] == b[:-1]
            and _neighbouring_keys(a[-1], b[-1])
            and not (a[-1] in _VOWELS and b[-1] in _VOWELS)
        )
    if len(a) == len(b):
        diffs = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        if len(diffs) == 1:
            return _neighbouring_keys(a[diffs[0]], b[diffs[0]])
        i = diffs[0]
        return len(diffs) == 2 and diffs[1] == i + 1 and a[i] == b[i + 1] and a[i + 1] == b[i]
    if abs(len(a) - len(b)) != 1:
        return False
    longer, shorter = (a, b) if len(a) > len(b) else (b, a)
    i = next(
        (i for i, (x, y) in enumerate(zip(longer, shorter, strict=False)) if x != y), len(shorter)
    )
    return longer[:i] + longer[i + 1 :] == shorter
