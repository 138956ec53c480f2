"""The laws component: laws, decrees and Criminal Law articles cited in the body.

Method:

1. Known laws: every name and variant of ``kp_laws.csv`` and our ``law_aliases.csv``
   ("the reactionary thought law", "Youth Education Guarantee Act", 비상방역법), matched
   longest-first over folded tokens (case ignored, "Law" and "Act" equal).
2. Criminal Law articles: "Article 222", "Article 222 of the Criminal Law", "Articles
   221 and 222", 형법 제222조 give "Criminal Law, Article N" (``Law.article`` = N).  An
   article followed by "of <another law>" belongs to that law.  The Criminal Law named
   without an article gives "Criminal Law of the DPRK", only when the report cites no
   article of it.
3. Other named laws: a capitalized title ending in "Law" or "Act" ("the Anti-Narcotics
   Law", "Law on the Protection of ...") that no rule above covers; "Act" is written
   "Law".

Writes ``doc.laws`` in order of first mention.
"""

from __future__ import annotations

import functools
import re

from tumen.analysis.gazetteer import (HANGUL_PARTICLES, PhraseIndex, Token, _csv, context, hangul_prefix_matches,
                         hangul_tokens, is_hangul, tokenize)
from tumen.analysis.pipeline import Document, component
from tumen.record import Law, Mention

CRIMINAL = "Criminal Law of the DPRK"
# Names of at most this many words must be capitalized to count ("Criminal Law");
# longer ones are specific enough in any case ("the youth education guarantee law").
SHORT_NAME_WORDS = 2
ARTICLE_NAME = "Criminal Law, Article {n}"
_ARTICLE_ALIAS = re.compile(r"^Criminal Law, Article (\d+)$")
# "Article 222", "Articles 221 and 222", "Art. 60"
ARTICLE = re.compile(r"\b(?:Articles?|Art\.)\s+(\d{1,3})((?:\s*(?:,|and|or|&)\s*\d{1,3})*)\b")
ARTICLE_KO = re.compile(r"제\s*(\d{1,3})\s*조")
# What may link an article to the law named after it: "of the", "of North Korea's"
ARTICLE_LINK = re.compile(r"\s*(?:of|in|under)\s+(?:the\s+)?(?:(?:DPRK|DPRK's|North\s+Korean?'?s?|"
                          r"North\s+Korea’s|country's|country’s)\s+)?$")
# Gaps allowed inside a law's name: spaces, hyphens, quotes ('the law against
# "reactionary ideology and culture"').
# "Article 27 of the Act", "of this Law": the article of the law named before
BACK_REFERENCE = re.compile(r"\s+of\s+(?:the|this|that)\s+(?:Act|Law)\b")
_LAW_JOIN = re.compile(r"(?:['’ʼ]s?)?\s*[-‐‑–—/]?\s*[\"“”‘’']?\s*")
_CTX = context("laws")  # word lists in resources/entity_context.json
TITLE_HEADS = _CTX["title_heads"]
TITLE_GLUE = _CTX["title_glue"]
TITLE_DROP = _CTX["title_drop"]
# Longest title looked at (words before "Law"/"Act"); the longest in the gazetteer has 6.
TITLE_MAX = 9
NOT_TITLES = _CTX["not_titles"]
# A law of another country ("South Korea's National Security Law") is not listed.
_FOREIGN_NAMES = (r"(?:South\s+Korea(?:n|'s|’s)?|ROK|U\.?S\.?|American|Japan(?:ese|'s|’s)?|"
                  r"Chin(?:a's|a’s|ese)|Russia(?:n|'s|’s)?|UN|U\.N\.|[Ii]nternational)")
FOREIGN = re.compile(_FOREIGN_NAMES + r"\s+(?:\w+\s+){0,2}$")
FOREIGN_START = re.compile(_FOREIGN_NAMES + r"\b")


@functools.lru_cache(maxsize=1)
def law_index() -> PhraseIndex:
    index = PhraseIndex()
    for row in _csv("kp_laws.csv"):
        for name in [row["name"], *(v for v in (row.get("variants") or "").split("|") if v)]:
            _add(index, name, row["name"])
    for row in _csv("law_aliases.csv"):
        _add(index, row["alias"].strip(), row["name"].strip())
    return index


def _add(index: PhraseIndex, phrase: str, name: str) -> None:
    forms = [phrase]
    if re.search(r"\bLaw$", phrase, re.I):
        forms.append(re.sub(r"Law$|law$", "Act", phrase))
    elif re.search(r"\bAct$", phrase, re.I):
        forms.append(re.sub(r"Act$|act$", "Law", phrase))
    for k, form in enumerate(forms):
        # a short capitalized name is matched only when written as a name ("Criminal
        # Law", not "a criminal act"); long names and lowercase aliases in any case
        short = len(form.split()) <= SHORT_NAME_WORDS
        index.add(form, name, exact_case=False, capitalized=short and (form[:1].isupper() or k > 0))


@component("laws")
class LawsComponent:
    name = "laws"
    requires = ("report",)
    assigns = ("laws",)

    def initialize(self) -> None:
        law_index()

    def __call__(self, doc: Document) -> Document:
        doc.laws = find_laws(doc.body)
        return doc


def find_laws(body: str) -> list[Law]:
    if not body:
        return []
    index = law_index()
    tokens = tokenize(body)
    joins = [bool(_LAW_JOIN.fullmatch(body, a.end, b.start)) if b.start >= a.end else False
             for a, b in zip(tokens, tokens[1:])]
    hits: list[tuple[int, int, str, int | None]] = []  # start, end, name, article
    known = index.search(body, tokens, joins)
    covered = [(m.start, m.end) for m in known]
    law_at = {m.start: (m.entries[0].payload, m.end) for m in known}
    for m in known:
        name = m.entries[0].payload
        art = _ARTICLE_ALIAS.match(name)
        hits.append((m.start, m.end, name, int(art.group(1)) if art else None))
    for m in ARTICLE.finditer(body):
        numbers = [int(m.group(1))] + [int(n) for n in re.findall(r"\d+", m.group(2) or "")]
        owner, end = _owner(body, m.end(), law_at)
        back = BACK_REFERENCE.match(body, m.end())
        if owner is None and back:
            # "Article 27 of the Act": the law named last before it
            before = [name for start, (name, _) in law_at.items() if start < m.start()]
            if before:
                owner, end = before[-1], back.end()
        for n in numbers:
            if owner is None or owner == CRIMINAL:
                # "Article 222 of the Criminal Law" is one mention of the article
                hits.append((m.start(), end, ARTICLE_NAME.format(n=n), n))
            else:
                hits.append((m.start(), end, owner, n))
    for m in ARTICLE_KO.finditer(body):
        hits.append((m.start(), m.end(), ARTICLE_NAME.format(n=int(m.group(1))), int(m.group(1))))
    for tok in hangul_tokens(body, tokens):
        hit = hangul_prefix_matches(tok.text, _hangul_laws(), min_len=2, particles=HANGUL_PARTICLES)
        if hit and not any(a <= tok.start < b for a, b in covered):
            head, names = hit
            art = _ARTICLE_ALIAS.match(names[0])
            hits.append((tok.start, tok.start + len(head), names[0], int(art.group(1)) if art else None))
    for start, end in _titles(body, tokens):
        if any(a < end and start < b for a, b in covered):
            continue
        if FOREIGN.search(body[max(0, start - 40):start]) or FOREIGN_START.match(body, start):
            continue
        title = re.sub(r"\s+", " ", body[start:end])
        hits.append((start, end, re.sub(r"\bAct$", "Law", title), None))
    has_article = any(name.startswith("Criminal Law, Article") for _, _, name, _ in hits)
    laws: dict[str, Law] = {}
    for start, end, name, article in sorted(hits):
        if name == CRIMINAL and has_article:
            continue
        law = laws.setdefault(name, Law(name=name, article=article))
        if law.article is None:
            law.article = article
        if any(mm.start <= start < mm.end for mm in law.mentions):
            continue  # the law's name inside its own article citation
        law.mentions.append(Mention(body[start:end], start, end))
    return list(laws.values())


@functools.lru_cache(maxsize=1)
def _hangul_laws() -> dict[str, list[str]]:
    table: dict[str, list[str]] = {}
    for key, entries in law_index().table.items():
        if key and is_hangul(key[0]):
            for e in entries:
                table.setdefault(e.phrase, []).append(e.payload)
    return table


def _owner(body: str, pos: int, law_at: dict[int, tuple[str, int]]) -> tuple[str | None, int]:
    """The law named right after an article ("Article 5 of the X Law"), if any, and
    where the citation ends."""
    window = body[pos:pos + 40]
    for start, (name, end) in law_at.items():
        if pos <= start <= pos + 40 and ARTICLE_LINK.fullmatch(body[pos:start]):
            return name, end
    if re.match(r"\s+of\s+the\s+[A-Z]", window) and not re.match(r"\s+of\s+the\s+Criminal", window):
        # "Article 12 of the Mobile Communications Law": a law our index does not know
        title = re.match(r"\s+of\s+the\s+((?:[A-Z][\w'’-]*\s+){1,8}(?:Law|Act))\b", body[pos:pos + 120])
        if title:
            name = re.sub(r"\bAct$", "Law", re.sub(r"\s+", " ", title.group(1)))
            return name, pos + title.end(1)
    return None, pos


def _titles(body: str, tokens: list[Token]) -> list[tuple[int, int]]:
    """Spans of capitalized titles ending in Law/Act ("the Anti-Narcotics Law") or
    starting with it ("Law on the Protection of Minors")."""
    out = []
    for i, tok in enumerate(tokens):
        if tok.key not in TITLE_HEADS or not tok.text[0].isupper():
            continue
        if i > 0 and body[tokens[i - 1].end:tok.start] != " ":
            continue  # "Daughter-in-Law"
        # forward: "Law on the Protection of Minors"
        end = tok.end
        k = i + 1
        if (k < len(tokens) and tokens[k].key in {"on", "of", "for"}
                and body[tok.end:tokens[k].start] == " "):
            m = k
            while (m + 1 < len(tokens) and m - k < TITLE_MAX
                   and (tokens[m + 1].text[0].isupper() or tokens[m + 1].key in TITLE_GLUE)
                   and body[tokens[m].end:tokens[m + 1].start] in (" ", "-")):
                m += 1
            while m > k and not tokens[m].text[0].isupper():
                m -= 1
            if m > k:
                end = tokens[m].end
        # backward: capitalized words (and glue, unless the title runs forward)
        glue = TITLE_GLUE if end == tok.end else set()
        j = i
        while j > 0 and i - j < TITLE_MAX:
            prev = tokens[j - 1]
            if not re.fullmatch(r"(?:['’]s?)?[ \-–]?", body[prev.end:tokens[j].start]):
                break
            if not (prev.text[0].isupper() or prev.key in glue) or prev.key in TITLE_HEADS:
                break  # not a title word, or the end of another title ("X Act and the Y Law")
            j -= 1
        while j < i and (tokens[j].key in TITLE_DROP or tokens[j].key in TITLE_GLUE
                         or not tokens[j].text[0].isupper()):
            j += 1
        start = tokens[j].start
        if j == i and end == tok.end:
            continue  # a bare "Law" or "Act"
        title = re.sub(r"\s+", " ", body[start:end]).lower()
        if title in NOT_TITLES or title.endswith("criminal law") or title.endswith("criminal act"):
            continue
        out.append((start, end))
    return out
