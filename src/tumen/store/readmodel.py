"""The read model of a store: what the web, the CLI and export read, and (through
``accounts.Accounts``) the small tables the web writes: settings, models, users, the
login limiter, corrections.

``ReadModel`` is mixed into both backends (``SQLiteStore``, ``PostgresStore``).  Its
SQL is written once, with ``?`` placeholders and rows read by position or by name;
each backend runs it through ``_x`` (PostgreSQL rewrites the placeholders) and supplies
what really differs -- full-text matching and snippets, the statement time limit, the
read snapshot, the write lock -- as methods of its own (see "dialect" below).

The derived index (``web_facets``, ``web_facet_totals``, ``web_incidents``) is written
from the **corrected record** (analyzer record + editors' corrections) by
``sync_index``, and ``corrected_record`` reads one report's corrected record: the CLI's
``show`` and ``export`` and the web's report page all read it from here.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import astuple, dataclass, fields
from typing import Any

from tumen.errors import QueryError
from tumen.store.accounts import Accounts, _correction
from tumen.store.queries import (
    FULL_TOTALS_THRESHOLD,
    INCIDENT_COLUMNS,
    INCIDENT_FACETS,
    INCIDENT_SORTS,
    QUERY_TIME_LIMIT_MS,
    SYNC_BATCH,
    Filters,
    _where,
)

_SORT_SQL = {
    "date": "coalesce(date, month) {d}, seq, idx", "type": "type {d}, seq, idx",
    "place": "place IS NULL, place {d}, seq, idx",
    "province": "province IS NULL, province {d}, seq, idx",
    "actor": "actor IS NULL, actor {d}, seq, idx", "penalty": "penalty IS NULL, penalty {d}, seq, idx",
    "report": "published {d}, seq {d}, idx",
}


@dataclass
class IndexedIncident:
    """One row of ``web_incidents``: an incident of a corrected record, with the columns
    the incidents table shows, filters and sorts on (in the table's column order)."""

    seq: int
    idx: int
    report_id: str
    key: str
    type: str
    actor: str | None
    target: str | None
    place: str | None
    province: str | None
    date: str | None
    date_precision: str | None
    month: str | None
    penalty: str | None
    evidence_text: str | None
    evidence_start: int | None
    evidence_end: int | None
    corrected: int
    published: str | None
    source: str | None
    title: str | None


_INCIDENT_INSERT = (f"INSERT INTO web_incidents ({', '.join(f.name for f in fields(IndexedIncident))})"
                    f" VALUES ({', '.join('?' * len(fields(IndexedIncident)))})")


class ReadModel(Accounts):
    """The read model over ``self.conn`` (see the module docstring); the small tables
    the web writes are ``Accounts``'."""

    path: str
    # the backend's driver errors; closing the handle
    DatabaseError: type[BaseException]
    close: Callable[[], None]
    # StoreBase's (every store has both): the analyzer's record as JSON, every record
    get_record: Callable[[str], dict | None]
    iter_records: Callable[[], Iterator[dict]]
    # The temporary table of search_reports' facet counts, as the dialect names it.
    MATCH_TABLE = "temp.web_match"

    # -- dialect: each backend overrides these ------------------------------------------
    def _x(self, sql: str, params: Iterable[Any] = ()) -> Any:
        """Run ``sql`` (``?`` placeholders); a cursor whose rows read by position and name."""
        raise NotImplementedError

    def _xmany(self, sql: str, rows: Iterable[Iterable[Any]]) -> None:
        raise NotImplementedError

    def _run(self, sql: str, params: Iterable[Any] = ()) -> list:
        """All rows of a read under the time limit; a store failure is a ``StoreError``,
        a query the engine refuses a ``QueryError``."""
        raise NotImplementedError

    def _stream(self, sql: str, params: Iterable[Any] = ()) -> Iterator[Any]:
        """Rows of a read as they come (no time limit: exports)."""
        raise NotImplementedError

    def time_limit(self, ms: int = QUERY_TIME_LIMIT_MS) -> AbstractContextManager[None]:
        """Stop any statement that runs past ``ms`` (Datasette's habit): a QueryError."""
        raise NotImplementedError

    def snapshot(self) -> AbstractContextManager[None]:
        """A read transaction whose statements all see one snapshot of the store."""
        raise NotImplementedError

    def _write(self) -> AbstractContextManager[Any]:
        """A write transaction holding the store's write lock."""
        raise NotImplementedError

    def _match_clause(self, filters: Filters) -> tuple[str, Any]:
        """The full-text condition on a ``seq`` column and its parameter."""
        raise NotImplementedError

    def _ranked_page(self, filters: Filters, clauses: list[str], params: list[Any],
                     limit: int, offset: int) -> list[dict[str, Any]]:
        """A page of reports matching ``filters.match`` (and ``clauses[1:]``), best
        first, each with a marked ``snippet``."""
        raise NotImplementedError

    def match_seq_text(self, filters: Filters, limit: int | None = None) -> str:
        """Report seqs matching ``filters.match``, comma-separated (one row: the fastest
        way to move ~50,000 integers into numpy); with ``limit``, only the newest
        (highest seq) ``limit`` of them, highest first."""
        raise NotImplementedError

    # -- one report --------------------------------------------------------------------
    def report_row(self, report_id: str) -> dict[str, Any] | None:
        """The report's metadata and body as the web shows them."""
        row = self._x(
            "SELECT seq, id, title, published, source, url, language, body, status, duplicate_of,"
            " format, ingested_at FROM reports WHERE id = ?", (report_id,)).fetchone()
        return dict(row) if row else None

    def corrected_record(self, report_id: str) -> dict[str, Any] | None:
        """The report's record as the analyzer wrote it with the editors' corrections
        applied (``tumen.store.corrections.apply_corrections``: every incident gains its
        ``key``), or None without a record.  ``tumen show`` and the web read it here."""
        from tumen.store.corrections import apply_corrections

        record = self.get_record(report_id)
        if record is None:
            return None
        return apply_corrections(record, self.get_corrections(report_id))

    def corrected_records(self) -> Iterator[dict[str, Any]]:
        """Every stored record, streamed, a corrected one exactly as ``corrected_record``
        gives it; a record nobody corrected as the analyzer wrote it (``tumen export``)."""
        corrected = self.corrected_report_ids()
        for record in self.iter_records():
            if record.get("id") in corrected:
                record = self.corrected_record(record["id"]) or record
            yield record

    def group_of(self, report_id: str, duplicate_of: str | None) -> list[dict[str, Any]]:
        """Reports in the same near-duplicate group (the original and its copies)."""
        root = duplicate_of or report_id
        rows = self._x(
            "SELECT id, title, published, source FROM reports WHERE (id = ? OR duplicate_of = ?)"
            " AND id != ? ORDER BY seq LIMIT 50", (root, root, report_id)).fetchall()
        return [dict(r) for r in rows]

    # -- the derived index ---------------------------------------------------------------
    def generation(self) -> int:
        """A counter bumped by every sync that changed something (cache key for readers)."""
        return self._x("SELECT value FROM web_state WHERE key = 'generation'").fetchone()[0]

    def ensure_index_version(self, version: int) -> bool:
        """Mark every report dirty when the code that derives the index rows changed."""
        row = self._x("SELECT value FROM web_state WHERE key = 'index_version'").fetchone()
        if row and row[0] == version:
            return False
        with self._write():
            self._x("INSERT INTO web_dirty SELECT id FROM reports WHERE true"
                    " ON CONFLICT DO NOTHING")
            self._x("INSERT INTO web_state VALUES ('index_version', ?)"
                    " ON CONFLICT (key) DO UPDATE SET value = excluded.value", (version,))
        return True

    def dirty_count(self) -> int:
        return self._x("SELECT count(*) FROM web_dirty").fetchone()[0]

    def index_is_current(self) -> bool:
        """True when no report waits for its index rows (one indexed lookup)."""
        return self._x("SELECT 1 FROM web_dirty LIMIT 1").fetchone() is None

    def sync_index(self) -> int:
        """Rebuild the derived rows of every dirty report from its corrected record;
        return how many were rebuilt."""
        total = 0
        if self.index_is_current():
            return 0
        wholesale = self.dirty_count() > FULL_TOTALS_THRESHOLD
        while True:
            with self._write():
                ids = [r[0] for r in self._x("SELECT report_id FROM web_dirty LIMIT ?",
                                             (SYNC_BATCH,))]
                if not ids:
                    break
                self._sync_batch(ids, wholesale)
                total += len(ids)
        if wholesale:
            with self._write():
                self._x("DELETE FROM web_facet_totals")
                self._x("INSERT INTO web_facet_totals SELECT facet, value, count(*)"
                        " FROM web_facets GROUP BY facet, value")
                self._x("UPDATE web_state SET value = value + 1 WHERE key = 'generation'")
        return total

    def _sync_batch(self, ids: list[str], wholesale: bool) -> None:
        from tumen.store.corrections import apply_corrections, index_rows

        touched: set[tuple[str, str]] = set()
        marks = ",".join("?" * len(ids))
        reports = {r["id"]: dict(r) for r in self._x(
            f"SELECT seq, id, title, published, source, url, duplicate_of, status"
            f" FROM reports WHERE id IN ({marks})", ids)}
        records = {r[0]: r[1] for r in self._x(
            f"SELECT report_id, record_json FROM records WHERE report_id IN ({marks})", ids)}
        fixes: dict[str, list[dict[str, Any]]] = {}
        for row in self._x(f"SELECT * FROM corrections WHERE report_id IN ({marks})"
                           f" ORDER BY id", ids):
            fixes.setdefault(row["report_id"], []).append(_correction(row))
        old_seqs = [r[0] for r in self._x(
            f"SELECT DISTINCT seq FROM web_incidents WHERE report_id IN ({marks})", ids)]
        seqs = sorted({rep["seq"] for rep in reports.values()} | set(old_seqs))
        for seq in seqs:
            if not wholesale:
                touched.update((r[0], r[1]) for r in self._x(
                    "SELECT facet, value FROM web_facets WHERE seq = ?", (seq,)))
            self._x("DELETE FROM web_facets WHERE seq = ?", (seq,))
            self._x("DELETE FROM web_incidents WHERE seq = ?", (seq,))
        facet_rows: list[tuple[str, str, int]] = []
        incident_rows: list[IndexedIncident] = []
        for rid, rep in reports.items():
            record = None
            if rid in records:
                record = apply_corrections(json.loads(records[rid]), fixes.get(rid, []))
            facets, incidents = index_rows(rep, record)
            facet_rows += [(f, v, rep["seq"]) for f, v in facets]
            incident_rows += [IndexedIncident(**row) for row in incidents]
        self._xmany("INSERT INTO web_facets VALUES (?, ?, ?) ON CONFLICT DO NOTHING", facet_rows)
        self._xmany(_INCIDENT_INSERT, [astuple(row) for row in incident_rows])
        if not wholesale:
            touched.update((f, v) for f, v, _ in facet_rows)
            for facet, value in touched:
                n = self._x("SELECT count(*) FROM web_facets WHERE facet = ? AND value = ?",
                            (facet, value)).fetchone()[0]
                if n:
                    self._x("INSERT INTO web_facet_totals VALUES (?, ?, ?)"
                            " ON CONFLICT (facet, value) DO UPDATE SET n = excluded.n",
                            (facet, value, n))
                else:
                    self._x("DELETE FROM web_facet_totals WHERE facet = ? AND value = ?",
                            (facet, value))
        self._xmany("DELETE FROM web_dirty WHERE report_id = ?", [(i,) for i in ids])
        self._x("UPDATE web_state SET value = value + 1 WHERE key = 'generation'")

    # -- search with facets --------------------------------------------------------------
    def _report_clauses(self, filters: Filters, incident_level: bool = False
                        ) -> tuple[list[str], list[Any]]:
        match = self._match_clause(filters) if filters.match else None
        return filters.report_clauses(match, incident_level=incident_level)

    def _incident_clauses(self, filters: Filters) -> tuple[list[str], list[Any]]:
        return filters.incident_clauses(self._match_clause(filters) if filters.match else None)

    def search_reports(self, filters: Filters, limit: int, offset: int) -> list[dict[str, Any]]:
        """A page of reports, best match first (snippets marked), or newest first
        without a query."""
        clauses, params = self._report_clauses(filters)
        if filters.match:
            return self._ranked_page(filters, clauses, params, limit, offset)
        sql = ("SELECT seq, id, title, published, source, url, status, duplicate_of,"
               " substr(body, 1, 240) AS snippet FROM reports" + _where(clauses) +
               " ORDER BY published IS NULL, published DESC, seq DESC LIMIT ? OFFSET ?")
        return [dict(r) for r in self._run(sql, params + [limit, offset])]

    def count_reports(self, filters: Filters) -> int:
        if filters.empty:
            return self._run("SELECT count(*) FROM reports")[0][0]
        clauses, params = self._report_clauses(filters)
        return self._run("SELECT count(*) FROM reports" + _where(clauses), params)[0][0]

    def report_facet_counts(self, filters: Filters) -> list[tuple[str, str, int]]:
        """(facet, value, reports) over the reports that ``filters`` selects."""
        if filters.empty:
            return [tuple(r) for r in self._run("SELECT facet, value, n FROM web_facet_totals")]
        clauses, params = self._report_clauses(filters)
        table = self.MATCH_TABLE
        with self.time_limit():
            self._x("CREATE TEMP TABLE IF NOT EXISTS web_match (seq INTEGER PRIMARY KEY)")
            self._x(f"DELETE FROM {table}")
        try:
            self._run(f"INSERT INTO {table} SELECT seq FROM reports" + _where(clauses), params)
            rows = self._run(f"SELECT f.facet, f.value, count(*) FROM {table} m"
                             " JOIN web_facets f ON f.seq = m.seq GROUP BY f.facet, f.value")
        finally:
            self._x(f"DELETE FROM {table}")
        return [tuple(r) for r in rows]

    # -- incidents (of the corrected records) ----------------------------------------
    def _incidents_sql(self, filters: Filters, sort: str, descending: bool
                       ) -> tuple[str, list[Any]]:
        if sort not in _SORT_SQL:
            raise QueryError(f"cannot sort by {sort!r}: use one of {', '.join(INCIDENT_SORTS)}")
        clauses, params = self._incident_clauses(filters)
        order = _SORT_SQL[sort].format(d="DESC" if descending else "ASC")
        return (f"SELECT {', '.join(INCIDENT_COLUMNS)} FROM web_incidents" + _where(clauses)
                + f" ORDER BY {order}"), params

    def list_incidents(self, filters: Filters, sort: str = "date", descending: bool = True,
                       limit: int | None = 100, offset: int = 0) -> list[dict[str, Any]]:
        sql, params = self._incidents_sql(filters, sort, descending)
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params = params + [limit, offset]
        return [dict(r) for r in self._run(sql, params)]

    def iter_incidents(self, filters: Filters, sort: str = "date", descending: bool = True
                       ) -> Iterator[dict[str, Any]]:
        """Every selected incident, streamed (exports); no time limit."""
        sql, params = self._incidents_sql(filters, sort, descending)
        for row in self._stream(sql, params):
            yield dict(zip(INCIDENT_COLUMNS, row))

    def count_incidents(self, filters: Filters) -> int:
        clauses, params = self._incident_clauses(filters)
        return self._run("SELECT count(*) FROM web_incidents" + _where(clauses), params)[0][0]

    def fresh_index(self) -> None:
        """Bring the derived index up to date before reading it (a read-only handle
        reads it as it is)."""
        if not getattr(self, "readonly", False):
            self.sync_index()

    def incident_type_counts(self) -> dict[str, int]:
        """Incidents per type over the corrected records, most frequent first: the
        analyzer's counts, with each corrected report's incidents replaced by those of
        its corrected record (no write: a read-only handle counts the same)."""
        counts: Counter[str] = Counter(
            {r[0]: r[1] for r in self._x("SELECT type, count(*) FROM incidents GROUP BY type")})
        for rid in sorted(self.corrected_report_ids()):
            record = self.get_record(rid)
            if record is None:
                continue
            counts.subtract(i["type"] for i in record.get("incidents") or [])
            corrected = self.corrected_record(rid) or {}
            counts.update(i["type"] for i in corrected.get("incidents") or [])
        return {t: n for t, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if n > 0}

    def incident_facet_counts(self, filters: Filters) -> list[tuple[str, str, int]]:
        """(facet, value, incidents) over the incidents that ``filters`` selects."""
        clauses, params = self._incident_clauses(filters)
        where = _where(clauses)
        out: list[tuple[str, str, int]] = []
        for facet, column in INCIDENT_FACETS.items():
            rows = self._run(f"SELECT {column}, count(*) FROM web_incidents{where}"
                             f"{' AND' if where else ' WHERE'} {column} IS NOT NULL"
                             f" GROUP BY {column}", params)
            out += [(facet, r[0], r[1]) for r in rows]
        rows = self._run("SELECT f.facet, f.value, count(*) FROM (SELECT seq FROM web_incidents"
                         + where + ") i JOIN web_facets f ON f.seq = i.seq"
                         " AND f.facet IN ('tag', 'org', 'source') GROUP BY f.facet, f.value",
                         params)
        out += [tuple(r) for r in rows]
        return out

    def timeline_counts(self, filters: Filters) -> list[dict[str, Any]]:
        clauses, params = self._incident_clauses(filters)
        clauses = clauses + ["month IS NOT NULL"]
        rows = self._run("SELECT month, type, count(*) AS n FROM web_incidents" + _where(clauses)
                         + " GROUP BY month, type ORDER BY month", params)
        return [dict(r) for r in rows]

    def _counts_by(self, column: str, filters: Filters) -> dict[str, int]:
        clauses, params = self._incident_clauses(filters)
        rows = self._run(f"SELECT {column}, count(*) FROM web_incidents"
                         + _where(clauses + [f"{column} IS NOT NULL"]) + f" GROUP BY {column}",
                         params)
        return {r[0]: r[1] for r in rows}

    def province_counts(self, filters: Filters) -> dict[str, int]:
        return self._counts_by("province", filters)

    def place_counts(self, filters: Filters) -> dict[str, int]:
        return self._counts_by("place", filters)

    # -- bulk reads for the web's in-memory facet index ----------------------------------
    def facet_groups(self) -> list[tuple[str, str, int]]:
        """(facet, value, rows) in primary-key order: the group sizes of ``facet_seqs``."""
        return [tuple(r) for r in self._x(
            "SELECT facet, value, count(*) FROM web_facets GROUP BY facet, value ORDER BY facet, value")]

    def facet_seqs(self) -> Iterator[int]:
        """Every web_facets seq in primary-key order (facet, value, seq)."""
        for row in self._x("SELECT seq FROM web_facets ORDER BY facet, value, seq"):
            yield row[0]

    def max_seq(self) -> int:
        return self._x("SELECT coalesce(max(seq), 0) FROM reports").fetchone()[0]

    def report_seqs(self) -> Iterator[int]:
        for row in self._x("SELECT seq FROM reports"):
            yield row[0]

    def newest_seqs(self) -> Iterator[int]:
        """Every report seq, newest publication first (the search page's date order)."""
        for row in self._x("SELECT seq FROM reports"
                           " ORDER BY published IS NULL, published DESC, seq DESC"):
            yield row[0]

    def reports_by_seqs(self, seqs: list[int]) -> list[dict[str, Any]]:
        """Reports with these seqs, in this order, bodies included."""
        if not seqs:
            return []
        marks = ",".join("?" * len(seqs))
        rows = self._run("SELECT seq, id, title, published, source, url, status, duplicate_of,"
                         f" body FROM reports WHERE seq IN ({marks})", list(seqs))
        by_seq = {r["seq"]: dict(r) for r in rows}
        return [by_seq[s] for s in seqs if s in by_seq]


__all__ = ["IndexedIncident", "ReadModel"]
