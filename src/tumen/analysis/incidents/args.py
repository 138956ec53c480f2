"""Argument filling for incidents: place, date, actor and penalty.

Arguments come from the evidence sentence first, then its paragraph, then the
report's lead (README section 6: "If the sentence gives none, use the place its
paragraph or the report establishes for that event").  Inputs are the outputs of the
earlier components: ``doc.places`` / ``doc.organizations`` (with their mentions) and
``doc.dates``.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from tumen.analysis.pipeline import Document
from tumen.record import Place

# How specific a place kind is: the most specific place in a sentence wins.
KIND_RANK = {"border_crossing": 4, "district": 3, "town": 3, "city": 3, "county": 3, "province": 1}
# Date precision preference inside one sentence (a day dates an event more surely).
PRECISION_RANK = {"day": 4, "month": 3, "season": 2, "year": 1}
# A place right after these words is a destination or an origin ("inspectors from
# Pyongyang", "reports to Pyongyang", "drove them to Yonsa County"): used only when the
# sentence has no other place.
_DIRECTIONAL = re.compile(r"(?:\bfrom|\bto|\binto|\btoward|\btowards)\s+(?:the\s+)?$", re.I)
# A date phrase that is a deadline or an end point does not date the event.
_DEADLINE = re.compile(r"^(?:by|until|before|through|till)\b", re.I)
# Lines that are page furniture, not reporting (photo captions, tag lines).
_FURNITURE = re.compile(r"^(?:FILE PHOTO|PHOTO|Photo|Image)\b|/ (?:Image|Photo)", re.M)


@dataclass
class Mentioned:
    start: int
    end: int
    name: str
    rank: int
    province: str | None


def place_mentions(doc: Document) -> list[Mentioned]:
    out = []
    for place in doc.places:
        for m in place.mentions:
            out.append(Mentioned(m.start, m.end, place.name, KIND_RANK.get(place.kind, 2),
                                 place.province or (place.name if place.kind == "province" else None)))
    out.sort(key=lambda m: m.start)
    return out


def _start(m: Mentioned) -> int:
    return m.start


def between(mentions: list[Mentioned], start: int, end: int) -> list[Mentioned]:
    """The mentions (sorted by start, as ``place_mentions`` gives them) that start in
    ``[start, end)``: a bisect, not a scan of every mention for every sentence (which made
    a long body quadratic)."""
    lo = bisect.bisect_left(mentions, start, key=_start)
    return mentions[lo:bisect.bisect_left(mentions, end, lo, key=_start)]


def org_mentions(doc: Document) -> list[Mentioned]:
    out = [Mentioned(m.start, m.end, org.name, 0, None) for org in doc.organizations for m in org.mentions]
    out.sort(key=lambda m: m.start)
    return out


# Evidence is a full sentence "through its closing punctuation or quotation mark": a
# line without one is a tag line, headline or caption, never evidence.
_CLOSED = re.compile(r"""[.!?。…]["'”’)\]」』]*$|["”’」』]$""")


# A sentence naming a private person ("a trader surnamed Kang", "Mr. Pak", "김모 씨") is
# never evidence: Tumen does not identify private persons (house rule).
_PRIVATE_NAME = re.compile(r"\bsurnamed\s+[A-Z][a-z]+|\b(?:Mr|Mrs|Ms|Miss)\.?\s+[A-Z][a-z]+|[가-힣]\s?모\s?씨")


def names_private_person(text: str) -> bool:
    return bool(_PRIVATE_NAME.search(text))


def is_furniture(body: str, start: int, end: int) -> bool:
    """Not a sentence that can state an event: a caption, tag line or headline (no
    closing punctuation).  (Also dropping parsed sentences without a verb, such as
    bulletin headings, was tried: worse on the devset and the trainset CV.)"""
    text = body[start:end]
    return bool(_FURNITURE.search(text[:80])) or not _CLOSED.search(text.rstrip())


def _best_place(body: str, mentions: list[Mentioned]) -> tuple[str | None, str | None]:
    """The most specific place among mentions; several specific places in one province
    give the province."""
    if not mentions:
        return None, None
    plain = [m for m in mentions if not _DIRECTIONAL.search(body[max(0, m.start - 12):m.start])]
    pool = plain or mentions
    top = max(m.rank for m in pool)
    best = [m for m in pool if m.rank == top]
    names = {m.name for m in best}
    if len(names) == 1:
        return best[0].name, best[0].province
    provinces = {m.province for m in best}
    if len(provinces) == 1:
        province = provinces.pop()
        return province, province
    first = best[0]
    return first.name, first.province


def main_place(doc: Document, places: list[Mentioned]) -> tuple[str | None, str | None]:
    """The place the report establishes: the most specific place of the first reporting
    sentence that names one, in the report's most-mentioned province."""
    body = doc.body
    real = [m for m in places if not _in_furniture(doc, m.start)]
    if not real:
        return None, None
    counts: dict[str | None, float] = {}
    for m in real:
        counts[m.province] = counts.get(m.province, 0) + (2.0 if m.start == real[0].start else 1.0)
    province = max(counts, key=counts.get)
    # the first sentence holding a mention in that province (sentence of its first one)
    for m in real:
        if m.province == province and (span := doc.sentence_at(m.start)):
            start, end = span
            return _best_place(body, [m for m in between(real, start, end) if m.province == province])
    return province, province


def _in_furniture(doc: Document, offset: int) -> bool:
    span = doc.sentence_at(offset)
    return bool(span and is_furniture(doc.body, *span))


@lru_cache(maxsize=1)
def _abroad() -> re.Pattern:
    """"in <a place abroad>" (``resources/foreign_places.txt``), also "in Liaoning and
    Jilin provinces"."""
    text = (resources.files("tumen") / "resources" / "foreign_places.txt").read_text("utf-8")
    names = sorted((ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")),
                   key=len, reverse=True)
    alt = "|".join(re.escape(n) for n in names)
    return re.compile(rf"\b(?:in|inside)\s+(?:the\s+)?(?:Chinese\s+\w+\s+of\s+)?"
                      rf"(?:(?:{alt})\s+(?:and|or)\s+)?(?:{alt})(?![\w'’-])")


# "relatives in China", "contacts in South Korea": where people are, not where the
# event is.
_PEOPLE_BEFORE = re.compile(r"\b(?:relatives?|famil(?:y|ies)|members|contacts|people|acquaintances|"
                            r"brokers?|defectors|friends|children|husbands?|wi(?:fe|ves)|sons?|"
                            r"daughters?|siblings|parents|traders|partners|buyers|sellers|workers|"
                            r"anyone|those|someone)\s+$", re.I)


# Where the source is ("a source in North Hamgyong Province told ...", "according to two
# residents of Hyesan", "양강도의 한 소식통은"), not where the event is.
_ATTRIBUTED = re.compile(r"\b(?:sources?|residents?|informants?)\s+(?:in|of|from|living\s+in|based\s+in)\s+"
                         r"(?:the\s+)?$|\b(?:source|resident)\s+in\s+[^,.;]{1,40},\s*$", re.I)
_ATTRIBUTED_KO = re.compile(r"^\s*(?:의\s*)?(?:한\s*)?(?:내부\s*|주민\s*)?소식통")


def attributed(body: str, m: Mentioned, start: int) -> bool:
    """Is the place mention part of a source's attribution?"""
    return bool(_ATTRIBUTED.search(body[max(start, m.start - 60):m.start])
                or _ATTRIBUTED_KO.match(body[m.end:m.end + 12]))


def place_for(doc: Document, places: list[Mentioned], start: int, end: int,
              para: tuple[int, int], fallback: tuple[str | None, str | None]) -> tuple[str | None, str | None]:
    inside = [m for m in between(places, start, end) if not attributed(doc.body, m, start)]
    if inside:
        return _best_place(doc.body, inside)
    if any(not _PEOPLE_BEFORE.search(doc.body, max(start, m.start() - 20), m.start())
           for m in _abroad().finditer(doc.body, start, end)):
        return None, None  # an event abroad ("detained in Jilin Province")
    before = [m for m in between(places, para[0], start) if not _in_furniture(doc, m.start)]
    if before:
        return _best_place(doc.body, before)
    return fallback


# A banishment takes the place people are expelled from (README section 6), never the
# place they are sent to: "expelled from Pyongyang and sent to remote farms in Chagang
# Province" is Pyongyang.
_BANISHMENT = re.compile(r"\b(?:expelled|banished|exiled|deported|resettled|relocated|removed)\b", re.I)
_ORIGIN = re.compile(r"\bfrom\s+(?:the\s+)?$", re.I)
_SENT_TO = re.compile(r"\b(?:banished|exiled|deported|resettled|relocated|sent|moved|transferred)\b"
                      r"(?:(?!\bfrom\b)[^.;])*$", re.I)


def is_banishment(text: str) -> bool:
    return bool(_BANISHMENT.search(text))


def banishment_place(doc: Document, places: list[Mentioned], start: int, end: int,
                     para: tuple[int, int], fallback: tuple[str | None, str | None]
                     ) -> tuple[str | None, str | None]:
    """The place a banishment sentence expels people from: a place after "from", else
    the sentence's places that are not where people were sent, else the paragraph's or
    the report's place."""
    body = doc.body
    inside = [m for m in places if start <= m.start < end and not attributed(body, m, start)]
    origin = [m for m in inside if _ORIGIN.search(body[max(start, m.start - 12):m.start])]
    if origin:
        return _best_place(body, origin)
    staying = [m for m in inside if not _SENT_TO.search(body[start:m.start])]
    if staying:
        return _best_place(body, staying)
    outside = [m for m in places if not start <= m.start < end]
    return place_for(doc, outside, start, end, para, fallback)


# "National directives have place null" (README section 6): an order sent to every
# province names no place of its own.  A place in the source's attribution ("a source
# in Hyesan, Yanggang Province, said") is not the order's.
_NATIONAL = re.compile(r"\b(?:nationwide|across\s+the\s+country|throughout\s+the\s+country|"
                       r"all\s+over\s+the\s+country|(?:the\s+)?whole\s+country|every\s+province|"
                       r"all\s+(?:the\s+)?provinces|each\s+province)\b|전국", re.I)


def is_national_order(doc: Document, places: list[Mentioned], start: int, end: int) -> bool:
    """The sentence directs its order at the whole country and names no place but its
    source's."""
    body = doc.body
    if not _NATIONAL.search(body, start, end):
        return False
    return all(attributed(body, m, start) for m in between(places, start, end))


# Types whose place may be a border crossing itself; any other incident at a crossing
# ("returned across the Friendship Bridge and held by state security") takes the town
# or county the crossing belongs to.
CROSSING_TYPES = frozenset({"border_crossing", "smuggling"})


def crossing_towns(doc: Document) -> dict[str, tuple[str, str | None]]:
    """{crossing name: (its town or county, province)} for the crossings ``doc`` names."""
    from tumen.analysis.gazetteer import Gazetteer

    gaz = Gazetteer.load()
    out = {}
    for place in doc.places:
        entry = gaz.place_by_id(place.id) if place.kind == "border_crossing" else None
        if entry is not None and entry.parent_id in gaz.places:
            town = gaz.make_place(entry.parent_id)
            out[place.name] = (town.name, town.province or town.name)
    return out


# Operations that go on: in a sentence with several dates, "since X" / "from X" dates
# them (README section 6: "For ongoing events 'since X' or 'from X', the date is the start").
ONGOING_TYPES = {"crackdown", "mobilization", "propaganda"}
_SINCE = re.compile(r"^(?:since|from)\b|부터", re.I)


def date_for(doc: Document, start: int, end: int, itype: str | None = None) -> tuple[str | None, str | None]:
    """The date the sentence gives the event: among its date expressions that date an
    event (the dates component's roles drop deadlines, comparisons and the day a source
    spoke), the most precise, the earliest on a tie; else an anaphor ("the same day")
    the dates component resolved; else None.  (Choosing the date nearest a trigger word
    of the type instead was tried: worse on the devset and the training set.)"""
    mentions, roles = doc.date_mentions, doc.date_roles
    inside = [d for d, role in zip(mentions, roles)
              if start <= d.start and d.end <= end and role == "event" and not _DEADLINE.match(d.text)]
    if len(inside) > 1 and itype in ONGOING_TYPES:
        since = [d for d in inside if _SINCE.match(d.text)]
        if since:
            return since[0].value, since[0].precision
    if inside:
        best = max(inside, key=lambda d: (PRECISION_RANK.get(d.precision, 0), -d.start))
        return best.value, best.precision
    for a_start, a_end, value, precision in doc.date_anaphora:
        if start <= a_start and a_end <= end:
            return value, precision
    return None, None


# -- actor ------------------------------------------------------------------
_DESTINATION = re.compile(r"(?:\bto|\binto|\bat|\bwith|\bfor|\bbefore)\s+(?:the\s+|its\s+|their\s+|a\s+)?"
                          r"(?:[\w'’-]+\s+){0,3}$", re.I)
_AGENT_BY = re.compile(r"\bby\s+(?:the\s+|its\s+|a\s+)?(?:[\w'’-]+\s+){0,3}$", re.I)


# An organization that is the subject of a passive directive receives it: "Border
# guards have been ordered to ...", "inminban heads were told to ...".
_PASSIVE_RECIPIENT = re.compile(r"^[^,.;]{0,40}?\b(?:is|are|was|were|has been|have been|had been|being)\s+"
                                r"(?:also\s+|now\s+)?(?:ordered|told|instructed|summoned|required|asked|made|"
                                r"called|warned|urged)\b", re.I)


_OF_ORG = re.compile(r"\s+(?:of|from)\s+(?:the\s+|its\s+)?(?:[\w'’-]+\s+){0,2}$", re.I)


def actor_for(doc: Document, orgs: list[Mentioned], start: int, end: int, itype: str) -> str | None:
    """The organization doing the incident's act: an agent ("by the bureau"), else the
    first organization that is neither a destination ("handed over to the Bowibu") nor
    the recipient of a passive order; an anaphor ("agents", "the provincial bureau")
    before it resolves to the last organization named earlier in the report."""
    body = doc.body
    inside = [m for m in orgs if start <= m.start < end]
    for m in inside:  # "... by the provincial bureau" is the agent of a passive
        if _AGENT_BY.search(body[max(start, m.start - 40):m.start]):
            return m.name
    anaphor = _ANAPHOR.search(body, start, end)
    for m in inside:
        if anaphor and anaphor.end() <= m.start:
            if _OF_ORG.match(body, anaphor.end(), m.start):
                return m.name  # "officers of the Ministry of People's Security"
            break  # "the provincial bureau summoned the heads of inminban ..."
        left = body[max(start, m.start - 30):m.start]
        if itype == "meeting" and m.name == "inminban":
            return m.name
        if _DESTINATION.search(left) or _PASSIVE_RECIPIENT.match(body, m.end, end):
            continue
        return m.name
    if anaphor and not any(m.start <= anaphor.start() < m.end for m in inside):
        return _anaphor_actor(doc, orgs, start, end)
    return None


_ANAPHOR = re.compile(r"\b(?:agents|officers|the (?:provincial |city |county )?(?:bureau|ministry|branch|department)|"
                      r"the inspection (?:group|team)|inspectors|the task force)\b", re.I)


def _anaphor_actor(doc: Document, orgs: list[Mentioned], start: int, end: int) -> str | None:
    found = _ANAPHOR.search(doc.body, start, end)
    if not found:
        return None
    before = [m for m in orgs if m.start < start and m.name != "inminban"]
    return before[-1].name if before else None


# -- penalty ----------------------------------------------------------------
@lru_cache(maxsize=2)
def _penalty_rules(kind: str = "rules") -> list[tuple[re.Pattern, str]]:
    text = resources.files("tumen.resources").joinpath("incident_penalties.json").read_text("utf-8")
    data = json.loads(text)
    numbers = data["number"]
    amount = data["amount"]
    facility = data["facility"]
    rules = []
    for rule in data.get(kind, []):
        pattern = rule["pattern"].replace("{NUM}", numbers).replace("{AMOUNT}", amount).replace("{FAC}", facility)
        rules.append((re.compile(pattern, re.I), rule["penalty"]))
    return rules


_WORD_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
                 "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
                 "fifteen": 15, "twenty": 20}


def _number(text: str) -> str:
    text = text.strip().lower()
    if text in _WORD_NUMBERS:
        return str(_WORD_NUMBERS[text])
    return text


def _amount(text: str) -> str:
    text = text.strip().lower().replace(",", "")
    scale = 1
    for word, mult in (("million", 1_000_000), ("만", 10_000), ("thousand", 1000)):
        if word in text:
            text = text.replace(word, "").strip()
            scale = mult
    try:
        value = float(text) * scale
    except ValueError:
        return text
    return f"{int(round(value)):,}"


def prescribed_penalty_for(sentence: str) -> str | None:
    """Penalties a sentence demands or threatens ("send offenders to labor camps")."""
    return penalty_for(sentence, "prescribed")


def penalty_for(sentence: str, kind: str = "rules") -> str | None:
    """Penalties stated in the sentence, in order, joined with "; " (lowercase, digits)."""
    found: list[tuple[int, str]] = []
    taken: list[tuple[int, int]] = []
    for pattern, template in _penalty_rules(kind):
        for m in pattern.finditer(sentence):
            if any(a < m.end() and m.start() < b for a, b in taken):
                continue
            groups = {k: v for k, v in m.groupdict().items() if v is not None}
            values = {}
            for key, val in groups.items():
                if key == "nlist":
                    values[key] = re.sub(r"\w+", lambda w: _number(w.group()) if w.group() != "and" else "and", val.lower())
                elif key.startswith("n"):
                    values[key] = _number(val)
                elif key.startswith("unit"):
                    values[key] = {"개월": "months", "년": "years"}.get(val, val.lower())
                elif key.startswith("amt"):
                    values[key] = _amount(val)
                elif key == "fac":
                    values[key] = re.sub(r"camps$", "camp", val.lower())
                else:
                    values[key] = val.lower()
            for n_key, u_key in (("n2", "unit2"),):
                if u_key in values and n_key in values:
                    u = values[u_key].rstrip("s")
                    values[u_key] = u if values[n_key] == "1" else u + "s"
            unit = values.get("unit", "")
            if "nlist" in values and unit and not unit.endswith("s"):
                values["unit"] = unit + "s"
            elif unit and values.get("n") == "1":
                values["unit"] = unit.rstrip("s")
            elif unit and not unit.endswith("s") and values.get("n") not in (None, "1"):
                values["unit"] = unit + "s"
            try:
                text = template.format(**values)
            except KeyError:
                continue
            found.append((m.start(), text))
            taken.append((m.start(), m.end()))
    if not found:
        return None
    out: list[str] = []
    for _, text in sorted(found):
        if text not in out:
            out.append(text)
    return "; ".join(out)


def place_province(places: list[Place], name: str | None) -> str | None:
    for p in places:
        if p.name == name:
            return p.province or (p.name if p.kind == "province" else None)
    return None
