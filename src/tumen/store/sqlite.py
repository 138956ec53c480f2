"""The SQLite backend: WAL, busy timeout, migrations at open, FTS5 filled per batch (and
kept by triggers on update and delete), near-duplicate candidates from the indexed ``lsh_bands`` table.

Every write is one transaction per batch (``BEGIN IMMEDIATE`` ... ``COMMIT``), so a
killed process leaves whole batches or nothing, and UNIQUE ids and content hashes make
a rerun add exactly what is missing.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tumen.errors import QueryError, StoreError
from tumen.ingest import dedup
from tumen.record import Report
from tumen.store import IngestResult
from tumen.store.common import (  # noqa: F401
    MANAGED_EXTRA,
    MAX_CANDIDATES,
    READ_CHUNK,
    StoreBase,
    add_own_candidates,
    content_hash,
    insert_report_sql,
    now,
    report_values,
)
from tumen.store.migrations import LSH_BAND_FUNCTION, MIGRATIONS
from tumen.store.queries import QUERY_TIME_LIMIT_MS
from tumen.store.readmodel import ReadModel
from tumen.store.records import RecordWriter, record_rows_delete
from tumen.store.sqlite_search import (  # noqa: F401
    BM25_WEIGHTS,
    FILTERS,
    HL_CLOSE,
    HL_OPEN,
    SNIPPET_TOKENS,
    SearchMixin,
    _like_escape,
    _until,
)

# Milliseconds a writer waits for another writer's lock before giving up.
BUSY_TIMEOUT_MS = 10_000
# Page cache per connection (SQLite's default is 2 MB).  Bulk-insert cost measured the
# same at 2 and 64 MB (FTS5 work is CPU-bound); 32 MB keeps the hot part of a large
# FTS index cached between searches at a bounded memory cost.
CACHE_MB = 32
# Largest WAL file kept after a checkpoint (SQLite's default keeps whatever it grew to).
JOURNAL_SIZE_LIMIT = 64 * 1024 * 1024

_CANDIDATES_SQL = (
    "SELECT l.report_id, count(*) AS n FROM (VALUES "
    + ",".join("(?, ?)" for _ in range(dedup.LSH_BANDS))
    + ") v CROSS JOIN lsh_bands l ON l.band = v.column1 AND l.hash = v.column2 "
    f"GROUP BY l.report_id ORDER BY n DESC LIMIT {MAX_CANDIDATES}")

_INSERT_REPORT = insert_report_sql("?")


def _split_sql(script: str) -> list[str]:
    """Statements of a script (triggers' inner semicolons kept), for use in a transaction."""
    statements, buf = [], ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                statements.append(buf.strip())
            buf = ""
    if buf.strip():
        statements.append(buf.strip())
    return statements


class SQLiteStore(SearchMixin, ReadModel, StoreBase):
    """A Tumen store in one SQLite file (the backend-neutral methods are in
    ``common.StoreBase`` and ``readmodel.ReadModel``).

    ``migrate=False`` opens a store that a migrating open has already set up (the web's
    reader and writer connections: they neither migrate nor switch the journal mode,
    so a store on a full disk can still be read); ``check_same_thread=False`` lets one
    connection be used from several threads, one at a time."""

    PH = "?"
    IntegrityError = sqlite3.IntegrityError
    DatabaseError = sqlite3.Error

    def __init__(self, path: str | Path, *, readonly: bool = False,
                 check_same_thread: bool = True, migrate: bool = True):
        self.path = str(path)
        self.readonly = readonly
        try:
            if readonly:
                uri = Path(self.path).resolve().as_uri() + "?mode=ro"
                self.conn = sqlite3.connect(uri, uri=True, isolation_level=None,
                                            check_same_thread=check_same_thread)
            else:
                if self.path != ":memory:":
                    Path(self.path).parent.mkdir(parents=True, exist_ok=True)
                self.conn = sqlite3.connect(self.path, isolation_level=None,
                                            check_same_thread=check_same_thread)
            self.conn.row_factory = sqlite3.Row
            self.conn.create_function(LSH_BAND_FUNCTION, 2, dedup.band_hash, deterministic=True)
            self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self.conn.execute("PRAGMA foreign_keys = ON")
            self.conn.execute("PRAGMA temp_store = MEMORY")  # the read model's temp table
            if not readonly and not migrate:
                self.conn.execute(f"PRAGMA cache_size = -{CACHE_MB * 1024}")
            elif not readonly:
                self.conn.execute("PRAGMA journal_mode = WAL")
                # NORMAL is durable across process crashes in WAL mode (only a power
                # loss can drop the last commits), and much faster than FULL.
                self.conn.execute("PRAGMA synchronous = NORMAL")
                self.conn.execute(f"PRAGMA cache_size = -{CACHE_MB * 1024}")
                self.conn.execute(f"PRAGMA journal_size_limit = {JOURNAL_SIZE_LIMIT}")
                self.migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: cannot open the store ({exc})") from exc

    # -- plumbing ---------------------------------------------------------------------

    def query(self, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
        """Rows of a read query as dicts (for checks)."""
        return [dict(row) for row in self.conn.execute(sql, tuple(params))]

    # -- the read model's dialect (see readmodel.py) -----------------------------------

    def _x(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, tuple(params))

    def _xmany(self, sql: str, rows: Iterable[Iterable[Any]]) -> None:
        self.conn.executemany(sql, [tuple(r) for r in rows])

    def _read_error(self, exc: sqlite3.OperationalError) -> Exception:
        message = str(exc)
        if "locked" in message or "no such table" in message or "disk" in message:
            return StoreError(f"the store cannot answer now: {message}")
        return QueryError(f"bad search query: {message}")

    def _run(self, sql: str, params: Iterable[Any] = ()) -> list:
        try:
            with self.time_limit():
                return self.conn.execute(sql, tuple(params)).fetchall()
        except sqlite3.OperationalError as exc:
            raise self._read_error(exc) from exc

    def _stream(self, sql: str, params: Iterable[Any] = ()) -> Iterator[Any]:
        try:
            cursor = self.conn.execute(sql, tuple(params))
        except sqlite3.OperationalError as exc:
            raise QueryError(f"bad search query: {exc}") from exc
        yield from cursor

    @contextmanager
    def time_limit(self, ms: int = QUERY_TIME_LIMIT_MS) -> Iterator[None]:
        deadline = time.monotonic() + ms / 1000
        self.conn.set_progress_handler(lambda: 1 if time.monotonic() > deadline else 0, 5000)
        try:
            yield
        except sqlite3.OperationalError as exc:
            if "interrupted" in str(exc):
                raise QueryError(f"the query took longer than {ms} ms; narrow it down") from exc
            raise
        finally:
            self.conn.set_progress_handler(None, 0)

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        self.conn.execute("BEGIN")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def migrate(self) -> list[str]:
        """Apply pending migrations in order, each in one transaction; returns their names."""
        self.conn.execute("CREATE TABLE IF NOT EXISTS migrations ("
                          "name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
        applied: list[str] = []
        for migration in MIGRATIONS:
            if self.conn.execute("SELECT 1 FROM migrations WHERE name = ?",
                                 (migration.name,)).fetchone():
                continue
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                if not self.conn.execute("SELECT 1 FROM migrations WHERE name = ?",
                                         (migration.name,)).fetchone():
                    for statement in _split_sql(migration.sqlite):
                        self.conn.execute(statement)
                    self.conn.execute("INSERT INTO migrations VALUES (?, ?)",
                                      (migration.name, now()))
                    applied.append(migration.name)
                self.conn.execute("COMMIT")
            except sqlite3.DatabaseError as exc:
                # SQLite may have rolled back already (disk full does): a second ROLLBACK
                # would raise "no transaction is active" and hide the cause
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise StoreError(f"{self.path}: migration {migration.name} failed ({exc})") from exc
        return applied

    def migrations(self) -> list[tuple[str, str]]:
        return [(r["name"], r["applied_at"]) for r in
                self.conn.execute("SELECT name, applied_at FROM migrations ORDER BY rowid")]

    def integrity_check(self) -> str:
        return self.conn.execute("PRAGMA integrity_check").fetchone()[0]

    # -- reports ----------------------------------------------------------------------

    def _add_batch(self, batch: list[Report]) -> IngestResult:
        result = IngestResult()
        stored_at = now()
        # The batch's own LSH bands, (band, hash) -> ids: written to ``lsh_bands`` at the
        # end of the batch (sorted, one executemany), looked up in memory meanwhile so
        # the batch's reports see each other.  Lookups in the table see every committed
        # report, concurrent writers' too (BEGIN IMMEDIATE: we hold the write lock).
        bands: dict[tuple[int, int], list[str]] = {}
        with self._transaction("store reports") as cur:
            known_hashes, known_ids = self._known(cur, batch)
            first_seq = None
            for report in batch:
                seq = self._add_one(cur, bands, report, stored_at, result, known_hashes, known_ids)
                if first_seq is None:
                    first_seq = seq
            if first_seq is not None:
                # The batch's full-text rows in one statement (migration 0004 dropped the
                # per-row insert trigger): half the FTS5 cost of a trigger per row.  We hold
                # the write lock, so every seq from the batch's first on is this batch's.
                cur.execute("INSERT INTO reports_fts (rowid, title, body) "
                            "SELECT seq, title, body FROM reports WHERE seq >= ?", (first_seq,))
            cur.executemany("INSERT OR IGNORE INTO lsh_bands (band, hash, report_id) VALUES (?, ?, ?)",
                            sorted((band, h, rid) for (band, h), ids in bands.items() for rid in ids))
        return result

    @contextmanager
    def _transaction(self, what: str) -> Iterator[sqlite3.Cursor]:
        """One write transaction (``BEGIN IMMEDIATE``: the store's write lock) yielding a
        cursor: committed at the end, rolled back on any error (KeyboardInterrupt too: a
        batch is all or nothing).  A database error is a ``StoreError``: "<path>: cannot
        <what> (<cause>)"."""
        cur = self.conn.cursor()
        try:
            cur.execute("BEGIN IMMEDIATE")
            yield cur
            cur.execute("COMMIT")
        except BaseException as exc:
            # SQLite may have rolled back already (disk full does): a second ROLLBACK
            # would raise "no transaction is active" and hide the cause
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.DatabaseError):
                raise StoreError(f"{self.path}: cannot {what} ({exc})") from exc
            raise

    def _write(self) -> Any:
        """A write transaction yielding a cursor (``StoreBase``'s writes use it)."""
        return self._transaction("write")

    @staticmethod
    def _stored_values(cur: sqlite3.Cursor, column: str, values: list[str]) -> set[str]:
        marks = ",".join("?" * len(values))
        return {row[0] for row in cur.execute(
            f"SELECT {column} FROM reports WHERE {column} IN ({marks})", values)}

    def _add_one(self, cur: sqlite3.Cursor, bands: dict[tuple[int, int], list[str]],
                 report: Report, stored_at: str, result: IngestResult,
                 known_hashes: set[str], known_ids: set[str]) -> int | None:
        """Store one report of a batch; its seq, or None when it is not stored."""
        report_id = self._new_id(report, result, known_hashes, known_ids)
        if report_id is None:
            return None
        signature = dedup.signature_of(report)
        band_keys = signature.bands
        duplicate_of = self._link_near_duplicate(cur, self._candidates(cur, bands, band_keys),
                                                 report_id, report.published, report.body)
        cur.execute(_INSERT_REPORT, report_values(report, report_id, stored_at, duplicate_of))
        seq = cur.lastrowid
        cur.execute("INSERT INTO minhash VALUES (?, ?, ?)",
                    (report_id, dedup.NUM_PERM, signature.minhash))
        self._note_added(result, report, report_id, duplicate_of, band_keys, bands,
                         known_hashes, known_ids)
        return seq

    @staticmethod
    def _candidates(cur: sqlite3.Cursor, bands: dict[tuple[int, int], list[str]],
                    band_keys: Sequence[tuple[int, int]]) -> list[str]:
        """Reports sharing at least one LSH band: stored ones (one indexed query, those
        sharing the most bands first, at most ``MAX_CANDIDATES``), then this batch's."""
        params = [v for key in band_keys for v in key]
        found = [row[0] for row in cur.execute(_CANDIDATES_SQL, params)]
        return add_own_candidates(found, band_keys, bands)

    def stats(self, top: int = 10) -> dict[str, Any]:
        q = self.conn.execute

        def pairs(sql: str) -> dict[str, int]:
            return {(r[0] if r[0] is not None else "unknown"): r[1] for r in q(sql)}

        return {
            "reports": self.count(),
            "near_duplicates": q("SELECT count(*) FROM reports WHERE duplicate_of IS NOT NULL").fetchone()[0],
            "by_status": pairs("SELECT status, count(*) FROM reports GROUP BY 1 ORDER BY 2 DESC"),
            "by_source": pairs("SELECT source, count(*) FROM reports GROUP BY 1 ORDER BY 2 DESC"),
            "by_month": pairs("SELECT substr(published, 1, 7), count(*) FROM reports "
                              "GROUP BY 1 ORDER BY 1"),
            "records": self.count_records(),
            "places": q("SELECT count(DISTINCT coalesce(place_id, name)) FROM places").fetchone()[0],
            "organizations": q("SELECT count(DISTINCT coalesce(org_id, name)) FROM organizations").fetchone()[0],
            "incidents_by_type": self.incident_type_counts(),  # of the corrected records
            "top_provinces": pairs("SELECT province, count(DISTINCT report_id) FROM places "
                                   f"WHERE province IS NOT NULL GROUP BY 1 ORDER BY 2 DESC LIMIT {int(top)}"),
            "top_places": pairs("SELECT name, count(DISTINCT report_id) FROM places "
                                f"GROUP BY 1 ORDER BY 2 DESC LIMIT {int(top)}"),
            "top_organizations": pairs("SELECT name, count(DISTINCT report_id) FROM organizations "
                                       f"GROUP BY 1 ORDER BY 2 DESC LIMIT {int(top)}"),
        }

    # -- records ----------------------------------------------------------------------

    def _save_batch(self, batch: list[dict]) -> int:
        with self._transaction("store records") as cur:
            writer = RecordWriter(cur, now())
            for record in batch:
                rid = record.get("id")
                if not cur.execute("SELECT 1 FROM reports WHERE id = ?", (rid,)).fetchone():
                    raise StoreError(f"{self.path}: a record for report {rid!r}, which is not stored")
                record_rows_delete(cur, str(rid))  # stored: an id
                writer.write(record)
        return len(batch)
