"""Query-string parameters of every page and API call: validated, and turned back into URLs.

A page's whole state lives in its query string (``q``, one parameter per facet,
repeatable, ``sort``/``order``, ``page``), so every state is a shareable URL.  One
pydantic model per kind of page (``SearchQuery``, ``IncidentsQuery``, ``FacetsQuery``,
``ExportQuery``) validates it, once: the routes take it as their query dependency
(``Annotated[Model, Query()]``), so it is also their OpenAPI description.  Anything
malformed is a one-line message (``message``; ``QueryError`` outside a request): the
app answers 400 with it, never 500.  ``State`` is what the views and templates take.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from tumen.errors import QueryError
from tumen.record import INCIDENT_TYPES
from tumen.store.queries import FACETS, INCIDENT_SORTS, Filters
from tumen.store.search import MAX_QUERY_CHARS, parse_query

PAGE_SIZE = 20  # search results per page
TABLE_SIZE = 100  # incident rows per page
MAX_PAGE = 10_000
MAX_VALUES_PER_FACET = 10
MAX_VALUE_CHARS = 200
FACET_LABELS = {"tag": "Tag", "province": "Province", "place": "Place", "org": "Organization",
                "type": "Incident type", "source": "Source", "month": "Month"}
MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
TUMEN_ERROR = "tumen_query"  # a pydantic error whose message is already the user's


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


def _error(text: str) -> PydanticCustomError:
    return PydanticCustomError(TUMEN_ERROR, "{message}", {"message": text})


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _values(values: Any) -> Any:
    """A facet's values stripped, empty ones dropped, repeats once (first come first)."""
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list):
        return values
    out: list[Any] = []
    for value in values:
        value = _strip(value)
        if value != "" and value not in out:
            out.append(value)
    return out


def _digits(value: Any) -> Any:
    if isinstance(value, str) and not (value.isascii() and value.isdigit()):
        raise ValueError("not a number")
    return value


_Value = Annotated[str, Field(max_length=MAX_VALUE_CHARS)]
_Type = Literal[INCIDENT_TYPES]  # type: ignore[valid-type]
_Month = Annotated[str, Field(pattern=MONTH_PATTERN)]


_Facet = BeforeValidator(_values), Field(max_length=MAX_VALUES_PER_FACET)
_Values = Annotated[list[_Value], _Facet[0], _Facet[1]]
_Types = Annotated[list[_Type], _Facet[0], _Facet[1]]
_Months = Annotated[list[_Month], _Facet[0], _Facet[1]]


def _about(what: str) -> Any:
    return Field([], description=f"{what} (repeat the parameter to require several)")


class _Query(BaseModel):
    """The filter every page takes: ``q`` and one repeatable parameter per facet.

    A query-parameter model (FastAPI's ``Annotated[Model, Query()]``): it validates a
    request's query string once, and its fields are the OpenAPI description of the
    parameters.  Each field's limits are pydantic constraints (``max_length``, ``ge``,
    ``le``, ``pattern``, an enum); ``message`` turns a failed constraint into the
    one-line error the user sees (a 400).  ``state()`` is what the views take.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    _parsed: Any = PrivateAttr(default=None)

    q: Annotated[str, BeforeValidator(_strip), Field(
        max_length=MAX_QUERY_CHARS, description="Full-text query (the CLI's FTS syntax)")] = ""
    tag: _Values = _about("Record tag")
    province: _Values = _about("Province (of the incident on the incidents page)")
    place: _Values = _about("Place (of the incident on the incidents page)")
    org: _Values = _about("Organization")
    type: _Types = _about("Incident type")
    source: _Values = _about("Source of the report")
    month: _Months = _about("Month, YYYY-MM (of the incident on the incidents page)")

    @model_validator(mode="before")
    @classmethod
    def _known_parameters(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            allowed = tuple(cls.model_fields)
            unknown = sorted(set(data) - set(allowed))
            if unknown:
                raise _error(f"unknown parameter {unknown[0]!r}; this page takes: "
                             f"{', '.join(allowed)}")
        return data

    @model_validator(mode="after")
    def _parse_query(self) -> "_Query":
        if self.q:
            try:
                self._parsed = parse_query(self.q)
            except QueryError as exc:
                raise _error(str(exc)) from None
        return self

    @classmethod
    def single_valued(cls) -> tuple[str, ...]:
        """The parameters given at most once (the facets repeat)."""
        return tuple(name for name in cls.model_fields if name not in FACETS)

    @classmethod
    def check_once(cls, pairs: Iterable[tuple[str, str]]) -> None:
        """A single-valued parameter given twice is refused (the model sees one value)."""
        counts: dict[str, int] = {}
        for key, _ in pairs:
            counts[key] = counts.get(key, 0) + 1
        for name in cls.single_valued():
            if counts.get(name, 0) > 1:
                raise QueryError(f"parameter {name!r} given {counts[name]} times; give it once")

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[str, str]]) -> "_Query":
        """The model from (name, value) pairs, as a request's query string gives them
        (for callers outside a request: the CLI's tests, benchmarks)."""
        pairs = list(pairs)
        cls.check_once(pairs)
        data: dict[str, Any] = {}
        for key, value in pairs:
            if key in FACETS:
                data.setdefault(key, []).append(value)
            else:
                data[key] = value
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise QueryError(message(exc.errors()[0])) from None

    def state(self) -> State:
        facets = {f: list(getattr(self, f)) for f in FACETS if getattr(self, f)}
        match = self._parsed.to_fts5() if self._parsed is not None else None
        extra = {name: getattr(self, name) for name in ("page", "sort", "order", "scope")
                 if name in type(self).model_fields}
        return State(q=self.q, facets=facets, exact=getattr(self, "exact", "0") == "1",
                     filters=Filters(match=match, facets=facets,
                                     query=self._parsed if match else None), **extra)


_Page = Annotated[int, Field(ge=1, le=MAX_PAGE, description="Page of results, from 1"),
                  BeforeValidator(_digits)]  # last: runs first, on the raw string
_Exact = Annotated[Literal["0", "1"], Field(
    description="1: count every match of a very common word (else an estimate)")]
_Sort = Annotated[Literal[INCIDENT_SORTS], Field(  # type: ignore[valid-type]
    description="Column the incidents are sorted by")]
_Order = Annotated[Literal["asc", "desc"], Field(description="Sort order")]


class SearchQuery(_Query):
    """The search page (also the timeline and the map)."""

    page: _Page = 1
    exact: _Exact = "0"


class IncidentsQuery(_Query):
    """The incidents table."""

    page: _Page = 1
    sort: _Sort = "date"
    order: _Order = "desc"


class FacetsQuery(_Query):
    """Facet counts of reports or of incidents."""

    page: _Page = 1
    scope: Annotated[Literal["reports", "incidents"], Field(
        description="Count reports or incidents")] = "reports"
    exact: _Exact = "0"


class ExportQuery(_Query):
    """The download of every filtered incident row (no page)."""

    sort: _Sort = "date"
    order: _Order = "desc"


QUERIES: dict[str, type[_Query]] = {"search": SearchQuery, "incidents": IncidentsQuery,
                                    "facets": FacetsQuery, "export": ExportQuery}

_MESSAGES = {
    "q": lambda e: f"the query is longer than {MAX_QUERY_CHARS} characters",
    "page": lambda e: f"page: expected a number from 1 to {MAX_PAGE}, got {e.get('input')!r}",
    "sort": lambda e: f"sort: use one of {', '.join(INCIDENT_SORTS)}",
    "order": lambda e: "order: use asc or desc",
    "exact": lambda e: "exact: use 1 (count every match) or 0",
    "scope": lambda e: "scope: use reports or incidents",
}


def message(error: Mapping[str, Any]) -> str:
    """The user's one-line message for one pydantic error of a query model (its ``loc``
    may start with FastAPI's ``"query"``)."""
    if error.get("type") == TUMEN_ERROR:
        return str(error.get("msg"))
    loc = [part for part in error.get("loc", ()) if part != "query"]
    name = str(loc[0]) if loc else "query"
    if name in FACETS:
        value = error.get("input")
        if len(loc) == 1:
            return f"{name}: at most {MAX_VALUES_PER_FACET} values"
        if name == "type":
            return (f"type: unknown incident type {value!r}; use one of "
                    f"{', '.join(INCIDENT_TYPES)}")
        if name == "month" and error.get("type") == "string_pattern_mismatch":
            return f"month: {value!r} is not a month (YYYY-MM)"
        return f"{name}: a value is longer than {MAX_VALUE_CHARS} characters"
    if name in _MESSAGES:
        return _MESSAGES[name](error)
    return f"{name}: {error.get('msg', 'invalid')}"


def parse_state(params: Mapping[str, list[str]] | Iterable[tuple[str, str]], kind: str
                ) -> State:
    """The state of a ``kind`` of page (search, incidents, facets, export) from its query
    parameters, validated by that page's model.  ``params`` maps names to lists of
    values, or is a list of pairs."""
    if isinstance(params, Mapping):
        params = [(key, value) for key, values in params.items() for value in values]
    return QUERIES[kind].from_pairs(params).state()
