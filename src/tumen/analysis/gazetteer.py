"""The gazetteer: places, organizations and laws from ``tumen/resources``, indexed.

``Gazetteer.load()`` (cached) reads ``kp_places.csv``, ``kp_organizations.csv``,
``kp_laws.csv`` and our own data files (``place_names.csv``, ``place_stoplist.txt``,
``org_aliases.csv``) and builds

* entries by id, with the parent chain resolved to a province;
* a token index of folded Latin variants (case, diacritics and apostrophes ignored,
  hyphens and spaces equal) for longest-match phrase search (see ``PhraseIndex``);
* an exact table of Hangul variants.

The phrase search itself lives here too because the places, organizations and laws
components share it: the body is tokenized once per component into word tokens whose
spans are indices into the original body, so every match maps back exactly.
"""

from __future__ import annotations

import csv
import functools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from tumen.record import Mention, Place

RESOURCES = Path(__file__).resolve().parents[1] / "resources"

# -- tokens ------------------------------------------------------------------------

_MARKS = "\u0300-\u036f"
# A word: letters/digits (plus combining marks), joined through inner apostrophes
# (P'yŏngyang, Ch'ŏngjin).  A possessive 's is matched and cut off the span.
TOKEN = re.compile(rf"[^\W_][\w{_MARKS}]*(?:['’‘`ʼ][\w{_MARKS}]+)*")
_APOS = re.compile(r"['’‘`ʼ]")
_POSSESSIVE = re.compile(r"['’ʼ]s$", re.I)
# What may stand between two tokens of one phrase: spaces (one line break at most),
# hyphens and dashes, after a possessive 's.  Anything else (a comma, a full stop) ends the phrase.
_JOIN = re.compile(r"(?:['’ʼ]s?)?(?:[ \t\u00a0]*\n?[ \t\u00a0]*|\s*[-‐‑–—/]\s*)")


def is_hangul(ch: str) -> bool:
    return "\uac00" <= ch <= "\ud7a3"


HANGUL = re.compile("[\uac00-\ud7a3]")
_HANGUL_START = re.compile(r"\d{0,4}[\uac00-\ud7a3]")


def hangul_tokens(text: str, tokens: list[Token]) -> list[Token]:
    """The tokens that start with Hangul (after at most a few digits: 109상무에)."""
    if not HANGUL.search(text):
        return []
    return [t for t in tokens if _HANGUL_START.match(t.text)]


@functools.lru_cache(maxsize=65536)
def token_key(token: str) -> str:
    """The folded form of one token: no possessive, apostrophes, diacritics; lower."""
    token = _POSSESSIVE.sub("", token)
    token = _APOS.sub("", token)
    if not token.isascii():
        token = unicodedata.normalize("NFKD", token)
        token = "".join(ch for ch in token if not unicodedata.combining(ch))
        token = unicodedata.normalize("NFC", token)  # keeps Hangul syllables composed
    return token.lower()


_ROMAN_STEPS = (
    (re.compile(r"([ptk])h"), r"\1"),  # aspiration marks: p'h, kh, th
    (re.compile(r"tch|ch"), "j"), (re.compile(r"sh"), "s"),  # ch/j, shi/si
    (re.compile(r"k"), "g"), (re.compile(r"p"), "b"), (re.compile(r"t"), "d"),  # k/g p/b t/d
    (re.compile(r"eo|eu|oo|u"), "o"),  # ŏ/eo, ŭ/eu/u, oo/u/o (Onsung, Kimjongsook)
    (re.compile(r"ae|ai|(?<=[^aeiowy])ye"), "e"),  # ae/ai, Hyesan/Haesan
    (re.compile(r"oi"), "oe"),  # Hoiryong/Hoeryong
    (re.compile(r"^r(?=[yi])"), ""),  # Ryanggang/Yanggang, Riwon/Iwon
    (re.compile(r"(.)\1+"), r"\1"),  # doubled letters: Yanggang/Yangang
)


@functools.lru_cache(maxsize=65536)
def roman_key(key: str) -> str:
    """A folded token key that one Korean name keeps across romanizations:
    McCune-Reischauer, Revised Romanization and the common variants meet in it
    (eo/o/u, eu/u, k/g, ch/j, p/b, t/d, ae/ai/ye, oi/oe, initial r, doubled letters):
    "Hamkyung", "Hamgyeong" and "Hamgyong" all give "hamgyong".  Words of another
    script or with digits are kept as they are."""
    if not (key.isascii() and key.isalpha()):
        return key
    for pattern, repl in _ROMAN_STEPS:
        key = pattern.sub(repl, key)
    return key


def rekey(tokens: list["Token"], keyfn) -> list["Token"]:
    return [Token(t.start, t.end, t.text, keyfn(t.key)) for t in tokens]


@dataclass(slots=True)
class Token:
    start: int
    end: int  # possessive 's excluded
    text: str
    key: str


@functools.lru_cache(maxsize=2)  # the body under analysis (and one more): memory stays flat
def tokenize(text: str) -> list[Token]:
    """Word tokens of ``text`` (cached: the places, organizations and laws components
    tokenize the same body; callers must not modify the list)."""
    out = []
    append = out.append
    for m in TOKEN.finditer(text):
        raw = m.group()
        end = m.end()
        if len(raw) > 2 and raw[-1] in "sS" and raw[-2] in "'’ʼ":
            end -= 2
            raw = raw[:-2]
        append(Token(m.start(), end, raw, token_key(raw)))
    return out


def phrase_key(phrase: str) -> str:
    return " ".join(t.key for t in tokenize(phrase))


def joinable(text: str, tokens: list[Token]) -> list[bool]:
    """joinable[i]: token i and token i+1 may belong to one phrase."""
    if tokens is _JOIN_CACHE[0] and text is _JOIN_CACHE[1]:
        return _JOIN_CACHE[2]
    full = _JOIN.fullmatch
    out = [b.start > a.end and (text[a.end:b.start] == " " or full(text, a.end, b.start) is not None)
           for a, b in zip(tokens, tokens[1:])]
    _JOIN_CACHE[:] = [tokens, text, out]
    return out


_JOIN_CACHE: list = [None, None, None]


_TAG_LINE = re.compile(r"[a-z0-9'’ ,;/-]+")
TAG_LINE_MIN_WORDS = 3  # shorter lowercase first lines are not taken for a tag line


def tag_line_end(text: str) -> int:
    """End of a lowercase tag line opening the body ("remittance yanggang province
    brokers"), where names are written without capitals; -1 when there is none."""
    line = text[:text.find("\n")] if "\n" in text[:400] else ""
    if line and _TAG_LINE.fullmatch(line) and len(line.split()) >= TAG_LINE_MIN_WORDS:
        return len(line)
    return -1


# -- phrase index ----------------------------------------------------------------


@dataclass
class Entry:
    """One indexed phrase: what it points to and how it must look in the text."""

    payload: object
    phrase: str
    exact_case: bool = False  # acronyms (MSS, SPA, KPA) and "the Party"
    capitalized: bool = False  # the first letter must be upper case (proper names)


@dataclass
class Match:
    start: int  # character offsets into the text
    end: int
    first: int  # token indices [first, last)
    last: int
    entries: list[Entry]

    def text_of(self, body: str) -> str:
        return body[self.start:self.end]


class PhraseIndex:
    """Longest-match search of many phrases over a token sequence: a dictionary keyed
    by the folded token n-gram plus the set of phrase prefixes (a trie in two sets), so
    the cost is about one set lookup per token."""

    def __init__(self, keyfn=None) -> None:
        # keyfn maps a token's folded key to the key indexed (``roman_key`` for the
        # romanization-blind index); search then expects tokens keyed the same way.
        self.keyfn = keyfn
        self.table: dict[str, list[Entry]] = {}
        self.first: set[str] = set()
        self.prefixes: set[str] = set()  # keys of every phrase's first 2..n tokens
        self.max_len = 1

    def add(self, phrase: str, payload: object, *, exact_case: bool | None = None,
            capitalized: bool = False) -> None:
        toks = tokenize(phrase)
        if not toks:
            return
        if self.keyfn is not None:
            toks = rekey(toks, self.keyfn)
        key = " ".join(t.key for t in toks)
        if exact_case is None:
            exact_case = is_acronym(phrase)
        entries = self.table.setdefault(key, [])
        if any(e.payload == payload and e.exact_case == exact_case
               and e.capitalized == capitalized for e in entries):
            return
        entries.append(Entry(payload, phrase, exact_case, capitalized))
        self.first.add(toks[0].key)
        for k in range(2, len(toks) + 1):
            self.prefixes.add(" ".join(t.key for t in toks[:k]))
        self.max_len = max(self.max_len, len(toks))

    def __contains__(self, phrase: str) -> bool:
        return phrase_key(phrase) in self.table

    def lookup(self, phrase: str) -> list[Entry]:
        return self.table.get(phrase_key(phrase), [])

    def search(self, text: str, tokens: list[Token] | None = None,
               joins: list[bool] | None = None, relaxed: int = -1) -> list[Match]:
        """Non-overlapping matches in text order; where candidates overlap, the longest
        wins ("the Party Central Committee" is the Central Committee, not "the Party").
        Before offset ``relaxed`` (a lowercase tag line) proper names need no capital."""
        if tokens is None:
            tokens = tokenize(text)
        if joins is None:
            joins = joinable(text, tokens)
        candidates = []
        n = len(tokens)
        for i, tok in enumerate(tokens):
            if tok.key not in self.first:
                continue
            # walk the phrase prefixes forward (a trie over token keys), keeping the
            # longest full phrase whose letter case fits
            key, j, best = tok.key, i + 1, None
            while True:
                entries = self.table.get(key)
                if entries:
                    ok = [e for e in entries if _looks_right(e, tokens[i:j], tok.start < relaxed)]
                    if ok:
                        best = Match(tok.start, tokens[j - 1].end, i, j, ok)
                if j >= n or not joins[j - 1]:
                    break
                key = f"{key} {tokens[j].key}"
                if key not in self.prefixes:
                    break
                j += 1
            if best is not None:
                candidates.append(best)
        candidates.sort(key=lambda m: (-(m.last - m.first), -(m.end - m.start), m.start))
        taken: list[Match] = []
        used: set[int] = set()
        for m in candidates:
            if not used.intersection(range(m.first, m.last)):
                taken.append(m)
                used.update(range(m.first, m.last))
        return sorted(taken, key=lambda m: m.start)


_ACRONYM = re.compile(r"^[A-Z0-9][A-Z0-9.&#]{1,7}$")


def is_acronym(phrase: str) -> bool:
    return bool(_ACRONYM.match(phrase.strip()))


def _looks_right(entry: Entry, toks: list[Token], relaxed: bool = False) -> bool:
    if entry.exact_case:
        want = [t.text for t in tokenize(entry.phrase)]
        return [t.text for t in toks] == want
    if entry.capitalized and not relaxed:
        first = toks[0].text[0]
        return not first.isalpha() or not first.isascii() or first.isupper() or not first.islower()
    return True


# -- Hangul ------------------------------------------------------------------------

# Particles and light suffixes allowed after a Hangul name inside one word
# (혜산시에서, 양강도의, 사리원과).  A name followed by anything else is part of a
# longer word (위원 in 위원회, 중 in 중국) and does not count.
HANGUL_PARTICLES = re.compile(
    r"(?:에서는|에서도|에서|에게서|에게|에는|에도|에|으로는|으로|로는|로|의|은|는|이|가|을|를|과|와|"
    r"도|만|까지|부터|보다|처럼|이나|나|랑|하고|에서부터|내|일대|지역|쪽|측|당국|시내)*")


def hangul_prefix_matches(token: str, table: dict[str, list], min_len: int = 2,
                          particles: re.Pattern = HANGUL_PARTICLES,
                          ) -> tuple[str, list] | None:
    """The longest Hangul variant that starts ``token`` and is followed only by
    particles.  Variants shorter than ``min_len`` syllables count only as a whole word."""
    for cut in range(len(token), 0, -1):
        head = token[:cut]
        if head in table:
            rest = token[cut:]
            if cut < min_len and rest:
                continue
            if particles.fullmatch(rest):
                return head, table[head]
    return None


# -- entries -------------------------------------------------------------------------

PROVINCE_LIKE_CITIES = {"KP-01", "KP-13", "KP-14", "KP-15"}  # directly governed / special
KIND_PRIORITY = {"province": 0, "city": 1, "county": 2, "district": 3,
                 "border_crossing": 4, "town": 5}
# suffixes that name the kind of a place ("Musan County", "Hyesan-si")
KIND_SUFFIXES = {
    "province": ("Province", "do", "to"),
    "city": ("City", "si", "shi"),
    "county": ("County", "gun", "kun"),
    "district": ("District", "guyok", "kuyok"),
}
_ADMIN_SUFFIX = re.compile(
    r"[\s-](?:province|do|to|city|si|shi|county|gun|kun|district|guyok|kuyok|up|ŭp)$", re.I)


# Nouns that take no plural "s" (a "polices" is the verb: "the task force that polices").
UNCOUNTED_NOUNS = {"police", "personnel", "staff"}
# One-word organization names that are also ordinary English words.
ENGLISH_ORG_WORDS = {"cabinet", "secretariat"}


@dataclass
class PlaceEntry:
    id: str
    name: str  # the gazetteer's canonical name
    kind: str
    parent_id: str | None
    lat: float | None
    lon: float | None
    variants: tuple[str, ...]
    display: str = ""  # the name we write in records ("Yanggang Province", "Musan County")
    province_id: str | None = None


@dataclass
class OrgEntry:
    id: str
    name: str
    kind: str
    variants: tuple[str, ...]
    parent_id: str | None = None


@dataclass
class LawEntry:
    id: str
    name: str
    kind: str
    variants: tuple[str, ...]


def _csv(name: str) -> list[dict[str, str]]:
    path = RESOURCES / name
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        return [row for row in csv.DictReader(handle, skipinitialspace=False)
                if not (row.get(next(iter(row)), "") or "").startswith("#")]


def _lines(name: str) -> list[str]:
    path = RESOURCES / name
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            out.append(line)
    return out


@functools.lru_cache(maxsize=None)
def context(section: str) -> dict[str, frozenset[str]]:
    """The context word lists of one component from ``entity_context.json``."""
    import json

    data = json.loads((RESOURCES / "entity_context.json").read_text(encoding="utf-8"))
    return {k: frozenset(v) for k, v in data[section].items() if not k.startswith("_")}


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def _default_display(entry: PlaceEntry) -> str:
    if entry.kind == "province":
        return entry.name if entry.id in PROVINCE_LIKE_CITIES else f"{entry.name} Province"
    if entry.kind == "county":
        return f"{entry.name} County"
    if entry.kind == "district" and not entry.name.endswith("District"):
        return f"{entry.name} District"
    return entry.name


def _without_country(*names: str) -> list[str]:
    """Full names cut before their closing "of Korea", as reports often write them
    ("Union of Agricultural Workers", "General Federation of Trade Unions"); a cut name
    of one word ("Bank") would say nothing and is not made."""
    out = []
    for name in names:
        if name.endswith(" of Korea") and "Republic" not in name:
            short = name[: -len(" of Korea")]
            if " " in short and short not in names:
                out.append(short)
    return out


class Gazetteer:
    """All entries and their indexes.  Build once with ``Gazetteer.load()``."""

    def __init__(self) -> None:
        self.places: dict[str, PlaceEntry] = {}
        self.orgs: dict[str, OrgEntry] = {}
        self.laws: dict[str, LawEntry] = {}
        self.place_index = PhraseIndex()  # Latin variants -> PlaceEntry ids
        self.place_loose = PhraseIndex(roman_key)  # the same, romanization-blind
        self._loose_words: dict[str, set[str]] = {}  # one-word roman keys -> ids (typos)
        self._plain_words: dict[str, set[str]] = {}  # one-word folded keys -> ids (typos)
        self.place_hangul: dict[str, list[str]] = {}
        self.org_index = PhraseIndex()  # Latin names, aliases, personnel phrases -> org ids
        self.org_hangul: dict[str, list[str]] = {}
        self._place_names: dict[str, str] = {}  # folded name/variant -> id
        self._org_names: dict[str, str] = {}

    # -- loading ---------------------------------------------------------------------
    @classmethod
    @functools.lru_cache(maxsize=1)
    def load(cls) -> "Gazetteer":
        gaz = cls()
        gaz._load_places()
        gaz._load_orgs()
        gaz._load_laws()
        return gaz

    def _load_places(self) -> None:
        displays = {r["id"]: r["display"] for r in _csv("place_names.csv")}
        stop = {}
        for line in _lines("place_stoplist.txt"):
            pid, _, variant = line.partition("\t")
            variant = variant.strip()
            stop.setdefault(pid.strip(), set()).update({phrase_key(variant), variant})
        for row in _csv("kp_places.csv"):
            variants = tuple(v for v in (row.get("variants") or "").split("|") if v)
            entry = PlaceEntry(row["id"], row["name"], row["kind"], row.get("parent_id") or None,
                               _float(row.get("lat")), _float(row.get("lon")), variants)
            entry.display = displays.get(entry.id) or _default_display(entry)
            self.places[entry.id] = entry
        for entry in self.places.values():
            entry.province_id = self._province_id(entry.id)
            blocked = stop.get(entry.id, set()) | stop.get("*", set())
            names = [entry.name, entry.display, *entry.variants]
            # The romanization-blind index holds the canonical McCune-Reischauer name
            # and its typed forms only: folded, the gazetteer's many foreign-language
            # variants (Binh Nhuong, Pchenjanas) would meet ordinary words.
            loose_names = set(self._place_forms(entry, [entry.name, entry.display]))
            for name in names:
                self._place_names.setdefault(_name_key(name), entry.id)
                self._place_names.setdefault(_name_key(_ADMIN_SUFFIX.sub("", name)), entry.id)
            for name in self._place_forms(entry, names):
                if any(is_hangul(ch) for ch in name):
                    if name in blocked:
                        continue
                    if all(is_hangul(ch) for ch in name.replace(" ", "")):
                        # the South's spelling of a typed name (라선시 / 나선시, 리원군 / 이원군)
                        south = south_spelling(name) if name.endswith(("시", "군", "도", "구역")) else name
                        for form in dict.fromkeys((name, south)):
                            if form in blocked:
                                continue
                            self.place_hangul.setdefault(form, [])
                            if entry.id not in self.place_hangul[form]:
                                self.place_hangul[form].append(entry.id)
                    continue
                if not name.isascii() and not any(ch.isalpha() and ch.isascii() for ch in name):
                    continue  # CJK and other scripts: not in our reports
                if phrase_key(name) in blocked:
                    continue
                self.place_index.add(name, entry.id, capitalized=True,
                                     exact_case=is_acronym(name))
                if name in loose_names:
                    self.place_loose.add(name, entry.id, capitalized=True)
                    toks = tokenize(name)
                    if len(toks) == 1:
                        self._loose_words.setdefault(roman_key(toks[0].key), set()).add(entry.id)
                        self._plain_words.setdefault(toks[0].key, set()).add(entry.id)

    def _place_forms(self, entry: PlaceEntry, names: list[str]) -> Iterable[str]:
        """Every variant plus the typed forms of its bare names ("X County", "X-gun"),
        and for a North/South province the Korean forms ("Hamgyongbukto",
        "Hamgyong-bukdo", "Hwanghaenamdo": the loose index equates bukto/pukto/bukdo)."""
        seen = set()
        if entry.kind == "province":
            names = [*names, *_korean_province_forms(names)]
        for name in names:
            for form in [name, *self._typed(entry, name)]:
                if form not in seen:
                    seen.add(form)
                    yield form

    @staticmethod
    def _typed(entry: PlaceEntry, name: str) -> list[str]:
        suffixes = KIND_SUFFIXES.get(entry.kind)
        if entry.id in PROVINCE_LIKE_CITIES:
            suffixes = KIND_SUFFIXES["city"]
        if not suffixes or any(is_hangul(c) for c in name) or _ADMIN_SUFFIX.search(name):
            return []
        word, *short = suffixes
        return [f"{name} {word}"] + [f"{name}-{s}" for s in short]

    def _province_id(self, place_id: str) -> str | None:
        seen = set()
        cur = self.places.get(place_id)
        while cur is not None and cur.id not in seen:
            if cur.kind == "province":
                return cur.id
            seen.add(cur.id)
            cur = self.places.get(cur.parent_id or "")
        return None

    def _load_orgs(self) -> None:
        for row in _csv("kp_organizations.csv"):
            variants = tuple(v for v in (row.get("variants") or "").split("|") if v)
            self.orgs[row["id"]] = OrgEntry(row["id"], row["name"], row["kind"], variants,
                                            row.get("parent_id") or None)
        excluded, blocked = set(), set()
        for line in _lines("org_excluded.txt"):  # ids never reported; variants never matched
            oid, _, variant = line.partition("\t")
            (blocked.add((oid.strip(), variant.strip())) if variant else excluded.add(oid.strip()))
        for entry in self.orgs.values():
            names = (entry.name, *entry.variants, *_without_country(entry.name, *entry.variants))
            for name in names:
                self._org_names.setdefault(_name_key(name), entry.id)
                if entry.id in excluded or (entry.id, name) in blocked:
                    continue
                # proper names must be written as names ("Cabinet", not "a cabinet");
                # single romanized words (Bowibu, Anjeonbu) count in any case
                proper = name[:1].isupper() and (" " in name or name.lower() in ENGLISH_ORG_WORDS)
                self._add_org_phrase(name, entry.id, case="capitalized" if proper else "")
            if entry.id not in excluded:
                for form in ministry_forms(names):
                    self._add_org_phrase(form, entry.id, case="capitalized")
        for row in _csv("org_aliases.csv"):
            oid, alias = row["id"].strip(), row["alias"].strip()
            if oid not in self.orgs and oid != "-":
                raise ValueError(f"org_aliases.csv: unknown organization id {oid!r}")
            self._add_org_phrase(alias, oid, case=(row.get("case") or "").strip())

    def _add_org_phrase(self, name: str, oid: str, case: str = "") -> None:
        if any(is_hangul(ch) for ch in name):
            for form in dict.fromkeys((name, south_spelling(name))):
                self.org_hangul.setdefault(form, [])
                if oid not in self.org_hangul[form]:
                    self.org_hangul[form].append(oid)
            return
        if _POSSESSIVE_WORD.search(name):  # "Peoples Security" as pages write it too
            self._add_org_phrase(_POSSESSIVE_WORD.sub("s", name), oid, case)
        if not any(ch.isascii() and ch.isalpha() for ch in name):
            return
        exact = case == "exact" or is_acronym(name) or name == "the Party"
        self.org_index.add(name, oid, exact_case=exact, capitalized=case == "capitalized")
        last = name.rsplit(" ", 1)[-1]
        if (not exact and last.isascii() and last.isalpha() and not last.endswith("s")
                and last.lower() not in UNCOUNTED_NOUNS):
            self.org_index.add(name + "s", oid, exact_case=False, capitalized=case == "capitalized")

    def _load_laws(self) -> None:
        for row in _csv("kp_laws.csv"):
            variants = tuple(v for v in (row.get("variants") or "").split("|") if v)
            self.laws[row["id"]] = LawEntry(row["id"], row["name"], row["kind"], variants)

    # -- lookups -----------------------------------------------------------------------
    def near_place_word(self, key: str) -> set[str]:
        """Ids of the one-word places whose folded key or roman key is one letter
        changed or two letters swapped from ``key`` (a token's folded key), the first
        letter kept: the typos of long names ("Sinujiu", "Sinuiji").  Only for words of
        TYPO_MIN_LETTERS letters or more."""
        if len(key) < TYPO_MIN_LETTERS or not (key.isascii() and key.isalpha()):
            return set()
        out: set[str] = set()
        for cand in _one_edit(key):
            out |= self._plain_words.get(cand, set())
        return out

    def place_by_id(self, place_id: str | None) -> PlaceEntry | None:
        return self.places.get(place_id or "")

    def province_of(self, place_id: str | None) -> PlaceEntry | None:
        entry = self.places.get(place_id or "")
        return self.places.get(entry.province_id or "") if entry else None

    def find_place(self, name: str | None) -> PlaceEntry | None:
        """A place by its canonical name, display name or any variant (folded)."""
        if not name:
            return None
        key = _name_key(name)
        pid = self._place_names.get(key) or self._place_names.get(
            _name_key(_ADMIN_SUFFIX.sub("", name.strip())))
        return self.places.get(pid or "")

    def org_by_name(self, name: str | None) -> OrgEntry | None:
        if not name:
            return None
        oid = self._org_names.get(_name_key(name))
        if oid is None:
            for entry in self.org_index.lookup(name) + [
                    e for e in self.org_hangul.get(name.strip(), [])]:
                oid = entry.payload if isinstance(entry, Entry) else entry
                break
        return self.orgs.get(oid or "")

    def law_by_name(self, name: str | None) -> LawEntry | None:
        if not name:
            return None
        key = _name_key(name)
        for entry in self.laws.values():
            if key in {_name_key(n) for n in (entry.name, *entry.variants)}:
                return entry
        return None

    def make_place(self, place_id: str, mentions: list[Mention] | None = None) -> Place:
        entry = self.places[place_id]
        prov = self.province_of(place_id)
        return Place(id=entry.id, name=entry.display, kind=entry.kind, lat=entry.lat,
                     lon=entry.lon, province=prov.display if prov else None,
                     province_id=prov.id if prov else None, mentions=list(mentions or []))


# Shortest roman key corrected for a typo: shorter words are too often another word
# one letter away ("Chosun" and Chosan).
TYPO_MIN_LETTERS = 7
_VOWELS = "aeiouy"


def _one_edit(word: str) -> set[str]:
    """The words of the same length with one vowel changed for another or two
    neighbours swapped, the first letter kept: the typos of a name ("Sinuiji",
    "Sinujiu" for Sinuiju).  A dropped, added or changed consonant turns too many other
    names into ours (Shandong and Sadong, Kangsong and Kangdong, Tapsong and Taesong)."""
    splits = [(word[:i], word[i:]) for i in range(1, len(word))]
    out = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    out |= {a + c + b[1:] for a, b in splits if b[0] in _VOWELS for c in _VOWELS}
    out.discard(word)
    return out


def edit_distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


_POSSESSIVE_WORD = re.compile(r"['’]s(?=\s|$)")
_MINISTRY = re.compile(r"^Ministry of (?:the )?([A-Z][\w'’ ]+)$")


def ministry_forms(names: Iterable[str]) -> list[str]:
    """The other ways reports name a ministry: "Ministry of Public Health" is also
    "Public Health Ministry" and, through its head, "Minister of Public Health" and
    "Public Health Minister"."""
    out = []
    for name in names:
        m = _MINISTRY.match(name)
        if m:
            subject = m.group(1)
            out += [f"{subject} Ministry", f"Minister of {subject}", f"{subject} Minister"]
    return out


# Hangul syllables: initial consonant indices of ㄴ, ㄹ, ㅇ, and the vowels that begin
# with a y- or i-glide (ㅑ ㅒ ㅕ ㅖ ㅛ ㅠ ㅣ).
_NIEUN, _RIEUL, _IEUNG = 2, 5, 11
_Y_VOWELS = {2, 3, 6, 7, 12, 17, 20}


def south_spelling(word: str) -> str:
    """The South Korean spelling of a North Korean Hangul name (the initial-sound rule,
    두음법칙): 로동당 -> 노동당, 로농적위대 -> 노농적위대, 리원 -> 이원, 녀맹 -> 여맹.
    Every ㄹ-initial syllable is changed (a compound's second word starts mid-word, as
    in 조선로동당; forms that no page writes are harmless), ㄴ before a y-glide only at
    the start of a word."""
    out = []
    for i, ch in enumerate(word):
        code = ord(ch) - 0xAC00
        if not 0 <= code < 11172:
            out.append(ch)
            continue
        initial, rest = divmod(code, 21 * 28)
        vowel = rest // 28
        word_start = i == 0 or not is_hangul(word[i - 1])
        if initial == _RIEUL:
            initial = _IEUNG if vowel in _Y_VOWELS else _NIEUN
        elif initial == _NIEUN and word_start and vowel in _Y_VOWELS:
            initial = _IEUNG
        out.append(chr(0xAC00 + initial * 21 * 28 + rest))
    return "".join(out)


_COMPASS = re.compile(r"^(North|South) ([A-Z][\w'’]+)$")


def _korean_province_forms(names: Iterable[str]) -> list[str]:
    out = []
    for name in names:
        m = _COMPASS.match(name)
        if m:
            side = "buk" if m.group(1) == "North" else "nam"
            base = m.group(2)
            out += [f"{base}{side}do", f"{base}-{side}do", f"{base}{side}-do", f"{base} {side}do"]
    return out


def _name_key(name: str) -> str:
    key = phrase_key(name)
    return key[4:] if key.startswith("the ") else key
