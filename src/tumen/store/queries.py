"""Read-side queries for the web app, plus the users and corrections tables.

The analysis tables (``records``, ``incidents`` ...) hold what the analyzer wrote.
The web reads a derived, corrected index kept next to them:

* ``web_facets(facet, value, seq)`` -- one row per (report, facet value), the facets
  being tag, province, place, org, type, source and month (see ``report_facets``).
* ``web_facet_totals`` -- the counts of the whole store, so the landing search page
  (no query, no filter) reads ~1 row per value instead of grouping every report.
* ``web_incidents`` -- every incident with its corrections applied, one row each,
  with the columns the incidents table shows, filters and sorts on.

Triggers mark a report dirty (``web_dirty``) whenever its report row, its record or
its corrections change; ``sync_index`` rebuilds the derived rows of dirty reports.
The index is therefore never ahead of nor silently behind the record tables, and it
survives re-analysis because corrections are re-applied on every rebuild.

Every function takes a connection made by ``connect``: a ``sqlite3.Connection`` with
the settings the web needs, or for a ``postgresql://`` store a ``pg_web.PgConnection``
(the same surface over psycopg).  The SQL is shared wherever the two dialects agree
(``?`` placeholders are rewritten for psycopg, upserts are ``INSERT ... ON CONFLICT``,
new ids come back by ``RETURNING``); the rest -- full-text matching and snippets (the
store's ``tsvector`` and ``to_tsquery`` from ``pg_search``), the statement time limit
and ``BEGIN IMMEDIATE`` -- branch on ``_pg(conn)``.  This module is the only web code
that speaks SQL.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from tumen.errors import QueryError, StoreError
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


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


# -- connections -----------------------------------------------------------------
def is_postgres_url(path: str) -> bool:
    return str(path).startswith(("postgres://", "postgresql://"))


def _pg(conn: Any) -> bool:
    return getattr(conn, "dialect", "sqlite") == "postgres"


def _pg_errors() -> Any:
    import psycopg

    return psycopg.errors


def connect(path: str) -> sqlite3.Connection:
    """A connection for the web: rows as sqlite3.Row, WAL, waits on a busy writer.
    A ``postgresql://`` URL gives a ``pg_web.PgConnection`` (autocommit, same rows)."""
    if is_postgres_url(path):
        from tumen.store.pg_web import PgConnection

        return PgConnection(path)  # type: ignore[return-value]
    if str(path).startswith("sqlite:///"):
        path = str(path)[len("sqlite:///"):]
    try:
        conn = sqlite3.connect(path, timeout=10, check_same_thread=False,
                               isolation_level=None)
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: cannot open the store: {exc}") from exc
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout = 10000")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute("PRAGMA cache_size = -65536")  # 64 MiB page cache per connection
    return conn


@contextmanager
def time_limit(conn: sqlite3.Connection, ms: int = QUERY_TIME_LIMIT_MS) -> Iterator[None]:
    """Interrupt any statement of ``conn`` that runs past ``ms`` (Datasette's habit)."""
    if _pg(conn):
        with _pg_time_limit(conn, ms):
            yield
        return
    deadline = time.monotonic() + ms / 1000
    conn.set_progress_handler(lambda: 1 if time.monotonic() > deadline else 0, 5000)
    try:
        yield
    except sqlite3.OperationalError as exc:
        if "interrupted" in str(exc):
            raise QueryError(f"the query took longer than {ms} ms; narrow it down") from exc
        raise
    finally:
        conn.set_progress_handler(None, 0)


@contextmanager
def _pg_time_limit(conn: Any, ms: int) -> Iterator[None]:
    """PostgreSQL's own limit: ``statement_timeout`` for the statements inside."""
    errors = _pg_errors()
    conn.execute(f"SET statement_timeout = {int(ms)}")
    try:
        yield
    except errors.QueryCanceled as exc:
        raise QueryError(f"the query took longer than {ms} ms; narrow it down") from exc
    finally:
        conn.execute("SET statement_timeout = 0")


def begin_snapshot(conn: sqlite3.Connection) -> None:
    """Start a read transaction whose statements all see one snapshot."""
    conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" if _pg(conn) else "BEGIN")


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    if _pg(conn):
        # The store's write lock, as BEGIN IMMEDIATE takes SQLite's: index syncs, web
        # writes and ingest/analysis batches run one at a time, so a sync never reads a
        # record that a concurrent batch is replacing and then clears its dirty mark.
        from tumen.store.postgres import WRITE_LOCK

        conn.execute("BEGIN")
        try:
            conn.execute("SELECT pg_advisory_xact_lock(?)", (WRITE_LOCK,))
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    else:
        conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if _pg(conn) or conn.in_transaction:  # disk full may have rolled SQLite back already
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass  # keep the first error
        raise
    conn.execute("COMMIT")


# -- settings and users ----------------------------------------------------------
def get_setting(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM web_settings WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def set_setting_default(conn: sqlite3.Connection, key: str, value: str) -> str:
    """Store ``value`` under ``key`` unless one is there; return the stored value."""
    conn.execute("INSERT INTO web_settings VALUES (?, ?) ON CONFLICT DO NOTHING", (key, value))
    return get_setting(conn, key) or value


def put_setting(conn: sqlite3.Connection, key: str, value: str) -> None:
    """Store ``value`` under ``key``, replacing any previous value."""
    conn.execute("INSERT INTO web_settings VALUES (?, ?) ON CONFLICT (key) DO UPDATE"
                 " SET value = excluded.value", (key, value))


def delete_setting(conn: sqlite3.Connection, key: str) -> None:
    conn.execute("DELETE FROM web_settings WHERE key = ?", (key,))


def add_user(conn: sqlite3.Connection, name: str, role: str, password_hash: str) -> None:
    try:
        conn.execute("INSERT INTO users VALUES (?, ?, ?, ?)", (name, role, password_hash, _now()))
    except sqlite3.IntegrityError as exc:
        raise StoreError(f"user {name!r} already exists") from exc
    except Exception as exc:
        if _pg(conn) and isinstance(exc, _pg_errors().UniqueViolation):
            raise StoreError(f"user {name!r} already exists") from exc
        raise


def set_user(conn: sqlite3.Connection, name: str, role: str | None = None,
             password_hash: str | None = None) -> bool:
    if role:
        conn.execute("UPDATE users SET role = ? WHERE name = ?", (role, name))
    if password_hash:
        conn.execute("UPDATE users SET password_hash = ? WHERE name = ?", (password_hash, name))
    return get_user(conn, name) is not None


def get_user(conn: sqlite3.Connection, name: str) -> dict[str, Any] | None:
    row = conn.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchone()
    return dict(row) if row else None


def list_users(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    return [{"name": r["name"], "role": r["role"], "created_at": r["created_at"]}
            for r in conn.execute("SELECT * FROM users ORDER BY name")]


def remove_user(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("DELETE FROM users WHERE name = ?", (name,)).rowcount > 0


def count_users(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM users").fetchone()[0]


def login_failures(conn: sqlite3.Connection, key: str, since: float) -> list[float]:
    """Times (Unix seconds, ascending) of ``key``'s failed logins after ``since``."""
    return [row[0] for row in conn.execute(
        "SELECT at FROM login_failures WHERE key = ? AND at > ? ORDER BY at", (key, since))]


def add_login_failure(conn: sqlite3.Connection, keys: Iterable[str], at: float, forget_before: float) -> None:
    """Record a failed login at ``at`` under each key; forget failures at or before
    ``forget_before`` (they have left every window)."""
    conn.executemany("INSERT INTO login_failures VALUES (?, ?)", [(key, at) for key in keys])
    conn.execute("DELETE FROM login_failures WHERE at <= ?", (forget_before,))


# -- corrections -----------------------------------------------------------------
def add_correction(conn: sqlite3.Connection, report_id: str, action: str, target: str | None,
                   changes: dict[str, Any], author: str) -> int:
    cur = conn.execute(
        "INSERT INTO corrections (report_id, action, target, changes_json, author, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
        (report_id, action, target, json.dumps(changes, ensure_ascii=False), author, _now()))
    return int(cur.fetchone()[0])


def get_corrections(conn: sqlite3.Connection, report_id: str) -> list[dict[str, Any]]:
    rows = conn.execute("SELECT * FROM corrections WHERE report_id = ? ORDER BY id",
                        (report_id,)).fetchall()
    return [{"id": r["id"], "report_id": r["report_id"], "action": r["action"],
             "target": r["target"], "changes": json.loads(r["changes_json"]),
             "author": r["author"], "created_at": r["created_at"]} for r in rows]


def tag_corrections(conn: sqlite3.Connection) -> dict[str, list[str]]:
    """Report id -> the tag line of its latest ``tags`` correction (editors' fixes)."""
    rows = conn.execute("SELECT report_id, changes_json FROM corrections WHERE action = 'tags'"
                        " ORDER BY id").fetchall()
    return {r[0]: list(json.loads(r[1]).get("tags") or []) for r in rows}


# -- reports ---------------------------------------------------------------------
def get_report_row(conn: sqlite3.Connection, report_id: str) -> dict[str, Any] | None:
    row = conn.execute(
        "SELECT seq, id, title, published, source, url, language, body, status, duplicate_of,"
        " format, ingested_at FROM reports WHERE id = ?", (report_id,)).fetchone()
    return dict(row) if row else None


def get_record_json(conn: sqlite3.Connection, report_id: str) -> dict[str, Any] | None:
    row = conn.execute("SELECT c.record_json, r.duplicate_of FROM records c JOIN reports r ON r.id = c.report_id "
                       "WHERE c.report_id = ?", (report_id,)).fetchone()
    if row is None:
        return None
    record = json.loads(row[0])
    record["duplicate_of"] = row[1]  # stored once, in reports.duplicate_of
    return record


def near_duplicates(conn: sqlite3.Connection, report_id: str, duplicate_of: str | None
                    ) -> list[dict[str, Any]]:
    """Reports in the same near-duplicate group (the original and its copies)."""
    root = duplicate_of or report_id
    rows = conn.execute(
        "SELECT id, title, published, source FROM reports WHERE (id = ? OR duplicate_of = ?)"
        " AND id != ? ORDER BY seq LIMIT 50", (root, root, report_id)).fetchall()
    return [dict(r) for r in rows]


# -- the derived index -----------------------------------------------------------
def generation(conn: sqlite3.Connection) -> int:
    """A counter bumped by every sync that changed something (cache key for readers)."""
    return conn.execute("SELECT value FROM web_state WHERE key = 'generation'").fetchone()[0]


def ensure_index_version(conn: sqlite3.Connection, version: int) -> bool:
    """Mark every report dirty when the code that derives the index rows changed."""
    row = conn.execute("SELECT value FROM web_state WHERE key = 'index_version'").fetchone()
    if row and row[0] == version:
        return False
    with transaction(conn):
        conn.execute("INSERT INTO web_dirty SELECT id FROM reports WHERE true"
                     " ON CONFLICT DO NOTHING")
        conn.execute("INSERT INTO web_state VALUES ('index_version', ?)"
                     " ON CONFLICT (key) DO UPDATE SET value = excluded.value", (version,))
    return True


def dirty_count(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT count(*) FROM web_dirty").fetchone()[0]


def sync_index(conn: sqlite3.Connection, build: Any) -> int:
    """Rebuild the derived rows of every dirty report; return how many were rebuilt.

    ``build(report_row, record, corrections) -> (facets, incidents)`` is supplied by the
    caller (``tumen.store.corrections.index_rows``) so that this module holds only SQL.
    """
    total = 0
    if not conn.execute("SELECT 1 FROM web_dirty LIMIT 1").fetchone():
        return 0
    wholesale = dirty_count(conn) > FULL_TOTALS_THRESHOLD
    while True:
        with transaction(conn):
            ids = [r[0] for r in conn.execute("SELECT report_id FROM web_dirty LIMIT ?",
                                              (SYNC_BATCH,))]
            if not ids:
                break
            touched: set[tuple[str, str]] = set()
            marks = ",".join("?" * len(ids))
            reports = {r["id"]: dict(r) for r in conn.execute(
                f"SELECT seq, id, title, published, source, url, duplicate_of, status"
                f" FROM reports WHERE id IN ({marks})", ids)}
            records = {r[0]: r[1] for r in conn.execute(
                f"SELECT report_id, record_json FROM records WHERE report_id IN ({marks})", ids)}
            fixes: dict[str, list[dict[str, Any]]] = {}
            for row in conn.execute(f"SELECT * FROM corrections WHERE report_id IN ({marks})"
                                    f" ORDER BY id", ids):
                fixes.setdefault(row["report_id"], []).append(
                    {"id": row["id"], "action": row["action"], "target": row["target"],
                     "changes": json.loads(row["changes_json"]), "author": row["author"],
                     "created_at": row["created_at"]})
            old_seqs = [r[0] for r in conn.execute(
                f"SELECT DISTINCT seq FROM web_incidents WHERE report_id IN ({marks})", ids)]
            seqs = sorted({rep["seq"] for rep in reports.values()} | set(old_seqs))
            for seq in seqs:
                if not wholesale:
                    touched.update((r[0], r[1]) for r in conn.execute(
                        "SELECT facet, value FROM web_facets WHERE seq = ?", (seq,)))
                conn.execute("DELETE FROM web_facets WHERE seq = ?", (seq,))
                conn.execute("DELETE FROM web_incidents WHERE seq = ?", (seq,))
            facet_rows: list[tuple[str, str, int]] = []
            incident_rows: list[tuple] = []
            for rid, rep in reports.items():
                record = json.loads(records[rid]) if rid in records else None
                facets, incidents = build(rep, record, fixes.get(rid, []))
                facet_rows += [(f, v, rep["seq"]) for f, v in facets]
                incident_rows += incidents
            conn.executemany("INSERT INTO web_facets VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                             facet_rows)
            conn.executemany(
                "INSERT INTO web_incidents VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                incident_rows)
            if not wholesale:
                touched.update((f, v) for f, v, _ in facet_rows)
                for facet, value in touched:
                    n = conn.execute("SELECT count(*) FROM web_facets WHERE facet = ? AND value = ?",
                                     (facet, value)).fetchone()[0]
                    if n:
                        conn.execute("INSERT INTO web_facet_totals VALUES (?, ?, ?)"
                                     " ON CONFLICT (facet, value) DO UPDATE SET n = excluded.n",
                                     (facet, value, n))
                    else:
                        conn.execute("DELETE FROM web_facet_totals WHERE facet = ? AND value = ?",
                                     (facet, value))
            conn.executemany("DELETE FROM web_dirty WHERE report_id = ?", [(i,) for i in ids])
            conn.execute("UPDATE web_state SET value = value + 1 WHERE key = 'generation'")
            total += len(ids)
    if wholesale:
        with transaction(conn):
            conn.execute("DELETE FROM web_facet_totals")
            conn.execute("INSERT INTO web_facet_totals SELECT facet, value, count(*)"
                         " FROM web_facets GROUP BY facet, value")
            conn.execute("UPDATE web_state SET value = value + 1 WHERE key = 'generation'")
    return total


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

    def match_clause(self, postgres: bool = False) -> tuple[str, Any]:
        """The full-text condition on a ``seq`` column and its parameter."""
        if postgres:
            from tumen.store.pg_schema import TS_CONFIG

            return (f"seq IN (SELECT seq FROM reports_fts WHERE tsv @@ to_tsquery('{TS_CONFIG}', ?))",
                    self.tsquery())
        return "seq IN (SELECT rowid FROM reports_fts WHERE reports_fts MATCH ?)", self.match

    def report_clauses(self, incident_level: bool = False, postgres: bool = False
                       ) -> tuple[list[str], list[Any]]:
        """WHERE clauses on a ``seq`` column; incident-level facets are left out when
        ``incident_level`` (they filter ``web_incidents`` columns instead)."""
        clauses, params = [], []
        if self.match:
            clause, param = self.match_clause(postgres)
            clauses.append(clause)
            params.append(param)
        for facet in FACETS:
            if incident_level and facet in INCIDENT_FACETS:
                continue
            for value in self.facets.get(facet, []):
                clauses.append("seq IN (SELECT seq FROM web_facets WHERE facet = ? AND value = ?)")
                params += [facet, value]
        return clauses, params

    def incident_clauses(self, postgres: bool = False) -> tuple[list[str], list[Any]]:
        clauses, params = self.report_clauses(incident_level=True, postgres=postgres)
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


def _run(conn: sqlite3.Connection, sql: str, params: list[Any] | tuple = ()) -> list[sqlite3.Row]:
    if _pg(conn):
        return _pg_run(conn, sql, params)
    try:
        with time_limit(conn):
            return conn.execute(sql, params).fetchall()
    except sqlite3.OperationalError as exc:
        message = str(exc)
        if "locked" in message or "no such table" in message or "disk" in message:
            raise StoreError(f"the store cannot answer now: {message}") from exc
        raise QueryError(f"bad search query: {message}") from exc


def _pg_run(conn: Any, sql: str, params: list[Any] | tuple = ()) -> list:
    errors = _pg_errors()
    try:
        with time_limit(conn):
            return conn.execute(sql, params).fetchall()
    except (errors.OperationalError, errors.UndefinedTable) as exc:
        if isinstance(exc, errors.QueryCanceled):
            raise
        raise StoreError(f"the store cannot answer now: {' '.join(str(exc).split())}") from exc
    except errors.Error as exc:
        raise QueryError(f"bad search query: {' '.join(str(exc).split())}") from exc


# -- reports search --------------------------------------------------------------
SNIPPET_OPEN, SNIPPET_CLOSE = "\x02", "\x03"  # hit markers, split out by the view


def search_reports(conn: sqlite3.Connection, filters: Filters, limit: int, offset: int
                   ) -> list[dict[str, Any]]:
    """A page of reports, best match first, or newest first without a query."""
    clauses, params = filters.report_clauses(postgres=_pg(conn))
    if filters.match and _pg(conn):
        return _pg_search_reports(conn, clauses, params, limit, offset)
    if filters.match:
        # Rank first, mark after: in one SELECT, SQLite computes snippet() for every
        # match before sorting (up to RANK_MAX_MATCHES bodies); here only the page's
        # 20 are marked, each by a MATCH on its rowid, which FTS5 seeks to (a second
        # MATCH pass filtered by rowid re-read whole doclists: 38 -> 2 ms for a phrase
        # of two common words at 1,000,000 reports).
        inner = clauses[1:]
        join = " JOIN reports r ON r.seq = reports_fts.rowid" if inner else ""
        top = _run(conn, "SELECT reports_fts.rowid FROM reports_fts" + join +
                   " WHERE reports_fts MATCH ?" + "".join(" AND r." + c for c in inner) +
                   " ORDER BY reports_fts.rank, reports_fts.rowid LIMIT ? OFFSET ?",
                   [params[0]] + params[1:] + [limit, offset])
        rows = []
        for (seq,) in top:
            rows += _run(conn, "SELECT r.seq, r.id, r.title, r.published, r.source, r.url,"
                         " r.status, r.duplicate_of, snippet(reports_fts, 1,"
                         f" '{SNIPPET_OPEN}', '{SNIPPET_CLOSE}', '…', 32) AS snippet"
                         " FROM reports_fts JOIN reports r ON r.seq = reports_fts.rowid"
                         " WHERE reports_fts MATCH ? AND reports_fts.rowid = ?", [params[0], seq])
    else:
        sql = ("SELECT seq, id, title, published, source, url, status, duplicate_of,"
               " substr(body, 1, 240) AS snippet FROM reports" + _where(clauses) +
               " ORDER BY published IS NULL, published DESC, seq DESC LIMIT ? OFFSET ?")
        rows = _run(conn, sql, params + [limit, offset])
    return [dict(r) for r in rows]


def _pg_search_reports(conn: Any, clauses: list[str], params: list[Any], limit: int,
                       offset: int) -> list[dict[str, Any]]:
    """search_reports on PostgreSQL: ranked by the store's ts_rank weights, snippets by
    ts_headline (computed for the page only)."""
    from tumen.store.pg_schema import TS_CONFIG
    from tumen.store.pg_search import RANK_WEIGHTS
    from tumen.store.sqlite_search import SNIPPET_TOKENS

    options = (f'StartSel="{SNIPPET_OPEN}", StopSel="{SNIPPET_CLOSE}", '
               f'MaxWords={SNIPPET_TOKENS}, MinWords={SNIPPET_TOKENS // 2}, ShortWord=0')
    sql = (f"WITH q AS (SELECT to_tsquery('{TS_CONFIG}', ?) AS tsq),"
           " hits AS (SELECT r.seq, r.id, r.title, r.published, r.source, r.url, r.status,"
           f" r.duplicate_of, r.body, ts_rank('{RANK_WEIGHTS}', f.tsv, q.tsq) AS rank"
           " FROM reports_fts f JOIN reports r ON r.seq = f.seq, q WHERE f.tsv @@ q.tsq"
           + "".join(" AND r." + c for c in clauses[1:]) +
           " ORDER BY rank DESC, r.seq LIMIT ? OFFSET ?)"
           " SELECT h.seq, h.id, h.title, h.published, h.source, h.url, h.status,"
           f" h.duplicate_of, ts_headline('{TS_CONFIG}', h.body, q.tsq, ?) AS snippet"
           " FROM hits h, q ORDER BY h.rank DESC, h.seq")
    rows = _run(conn, sql, [params[0]] + params[1:] + [limit, offset, options])
    return [dict(r) for r in rows]


def count_reports(conn: sqlite3.Connection, filters: Filters) -> int:
    if filters.empty:
        return _run(conn, "SELECT count(*) FROM reports")[0][0]
    clauses, params = filters.report_clauses(postgres=_pg(conn))
    if filters.match and len(clauses) == 1 and not _pg(conn):
        return _run(conn, "SELECT count(*) FROM reports_fts WHERE reports_fts MATCH ?",
                    params)[0][0]
    return _run(conn, "SELECT count(*) FROM reports" + _where(clauses), params)[0][0]


def report_facet_counts(conn: sqlite3.Connection, filters: Filters
                        ) -> list[tuple[str, str, int]]:
    """(facet, value, reports) over the reports that ``filters`` selects."""
    if filters.empty:
        return [tuple(r) for r in _run(conn, "SELECT facet, value, n FROM web_facet_totals")]
    clauses, params = filters.report_clauses(postgres=_pg(conn))
    match_table = "pg_temp.web_match" if _pg(conn) else "temp.web_match"
    with time_limit(conn):
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS web_match (seq INTEGER PRIMARY KEY)")
        conn.execute(f"DELETE FROM {match_table}")
    try:
        _run(conn, f"INSERT INTO {match_table} SELECT seq FROM reports" + _where(clauses),
             params)
        rows = _run(conn, f"SELECT f.facet, f.value, count(*) FROM {match_table} m"
                          " JOIN web_facets f ON f.seq = m.seq GROUP BY f.facet, f.value")
    finally:
        conn.execute(f"DELETE FROM {match_table}")
    return [tuple(r) for r in rows]


# -- incidents -------------------------------------------------------------------
INCIDENT_COLUMNS = ("report_id", "idx", "key", "type", "date", "date_precision", "place", "province",
                    "actor", "target", "penalty", "evidence_text", "evidence_start",
                    "evidence_end", "corrected", "published", "source", "title", "month")
_SORT_SQL = {
    "date": "coalesce(date, month) {d}, seq, idx", "type": "type {d}, seq, idx",
    "place": "place IS NULL, place {d}, seq, idx",
    "province": "province IS NULL, province {d}, seq, idx",
    "actor": "actor IS NULL, actor {d}, seq, idx", "penalty": "penalty IS NULL, penalty {d}, seq, idx",
    "report": "published {d}, seq {d}, idx",
}


def list_incidents(conn: sqlite3.Connection, filters: Filters, sort: str = "date",
                   descending: bool = True, limit: int | None = 100, offset: int = 0
                   ) -> list[dict[str, Any]]:
    if sort not in _SORT_SQL:
        raise QueryError(f"cannot sort by {sort!r}: use one of {', '.join(INCIDENT_SORTS)}")
    clauses, params = filters.incident_clauses(postgres=_pg(conn))
    order = _SORT_SQL[sort].format(d="DESC" if descending else "ASC")
    sql = (f"SELECT {', '.join(INCIDENT_COLUMNS)} FROM web_incidents" + _where(clauses) +
           f" ORDER BY {order}")
    if limit is not None:
        sql += " LIMIT ? OFFSET ?"
        params = params + [limit, offset]
    return [dict(r) for r in _run(conn, sql, params)]


def iter_incidents(conn: Any, filters: Filters, sort: str = "date",  # sqlite3 or pg_web's connection
                   descending: bool = True) -> Iterator[dict[str, Any]]:
    """Every selected incident, streamed (exports); no time limit."""
    if sort not in _SORT_SQL:
        raise QueryError(f"cannot sort by {sort!r}: use one of {', '.join(INCIDENT_SORTS)}")
    clauses, params = filters.incident_clauses(postgres=_pg(conn))
    order = _SORT_SQL[sort].format(d="DESC" if descending else "ASC")
    if _pg(conn):
        sql = (f"SELECT {', '.join(INCIDENT_COLUMNS)} FROM web_incidents" + _where(clauses)
               + f" ORDER BY {order}")
        errors = _pg_errors()
        try:
            for row in conn.stream(sql, params):
                yield dict(zip(INCIDENT_COLUMNS, row))
        except errors.Error as exc:
            raise QueryError(f"bad search query: {' '.join(str(exc).split())}") from exc
        return
    try:
        cursor = conn.execute(f"SELECT {', '.join(INCIDENT_COLUMNS)} FROM web_incidents"
                              + _where(clauses) + f" ORDER BY {order}", params)
    except sqlite3.OperationalError as exc:
        raise QueryError(f"bad search query: {exc}") from exc
    for row in cursor:
        yield dict(row)


def count_incidents(conn: sqlite3.Connection, filters: Filters) -> int:
    clauses, params = filters.incident_clauses(postgres=_pg(conn))
    return _run(conn, "SELECT count(*) FROM web_incidents" + _where(clauses), params)[0][0]


def incident_facet_counts(conn: sqlite3.Connection, filters: Filters
                          ) -> list[tuple[str, str, int]]:
    """(facet, value, incidents) over the incidents that ``filters`` selects."""
    clauses, params = filters.incident_clauses(postgres=_pg(conn))
    where = _where(clauses)
    out: list[tuple[str, str, int]] = []
    for facet, column in INCIDENT_FACETS.items():
        rows = _run(conn, f"SELECT {column}, count(*) FROM web_incidents{where}"
                          f"{' AND' if where else ' WHERE'} {column} IS NOT NULL"
                          f" GROUP BY {column}", params)
        out += [(facet, r[0], r[1]) for r in rows]
    rows = _run(conn, "SELECT f.facet, f.value, count(*) FROM (SELECT seq FROM web_incidents"
                      + where + ") i JOIN web_facets f ON f.seq = i.seq"
                      " AND f.facet IN ('tag', 'org', 'source') GROUP BY f.facet, f.value", params)
    out += [tuple(r) for r in rows]
    return out


def timeline_counts(conn: sqlite3.Connection, filters: Filters) -> list[dict[str, Any]]:
    clauses, params = filters.incident_clauses(postgres=_pg(conn))
    clauses = clauses + ["month IS NOT NULL"]
    rows = _run(conn, "SELECT month, type, count(*) AS n FROM web_incidents" + _where(clauses)
                + " GROUP BY month, type ORDER BY month", params)
    return [dict(r) for r in rows]


def province_counts(conn: sqlite3.Connection, filters: Filters) -> dict[str, int]:
    clauses, params = filters.incident_clauses(postgres=_pg(conn))
    rows = _run(conn, "SELECT province, count(*) FROM web_incidents"
                + _where(clauses + ["province IS NOT NULL"]) + " GROUP BY province", params)
    return {r[0]: r[1] for r in rows}


def place_counts(conn: sqlite3.Connection, filters: Filters) -> dict[str, int]:
    clauses, params = filters.incident_clauses(postgres=_pg(conn))
    rows = _run(conn, "SELECT place, count(*) FROM web_incidents"
                + _where(clauses + ["place IS NOT NULL"]) + " GROUP BY place", params)
    return {r[0]: r[1] for r in rows}


# -- bulk reads for the in-memory facet index ---------------------------------------
def facet_groups(conn: sqlite3.Connection) -> list[tuple[str, str, int]]:
    """(facet, value, rows) in primary-key order: the group sizes of ``facet_seqs``."""
    return [tuple(r) for r in conn.execute(
        "SELECT facet, value, count(*) FROM web_facets GROUP BY facet, value ORDER BY facet, value")]


def facet_seqs(conn: sqlite3.Connection) -> Iterator[int]:
    """Every web_facets seq in primary-key order (facet, value, seq)."""
    for row in conn.execute("SELECT seq FROM web_facets ORDER BY facet, value, seq"):
        yield row[0]


def max_seq(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT coalesce(max(seq), 0) FROM reports").fetchone()[0]


def report_seqs(conn: sqlite3.Connection) -> Iterator[int]:
    for row in conn.execute("SELECT seq FROM reports"):
        yield row[0]


def match_seq_text(conn: sqlite3.Connection, match: str, filters: Filters | None = None,
                   limit: int | None = None) -> str:
    """Report seqs matching an FTS5 expression, comma-separated (one row: the fastest
    way to move ~50,000 integers out of SQLite into numpy); with ``limit``, only the
    newest (highest seq) ``limit`` of them, highest first."""
    if _pg(conn):
        from tumen.store.pg_schema import TS_CONFIG

        inner = f"SELECT seq FROM reports_fts WHERE tsv @@ to_tsquery('{TS_CONFIG}', ?)"
        params: list[Any] = [(filters or Filters(match=match)).tsquery()]
        if limit is not None:
            inner += " ORDER BY seq DESC LIMIT ?"
            params.append(limit)
        rows = _run(conn, f"SELECT string_agg(seq::text, ',') FROM ({inner}) m", params)
        return rows[0][0] or ""
    inner = "SELECT rowid FROM reports_fts WHERE reports_fts MATCH ?"
    args: tuple = (match,)
    if limit is not None:
        inner += " ORDER BY rowid DESC LIMIT ?"
        args = (match, limit)
    try:
        with time_limit(conn):
            row = conn.execute(f"SELECT group_concat(rowid) FROM ({inner})", args).fetchone()
    except sqlite3.OperationalError as exc:
        raise QueryError(f"bad search query: {exc}") from exc
    return row[0] or ""


def newest_seqs(conn: sqlite3.Connection) -> Iterator[int]:
    """Every report seq, newest publication first (the search page's date order)."""
    for row in conn.execute("SELECT seq FROM reports"
                            " ORDER BY published IS NULL, published DESC, seq DESC"):
        yield row[0]


def reports_by_seqs(conn: sqlite3.Connection, seqs: list[int]) -> list[dict[str, Any]]:
    """Reports with these seqs, in this order, bodies included."""
    if not seqs:
        return []
    marks = ",".join("?" * len(seqs))
    rows = _run(conn, "SELECT seq, id, title, published, source, url, status, duplicate_of,"
                      f" body FROM reports WHERE seq IN ({marks})", list(seqs))
    by_seq = {r["seq"]: dict(r) for r in rows}
    return [by_seq[s] for s in seqs if s in by_seq]
