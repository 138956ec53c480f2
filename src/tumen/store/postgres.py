"""The PostgreSQL backend (psycopg 3): the same Store API as ``store/sqlite.py``.

Chosen by a ``postgresql://`` URL (``--db`` or ``$TUMEN_DB``).  The schema comes from
the shared migration list (``store/migrations.py`` + the twins in ``pg_schema.py``);
full-text search is a ``tsvector`` per report (``reports_fts``) with a GIN index, ranked by
``ts_rank`` (title weighted above body like the SQLite backend's bm25) and snippets by
``ts_headline``.

Writes are one transaction per batch, serialized between processes by an advisory
lock (SQLite's ``BEGIN IMMEDIATE``), so a killed ingest keeps whole batches and a rerun
adds exactly what is missing (ids and content hashes are UNIQUE).

Search (the FTS5-style query mapped to ``to_tsquery``, filters, ranking, snippets) is
in ``pg_search.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.rows import DictRow, dict_row

from tumen.errors import QueryError, StoreError
from tumen.ingest import dedup
from tumen.record import Report, Signature
from tumen.store import IngestResult
from tumen.store.common import MAX_CANDIDATES, StoreBase, add_own_candidates, insert_report_sql, now, report_values
from tumen.store.migrations import MIGRATIONS
from tumen.store.pg_rows import PgCursor, row_factory, to_pg
from tumen.store.pg_schema import postgres_sql
from tumen.store.pg_search import FILTERS, PgSearchMixin, to_tsquery_text
from tumen.store.queries import QUERY_TIME_LIMIT_MS
from tumen.store.readmodel import ReadModel
from tumen.store.records import _TABLES as RECORD_TABLES
from tumen.store.records import RecordWriter

# Advisory lock keys ("Tumen" in ASCII, +1): one writer at a time, one migrator.
WRITE_LOCK = 0x54756D656E
MIGRATE_LOCK = WRITE_LOCK + 1
# Seconds a connection attempt waits for the server.
CONNECT_TIMEOUT = 10


def _candidates(band_keys: Sequence[tuple[int, int]], stored: dict[tuple[int, int], list[str]],
                own: dict[tuple[int, int], list[str]]) -> list[str]:
    """Reports sharing at least one band: stored ones (most shared bands first, at
    most ``MAX_CANDIDATES``), then the batch's own."""
    shared: dict[str, int] = {}
    for key in band_keys:
        for rid in stored.get(key, ()):
            shared[rid] = shared.get(rid, 0) + 1
    found = sorted(shared, key=lambda rid: (-shared[rid], rid))[:MAX_CANDIDATES]
    return add_own_candidates(found, band_keys, own)


def redact(url: str) -> str:
    """The URL without its password (for messages)."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


_INSERT_REPORT = insert_report_sql("%s")


class PostgresStore(PgSearchMixin, ReadModel, StoreBase):
    """A Tumen store in a PostgreSQL database (``postgresql://user@host:port/db``); the
    backend-neutral methods are in ``common.StoreBase`` and ``readmodel.ReadModel``.
    ``migrate=False`` opens a store that a migrating open has already set up."""

    PH = "%s"
    # iter_records pages in byte order of ids (SQLite's order) whatever the locale.
    RECORD_ID_ORDER = 'c.report_id COLLATE "C"'
    IntegrityError = psycopg.errors.UniqueViolation
    DatabaseError = psycopg.Error
    MATCH_TABLE = "pg_temp.web_match"

    def __init__(self, url: str, *, readonly: bool = False, migrate: bool = True,
                 **_options: Any):
        self.url = url
        self.path = redact(url)  # what messages name
        self.readonly = readonly
        try:
            self.conn = psycopg.connect(url, autocommit=True, row_factory=dict_row,
                                        connect_timeout=CONNECT_TIMEOUT)
        except psycopg.Error as exc:
            raise StoreError(f"{self.path}: cannot open the store ({_one_line(exc)})") from exc
        try:
            self.conn.execute("SET client_min_messages = warning")
            if readonly:
                self.conn.execute("SET default_transaction_read_only = on")
            elif migrate:
                self.migrate()
        except psycopg.Error as exc:
            self.conn.close()
            raise StoreError(f"{self.path}: cannot open the store ({_one_line(exc)})") from exc

    # -- plumbing ---------------------------------------------------------------------

    def query(self, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
        """Rows of a read query (``%s`` placeholders) as dicts."""
        return list(self.conn.execute(sql, tuple(params)).fetchall())

    # -- the read model's dialect (see readmodel.py) -----------------------------------

    def _x(self, sql: str, params: Iterable[Any] = ()) -> PgCursor:
        cur = self.conn.cursor(row_factory=row_factory)
        return PgCursor(cur.execute(to_pg(sql), tuple(params)))

    def _xmany(self, sql: str, rows: Iterable[Iterable[Any]]) -> None:
        values = [tuple(r) for r in rows]
        if values:
            with self.conn.cursor() as cur:
                cur.executemany(to_pg(sql), values)

    def _run(self, sql: str, params: Iterable[Any] = ()) -> list:
        errors = psycopg.errors
        try:
            with self.time_limit():
                return self._x(sql, params).fetchall()
        except (errors.OperationalError, errors.UndefinedTable) as exc:
            if isinstance(exc, errors.QueryCanceled):
                raise
            raise StoreError(f"the store cannot answer now: {_one_line(exc)}") from exc
        except psycopg.Error as exc:
            raise QueryError(f"bad search query: {_one_line(exc)}") from exc

    def _stream(self, sql: str, params: Iterable[Any] = ()) -> Iterator[Any]:
        try:
            with self.conn.cursor(row_factory=row_factory) as cur:
                yield from cur.stream(to_pg(sql), tuple(params))
        except psycopg.Error as exc:
            raise QueryError(f"bad search query: {_one_line(exc)}") from exc

    @contextmanager
    def time_limit(self, ms: int = QUERY_TIME_LIMIT_MS) -> Iterator[None]:
        """PostgreSQL's own limit: ``statement_timeout`` for the statements inside."""
        self.conn.execute(f"SET statement_timeout = {int(ms)}")
        try:
            yield
        except psycopg.errors.QueryCanceled as exc:
            raise QueryError(f"the query took longer than {ms} ms; narrow it down") from exc
        finally:
            self.conn.execute("SET statement_timeout = 0")

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        with self.conn.transaction():
            self.conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            yield

    def migrate(self) -> list[str]:
        """Apply pending migrations in order, each in one transaction; returns their names."""
        applied: list[str] = []
        self.conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATE_LOCK,))
        try:
            self.conn.execute("CREATE TABLE IF NOT EXISTS migrations ("
                              "name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
            done = {r["name"] for r in self.conn.execute("SELECT name FROM migrations")}
            for migration in MIGRATIONS:
                if migration.name in done:
                    continue
                sql = postgres_sql(migration)
                if sql is None:
                    raise StoreError(f"{self.path}: migration {migration.name} has no PostgreSQL "
                                     "version (add it to store/pg_schema.py)")
                try:
                    with self.conn.transaction():
                        self.conn.execute(sql)
                        self.conn.execute("INSERT INTO migrations VALUES (%s, %s)",
                                          (migration.name, now()))
                except psycopg.Error as exc:
                    raise StoreError(f"{self.path}: migration {migration.name} failed "
                                     f"({_one_line(exc)})") from exc
                applied.append(migration.name)
        finally:
            self.conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATE_LOCK,))
        return applied

    def migrations(self) -> list[tuple[str, str]]:
        """(name, applied_at) of the applied migrations, in the order of the list."""
        order = {m.name: i for i, m in enumerate(MIGRATIONS)}
        rows = self.conn.execute("SELECT name, applied_at FROM migrations").fetchall()
        rows.sort(key=lambda r: (order.get(r["name"], len(order)), r["applied_at"], r["name"]))
        return [(r["name"], r["applied_at"]) for r in rows]

    def integrity_check(self) -> str:
        """'ok', or what is inconsistent (reports without a MinHash signature)."""
        row = self.conn.execute("SELECT count(*) AS n FROM reports r WHERE NOT EXISTS "
                                "(SELECT 1 FROM minhash m WHERE m.report_id = r.id)").fetchone()
        assert row is not None  # count(*) answers one row
        n = row["n"]
        return "ok" if n == 0 else f"{n} reports have no near-duplicate signature"

    @contextmanager
    def _write(self) -> Iterator[psycopg.Cursor[DictRow]]:
        """A write transaction holding the store's write lock (SQLite's ``BEGIN
        IMMEDIATE``): ingest and analysis batches, index syncs and the web's writes run
        one at a time, so a sync never reads a record that a batch is replacing."""
        with self.conn.transaction():
            self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
            yield self.conn.cursor()

    # -- reports ----------------------------------------------------------------------

    @staticmethod
    def _signatures(batch: list[Report]) -> dict[str, Signature]:
        """Each report's fingerprint per content hash (the one the report carries, computed
        by ingest's reader process, or computed now)."""
        out: dict[str, Signature] = {}
        for report in batch:
            key = report.content_hash  # (_known filled in every report's content hash)
            if not report.body or not report.body.strip() or key is None or key in out:
                continue
            out[key] = dedup.signature_of(report)
        return out

    @staticmethod
    def _stored_bands(cur: psycopg.Cursor[DictRow], keys: set[tuple[int, int]]) -> dict[tuple[int, int], list[str]]:
        """Stored reports per LSH band key, for every key of the batch (one query)."""
        if not keys:
            return {}
        bands, hashes = zip(*sorted(keys))
        found: dict[tuple[int, int], list[str]] = {}
        for row in cur.execute(
                "SELECT l.band, l.hash, l.report_id FROM lsh_bands l "
                "JOIN unnest(%s::int[], %s::bigint[]) AS k(band, hash) "
                "ON l.band = k.band AND l.hash = k.hash", (list(bands), list(hashes))):
            found.setdefault((row["band"], row["hash"]), []).append(row["report_id"])
        return found

    def _add_batch(self, batch: list[Report]) -> IngestResult:
        result = IngestResult()
        stored_at = now()
        try:
            with self._write() as cur:
                known_hashes, known_ids = self._known(cur, batch)
                signatures = self._signatures([r for r in batch if r.content_hash not in known_hashes])
                # Candidates: stored reports sharing an LSH band (one query for the whole
                # batch; we hold the write lock, so concurrent writers' committed reports
                # are all in it), then the batch's own, kept in memory as they are added.
                stored = self._stored_bands(cur, {k for s in signatures.values() for k in s.bands})
                own: dict[tuple[int, int], list[str]] = {}
                # Pipeline mode: inserts are sent without waiting for each answer, so
                # the server indexes one report while Python prepares the next.
                with self.conn.pipeline():
                    for report in batch:
                        self._add_one(cur, report, stored_at, result, known_hashes, known_ids,
                                      signatures, stored, own)
        except psycopg.Error as exc:  # the transaction is rolled back: all or nothing
            raise StoreError(f"{self.path}: cannot store reports ({_one_line(exc)})") from exc
        return result

    @staticmethod
    def _stored_values(cur: psycopg.Cursor[DictRow], column: str, values: list[str]) -> set[str]:
        return {row[column] for row in cur.execute(
            f"SELECT {column} FROM reports WHERE {column} = ANY(%s)", (values,))}

    def _unstorable(self, report: Report) -> str | None:
        texts = (report.id, report.title, report.published, report.source, report.url,
                 report.language, report.body, report.source_path, report.locator, report.format)
        if any(text and "\x00" in text for text in texts):
            return ("the report contains NUL characters (\\x00), which PostgreSQL "
                    "cannot store; remove them from the input")
        return None

    def _add_one(self, cur: psycopg.Cursor[DictRow], report: Report, stored_at: str, result: IngestResult,
                 known_hashes: set[str], known_ids: set[str],
                 signatures: dict[str, Signature],
                 stored: dict[tuple[int, int], list[str]],
                 own: dict[tuple[int, int], list[str]]) -> None:
        report_id = self._new_id(report, result, known_hashes, known_ids)
        if report_id is None:
            return
        assert report.content_hash is not None  # _known filled it in
        signature = signatures[report.content_hash]
        band_keys = signature.bands
        duplicate_of = self._link_near_duplicate(cur, _candidates(band_keys, stored, own),
                                                 report_id, report.published, report.body)
        cur.execute(_INSERT_REPORT, report_values(report, report_id, stored_at, duplicate_of))
        # (a trigger on minhash writes the report's lsh_bands rows: migration 0003)
        cur.execute("INSERT INTO minhash VALUES (%s, %s, %s)",
                    (report_id, dedup.NUM_PERM, signature.minhash))
        self._note_added(result, report, report_id, duplicate_of, band_keys, own,
                         known_hashes, known_ids)

    def stats(self, top: int = 10) -> dict[str, Any]:
        def one(sql: str) -> int:
            row = self.conn.execute(sql).fetchone()
            assert row is not None  # an aggregate answers one row
            return next(iter(row.values()))

        def pairs(sql: str) -> dict[str, int]:
            with self.conn.cursor(row_factory=psycopg.rows.tuple_row) as cur:
                return {(r[0] if r[0] is not None else "unknown"): r[1] for r in cur.execute(sql)}

        return {
            "reports": self.count(),
            "near_duplicates": one("SELECT count(*) FROM reports WHERE duplicate_of IS NOT NULL"),
            "by_status": pairs("SELECT status, count(*) FROM reports GROUP BY 1 ORDER BY 2 DESC, 1"),
            "by_source": pairs("SELECT source, count(*) FROM reports GROUP BY 1 "
                               "ORDER BY 2 DESC, 1 NULLS FIRST"),
            "by_month": pairs("SELECT substr(published, 1, 7), count(*) FROM reports "
                              "GROUP BY 1 ORDER BY 1 NULLS FIRST"),
            "records": self.count_records(),
            "places": one("SELECT count(DISTINCT coalesce(place_id, name)) FROM places"),
            "organizations": one("SELECT count(DISTINCT coalesce(org_id, name)) FROM organizations"),
            "incidents_by_type": self.incident_type_counts(),  # of the corrected records
            "top_provinces": pairs("SELECT province, count(DISTINCT report_id) FROM places "
                                   f"WHERE province IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {int(top)}"),
            "top_places": pairs("SELECT name, count(DISTINCT report_id) FROM places "
                                f"GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {int(top)}"),
            "top_organizations": pairs("SELECT name, count(DISTINCT report_id) FROM organizations "
                                       f"GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {int(top)}"),
        }

    # -- records ----------------------------------------------------------------------

    def _save_batch(self, batch: list[dict]) -> int:
        try:
            with self._write() as cur:
                ids = [record.get("id") for record in batch]
                known = {row["id"] for row in cur.execute(
                    "SELECT id FROM reports WHERE id = ANY(%s)", (ids,))}
                for rid in ids:
                    if rid not in known:
                        raise StoreError(f"{self.path}: a record for report {rid!r}, which is not stored")
                for table in (*RECORD_TABLES, "records"):
                    cur.execute(f"DELETE FROM {table} WHERE report_id = ANY(%s)", (ids,))
                writer = RecordWriter(cur, now(), placeholder="%s")
                for record in batch:
                    writer.write(record)
        except psycopg.Error as exc:
            raise StoreError(f"{self.path}: cannot store records ({_one_line(exc)})") from exc
        return len(batch)


__all__ = ["PostgresStore", "to_tsquery_text", "redact", "FILTERS"]
