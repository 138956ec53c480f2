"""Query-string parameters of every page and API call: validated, and turned back into URLs.

A page's whole state lives in its query string (``q``, one parameter per facet,
repeatable, ``sort``/``order``, ``page``), so every state is a shareable URL.  Anything
malformed raises ``QueryError`` (the app answers 400 with the message, never 500).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping
from urllib.parse import urlencode

from tumen.errors import QueryError
from tumen.record import INCIDENT_TYPES
from tumen.store.search import MAX_QUERY_CHARS, parse_query
from tumen.store.queries import FACETS, INCIDENT_SORTS, Filters

PAGE_SIZE = 20  # search results per page
TABLE_SIZE = 100  # incident rows per page
MAX_PAGE = 10_000
MAX_VALUES_PER_FACET = 10
MAX_VALUE_CHARS = 200
COMMON = ("q", "page") + FACETS
PARAMS = {
    "search": COMMON + ("exact",),
    "incidents": COMMON + ("sort", "order"),
    "facets": COMMON + ("scope", "exact"),
    "export": ("q",) + FACETS + ("sort", "order"),
}
FACET_LABELS = {"tag": "Tag", "province": "Province", "place": "Place", "org": "Organization",
                "type": "Incident type", "source": "Source", "month": "Month"}
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


@dataclass
class State:
    """The validated state of a page: what the user asked for, and the SQL filter."""

    q: str = ""
    facets: dict[str, list[str]] = field(default_factory=dict)
    page: int = 1
    sort: str = "date"
    order: str = "desc"
    scope: str = "reports"
    exact: bool = False  # count every match of a very common word (else an estimate)
    filters: Filters = field(default_factory=Filters)

    def to_dict(self) -> dict[str, Any]:
        return {"q": self.q, "facets": {k: v for k, v in self.facets.items() if v},
                "page": self.page, "sort": self.sort, "order": self.order}

    def pairs(self, *, page: bool = False, sort: bool = False) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        if self.q:
            out.append(("q", self.q))
        for facet in FACETS:
            out += [(facet, v) for v in self.facets.get(facet, [])]
        if sort and (self.sort, self.order) != ("date", "desc"):
            out += [("sort", self.sort), ("order", self.order)]
        if page and self.page > 1:
            out.append(("page", str(self.page)))
        return out

    def query(self, **kw: bool) -> str:
        return urlencode(self.pairs(**kw))

    def toggle(self, facet: str, value: str) -> str:
        """Query string with ``facet=value`` added, or removed if selected (page reset)."""
        pairs = self.pairs(sort=True)
        if (facet, value) in pairs:
            pairs.remove((facet, value))
        else:
            pairs.append((facet, value))
        return urlencode(pairs)

    def with_sort(self, column: str) -> str:
        order = "asc" if (self.sort == column and self.order == "desc") else "desc"
        pairs = self.pairs() + [("sort", column), ("order", order)]
        return urlencode(pairs)

    def with_page(self, page: int) -> str:
        return urlencode(self.pairs(sort=True) + ([("page", str(page))] if page > 1 else []))

    def without_q(self) -> str:
        return urlencode([p for p in self.pairs(sort=True) if p[0] != "q"])


def _one(params: Mapping[str, list[str]], name: str) -> str | None:
    values = params.get(name) or []
    if len(values) > 1:
        raise QueryError(f"parameter {name!r} given {len(values)} times; give it once")
    return values[0] if values else None


def parse_state(params: Mapping[str, list[str]] | Iterable[tuple[str, str]], kind: str
                ) -> State:
    """Validate the query parameters of a ``kind`` of page (search, incidents, facets,
    export).  ``params`` maps names to lists of values (or is a list of pairs)."""
    if not isinstance(params, Mapping):
        grouped: dict[str, list[str]] = {}
        for key, value in params:
            grouped.setdefault(key, []).append(value)
        params = grouped
    allowed = PARAMS[kind]
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise QueryError(f"unknown parameter {unknown[0]!r}; this page takes: "
                         f"{', '.join(allowed)}")
    state = State()
    q = (_one(params, "q") or "").strip()
    if len(q) > MAX_QUERY_CHARS:
        raise QueryError(f"the query is longer than {MAX_QUERY_CHARS} characters")
    state.q = q
    match = parsed = None
    if q:
        parsed = parse_query(q)
        match = parsed.to_fts5() if parsed is not None else None
    for facet in FACETS:
        values = []
        for value in params.get(facet) or []:
            value = value.strip()
            if not value:
                continue
            if len(value) > MAX_VALUE_CHARS:
                raise QueryError(f"{facet}: a value is longer than {MAX_VALUE_CHARS} characters")
            if facet == "type" and value not in INCIDENT_TYPES:
                raise QueryError(f"type: unknown incident type {value!r}; use one of "
                                 f"{', '.join(INCIDENT_TYPES)}")
            if facet == "month" and not _MONTH.match(value):
                raise QueryError(f"month: {value!r} is not a month (YYYY-MM)")
            if value not in values:
                values.append(value)
        if len(values) > MAX_VALUES_PER_FACET:
            raise QueryError(f"{facet}: at most {MAX_VALUES_PER_FACET} values")
        if values:
            state.facets[facet] = values
    page = _one(params, "page")
    if page is not None:
        if not page.isdigit() or not 1 <= int(page) <= MAX_PAGE:
            raise QueryError(f"page: expected a number from 1 to {MAX_PAGE}, got {page!r}")
        state.page = int(page)
    sort = _one(params, "sort")
    if sort is not None:
        if sort not in INCIDENT_SORTS:
            raise QueryError(f"sort: use one of {', '.join(INCIDENT_SORTS)}")
        state.sort = sort
    order = _one(params, "order")
    if order is not None:
        if order not in ("asc", "desc"):
            raise QueryError("order: use asc or desc")
        state.order = order
    exact = _one(params, "exact")
    if exact is not None:
        if exact not in ("0", "1"):
            raise QueryError("exact: use 1 (count every match) or 0")
        state.exact = exact == "1"
    scope = _one(params, "scope")
    if scope is not None:
        if scope not in ("reports", "incidents"):
            raise QueryError("scope: use reports or incidents")
        state.scope = scope
    state.filters = Filters(match=match, facets=state.facets, query=parsed if match else None)
    return state
