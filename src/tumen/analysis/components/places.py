"""The places component: every North Korean place in the body, with its mentions.

Method: one longest-match pass of the gazetteer's folded Latin variants over the body's
tokens (``gazetteer.PhraseIndex``), plus Hangul words matched against the exact Hangul
table with particle rules.  A match is then checked against its context:

* inside the outlet's own name (``report.source``, "Tumen River Report"), a law title
  ("Pyongyang Cultural Language Protection Act"), or naming a river or mountain
  ("Tumen River"): not a place;
* next to "South Korea" ("Gangwon, South Korea"): a foreign namesake, not a place;
* ambiguous names (a city and a county, a special city and its city row, two counties
  of the same name) take the entry of the highest kind (province, city, county, ...),
  and among equals the one whose province the report names elsewhere.

Assigns ``doc.places`` (ordered by first mention, each with its mentions).
"""

from __future__ import annotations

import re

from tumen.analysis.gazetteer import (HANGUL_PARTICLES, KIND_PRIORITY, Entry, Gazetteer, Match, Token, _lines, _one_edit,
                         context, edit_distance, hangul_prefix_matches, hangul_tokens, joinable, rekey,
                         roman_key, token_key,
                         tag_line_end, tokenize)
from tumen.analysis.pipeline import Document, component
from tumen.record import Mention
from tumen.analysis.components.base import GazetteerComponent, group_mentions, outlet_spans

_CTX = context("places")  # word lists in resources/entity_context.json
FEATURE_WORDS = _CTX["feature_words"]
LAW_HEADS = _CTX["law_heads"]
OUTLET_HEADS = _CTX["outlet_heads"]
TITLE_GLUE = _CTX["title_glue"]
# Longest stretch of capitalized words looked at after a place name (calibrated on the
# devset/trainset titles: the longest law title runs 6 words after the place).
TITLE_SPAN = 8
# Extra Hangul suffixes allowed after a place name inside one word: the word
# continues with an organ (혜산시당위원회, 함흥시 안전부 is two words), a station or
# its forecourt (수남역전), a prison, school, mine or works named after the place
# (개천교화소, 원산외국어학교).
HANGUL_PLACE_TAIL = re.compile(
    HANGUL_PARTICLES.pattern + r"(?:당위원회|당|인민위원회|보위부|보위국|안전부|보안서|역전|역|시장|장마당|세관|"
    r"주민|주민들|출신|사람|사람들|일대|지역|시내|쪽|방향|근처|인근|교화소|관리소|단련대|집결소|"
    r"외국어대학|외국어학교|대학|학교|관광지구|지구|광산|탄광|공장|기업소|항|비행장)?" + HANGUL_PARTICLES.pattern)
# Shortest Hangul place name matched at all (one syllable is an ordinary word: 중).
HANGUL_MIN_SYLLABLES = 2
# A Hangul name of 3+ syllables ending in an administrative suffix (신의주시, 평안북도)
# may be glued to any noun (평안북도당위원회, 혜산시장).
HANGUL_ADMIN_END = ("도", "시", "군", "구역")


@component("places")
class PlacesComponent(GazetteerComponent):
    name = "places"
    assigns = ("places",)

    def __call__(self, doc: Document) -> Document:
        gaz = self.gazetteer()
        found = find_places(doc.body, gaz, source=doc.report.source)
        doc.places = [gaz.make_place(pid, mentions) for pid, mentions in found]
        return doc


def find_places(body: str, gaz: Gazetteer, source: str | None = None
                ) -> list[tuple[str, list[Mention]]]:
    """(place id, mentions) for every place in ``body``, in order of first mention."""
    if not body:
        return []
    tokens = tokenize(body)
    joins = joinable(body, tokens)
    blocked = outlet_spans(body, source)
    hits: list[tuple[int, int, list[str]]] = []  # (start, end, candidate ids)
    respelt: set[int] = set()
    for m in latin_matches(body, tokens, joins, gaz, respelt):
        if any(a < m.end and m.start < b for a, b in blocked):
            continue
        if _not_a_place(body, tokens, joins, m):
            continue
        hits.append((m.start, m.end, [e.payload for e in m.entries]))
    hits.extend(_both_sides(body, gaz, hits))
    weak: set[int] = set()  # starts of bare two-syllable Hangul names (증산, 연탄, 세포)
    for tok in hangul_tokens(body, tokens):
        hit = hangul_prefix_matches(tok.text, gaz.place_hangul, min_len=HANGUL_MIN_SYLLABLES,
                                    particles=HANGUL_PLACE_TAIL)
        if hit is None:
            hit = _admin_prefix(tok.text, gaz.place_hangul)
        if hit:
            head, ids = hit
            if len(head) < HANGUL_MIN_SYLLABLES:
                continue  # 중 (Jung District) alone is "among", "middle"
            if len(head) == 2:
                weak.add(tok.start)
            hits.append((tok.start, tok.start + len(head), list(ids)))
    hits.sort()
    chosen = _resolve(hits, gaz)
    # A bare two-syllable Hangul name is also an ordinary word for most counties
    # (증산 "output increase", 연탄 "coal briquette", 운전 "driving"); it counts for a
    # city or province (해주, 혜산, 자강), when the report names the place otherwise too,
    strong = {pid for (start, _, _), pid in zip(hits, chosen) if start not in weak}
    # ... or when the report names its province ("혜산, 보천 등" in a Yanggang report)
    strong_provinces = {gaz.places[pid].province_id for pid in chosen if pid is not None
                        and (pid in strong or gaz.places[pid].kind in ("city", "province"))}
    # provinces the report names (a respelt province counts: provinces are kept)
    named = {gaz.places[pid].province_id for (start, _, _), pid in zip(hits, chosen)
             if pid is not None and (start not in respelt or gaz.places[pid].kind == "province")}
    kept: list[tuple[int, int, str]] = []
    for (start, end, _), pid in zip(hits, chosen):
        if pid is None:
            continue
        if start in respelt and not _respelt_ok(gaz.places[pid], named):
            continue
        if (start in weak and pid not in strong and gaz.places[pid].kind not in ("city", "province")
                and gaz.places[pid].province_id not in strong_provinces):
            continue
        kept.append((start, end, pid))
    return group_mentions(body, kept)


def latin_matches(body: str, tokens: list[Token], joins: list[bool], gaz: Gazetteer,
                  respelt: set[int] | None = None) -> list[Match]:
    """Gazetteer names in the body under any romanization.  Three passes, merged
    longest-first (the exact spelling wins a tie):

    1. the exact folded variants;
    2. the romanization-blind index (``gazetteer.roman_key``): "Hamkyung",
       "Hoiryeong", "Ryangang", "Onsung", "Hwanghaebukdo";
    3. a typo of one letter in a long one-word name ("Sinujiu"), and a compass word
       before a name that only makes a province with a one-letter change ("North
       Pyongyang Province" is North Pyongan).

    The starts of the matches found only by passes 2 and 3 are added to ``respelt``.
    """
    respelt = set() if respelt is None else respelt
    relaxed = tag_line_end(body)
    exact = gaz.place_index.search(body, tokens, joins, relaxed=relaxed)
    loose_tokens = rekey(tokens, roman_key)
    loose = [m for m in gaz.place_loose.search(body, loose_tokens, joins, relaxed=relaxed)
             if all(_loose_word_ok(t) or t.key in _TYPE_WORDS for t in tokens[m.first:m.last])
             and not _inside_other_name(body, tokens, joins, m)]
    typos = _typos(body, tokens, joins, gaz, covered={i for m in exact + loose
                                                             for i in range(m.first, m.last)})
    compass = [c for m in exact + loose if (c := _compass_typo(body, tokens, joins, loose_tokens, m, gaz))]
    ranked = sorted([(m, 0) for m in exact] + [(m, 1) for m in loose + compass + typos],
                    key=lambda mt: (-(mt[0].last - mt[0].first), mt[1], mt[0].start))
    taken, used = [], set()
    for m, other in ranked:
        if not used.intersection(range(m.first, m.last)):
            taken.append(m)
            used.update(range(m.first, m.last))
            if other and m.start not in {e.start for e in exact}:
                respelt.add(m.start)
    return sorted(taken, key=lambda m: m.start)


# Words never read as a misspelt or otherwise romanized North Korean name.
FOREIGN_WORDS = frozenset(token_key(w) for w in _lines("foreign_places.txt"))
# Shortest word matched by the romanization-blind index alone ("June" folds like Chonnae).
LOOSE_MIN_LETTERS = 5


def _loose_word_ok(tok: Token) -> bool:
    """A word that may be a romanized name: capitalized, letters only, not a camel-cased
    brand ("JoongAng"), not a place abroad."""
    text = tok.text
    return (text[:1].isupper() and text.isalpha() and not any(c.isupper() for c in text[1:])
            and len(text) >= LOOSE_MIN_LETTERS and tok.key not in FOREIGN_WORDS) or text.isupper()


# Lower-case endings of a Korean name that is not a gazetteer place: a neighbourhood
# ("Songhu-dong"), a village ("-ri"), a ward ("-gu").
_SMALL_UNITS = {"dong", "ri", "gu", "ga"}


def _inside_other_name(body: str, tokens: list[Token], joins: list[bool], m: Match) -> bool:
    """A name spelt otherwise than in the gazetteer that runs on into a longer proper
    name ("Chungang University", "Kangsong Trading Company") or ends in a small unit
    ("Songhu-dong") is that other thing, not the gazetteer's place."""
    j = m.last
    if j >= len(tokens) or not joins[j - 1]:
        return False
    nxt = tokens[j]
    return nxt.key in _SMALL_UNITS or (nxt.text[:1].isupper() and nxt.key not in _TYPE_WORDS
                                       and nxt.key not in _PLACE_HEADS)


# Capitalized words after a place name that keep it the place ("Hoiryeong Market").
_PLACE_HEADS = {"market", "markets", "station", "bridge", "port", "airport", "area", "region",
                "border", "customs", "harbor", "harbour", "jangmadang"}


def _typos(body: str, tokens: list[Token], joins: list[bool], gaz: Gazetteer,
           covered: set[int]) -> list[Match]:
    out = []
    for i, tok in enumerate(tokens):
        if i in covered or tok.text.isupper() or not _loose_word_ok(tok):
            continue
        if _inside_other_name(body, tokens, joins, Match(tok.start, tok.end, i, i + 1, [])):
            continue
        ids = gaz.near_place_word(tok.key)
        if len(ids) == 1:
            out.append(Match(tok.start, tok.end, i, i + 1, [Entry(next(iter(ids)), tok.text)]))
    return out


_SIDES = {"north", "south"}
_TYPE_WORDS = {"province", "provinces", "city", "county", "district", "do", "si", "gun", "kun", "to"}
# Letters changed in a province name after "North"/"South" ("North Pyongyang Province"
# is North Pyongan: two letters dropped).
COMPASS_EDITS = 2


def _compass_typo(body: str, tokens: list[Token], joins: list[bool], loose: list[Token],
                  m: Match, gaz: Gazetteer) -> Match | None:
    i = m.first
    if m.last - i != 1 or i == 0 or not joins[i - 1] or tokens[i - 1].key not in _SIDES:
        return None
    if not tokens[i - 1].text[:1].isupper():
        return None
    side = loose[i - 1].key
    if f"{side} {loose[i].key}" in gaz.place_loose.table:
        return None  # a real name: the loose pass has it
    near = [(edit_distance(loose[i].key, key.split(" ", 1)[1]), key)
            for key in gaz.place_loose.table if key.startswith(side + " ") and key.count(" ") == 1]
    near = sorted(d_key for d_key in near if d_key[0] <= COMPASS_EDITS)
    if not near or (len(near) > 1 and near[0][0] == near[1][0]):
        return None
    entries = [e for e in gaz.place_loose.table[near[0][1]]
               if gaz.places.get(e.payload) and gaz.places[e.payload].kind == "province"]
    if not entries:
        return None
    last = i + 1
    if last < len(tokens) and joins[i] and tokens[last].key in _TYPE_WORDS:
        last += 1
    return Match(tokens[i - 1].start, tokens[last - 1].end, i - 1, last, entries[:1])


# "North and South Hamgyong", "North and South Hwanghae Provinces"
_BOTH_SIDES = re.compile(r"\b(North|South) and (?:the )?(South|North)(?: and)? ([A-Z][\w'’]+)")


def _both_sides(body: str, gaz: Gazetteer, hits: list[tuple[int, int, list[str]]]
                ) -> list[tuple[int, int, list[str]]]:
    """The first province of "North and South X": the second is matched as written."""
    out = []
    for m in _BOTH_SIDES.finditer(body):
        for side, start in ((m.group(1), m.start(1)), (m.group(2), m.start(2))):
            if any(a <= start < b for a, b, _ in hits):
                continue  # "South Hwanghae" is matched as written
            entry = gaz.find_place(f"{side} {m.group(3)}")
            if entry is not None and entry.kind == "province":
                out.append((start, start + len(side), [entry.id]))
    return out


def _respelt_ok(place, named: set) -> bool:
    """A name found only under another spelling counts for a province or a city, and
    for a smaller place in a province the report names as written: a county's name
    respelt is too often another name (a South Korean town, a Chinese person's name, a
    hill: "Kyongsang", "Tongjun", "Phungsan")."""
    return place.kind in ("province", "city") or place.province_id in named


def _admin_prefix(word: str, table: dict[str, list[str]]) -> tuple[str, list[str]] | None:
    for cut in range(len(word) - 1, 2, -1):
        head = word[:cut]
        if head in table and head.endswith(HANGUL_ADMIN_END):
            return head, table[head]
    return None


def _resolve(hits: list[tuple[int, int, list[str]]], gaz: Gazetteer) -> list[str | None]:
    """One id per hit: highest kind, then a province the report names elsewhere."""
    provinces = set()
    for _, _, ids in hits:
        if len(ids) == 1 and ids[0] in gaz.places:
            provinces.add(gaz.places[ids[0]].province_id)
    out = []
    for _, _, ids in hits:
        ids = [i for i in ids if i in gaz.places]
        if not ids:
            out.append(None)
            continue
        ids.sort(key=lambda i: (KIND_PRIORITY.get(gaz.places[i].kind, 9),
                                gaz.places[i].province_id not in provinces))
        out.append(ids[0])
    return out


def _run_ends(tokens: list[Token], joins: list[bool], j: int) -> bool:
    """Token j ends a capitalized run (the next word is lower case or not joined)."""
    return j + 1 >= len(tokens) or not joins[j] or not tokens[j + 1].text[0].isupper()


def _not_a_place(body: str, tokens: list[Token], joins: list[bool], m: Match) -> bool:
    nxt = m.last
    # "Tumen River", "Paektu Mountain"
    if nxt < len(tokens) and joins[nxt - 1] and tokens[nxt].key in FEATURE_WORDS:
        return True
    # "Mt. Kumgang", "Mount Paektu"
    if m.first > 0 and tokens[m.first - 1].key in FEATURE_WORDS and m.start - tokens[m.first - 1].end <= 2:
        return True
    # "Hwasong-15": a missile or a model, not the town
    if re.match(r"-\d", body[m.end:m.end + 2]):
        return True
    # a capitalized title running on from the name: a law or an outlet
    j = nxt
    while j < len(tokens) and j - nxt < TITLE_SPAN and joins[j - 1]:
        tok = tokens[j]
        if tok.key in LAW_HEADS and tok.text[0].isupper():
            return True
        if tok.key in OUTLET_HEADS and tok.text[0].isupper() and _run_ends(tokens, joins, j):
            return True  # "Hamgyong Watch" (but not "Hyesan Post Office")
        if not (tok.text[0].isupper() or tok.key in TITLE_GLUE):
            break
        j += 1
    # a title that starts before the name ("the Law on Pyongyang ...") is rare; the
    # law component's spans are not available here (places run first).
    # South Korea's namesakes (Gangwon, Goseong ...)
    before = body[max(0, m.start - 20):m.start].lower()
    after = body[m.end:m.end + 40].lower()
    if re.search(r"south korea(?:n|'s|’s)?\s*$", before):
        return True
    if re.match(r"(?:\s+[a-z]+){0,2}\s*(?:,|\(|in|of)\s*(?:the\s+)?(?:south korea|republic of korea|rok)\b",
                after):
        return True
    return False
