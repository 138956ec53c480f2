"""The organizations component: North Korean state organs named in the body.

Method: one longest-match pass over the body's folded tokens with every name and
variant of ``kp_organizations.csv`` plus our ``org_aliases.csv`` (branch patterns such
as "state security bureau", personnel phrases such as "prosecutors" or "Youth League
members", plural forms added automatically), and Hangul words matched against the
Hangul names with particle rules.  Longest match settles "the Party" inside "the Party
Central Committee".  A match is then checked against its context:

* preceded by a foreign qualifier ("Chinese police", "China's Ministry of Public
  Security"): a foreign body, dropped;
* "X known as Y" / "X called Y" with Y an organization: only Y ("inspection teams known
  as Group 109" is Group 109);
* "the Central Committee of Y" with Y an organization other than the Party: Y (the
  Youth League's Central Committee is the Youth League);
* inside the outlet's own name (``report.source``): dropped.

Detention facilities (labor camps, labor brigades) are not in the index at all: they
are penalties.  State media ids listed in ``org_excluded.txt`` are never reported.
Assigns ``doc.organizations`` (ordered by first mention, each with its mentions).
"""

from __future__ import annotations

import re

from tumen.analysis.gazetteer import (HANGUL_PARTICLES, Gazetteer, Match, Token, _lines, context,
                         hangul_prefix_matches, hangul_tokens, joinable, tag_line_end, tokenize)
from tumen.analysis.pipeline import Document, component
from tumen.record import Mention, Organization
from tumen.analysis.components.base import GazetteerComponent, group_mentions, outlet_spans

_CTX = context("organizations")  # word lists in resources/entity_context.json
FOREIGN_QUALIFIERS = _CTX["foreign_qualifiers"]
PART_OF_KEYS = _CTX["part_of_keys"]
# Korean particles after an organ name (보위원들에게, 인민반들에서는).
# A few nouns glued to an organ name make one word with it (인민반회의, 여맹학습, 여맹원,
# 인민반별로); other glued nouns make another word (노동성과 "labour results").
HANGUL_ORG_TAIL = re.compile(r"(?:들|별|원|원들|회의|학습|위원장|정책|일꾼|간부)?" + HANGUL_PARTICLES.pattern)
# The Party as a one-syllable word: 당, 당의, 당은, 당에서, 당정책 ("당시", "당국" are not).
HANGUL_PARTY = re.compile(r"당(?:정책)?(?:의|은|이|을|과|와|에서는|에서|에는|에|으로|까지|부터)?")
# A security department of an army unit (해안경비대 보위부, 군부대 보위부) is military
# security; so is 군 보위국 (the army's bureau), where 군 보위부 is a county's department.
HANGUL_ARMY_UNIT = re.compile(r"(?:부대|경비대|군단|사단|여단|련대|연대|대대)$")
# Hangul words made of a place and an organ (혜산시당위원회, 양강도보위국).
HANGUL_LOCAL_PREFIX = re.compile(r"^[\uac00-\ud7a3]{1,4}?(?:도|시|군|구역)")


@component("organizations")
class OrganizationsComponent(GazetteerComponent):
    name = "organizations"
    assigns = ("organizations",)

    def __call__(self, doc: Document) -> Document:
        gaz = self.gazetteer()
        found = find_organizations(doc.body, gaz, source=doc.report.source)
        doc.organizations = [Organization(id=oid, name=gaz.orgs[oid].name if oid in gaz.orgs
                                          else oid, mentions=mentions)
                             for oid, mentions in found]
        return doc


def find_organizations(body: str, gaz: Gazetteer, source: str | None = None
                       ) -> list[tuple[str, list[Mention]]]:
    """(organization id, mentions) for every organization, in order of first mention."""
    if not body:
        return []
    tokens = tokenize(body)
    joins = joinable(body, tokens)
    outlets = outlet_spans(body, source)
    matches = [m for m in gaz.org_index.search(body, tokens, joins, relaxed=tag_line_end(body))
               if not any(a < m.end and m.start < b for a, b in outlets)]
    defined = _defined_acronyms(body, matches)
    # a report that names the police of another country ("Chinese police", "police in
    # Yanji") means that force by the bare "police" too
    police = [m for m in matches if _is_police(m)]
    police_abroad = any(_foreign(tokens, joins, m) or _abroad(body, m) for m in police)
    hits: list[tuple[int, int, str]] = []
    for k, m in enumerate(matches):
        oid = defined.get(body[m.start:m.end], m.entries[0].payload)
        if oid == "-":
            continue  # a phrase that names no organization ("Party secretaries")
        if _foreign(tokens, joins, m) or (police_abroad and _is_police(m)):
            continue
        nxt = matches[k + 1] if k + 1 < len(matches) else None
        if nxt is not None and _links(body, m, nxt, gaz):
            continue  # "inspection teams known as Group 109": only Group 109
        prev = matches[k - 1] if k else None
        if prev is not None and _sub_body_after(body, tokens, prev, m):
            continue  # "the Youth League Central Committee": the Youth League
        if oid == "central-court" and not _court_acts(tokens, m):
            continue  # "without a court ruling", "there are no courts"
        if _part_of(body, tokens, m, nxt):
            continue  # "the Central Committee of the Youth League": the Youth League
        if oid == "wpk" and prev is not None and _organ_of_party(body, prev, m, gaz):
            continue  # "the Political Bureau of the Workers' Party": the bureau only
        if body[m.start:m.end] == "Party" and _other_party(body, tokens, joins, m):
            continue  # "the Saenuri Party", "the Communist Party of China"
        hits.append((m.start, m.end, oid))
    prev_tok = None
    htoks = hangul_tokens(body, tokens)
    for k, tok in enumerate(htoks):
        found = _hangul_orgs(tok, gaz)
        if not found and HANGUL_PARTY.fullmatch(tok.text):
            after = htoks[k + 1] if k + 1 < len(htoks) else None
            # 당 중앙위원회: the Party's organ named in two words
            if not (after is not None and body[tok.end:after.start] == " " and _hangul_orgs(after, gaz)):
                found = [(tok.start, tok.start + 1, "wpk")]
        if (found and found[0][2] == "mss" and prev_tok is not None and body[prev_tok.end:tok.start] == " "
                and (HANGUL_ARMY_UNIT.search(prev_tok.text)
                     or (prev_tok.text == "군" and tok.text.startswith("보위국")))):
            found = [(a, b, "military-security") for a, b, _ in found]
        if (found and found[0][2] == "wpk-cc" and tok.text.startswith("중앙위원회") and prev_tok is not None
                and body[prev_tok.end:tok.start] == " "
                and any(o not in ("wpk", "wpk-cc") for _, _, o in _hangul_orgs(prev_tok, gaz))):
            found = []  # 청년동맹 중앙위원회: the League's committee, not the Party's
        hits.extend(found)
        prev_tok = tok
    hits.sort()
    return group_mentions(body, hits)


_FOREIGN_PLACES = re.compile(r"\b(?:Chinese|" + "|".join(re.escape(p) for p in _lines("foreign_places.txt"))
                             + r")\b")
_SENTENCE_EDGE = re.compile(r"[.!?]\s")


def _is_police(m: Match) -> bool:
    return m.entries[0].payload == "mosoc" and m.entries[0].phrase.lower().startswith("police")


def _abroad(body: str, m: Match) -> bool:
    """Police in a sentence set abroad ("local police in Yanji arrested ...") that does
    not name North Korea just before them are a foreign force ("the North Korean
    equivalent of the police who crossed into Changbai" are not)."""
    start = max((e.end() for e in _SENTENCE_EDGE.finditer(body, 0, m.start)), default=0)
    end = _SENTENCE_EDGE.search(body, m.end)
    sentence = body[start:end.start() if end else len(body)]
    if "North Korea" in body[max(start, m.start - 60):m.start]:
        return False
    if re.match(r"\s+(?:in|of)\s+North\s+Korea\b", body[m.end:m.end + 20]):
        return False  # "Police in North Korea issued a decree"
    return bool(_FOREIGN_PLACES.search(sentence))


def _defined_acronyms(body: str, matches: list[Match]) -> dict[str, str]:
    """Acronyms the report defines: "the Ministry of Social Security (MSS)" makes every
    "MSS" in it that ministry ("MSS" is used for both ministries in English reporting)."""
    out: dict[str, str] = {}
    for m, nxt in zip(matches, matches[1:]):
        short = body[nxt.start:nxt.end]
        if (short.isupper() and body[m.end:nxt.start].strip() == "("
                and body[nxt.end:nxt.end + 1] == ")" and " " in body[m.start:m.end]):
            out.setdefault(short, m.entries[0].payload)
    return out


def _hangul_orgs(tok: Token, gaz: Gazetteer) -> list[tuple[int, int, str]]:
    hit = hangul_prefix_matches(tok.text, gaz.org_hangul, min_len=2, particles=HANGUL_ORG_TAIL)
    offset = 0
    if hit is None:
        # 혜산시당위원회: a place name glued to the organ
        pre = HANGUL_LOCAL_PREFIX.match(tok.text)
        for cut in ([pre.end(), pre.end() - 1] if pre else []):
            if 0 < cut < len(tok.text):
                hit = hangul_prefix_matches(tok.text[cut:], gaz.org_hangul, min_len=3,
                                            particles=HANGUL_ORG_TAIL)
                if hit:
                    offset = cut
                    break
    if hit is None:
        return []
    head, ids = hit
    start = tok.start + offset
    return [(start, start + len(head), ids[0])]


def _foreign(tokens: list[Token], joins: list[bool], m: Match) -> bool:
    i = m.first
    if i == 0 or not joins[i - 1]:
        return False
    prev = tokens[i - 1]
    if prev.key in FOREIGN_QUALIFIERS:
        return True
    if i >= 2 and joins[i - 2] and f"{tokens[i - 2].key} {prev.key}" in {"south korean", "south koreas"}:
        return True
    return False


_LINK = re.compile(r"(?:(?:that|which|who) (?:are|is|were|was) )?(?:also |commonly |locally |widely "
                   r"|popularly )?(?:known as|called|dubbed|named|or)(?: the)?")


# "inspection teams from Group 109": a generic team of a named task force
_FROM = re.compile(r"(?:from|of)(?: the)?")


def _links(body: str, m: Match, nxt: Match, gaz: Gazetteer) -> bool:
    gap = re.sub(r"[\s,()]+", " ", body[m.end:nxt.start]).strip().lower()
    a, b = m.entries[0].payload, nxt.entries[0].payload
    if a == b:
        return False
    if _LINK.fullmatch(gap):
        return True
    kinds = (gaz.orgs[a].kind if a in gaz.orgs else "", gaz.orgs[b].kind if b in gaz.orgs else "")
    # "inspection teams from the Central Party": the team of that organ
    return bool(_FROM.fullmatch(gap)) and kinds[0] == "security-task-force-type"


# "X (of the Workers' Party)", "X [of the ruling Party]", "X of the Workers' Party"
_OF_PARTY = re.compile(r"\s*[(\[]?\s*of\s+(?:the\s+)?(?:ruling\s+)?")


def _organ_of_party(body: str, prev: Match, m: Match, gaz: Gazetteer) -> bool:
    """The Party named only to say whose organ the previous match is."""
    oid = prev.entries[0].payload
    kind = gaz.orgs[oid].kind if oid in gaz.orgs else ""
    return kind.startswith("party-") and bool(_OF_PARTY.fullmatch(body[prev.end:m.start]))


# Words that may stand right before a bare "Party" that is the Workers' Party.
PARTY_PREFIXES = _CTX["party_prefixes"]
PARTY_NOT_AFTER = _CTX["party_not_after"]


def _other_party(body: str, tokens: list[Token], joins: list[bool], m: Match) -> bool:
    """A bare capitalized "Party" that ends another party's name ("the Saenuri Party",
    "Communist Party of China") is not the Workers' Party."""
    i = m.first
    if i > 0 and joins[i - 1]:
        prev = tokens[i - 1]
        if prev.key in PARTY_NOT_AFTER or (prev.text[:1].isupper() and prev.key not in PARTY_PREFIXES):
            return True
    if m.last < len(tokens) and joins[m.last - 1] and tokens[m.last].key in PARTY_NOT_AFTER:
        return True
    return bool(re.match(r"\s+of\s+(?:the\s+)?(?!Korea)[A-Z]", body[m.end:m.end + 20]))


def _sub_body_after(body: str, tokens: list[Token], prev: Match, m: Match) -> bool:
    key = " ".join(t.key for t in tokens[m.first:m.last])
    return (key in PART_OF_KEYS and prev.entries[0].payload not in {"wpk", "wpk-cc"}
            and body[prev.end:m.start].strip() == "")


# A bare "court" is the court system only when it acts ("a court in Sariwon sentenced").
COURT_VERBS = _CTX["court_verbs"]
COURT_REACH = 6  # tokens after "court" searched for its verb


def _court_acts(tokens: list[Token], m: Match) -> bool:
    if m.entries[0].phrase.lower() not in {"court", "courts"}:
        return True
    return any(t.key in COURT_VERBS for t in tokens[m.last:m.last + COURT_REACH])


def _part_of(body: str, tokens: list[Token], m: Match, nxt: Match | None) -> bool:
    """"the Central Committee of <another body>": that body's, not the Party's."""
    key = " ".join(t.key for t in tokens[m.first:m.last])
    if key not in PART_OF_KEYS:
        return False
    after = re.match(r"\s+of\s+(?:the\s+)?(?=[A-Z])", body[m.end:m.end + 12])
    if not after:
        return False
    if nxt is not None and nxt.start == m.end + after.end():
        return nxt.entries[0].payload not in {"wpk", "wpk-cc"}
    return True  # the Central Committee of a foreign party
