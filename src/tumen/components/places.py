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

Writes ``doc.places`` (ordered by first mention) and ``doc.user_data["place_spans"]``:
a list of (start, end, name, kind) for every mention, sorted by start.
"""

from __future__ import annotations

import re

from ..gazetteer import (HANGUL_PARTICLES, KIND_PRIORITY, Gazetteer, Match, Token, context,
                         hangul_prefix_matches, hangul_tokens, joinable, tag_line_end, tokenize)
from ..pipeline import Document, component
from ..record import Mention
from .base import GazetteerComponent, group_mentions, outlet_spans

_CTX = context("places")  # word lists in resources/entity_context.json
FEATURE_WORDS = _CTX["feature_words"]
LAW_HEADS = _CTX["law_heads"]
OUTLET_HEADS = _CTX["outlet_heads"]
TITLE_GLUE = _CTX["title_glue"]
# Longest stretch of capitalized words looked at after a place name (calibrated on the
# devset/trainset titles: the longest law title runs 6 words after the place).
TITLE_SPAN = 8
# Extra Hangul suffixes allowed after a place name inside one word: the word
# continues with an organ (혜산시당위원회, 함흥시 안전부 is two words) or a station.
HANGUL_PLACE_TAIL = re.compile(
    HANGUL_PARTICLES.pattern + r"(?:당위원회|당|인민위원회|보위부|보위국|안전부|보안서|역|시장|장마당|세관|"
    r"주민|주민들|출신|사람|사람들|일대|지역|시내|쪽|방향|근처|인근)?" + HANGUL_PARTICLES.pattern)
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
        spans = [(m.start, m.end, p.name, p.kind) for p in doc.places for m in p.mentions]
        doc.user_data["place_spans"] = sorted(spans)
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
    for m in gaz.place_index.search(body, tokens, joins, relaxed=tag_line_end(body)):
        if any(a < m.end and m.start < b for a, b in blocked):
            continue
        if _not_a_place(body, tokens, joins, m):
            continue
        hits.append((m.start, m.end, [e.payload for e in m.entries]))
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
    # city or province (해주, 혜산, 자강), or when the report names the place otherwise too.
    strong = {pid for (start, _, _), pid in zip(hits, chosen) if start not in weak}
    kept: list[tuple[int, int, str]] = []
    for (start, end, _), pid in zip(hits, chosen):
        if pid is None:
            continue
        if start in weak and pid not in strong and gaz.places[pid].kind not in ("city", "province"):
            continue
        kept.append((start, end, pid))
    return group_mentions(body, kept)


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
