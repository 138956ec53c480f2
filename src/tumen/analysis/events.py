"""Events: the incidents of many reports that tell one real-world event.

Every incident of every record gets

* ``event`` — an id shared by all incidents of one event: the key (``report id#index``)
  of its earliest member, by publication date, then report id, then index, so the same
  input gives the same ids whatever its order, in one file, across runs into a store or
  through Spark;
* ``event_link`` — why it joined the event: ``{"to": key, "score": s, "shared": {...}}``
  with the fields it shares with the member it matched best (type, place, date, organs,
  numbers of people, penalties, places below county level), or null for the first
  member;
* ``follows`` — for a sentence or trial that follows an arrest reported earlier (a new
  event of its own), the arrest's event id; else null.

A record that is a version of another in another language (a Korean report and its
English version) carries ``translation_of``: the other record's id (the later-published
points to the earlier; on the same day the English to the Korean), decided from what the
analysis makes language-independent (gazetteer ids, organs, dates, laws) and the
publication dates; the incidents of the two pair one to one.

Two incidents can be one event only when they are **compatible**: the same type (or one
of ``COMPATIBLE_TYPES``), the same province and places one inside the other, and dates
that agree at the coarser precision (an undated incident only within
``UNDATED_MAX_DAYS`` of publication).  A compatible pair is **scored** by what they share
(``WEIGHTS``), and linked when the score reaches ``EVENT_LINK_THRESHOLD``.  Two incidents
of one report are never one event (a record has one incident per distinct event), and an
incident joins at most one event, its best.

``EventLinker.link(record, body)`` indexes records in any order of arrival; ``finish()``
gives each record's final annotations (``annotations(rid)``) and ``changed_stored`` the
stored records whose event ids must be renamed (an earlier report arrived later).
"""

from __future__ import annotations

import datetime as _dt
import functools
import itertools
import re
from dataclasses import dataclass, field
from typing import Callable, Container, Iterable
from urllib.parse import urlsplit

from tumen.analysis.gazetteer import Gazetteer

# A compatible pair is one event when its score reaches this.  Same type, province and
# day already give 3.0; same month needs one more shared specific (a number of people,
# a penalty, an organ and a town); a dateless pair needs two.
EVENT_LINK_THRESHOLD = 2.75
# Incidents whose type may differ across outlets for one event: one outlet's
# open-air trial is another's sentencing; a raid is told as the arrests it made.
COMPATIBLE_TYPES = frozenset({frozenset({"punishment", "public_trial"}),
                              frozenset({"crackdown", "arrest"})})
# Types never linked across reports: market prices for a province and day are reported
# by many outlets from different markets.
UNLINKED_TYPES = frozenset({"market"})
# An undated incident is compared only with incidents of reports published this close.
UNDATED_MAX_DAYS = 14
# Translations: reports in two languages published this close, whose language-independent
# fingerprints (place ids, organ ids, date values, laws) overlap at least this (Jaccard).
TRANSLATION_MAX_DAYS = 7
TRANSLATION_MIN_OVERLAP = 0.5
# The incidents of two versions of one story (a translation pair, or a report and the
# near-duplicate or same-event report it is ``duplicate_of``) pair one to one at this
# lower score (the same type alone; another type with a shared date or specific).
VERSION_PAIR_THRESHOLD = 1.0
# Types that follow an arrest: a later sentence or trial of the same people.
FOLLOWING_TYPES = frozenset({"punishment", "public_trial"})
FOLLOWED_TYPES = frozenset({"arrest", "crackdown"})

WEIGHTS = {
    "type": 1.0,            # same type (a compatible type scores 0.3)
    "place": 0.75,          # the same place below province level
    "subplace": 1.0,        # a town or district (below county level) named in both
    "day": 2.0,             # the same day
    "near_day": 1.0,        # days one apart (night of the 3rd, morning of the 4th)
    "month": 0.75,          # the same month at month precision (or day within month)
    "organ": 0.5,           # each organ shared (at most two)
    "unknown_province": -0.5,  # one or both without a province: weaker evidence
    "number": 1.0,          # each number of people shared (at most two)
    "number_conflict": -1.0,  # both give numbers and none agrees
    "penalty": 1.5,         # a penalty term with its figure shared ("12 years", "500000 won")
    "penalty_kind": 0.5,    # a kind of penalty shared (labor camp, fine, death)
    "penalty_max": 2.0,     # at most this from penalties
    "penalty_conflict": -1.5,  # both give penalties and none agrees
}


def _date(value) -> _dt.date | None:
    try:
        return _dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


# -- features ----------------------------------------------------------------------------
_NUMBER_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty".split())}
_NUMBER_WORDS.update({"dozen": 12, "a dozen": 12, "couple": 2})
_KO_COUNT = {"한": 1, "두": 2, "세": 3, "네": 4, "다섯": 5, "여섯": 6, "일곱": 7, "여덟": 8,
             "아홉": 9, "열": 10, "스무": 20}
_EN_PEOPLE = re.compile(
    r"\b(\d{1,4}|" + "|".join(sorted((w for w in _NUMBER_WORDS if w not in {"zero", "one", "a dozen"}),
                                     key=len, reverse=True)) +
    r")\b(?=(?:\s+[a-z-]+){0,3}?\s+(?:people|persons|residents|women|men|students|traders|"
    r"smugglers|brokers|officials|workers|farmers|soldiers|members|defectors|families|"
    r"households|youths|teenagers|villagers|merchants|others|of them|drivers|guards|"
    r"teachers|children|individuals|suspects|defendants|agents|officers))", re.I)
_EN_THE_N = re.compile(r"\b(?:the|all|those|these)\s+(two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\b"
                       r"(?!\s+(?:years?|months?|weeks?|days?|hours?|times?|o'clock))", re.I)
_KO_PEOPLE = re.compile(r"(\d{1,4})\s*(?:명|가구|가족)|(한|두|세|네|다섯|여섯|일곱|여덟|아홉|열|스무)\s*(?:명|가구|가족|사람)")
_PENALTY_TERM = re.compile(r"(\d[\d,]*)\s*(years?|months?|won|년|개월|원)", re.I)
_PENALTY_KINDS = (
    ("death", re.compile(r"death|execut|사형|총살|처형", re.I)),
    ("camp", re.compile(r"labor camp|reform|kyohwa|교화|교도소|prison", re.I)),
    ("brigade", re.compile(r"labor brigade|training|단련대", re.I)),
    ("political", re.compile(r"political prison|관리소|kwanliso", re.I)),
    ("fine", re.compile(r"\bfines?\b|벌금", re.I)),
    ("expulsion", re.compile(r"expul|expel|추방|철직|dismiss|출당|제명", re.I)),
)
_SUBPLACE_KINDS = frozenset({"town", "district"})


_HANGUL = re.compile("[\uac00-\ud7a3]")
_LETTER = re.compile(r"[^\W\d_]")


def _lang(body: str) -> str:
    """"ko" when Hangul is more than 30% of the letters (of the first 4,000 characters)."""
    body = body[:4000]
    letters = len(_LETTER.findall(body))
    return "ko" if letters and len(_HANGUL.findall(body)) / letters > 0.3 else "en"


def _masked(text: str, start: int, spans: list[tuple[int, int]]) -> str:
    """``text`` (starting at body offset ``start``) with the given body spans blanked."""
    chars = list(text)
    for s, e in spans:
        for k in range(max(s - start, 0), min(e - start, len(chars))):
            chars[k] = " "
    return "".join(chars)


def _numbers(text: str) -> frozenset[int]:
    found = set()
    for m in _EN_PEOPLE.finditer(text):
        word = m.group(1).lower()
        found.add(int(word) if word.isdigit() else _NUMBER_WORDS[word])
    for m in _EN_THE_N.finditer(text):
        found.add(_NUMBER_WORDS[m.group(1).lower()])
    for m in _KO_PEOPLE.finditer(text):
        found.add(int(m.group(1)) if m.group(1) else _KO_COUNT[m.group(2)])
    return frozenset(n for n in found if 0 < n < 10000)


def _penalty_terms(text: str | None) -> frozenset[str]:
    if not text:
        return frozenset()
    terms = set()
    for m in _PENALTY_TERM.finditer(text):
        unit = m.group(2).lower()
        unit = {"년": "years", "개월": "months", "원": "won"}.get(unit, unit.rstrip("s") + "s")
        terms.add(f"{m.group(1).replace(',', '')} {unit}")
    terms.update(kind for kind, rx in _PENALTY_KINDS if rx.search(text))
    return frozenset(terms)


@dataclass
class Incident:
    key: str  # "report id#index"
    rid: str
    idx: int
    type: str | None
    province: str | None
    place: str | None  # gazetteer id
    ancestors: frozenset[str]  # the place's id and its parents' ids
    date: str | None
    precision: str | None
    published: _dt.date | None
    # the specifics, worked out when first compared (most candidates fail on type, place
    # or date first): organ ids, numbers of people, penalty terms, towns and districts
    _specifics: Callable[[], tuple] | None = field(default=None, repr=False, compare=False)

    @property
    def sort_key(self) -> tuple:
        return (self.published or _dt.date.max, self.rid, self.idx)

    @functools.cached_property
    def specifics(self) -> tuple[frozenset[str], frozenset[int], frozenset[str], frozenset[str]]:
        return self._specifics() if self._specifics else (frozenset(),) * 4

    organs = property(lambda self: self.specifics[0])
    numbers = property(lambda self: self.specifics[1])
    penalty = property(lambda self: self.specifics[2])
    subplaces = property(lambda self: self.specifics[3])


@functools.lru_cache(maxsize=4096)
def _ancestors(place_id: str | None) -> frozenset[str]:
    if not place_id:
        return frozenset()
    places = Gazetteer.load().places
    out, cur = [], places.get(place_id)
    while cur is not None and cur.id not in out:
        out.append(cur.id)
        cur = places.get(cur.parent_id or "")
    return frozenset(out) or frozenset({place_id})


def incident_features(record: dict, body: str | None = None) -> list[Incident]:
    """The comparable features of each incident of ``record``."""
    rid = str(record["id"])
    published = _date(record.get("published"))
    place_ids = {}
    spans_by_place: list[tuple[int, int, str, str]] = []
    for p in record.get("places") or []:
        place_ids.setdefault(p.get("name"), p.get("id"))
        for m in p.get("mentions") or []:
            spans_by_place.append((m.get("start", -1), m.get("end", -1), p.get("id"), p.get("kind")))
    org_ids = {o.get("name"): o.get("id") for o in record.get("organizations") or []}
    org_spans = [(m.get("start", -1), m.get("end", -1), o.get("id"))
                 for o in record.get("organizations") or [] for m in o.get("mentions") or []]
    masked_spans = [(d.get("start", -1), d.get("end", -1)) for d in record.get("dates") or []]
    masked_spans += [(m.get("start", -1), m.get("end", -1))
                     for law in record.get("laws") or [] for m in law.get("mentions") or []]
    out = []
    for idx, inc in enumerate(record.get("incidents") or []):
        ev = inc.get("evidence") or {}
        if isinstance(ev, str):
            text, s, e = ev, -1, -1
        else:
            text, s, e = ev.get("text") or "", ev.get("start", -1), ev.get("end", -1)
        place = place_ids.get(inc.get("place"))

        def specifics(text=text, s=s, e=e, actor=inc.get("actor"), penalty=inc.get("penalty")):
            def inside(a, b):
                return s >= 0 and a >= s and b <= e
            organs = {o for a, b, o in org_spans if inside(a, b)}
            if actor in org_ids:
                organs.add(org_ids[actor])
            subplaces = {pid for a, b, pid, kind in spans_by_place if inside(a, b) and kind in _SUBPLACE_KINDS}
            plain = _masked(text, s, masked_spans) if s >= 0 else text
            return (frozenset(o for o in organs if o), _numbers(plain), _penalty_terms(penalty),
                    frozenset(subplaces))

        out.append(Incident(
            key=f"{rid}#{idx}", rid=rid, idx=idx, type=inc.get("type"), province=inc.get("province"),
            place=place, ancestors=_ancestors(place), date=inc.get("date"),
            precision=inc.get("date_precision") if inc.get("date") else None, published=published,
            _specifics=specifics))
    return out


# -- comparing two incidents ---------------------------------------------------------------
def _types_compatible(a: str | None, b: str | None) -> float | None:
    if not a or not b or a in UNLINKED_TYPES or b in UNLINKED_TYPES:
        return None
    if a == b:
        return WEIGHTS["type"]
    if frozenset({a, b}) in COMPATIBLE_TYPES:
        return 0.3
    return None


def _dates_compatible(a: Incident, b: Incident) -> tuple[float, str | None] | None:
    """(score, shared value) when the dates agree at the coarser precision, else None."""
    if not a.date or not b.date:
        if a.published and b.published and abs((a.published - b.published).days) > UNDATED_MAX_DAYS:
            return None
        return 0.0, None
    if a.precision == "season" or b.precision == "season":
        return (0.0, None) if a.date[:4] == b.date[:4] else None
    n = min(len(a.date), len(b.date))
    if a.date[:n] == b.date[:n]:
        if n >= 10:
            return WEIGHTS["day"], a.date
        if n >= 7:
            return WEIGHTS["month"], a.date[:7]
        return 0.0, a.date[:4]
    if len(a.date) >= 10 and len(b.date) >= 10:
        da, db = _date(a.date), _date(b.date)
        if da and db and abs((da - db).days) == 1:
            return WEIGHTS["near_day"], f"{min(a.date, b.date)}/{max(a.date, b.date)}"
    return None


def _places_compatible(a: Incident, b: Incident) -> tuple[float, str | None] | None:
    if not a.province or not b.province:
        return WEIGHTS["unknown_province"], None
    if a.province != b.province:
        return None
    if not a.place or not b.place:
        return 0.0, None
    if a.place == b.place:
        return (WEIGHTS["place"], a.place) if "." in a.place else (0.0, a.place)
    if a.place in b.ancestors or b.place in a.ancestors:
        return 0.0, (a.place if a.place in b.ancestors else b.place)
    return None


def compare(a: Incident, b: Incident, any_type: bool = False) -> tuple[float, dict] | None:
    """(score, shared fields) for two compatible incidents, None when they cannot be one
    event.  ``any_type``: the types need not agree (the incidents of a translation pair,
    which the typer may read apart in two languages)."""
    t = _types_compatible(a.type, b.type)
    if t is None:
        if not any_type or not a.type or not b.type:
            return None
        t = 0.0
    p = _places_compatible(a, b)
    if p is None:
        return None
    d = _dates_compatible(a, b)
    if d is None:
        return None
    score = t + p[0] + d[0]
    # the type when both have it; the two types when they differ (always a list)
    shared: dict = {"type": a.type} if a.type == b.type else {"types": sorted({a.type, b.type})}
    if p[1]:
        shared["place"] = p[1]
    if d[1]:
        shared["date"] = d[1]
    organs = sorted(a.organs & b.organs)
    if organs:
        shared["organs"] = organs
        score += WEIGHTS["organ"] * min(len(organs), 2)
    numbers = sorted(a.numbers & b.numbers)
    if numbers:
        shared["numbers"] = numbers
        score += WEIGHTS["number"] * min(len(numbers), 2)
    elif a.numbers and b.numbers:
        score += WEIGHTS["number_conflict"]
    penalty = sorted(a.penalty & b.penalty)
    if penalty:
        shared["penalty"] = penalty
        figures = sum(1 for term in penalty if term[:1].isdigit())
        score += min(WEIGHTS["penalty"] * figures + WEIGHTS["penalty_kind"] * (len(penalty) - figures),
                     WEIGHTS["penalty_max"])
    elif a.penalty and b.penalty:
        score += WEIGHTS["penalty_conflict"]
    sub = sorted(a.subplaces & b.subplaces)
    if sub:
        shared["subplaces"] = sub
        score += WEIGHTS["subplace"]
    return round(score, 3), shared


def _follows(later: Incident, earlier: Incident) -> tuple[float, dict] | None:
    """Does the sentence or trial ``later`` follow the arrest ``earlier`` (the same people,
    place, organ; dated on or after it)?"""
    if later.type not in FOLLOWING_TYPES or earlier.type not in FOLLOWED_TYPES:
        return None
    p = _places_compatible(later, earlier)
    if p is None:
        return None
    if later.date and earlier.date and later.date[:len(earlier.date)] < earlier.date[:len(later.date)]:
        return None
    numbers = later.numbers & earlier.numbers
    sub = later.subplaces & earlier.subplaces
    if not later.province or not numbers and not (sub or p[0] > 0):
        return None
    score = p[0] + WEIGHTS["number"] * min(len(numbers), 2) + WEIGHTS["subplace"] * bool(sub) \
        + WEIGHTS["organ"] * min(len(later.organs & earlier.organs), 2)
    shared = {"place": p[1], "numbers": sorted(numbers), "subplaces": sorted(sub),
              "organs": sorted(later.organs & earlier.organs)}
    return score, {k: v for k, v in shared.items() if v}


def fingerprint(record: dict) -> frozenset[str]:
    """What a record and its translation share whatever their language."""
    out = {f"p:{p.get('id')}" for p in record.get("places") or [] if p.get("id")}
    out |= {f"o:{o.get('id')}" for o in record.get("organizations") or [] if o.get("id")}
    out |= {f"d:{d.get('value')}" for d in record.get("dates") or [] if d.get("value")}
    out |= {f"l:{law.get('name')}" for law in record.get("laws") or [] if law.get("name")}
    return frozenset(out)


def _jaccard(a: frozenset, b: frozenset) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


# -- the linker ----------------------------------------------------------------------------
def _host(url: str | None) -> str | None:
    """An outlet's web host, without ``www.`` or a language label (``en.``, ``ko.``)."""
    if not url:
        return None
    host = urlsplit(str(url)).hostname or ""
    labels = host.split(".")
    while len(labels) > 2 and (labels[0] == "www" or len(labels[0]) == 2):
        labels = labels[1:]
    return ".".join(labels) or None


def record_lang(record: dict) -> str:
    """"ko" or "en": the language of the record's title and evidence."""
    texts = [record.get("title") or ""]
    for inc in record.get("incidents") or []:
        ev = inc.get("evidence")
        texts.append(ev if isinstance(ev, str) else (ev or {}).get("text") or "")
    return _lang(" ".join(texts))


@dataclass
class _Record:
    rid: str
    published: _dt.date | None
    host: str | None
    _lang: str | Callable[[], str]  # "ko", "en" or "" (unknown); a stored record's when asked
    fingerprint: frozenset[str]
    incidents: list[Incident]
    stored: bool = False
    translation_of: str | None = None

    @property
    def lang(self) -> str:
        if callable(self._lang):
            self._lang = self._lang()
        return self._lang


@dataclass
class _Event:
    members: list[Incident] = field(default_factory=list)
    stored_id: str | None = None  # the id the store knows it by

    @property
    def id(self) -> str:
        if self.stored_id and all(m.key != self.stored_id for m in self.members):
            return self.stored_id  # its first member is in the archive, not met in this pass
        return min(self.members, key=lambda i: i.sort_key).key


UNKNOWN = ""  # the bucket of incidents without a province
ANY = "*"  # ``stored(ANY, months)``: the archive's incidents of every province
OR_UNKNOWN = "|?"  # ``stored(province + OR_UNKNOWN, months)``: that province's and those without one


def stored_records(store, province: str | None, month: str, skip: Container[str] = ()) -> list[dict]:
    """``EventLinker``'s ``stored`` lookup over a ``Store`` (``records_with_incidents_in``)."""
    or_unknown = bool(province) and province.endswith(OR_UNKNOWN)
    if or_unknown:
        province = province[:-len(OR_UNKNOWN)]
    return store.records_with_incidents_in(None if province == ANY else province, month.removeprefix("p"),
                                           any_province=province == ANY, dated=not month.startswith("p"),
                                           skip=skip, or_unknown=or_unknown)


def _month_add(month: str, k: int) -> str:
    y, m = int(month[:4]), int(month[5:7]) + k
    y, m = y + (m - 1) // 12, (m - 1) % 12 + 1
    return f"{y:04d}-{m:02d}"


class EventLinker:
    """One pass of event linking over records in any order.  ``stored(province, months)``,
    when given, returns the archive's records (as dicts, with their ``event`` fields) that
    have an incident in that province (None: without a province; ``ANY``: any; ending in
    ``OR_UNKNOWN``: in it or without a province) dated in
    one of ``months`` (``YYYY-MM``), or, for a month written ``pYYYY-MM``, undated (or
    dated to the year) in a report published that month, leaving out the ids of its
    third argument (records met already); their events are joined, and renamed when an
    earlier report arrives."""

    def __init__(self, threshold: float = EVENT_LINK_THRESHOLD,
                 stored: Callable[[str | None, list[str], Container[str]], Iterable[dict]] | None = None,
                 stored_record: Callable[[str], dict | None] | None = None):
        self.threshold = threshold
        self.stored = stored
        self.stored_record = stored_record  # the archive's record by id (an event's first)
        self.records: dict[str, _Record] = {}
        self.event_of: dict[str, _Event] = {}     # incident key -> event
        self.links: dict[str, dict] = {}         # incident key -> event_link
        self.buckets: dict[tuple[str, str], list[Incident]] = {}
        self.provinces: set[str] = set()
        self._stored_months: set[tuple[str, str]] = set()
        self._stored_event_ids: dict[str, str] = {}  # stored record id -> its events as saved
        self._stored_events: dict[str, _Event] = {}  # event id in the store -> event
        self._versions: dict[str, str] = {}  # record id -> the id of its version (translation)
        self._touched: set[str] = set()  # stored records whose events or translation may change

    # buckets: (province, month of the date) for dated incidents, (province, "p" + month of
    # publication) for undated and year-precision ones
    @staticmethod
    def _bucket(inc: Incident) -> tuple[str, str] | None:
        province = inc.province or UNKNOWN
        if inc.date and len(inc.date) >= 7 and inc.precision != "season":
            return province, inc.date[:7]
        if inc.published:
            return province, "p" + inc.published.isoformat()[:7]
        return province, "p"

    def _lookups(self, inc: Incident) -> list[tuple[str, str]]:
        """The buckets to search: the incident's province's and the unknown province's
        (all provinces' for an incident without one)."""
        provinces = [inc.province, UNKNOWN] if inc.province else [UNKNOWN, *sorted(self.provinces)]
        keys = [(province, month) for province in provinces for _, month in self._months(inc)]
        return list(dict.fromkeys(keys))

    @staticmethod
    def _months(inc: Incident) -> list[tuple[str, str]]:
        keys = []
        if inc.date and len(inc.date) >= 7 and inc.precision != "season":
            m = inc.date[:7]
            keys += [(inc.province, m), (inc.province, "p" + m), (inc.province, "p" + _month_add(m, 1))]
        if inc.published:
            p = inc.published.isoformat()[:7]
            if not inc.date or len(inc.date) < 7 or inc.precision == "season":
                keys += [(inc.province, "p" + p), (inc.province, "p" + _month_add(p, -1)),
                         (inc.province, p), (inc.province, _month_add(p, -1))]
                if inc.date and len(inc.date) == 4:  # year precision: the dated months of that year
                    keys += [(inc.province, f"{inc.date}-{m:02d}") for m in range(1, 13)]
        return list(dict.fromkeys(keys))

    def _candidates(self, inc: Incident) -> list[Incident]:
        out = []
        if self.stored is not None and not inc.province:
            # the archive's incidents of every province in those months: one query each
            for _, month in self._months(inc):
                if month != "p" and (ANY, month) not in self._stored_months:
                    self._stored_months.add((ANY, month))
                    for record in self.stored(ANY, [month], self.records):
                        self._add_stored(record)
        for key in self._lookups(inc):
            if self.stored is not None and key[1] != "p" and key not in self._stored_months \
                    and (ANY, key[1]) not in self._stored_months:
                self._stored_months.add(key)
                if key[0] and (UNKNOWN, key[1]) not in self._stored_months:
                    # the province's and the unknown province's in one query
                    self._stored_months.add((UNKNOWN, key[1]))
                    found = self.stored(key[0] + OR_UNKNOWN, [key[1]], self.records)
                else:
                    found = self.stored(key[0] or None, [key[1]], self.records)
                for record in found:
                    self._add_stored(record)
            out.extend(self.buckets.get(key, ()))
        return out

    def _add_stored(self, record: dict) -> None:
        rid = str(record["id"])
        if rid in self.records:
            return
        incs = incident_features(record)
        rec = _Record(rid, _date(record.get("published")), _host(record.get("url")),
                      functools.partial(record_lang, record), fingerprint(record), incs, stored=True,
                      translation_of=record.get("translation_of"))
        self.records[rid] = rec
        if rec.translation_of:
            self._versions[rec.translation_of] = rid
        for inc, raw in zip(incs, record.get("incidents") or []):
            eid = raw.get("event") or inc.key
            event = self._stored_events.get(eid)
            if event is None:
                event = self._stored_events[eid] = _Event(stored_id=eid)
            event.members.append(inc)
            self.event_of[inc.key] = event
            if raw.get("event_link"):
                self.links[inc.key] = raw["event_link"]
            bucket = self._bucket(inc)
            if bucket:
                self.buckets.setdefault(bucket, []).append(inc)
                if inc.province:
                    self.provinces.add(inc.province)
        self._stored_event_ids[rid] = _events_signature(record)
        # an event's first member, when elsewhere in the archive: met too, so that an
        # earlier report of this pass is weighed against it
        for event in {id(e): e for e in (self.event_of[i.key] for i in incs)}.values():
            first = (event.stored_id or "").rpartition("#")[0]
            if first and first not in self.records and self.stored_record is not None:
                found = self.stored_record(first)
                if found is not None:
                    self._add_stored(found)

    def link(self, record: dict, body: str = "", versions: Iterable[str] = ()) -> None:
        """Index ``record`` and put each of its incidents in an event.  ``versions``: reports
        met before it that the duplicate linker has since pointed at it (a later version met
        first), paired like the report ``duplicate_of`` names, so that the events do not
        depend on the order the reports come in."""
        rid = str(record["id"])
        incs = incident_features(record, body)
        rec = _Record(rid, _date(record.get("published")), _host(record.get("url")),
                      _lang(body) if body else record_lang(record), fingerprint(record), incs)
        # every compatible pair with another report's incident, scored
        scored: list[tuple[float, int, str, Incident, dict]] = []
        nearby: set[str] = set()
        for inc in incs:
            seen = set()
            for other in self._candidates(inc):
                if other.rid == rid or other.key in seen:
                    continue
                seen.add(other.key)
                nearby.add(other.rid)
                found = compare(inc, other)
                if found:
                    scored.append((found[0], inc.idx, other.key, other, found[1]))
        self._translation(rec, nearby)
        # versions of one story (a translation, or a near-duplicate or same-event report
        # ``duplicate_of`` names): their incidents pair at a lower score, whatever their
        # types, and whatever buckets they fell in
        earlier = record.get("duplicate_of")
        if earlier and earlier not in self.records and self.stored_record is not None:
            found = self.stored_record(str(earlier))
            if found is not None:
                self._add_stored(found)
        partners = {other for other in (rec.translation_of, self._versions.get(rid), earlier, *versions)
                    if other and other in self.records and other != rid}
        for partner in sorted(partners):
            for inc, other in itertools.product(incs, self.records[partner].incidents):
                found = compare(inc, other, any_type=True)
                if found:
                    scored.append((found[0], inc.idx, other.key, other, found[1]))
        threshold = {other: VERSION_PAIR_THRESHOLD for other in partners}
        # greedy one-to-one: best pairs first; an incident joins one event, an event takes
        # one incident of this report
        scored.sort(key=lambda s: (-s[0], s[1], s[2]))
        joined: dict[int, _Event] = {}
        taken: set[int] = set()
        for score, idx, _, other, shared in scored:
            if score < threshold.get(other.rid, self.threshold):
                continue
            event = self.event_of[other.key]
            if idx in joined or id(event) in taken:
                continue
            joined[idx] = event
            taken.add(id(event))
            self._touched.update(m.rid for m in event.members if m.rid in self._stored_event_ids)
            self.links[f"{rid}#{idx}"] = {"to": other.key, "score": score, "shared": shared}
        for inc in incs:
            event = joined.get(inc.idx) or _Event()
            event.members.append(inc)
            self.event_of[inc.key] = event
            bucket = self._bucket(inc)
            if bucket:
                self.buckets.setdefault(bucket, []).append(inc)
                if inc.province:
                    self.provinces.add(inc.province)
        self.records[rid] = rec

    def _translation(self, rec: _Record, nearby: set[str]) -> None:
        """Is ``rec`` a version of a record met before in the other language (or one of
        those a version of it)?  Candidates: the records with an incident in the same
        province near in time (``nearby``), of the same outlet (web host) when both have
        a URL."""
        if not rec.lang:
            return
        best = None
        for other_rid in sorted(nearby):
            other = self.records[other_rid]
            if other.lang == rec.lang or not other.lang:
                continue
            if rec.host and other.host and rec.host != other.host:
                continue
            if other.translation_of or other_rid in self._versions:
                continue
            if rec.published and other.published and \
                    abs((rec.published - other.published).days) > TRANSLATION_MAX_DAYS:
                continue
            overlap = _jaccard(rec.fingerprint, other.fingerprint)
            if overlap >= TRANSLATION_MIN_OVERLAP and (best is None or overlap > best[0]):
                best = (overlap, other)
        if best is None:
            return
        other = best[1]
        # the later-published is the version; on the same day the English one
        later_is_me = (rec.published, rec.lang == "en") > (other.published, other.lang == "en") \
            if rec.published and other.published else rec.lang == "en"
        if later_is_me:
            rec.translation_of = other.rid
            self._versions[other.rid] = rec.rid
        else:
            other.translation_of = rec.rid
            self._versions[rec.rid] = other.rid
            self._touched.add(other.rid)

    def _follows_of(self, rec: _Record) -> dict[str, Incident]:
        """The sentences and trials of ``rec`` that follow an arrest told earlier (and are
        not the arrest's event): one this report retells that an earlier report told
        first, or else one of an earlier report that shares its people and place.  From
        the final events, so whatever the order of arrival."""
        out = {}
        for inc in rec.incidents:
            if inc.type not in FOLLOWING_TYPES:
                continue
            mine = self.event_of[inc.key]
            best = None
            for other in rec.incidents:
                event = self.event_of[other.key]
                if other.type in FOLLOWED_TYPES and event is not mine and \
                        any(m.rid != rec.rid and m.sort_key < inc.sort_key for m in event.members):
                    found = _follows(inc, other)
                    score = (found[0] if found else 0.0) + 1.0
                    if best is None or (score, other.idx) > (best[0], best[1].idx):
                        best = (score, other)
            if best is None:
                for other in self._candidates(inc):
                    if other.rid == rec.rid or other.sort_key > inc.sort_key or self.event_of[other.key] is mine:
                        continue
                    found = _follows(inc, other)
                    if found and found[0] >= WEIGHTS["number"] + WEIGHTS["subplace"] \
                            and (best is None or (found[0], other.sort_key) > (best[0], best[1].sort_key)):
                        best = (found[0], other)
            if best is not None:
                out[inc.key] = best[1]
        return out

    # -- results -------------------------------------------------------------------------
    def annotations(self, rid: str) -> dict:
        """{"translation_of": id or None, "incidents": [{"event", "event_link", "follows"}]}
        for a record linked (or stored) in this pass."""
        rec = self.records[rid]
        follows = self._follows_of(rec)
        incidents = []
        for inc in rec.incidents:
            followed = follows.get(inc.key)
            incidents.append({"event": self.event_of[inc.key].id,
                              "event_link": self.links.get(inc.key),
                              "follows": self.event_of[followed.key].id if followed else None})
        return {"translation_of": rec.translation_of, "incidents": incidents}

    def changed_stored(self) -> list[str]:
        """The stored records whose events (ids, follows, translation) this pass changed:
        among those whose events took a new member, or that a new record is a version of."""
        out = []
        for rid in sorted(self._touched):
            saved = self._stored_event_ids.get(rid)
            if saved is not None and signature(self.annotations(rid)) != saved:
                out.append(rid)
        return out


def signature(annotations: dict) -> str:
    return repr((annotations.get("translation_of"),
                 [(i.get("event"), i.get("follows")) for i in annotations["incidents"]]))


def _events_signature(record: dict) -> str:
    return signature({"translation_of": record.get("translation_of"),
                       "incidents": record.get("incidents") or []})


def apply(record: dict, annotations: dict) -> dict:
    """``record`` with its events and translation set from ``annotations``."""
    for inc, ann in zip(record.get("incidents") or [], annotations["incidents"]):
        inc.update(ann)
    record["translation_of"] = annotations.get("translation_of")
    return record
