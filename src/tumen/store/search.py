"""Full-text search over the stored reports.

The user's query language is FTS5's, made forgiving: words, ``"phrases"``, prefixes
(``phon*``), ``AND``/``OR``/``NOT`` (upper case), parentheses, column filters
(``title:sinuiju``, ``body:"labor camp"``), ``NEAR(a b, 5)`` is not supported.  The query
is parsed here into a small tree (``Query``) so that a malformed query gets a one-line
explanation (``QueryError``) before it reaches the database, and every word is quoted
when rendered, so punctuation users type ("U.S.", "Kim's", "2,000") never breaks the
syntax.  The store renders the tree (``to_fts5()`` for SQLite) and applies the filters
(``SearchFilters``: dates, source, place, province, organization, incident type, tag).
"""

from __future__ import annotations

import datetime
import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tumen.errors import QueryError
from tumen.record import INCIDENT_TYPES
from tumen.store import SearchFilters, Store

# Longest query accepted.  Real queries are far shorter; the cap stops a pasted
# document from turning into a thousand-term query.
MAX_QUERY_CHARS = 1000
MAX_TERMS = 64
DEFAULT_LIMIT = 20
COLUMNS = ("title", "body")
OPERATORS = ("AND", "OR", "NOT")

_TOKEN = re.compile(r'\s*(?:(?P<lp>\()|(?P<rp>\))|(?P<quote>")|(?P<word>[^\s()"]+))')
_COLUMN = re.compile(r"^(?P<col>[A-Za-z_]+):(?P<rest>.*)$", re.S)
_HAS_WORD = re.compile(r"\w")
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


@dataclass
class Term:
    text: str
    prefix: bool = False
    column: str | None = None
    phrase: bool = False

    def to_fts5(self) -> str:
        out = _quote(self.text) + ("*" if self.prefix else "")
        return f"{self.column} : {out}" if self.column else out


@dataclass
class Op:
    op: str  # AND, OR, NOT (binary: left NOT right)
    items: list[Any] = field(default_factory=list)

    def to_fts5(self) -> str:
        return "(" + f" {self.op} ".join(item.to_fts5() for item in self.items) + ")"


Query = Term | Op


class _Parser:
    """Recursive descent: or := and (OR and)* ; and := not (AND? not)* ;
    not := unary (NOT unary)* ; unary := ( or ) | [col:] "phrase" | [col:] word[*]."""

    def __init__(self, text: str):
        self.text = text
        self.tokens = self._tokenize(text)
        self.pos = 0

    def _tokenize(self, text: str) -> list[tuple[str, str]]:
        tokens: list[tuple[str, str]] = []
        pos = 0
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if m is None:  # only trailing whitespace is left
                break
            pos = m.end()
            if m.group("quote"):
                end = text.find('"', pos)
                if end < 0:
                    raise QueryError('unbalanced quote: close the phrase with a second "')
                tokens.append(("phrase", text[pos:end]))
                pos = end + 1
                if pos < len(text) and text[pos] == "*":
                    tokens.append(("star", "*"))
                    pos += 1
            elif m.group("lp"):
                tokens.append(("(", "("))
            elif m.group("rp"):
                tokens.append((")", ")"))
            else:
                word = m.group("word")
                col = _COLUMN.match(word)
                if col and col.group("col").lower() in COLUMNS:
                    tokens.append(("column", col.group("col").lower()))
                    rest = col.group("rest")
                    if rest:
                        tokens.append(("word", rest))
                    elif pos < len(text) and text[pos] == '"':
                        pass  # title:"a phrase"
                    else:
                        raise QueryError(f"{word!r}: a field filter needs a word or phrase right "
                                         f"after the colon, e.g. {col.group('col')}:sinuiju")
                elif col and col.group("rest") and col.group("col").isalpha() and \
                        not col.group("rest").startswith("/") and len(col.group("col")) > 1:
                    raise QueryError(f"unknown field {col.group('col')!r}: search in "
                                     + " or ".join(f"{c}:" for c in COLUMNS))
                elif word in OPERATORS:
                    tokens.append(("op", word))
                else:
                    tokens.append(("word", word))
        return tokens

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def parse(self) -> Query | None:
        if not self.tokens:
            return None
        node = self.parse_or()
        if self.peek() is not None:
            kind, value = self.peek()  # type: ignore[misc]
            if kind == ")":
                raise QueryError("unbalanced parenthesis: a ')' has no matching '('")
            raise QueryError(f"unexpected {value!r} in the query")
        return node

    def _binary(self, op: str, sub) -> Query:
        items = [sub()]
        while (tok := self.peek()) is not None and tok == ("op", op):
            self.take()
            if self.peek() is None or self.peek() == (")", ")"):
                raise QueryError(f"{op} at the end needs a word after it (e.g. 'a {op} b')")
            items.append(sub())
        return items[0] if len(items) == 1 else Op(op, items)

    def parse_or(self) -> Query:
        return self._binary("OR", self.parse_and)

    def parse_and(self) -> Query:
        items = [self.parse_not()]
        while (tok := self.peek()) is not None and tok[0] != ")" and tok not in (("op", "OR"),):
            if tok == ("op", "AND"):
                self.take()
                if self.peek() is None or self.peek() == (")", ")"):
                    raise QueryError("AND at the end needs a word after it (e.g. 'a AND b')")
            items.append(self.parse_not())
        return items[0] if len(items) == 1 else Op("AND", items)

    def parse_not(self) -> Query:
        return self._binary("NOT", self.parse_unary)

    def parse_unary(self) -> Query:
        if self.peek() is None:
            raise QueryError("the query ends where a word was expected")
        kind, value = self.take()
        if kind == "op":
            raise QueryError(f"{value} needs a word before it: write 'a {value} b'"
                             + (" (lower-case 'not' searches for the word)" if value == "NOT" else ""))
        if kind == ")":
            raise QueryError("unbalanced parenthesis: a ')' has no matching '('")
        if kind == "(":
            if self.peek() == (")", ")"):
                raise QueryError("empty parentheses: put words between ( and )")
            node = self.parse_or()
            if self.peek() != (")", ")"):
                raise QueryError("unbalanced parenthesis: close the group with ')'")
            self.take()
            return node
        column = None
        if kind == "column":
            column = value
            if self.peek() is None or self.peek()[0] not in ("word", "phrase"):  # type: ignore[index]
                raise QueryError(f"{column}: needs a word or phrase after it")
            kind, value = self.take()
        if kind == "phrase":
            prefix = self.peek() == ("star", "*")
            if prefix:
                self.take()
            if not _HAS_WORD.search(value):
                raise QueryError("empty phrase: put words between the quotes")
            return Term(value, prefix=prefix, column=column, phrase=True)
        prefix = value.endswith("*")
        text = value.rstrip("*")
        if not _HAS_WORD.search(text):
            raise QueryError(f"{value!r} has no letters or digits to search for")
        return Term(text, prefix=prefix, column=column)


def _drop_punctuation(text: str) -> str:
    """Words made only of punctuation ("-", "&", "—") are not searchable: drop them."""
    return " ".join(w for w in text.split() if _HAS_WORD.search(w) or w in ("(", ")")
                    or '"' in w or "(" in w or ")" in w)


def parse_query(text: str) -> Query | None:
    """The query tree of a user's query; ``None`` for an empty one.  Raises
    ``QueryError`` with a one-line explanation when the query is malformed."""
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"the query is {len(text)} characters long; the limit is "
                         f"{MAX_QUERY_CHARS} (search for its most specific words)")
    parser = _Parser(_drop_punctuation(text))
    if sum(1 for kind, _ in parser.tokens if kind in ("word", "phrase")) > MAX_TERMS:
        raise QueryError(f"the query has more than {MAX_TERMS} terms; use fewer, more specific words")
    return parser.parse()


@dataclass
class Hit:
    id: str
    title: str | None
    published: str | None
    source: str | None
    url: str | None
    score: float | None
    snippet: str  # plain text
    highlights: list[tuple[int, int]]  # (start, end) of matched words in ``snippet``
    title_highlights: list[tuple[int, int]]
    duplicate_of: str | None = None
    status: str | None = None

    def marked(self, open_: str = "[", close: str = "]", escape=lambda s: s) -> str:
        """The snippet with matches wrapped (``escape`` applied to the text first)."""
        return _mark(self.snippet, self.highlights, open_, close, escape)

    def marked_title(self, open_: str = "[", close: str = "]", escape=lambda s: s) -> str:
        return _mark(self.title or "", self.title_highlights, open_, close, escape)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "published": self.published,
                "source": self.source, "url": self.url, "score": self.score,
                "snippet": self.snippet, "highlights": [list(h) for h in self.highlights],
                "duplicate_of": self.duplicate_of}


def _mark(text: str, spans: list[tuple[int, int]], open_: str, close: str, escape) -> str:
    out, pos = [], 0
    for start, end in spans:
        out.append(escape(text[pos:start]) + open_ + escape(text[start:end]) + close)
        pos = end
    out.append(escape(text[pos:]))
    return "".join(out)


def _unmark(text: str | None) -> tuple[str, list[tuple[int, int]]]:
    from tumen.store.sqlite_search import HL_CLOSE, HL_OPEN

    if not text:
        return text or "", []
    plain, spans, start = [], [], None
    length = 0
    for ch in text:
        if ch == HL_OPEN:
            start = length
        elif ch == HL_CLOSE:
            if start is not None:
                spans.append((start, length))
            start = None
        else:
            plain.append(ch)
            length += 1
    return "".join(plain), spans


def check_date(value: str | None, name: str) -> str | None:
    """``value`` when it is a real date written YYYY, YYYY-MM or YYYY-MM-DD."""
    if not value:
        return None
    if _DATE.match(value):
        parts = [int(x) for x in value.split("-")]
        try:
            datetime.date(parts[0], *(parts[1:] + [1] * (3 - len(parts))))
            return value
        except ValueError as exc:
            raise QueryError(f"--{name} {value!r}: no such date ({exc})") from None
    raise QueryError(f"--{name} {value!r}: give a date as YYYY, YYYY-MM or YYYY-MM-DD")


def _suggest(value: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(value.lower(), list(choices), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}? " if close else ""


def check_type(value: str | None) -> str | None:
    """An incident type of the record spec (any case, '-' or ' ' for '_')."""
    if not value:
        return None
    key = re.sub(r"[\s-]+", "_", value.strip().lower())
    if key in INCIDENT_TYPES:
        return key
    raise QueryError(f"--type {value!r}: unknown incident type; {_suggest(key, INCIDENT_TYPES)}"
                     f"choose one of {', '.join(INCIDENT_TYPES)}")


def check_place(value: str | None, name: str = "place") -> str | None:
    """The gazetteer id of a place named in any of its variants (romanizations, Hangul,
    with or without 'Province'/'County'), or given by its id.  ``name`` "province" also
    requires a province."""
    if not value:
        return None
    from tumen.analysis.gazetteer import Gazetteer

    gaz = Gazetteer.load()
    entry = gaz.place_by_id(value.strip()) or gaz.find_place(value)
    if entry is None:
        raise QueryError(f"--{name} {value!r}: no such place in the gazetteer (give a place's "
                         "name in any romanization or in Hangul, or its gazetteer id)")
    if name == "province" and entry.kind != "province":
        province = gaz.province_of(entry.id)
        hint = f" (it is in {province.display}: --province {province.display!r})" if province else ""
        raise QueryError(f"--province {value!r}: {entry.display} is a {entry.kind}, not a province; "
                         f"use --place{hint}")
    return entry.id


def check_org(value: str | None) -> str | None:
    """The gazetteer id of an organization named in any of its variants (acronyms,
    former names, Korean), or given by its id."""
    if not value:
        return None
    from tumen.analysis.gazetteer import Gazetteer

    gaz = Gazetteer.load()
    if value.strip() in gaz.orgs:
        return value.strip()
    entry = gaz.org_by_name(value)
    if entry is None:
        raise QueryError(f"--org {value!r}: no such organization in the gazetteer (give a name, "
                         "an acronym such as MSS, or a Korean name)")
    return entry.id


def search_filters(*, since: str | None = None, until: str | None = None,
                   source: str | None = None, place: str | None = None,
                   province: str | None = None, org: str | None = None,
                   type: str | None = None, tag: str | None = None) -> SearchFilters:
    """The user's filter values checked (a real date, a known incident type) and names
    resolved to gazetteer ids, so that any variant of a place or organ finds its reports
    (the CLI's filters; ``search`` itself takes names or ids as stored).  Raises
    ``QueryError`` with a one-line explanation."""
    since, until = check_date(since, "since"), check_date(until, "until")
    n = min(len(since or ""), len(until or ""))
    if since and until and since[:n] > until[:n]:
        raise QueryError(f"--since {since} is after --until {until}")
    return SearchFilters(since=since, until=until, source=(source or "").strip() or None,
                         place=check_place(place), province=check_place(province, "province"),
                         org=check_org(org), type=check_type(type), tag=tag or None)


def search(store: Store, query: str = "", *, since: str | None = None, until: str | None = None,
           source: str | None = None, place: str | None = None, province: str | None = None,
           org: str | None = None, type: str | None = None, tag: str | None = None,
           limit: int = DEFAULT_LIMIT, offset: int = 0) -> list[Hit]:
    """Reports matching ``query`` (best first, title weighted above body) and the filters.
    An empty query with filters lists the filtered reports, newest first."""
    filters = SearchFilters(since=check_date(since, "since"), until=check_date(until, "until"),
                            source=source, place=place, province=province, org=org,
                            type=check_type(type), tag=tag)
    parsed = parse_query(query or "")
    if parsed is None and not filters.active():
        raise QueryError("empty query: give words to search for (or a filter such as --since)")
    if limit < 1:
        raise QueryError("--limit must be at least 1")
    hits = []
    for row in store.search(parsed, filters, limit=limit, offset=offset):
        snippet, spans = _unmark(row["snippet"])
        title, title_spans = _unmark(row["title_hl"])
        hits.append(Hit(id=row["id"], title=title or row["title"], published=row["published"],
                        source=row["source"], url=row["url"],
                        score=-row["score"] if row["score"] is not None else None,
                        snippet=snippet, highlights=spans, title_highlights=title_spans,
                        duplicate_of=row["duplicate_of"], status=row.get("status")))
    return hits


def check_source(store: Store, source: str | None) -> None:
    """A ``--source`` that no stored outlet name contains is a mistake worth saying."""
    if not source:
        return
    sources = store.stats().get("by_source") or {}
    if sources and not any(source.lower() in str(s).lower() for s in sources):
        known = ", ".join(sorted(str(s) for s in sources)[:12])
        raise QueryError(f"--source {source!r}: no stored report comes from a source of that "
                         f"name (sources: {known})")


def report_view(store: Store, report_id: str) -> dict[str, Any]:
    """Everything ``tumen show`` (and the web page) shows of one report: metadata, body,
    the analysis record if any with the editors' corrections applied (as on the web:
    ``corrections.apply_corrections``), and the near-duplicates linked to it."""
    report = store.get_report(report_id)
    if report is None:
        raise QueryError(f"no report with id {report_id!r} (find ids with 'tumen search')")
    extra = dict(report.extra or {})
    meta = {"id": report.id, "title": report.title, "published": report.published,
            "source": report.source, "url": report.url, "language": report.language,
            "tags": report.tags or [], "status": extra.pop("status", None),
            "duplicate_of": extra.pop("duplicate_of", None),
            "ingested_at": extra.pop("ingested_at", None), "source_path": report.source_path,
            "locator": report.locator, "format": report.format,
            "content_hash": report.content_hash, "extra": extra, "body": report.body}
    return {"report": meta, "record": store.corrected_record(report_id),
            "near_duplicates": store.near_duplicates(report_id)}
