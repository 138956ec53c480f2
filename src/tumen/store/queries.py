"""The web's search filters, the read model's constants and the web tables' migrations.

The read model itself (search with snippets and facets, the corrected record, the
derived index, incidents, users, settings, corrections) is ``store/readmodel.py``, one
set of methods on every store; this module holds what callers build queries from:
``Filters`` (a validated full-text match and facet selection) and the names of facets,
incident columns and sorts.

The derived index, kept next to the analysis tables:

* ``web_facets(facet, value, seq)`` -- one row per (report, facet value), the facets
  being tag, province, place, org, type, source and month.
* ``web_facet_totals`` -- the counts of the whole store, so the landing search page
  (no query, no filter) reads ~1 row per value instead of grouping every report.
* ``web_incidents`` -- every incident with its corrections applied, one row each,
  with the columns the incidents table shows, filters and sorts on.

Triggers mark a report dirty (``web_dirty``) whenever its report row, its record or
its corrections change; ``Store.sync_index`` rebuilds the derived rows of dirty reports
from their corrected records.  The index is therefore never ahead of nor silently
behind the record tables, and it survives re-analysis because corrections are
re-applied on every rebuild.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tumen.store.schema import ACCOUNT_TABLES, corrections_table, web_index_tables
from tumen.store.schema import SQLITE_DIALECT as SQLITE

FACETS = ("tag", "province", "place", "org", "type", "source", "month")
# Facets that describe an incident itself (the rest describe its report).
INCIDENT_FACETS = {"type": "type", "province": "province", "place": "place", "month": "month"}
INCIDENT_SORTS = ("date", "type", "place", "province", "actor", "penalty", "report")
QUERY_TIME_LIMIT_MS = 2000  # a single web query longer than this is stopped (400 to the user)
SYNC_BATCH = 500  # reports rebuilt per transaction by sync_index
FULL_TOTALS_THRESHOLD = 2000  # above this many dirty reports, recount totals wholesale

# New migrations for the store's list (appended in store/migrations.py).
# (The tables are in schema.py, shared with pg_schema.py; the triggers are SQLite's.)
WEB_MIGRATIONS_SQL: list[tuple[str, str]] = [
    ("web_0001_accounts", ACCOUNT_TABLES),
    ("web_0002_corrections", corrections_table(SQLITE)),
    ("web_0003_index", web_index_tables(SQLITE) + """
CREATE TRIGGER web_reports_ai AFTER INSERT ON reports BEGIN
    INSERT OR IGNORE INTO web_dirty VALUES (new.id); END;
CREATE TRIGGER web_reports_au AFTER UPDATE OF title, published, source, duplicate_of ON reports
    BEGIN INSERT OR IGNORE INTO web_dirty VALUES (new.id); END;
CREATE TRIGGER web_reports_ad AFTER DELETE ON reports BEGIN
    INSERT OR IGNORE INTO web_dirty VALUES (old.id); END;
CREATE TRIGGER web_records_ai AFTER INSERT ON records BEGIN
    INSERT OR IGNORE INTO web_dirty VALUES (new.report_id); END;
CREATE TRIGGER web_records_au AFTER UPDATE ON records BEGIN
    INSERT OR IGNORE INTO web_dirty VALUES (new.report_id); END;
CREATE TRIGGER web_records_ad AFTER DELETE ON records BEGIN
    INSERT OR IGNORE INTO web_dirty VALUES (old.report_id); END;
CREATE TRIGGER web_corrections_ai AFTER INSERT ON corrections BEGIN
    INSERT OR IGNORE INTO web_dirty VALUES (new.report_id); END;
CREATE TRIGGER web_corrections_ad AFTER DELETE ON corrections BEGIN
    INSERT OR IGNORE INTO web_dirty VALUES (old.report_id); END;
INSERT OR IGNORE INTO web_dirty SELECT id FROM reports;
"""),
]


def is_postgres_url(path: str) -> bool:
    return str(path).startswith(("postgres://", "postgresql://"))


SNIPPET_OPEN, SNIPPET_CLOSE = "\x02", "\x03"  # hit markers, split out by the view

# Columns of an incident row as the read model returns it.
INCIDENT_COLUMNS = ("report_id", "idx", "key", "type", "date", "date_precision", "place", "province",
                    "actor", "target", "penalty", "evidence_text", "evidence_start",
                    "evidence_end", "corrected", "published", "source", "title", "month")


# -- filters ---------------------------------------------------------------------
@dataclass
class Filters:
    """A validated filter: an FTS5 match expression and selected facet values (AND)."""

    match: str | None = None  # FTS5 expression (already translated from the user's query)
    facets: dict[str, list[str]] = field(default_factory=dict)
    # The parsed query (``search.parse_query``) behind ``match``: PostgreSQL renders it
    # as a tsquery (``pg_search.to_tsquery_text``).  Not part of equality / cache keys.
    query: Any = field(default=None, compare=False, repr=False)

    def tsquery(self) -> str:
        """``match`` as ``to_tsquery`` input (PostgreSQL stores)."""
        from tumen.store.pg_search import to_tsquery_text

        if self.query is None:
            from tumen.store.search import parse_query

            self.query = parse_query(self.match or "")
        return to_tsquery_text(self.query)

    def report_clauses(self, match: tuple[str, Any] | None, incident_level: bool = False
                       ) -> tuple[list[str], list[Any]]:
        """WHERE clauses on a ``seq`` column: ``match`` (the store dialect's full-text
        condition and its parameter, when there is a query), then the facets;
        incident-level facets are left out when ``incident_level`` (they filter
        ``web_incidents`` columns instead)."""
        clauses, params = [], []
        if match is not None:
            clauses.append(match[0])
            params.append(match[1])
        for facet in FACETS:
            if incident_level and facet in INCIDENT_FACETS:
                continue
            for value in self.facets.get(facet, []):
                clauses.append("seq IN (SELECT seq FROM web_facets WHERE facet = ? AND value = ?)")
                params += [facet, value]
        return clauses, params

    def incident_clauses(self, match: tuple[str, Any] | None) -> tuple[list[str], list[Any]]:
        clauses, params = self.report_clauses(match, incident_level=True)
        for facet, column in INCIDENT_FACETS.items():
            for value in self.facets.get(facet, []):
                clauses.append(f"{column} = ?")
                params.append(value)
        return clauses, params

    @property
    def empty(self) -> bool:
        return not self.match and not any(self.facets.values())


def _where(clauses: list[str]) -> str:
    return (" WHERE " + " AND ".join(clauses)) if clauses else ""


