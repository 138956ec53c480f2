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

import datetime as _dt
import hashlib
import json
import re
from typing import Any, Iterable, Iterator

import psycopg
from psycopg.rows import dict_row

from .. import dedup
from ..errors import StoreError
from ..record import Report
from . import BATCH_SIZE, IngestResult, SearchFilters
from .migrations import MIGRATIONS
from .pg_schema import postgres_sql
from .pg_search import FILTERS, PgSearchMixin, to_tsquery_text  # noqa: F401  (re-exported)
from .records import _TABLES as RECORD_TABLES
from .records import RecordWriter
from .sqlite import READ_CHUNK

# Advisory lock keys ("Tumen" in ASCII, +1): one writer at a time, one migrator.
WRITE_LOCK = 0x54756D656E
MIGRATE_LOCK = WRITE_LOCK + 1
# Seconds a connection attempt waits for the server.
CONNECT_TIMEOUT = 10

_REPORT_COLUMNS = ("seq, id, title, published, source, url, language, body, original, "
                   "source_path, locator, format, content_hash, ingested_at, status, "
                   "duplicate_of, tags_json, extra_json")


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def content_hash(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


# Characters of the content hash appended to an id already taken by a different body
# ("kcnakp-59ff1673~3f2a9c01"); the same as the SQLite backend's, so ids agree.
ID_SUFFIX_CHARS = 8


def _suffixed(report: Report) -> str:
    return f"{report.id}~{(report.content_hash or content_hash(report.body))[:ID_SUFFIX_CHARS]}"


# Most near-duplicate candidates confirmed per report, those sharing the most LSH
# bands first (the SQLite backend's MAX_CANDIDATES): a real group links through its
# root, so one confirmed member is enough; the cap bounds the work when many stored
# reports collide.
MAX_CANDIDATES = 50


def _candidates(band_keys: list[tuple[int, int]], stored: dict[tuple[int, int], list[str]],
                own: dict[tuple[int, int], list[str]]) -> list[str]:
    """Reports sharing at least one band: stored ones (most shared bands first, at
    most ``MAX_CANDIDATES``), then the batch's own."""
    shared: dict[str, int] = {}
    for key in band_keys:
        for rid in stored.get(key, ()):
            shared[rid] = shared.get(rid, 0) + 1
    found = sorted(shared, key=lambda rid: (-shared[rid], rid))[:MAX_CANDIDATES]
    seen = set(found)
    for key in band_keys:
        for rid in own.get(key, ()):
            if rid not in seen:
                seen.add(rid)
                found.append(rid)
    return found


def redact(url: str) -> str:
    """The URL without its password (for messages)."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def _row_to_report(row: dict) -> Report:
    extra = json.loads(row["extra_json"]) if row["extra_json"] else {}
    extra.update(status=row["status"], duplicate_of=row["duplicate_of"],
                 ingested_at=row["ingested_at"])
    original = row["original"]
    return Report(
        id=row["id"], body=row["body"], title=row["title"], published=row["published"],
        source=row["source"], url=row["url"], language=row["language"],
        tags=json.loads(row["tags_json"]) if row["tags_json"] else None,
        source_path=row["source_path"], locator=row["locator"], format=row["format"],
        original=bytes(original) if original is not None else None,
        content_hash=row["content_hash"], extra=extra,
    )


class PostgresStore(PgSearchMixin):
    """A Tumen store in a PostgreSQL database (``postgresql://user@host:port/db``)."""

    def __init__(self, url: str, *, readonly: bool = False, **_options: Any):
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
            else:
                self.migrate()
        except psycopg.Error as exc:
            self.conn.close()
            raise StoreError(f"{self.path}: cannot open the store ({_one_line(exc)})") from exc

    # -- plumbing ---------------------------------------------------------------------

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "PostgresStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def query(self, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
        """Rows of a read query (``%s`` placeholders) as dicts."""
        return list(self.conn.execute(sql, tuple(params)).fetchall())

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
                                          (migration.name, _now()))
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
        n = self.conn.execute("SELECT count(*) AS n FROM reports r WHERE NOT EXISTS "
                              "(SELECT 1 FROM minhash m WHERE m.report_id = r.id)").fetchone()["n"]
        return "ok" if n == 0 else f"{n} reports have no near-duplicate signature"

    def _write(self):
        """A write transaction holding the store's write lock."""
        tx = self.conn.transaction()

        class _Locked:
            def __enter__(inner):
                tx.__enter__()
                self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
                return self.conn.cursor()

            def __exit__(inner, *exc):
                return tx.__exit__(*exc)

        return _Locked()

    # -- reports ----------------------------------------------------------------------

    @staticmethod
    def _signatures(batch: list[Report]) -> dict[str, tuple[bytes, list[tuple[int, int]]]]:
        """Signature bytes and LSH band hashes per content hash (ingest's reader process
        may have computed them already: ``dedup`` hands those over once)."""
        prepared = getattr(dedup, "signature_and_bands", None)
        out: dict[str, tuple[bytes, list[tuple[int, int]]]] = {}
        for report in batch:
            if not report.body or not report.body.strip() or report.content_hash in out:
                continue
            if prepared is not None:
                out[report.content_hash] = prepared(report.body, report.content_hash)
            else:
                data = dedup.signature_bytes(dedup.minhash(dedup.shingles(report.body)))
                out[report.content_hash] = (data, dedup.band_hashes(data))
        return out

    @staticmethod
    def _stored_bands(cur: psycopg.Cursor, keys: set[tuple[int, int]]) -> dict[tuple[int, int], list[str]]:
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

    def add_reports(self, reports: Iterable[Report], batch_size: int = BATCH_SIZE) -> IngestResult:
        """Store new reports, one transaction per ``batch_size``; skip exact duplicates,
        link near-duplicates, reject an id already stored with a different body."""
        result = IngestResult()
        batch: list[Report] = []
        for report in reports:
            batch.append(report)
            if len(batch) >= batch_size:
                result.merge(self._add_batch(batch))
                batch = []
        if batch:
            result.merge(self._add_batch(batch))
        return result

    def _add_batch(self, batch: list[Report]) -> IngestResult:
        result = IngestResult()
        now = _now()
        try:
            with self._write() as cur:
                known_hashes, known_ids = self._known(cur, batch)
                signatures = self._signatures([r for r in batch if r.content_hash not in known_hashes])
                # Candidates: stored reports sharing an LSH band (one query for the whole
                # batch; we hold the write lock, so concurrent writers' committed reports
                # are all in it), then the batch's own, kept in memory as they are added.
                stored = self._stored_bands(cur, {k for _, keys in signatures.values() for k in keys})
                own: dict[tuple[int, int], list[str]] = {}
                # Pipeline mode: inserts are sent without waiting for each answer, so
                # the server indexes one report while Python prepares the next.
                with self.conn.pipeline():
                    for report in batch:
                        self._add_one(cur, report, now, result, known_hashes, known_ids,
                                      signatures, stored, own)
        except psycopg.Error as exc:  # the transaction is rolled back: all or nothing
            raise StoreError(f"{self.path}: cannot store reports ({_one_line(exc)})") from exc
        return result

    @staticmethod
    def _known(cur: psycopg.Cursor, batch: list[Report]) -> tuple[set[str], set[str]]:
        """Which of the batch's content hashes and ids are already stored (two queries)."""
        for report in batch:
            if not report.content_hash:
                report.content_hash = content_hash(report.body or "")
        hashes = list({r.content_hash for r in batch})
        ids = list({r.id for r in batch} | {_suffixed(r) for r in batch})
        known_hashes = {row["content_hash"] for row in cur.execute(
            "SELECT content_hash FROM reports WHERE content_hash = ANY(%s)", (hashes,))}
        known_ids = {row["id"] for row in cur.execute(
            "SELECT id FROM reports WHERE id = ANY(%s)", (ids,))}
        return known_hashes, known_ids

    def _add_one(self, cur: psycopg.Cursor, report: Report, now: str, result: IngestResult,
                 known_hashes: set[str], known_ids: set[str],
                 signatures: dict[str, tuple[bytes, list[tuple[int, int]]]],
                 stored: dict[tuple[int, int], list[str]],
                 own: dict[tuple[int, int], list[str]]) -> None:
        if not report.body or not report.body.strip():
            result.skipped += 1
            return
        digest = report.content_hash
        if digest in known_hashes:
            result.duplicates += 1
            return
        texts = (report.id, report.title, report.published, report.source, report.url,
                 report.language, report.body, report.source_path, report.locator, report.format)
        if any(text and "\x00" in text for text in texts):
            where = report.source_path or "-"
            result.failed.append((f"{where} ({report.locator})" if report.locator else where,
                                  "the report contains NUL characters (\\x00), which PostgreSQL "
                                  "cannot store; remove them from the input"))
            return
        report_id = report.id
        if report_id in known_ids:
            # The id is taken by a different body: never overwrite; store under a stable
            # suffixed id (as the SQLite backend does).
            report_id = _suffixed(report)
            if report_id in known_ids:
                where = report.source_path or "-"
                result.failed.append((f"{where} ({report.locator})" if report.locator else where,
                                      f"id {report.id!r} and {report_id!r} are both taken by "
                                      "other reports; give this report another id"))
                return
            result.renamed.append((report.id, report_id))
        signature, band_keys = signatures[digest]
        duplicate_of = self._link_near_duplicate(cur, _candidates(band_keys, stored, own),
                                                 report_id, report.published, report.body)
        extra = {k: v for k, v in (report.extra or {}).items()
                 if k not in ("status", "duplicate_of", "ingested_at")}
        cur.execute(
            "INSERT INTO reports (id, title, published, source, url, language, body, original, "
            "source_path, locator, format, content_hash, ingested_at, status, duplicate_of, "
            "tags_json, extra_json) VALUES "
            "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'ingested', %s, %s, %s)",
            (report_id, report.title, report.published, report.source, report.url,
             report.language, report.body, report.original, report.source_path,
             report.locator, report.format, digest, now, duplicate_of,
             json.dumps(report.tags, ensure_ascii=False) if report.tags else None,
             json.dumps(extra, ensure_ascii=False, default=str) if extra else None))
        # (a trigger on minhash writes the report's lsh_bands rows: migration 0003)
        cur.execute("INSERT INTO minhash VALUES (%s, %s, %s)",
                    (report_id, dedup.NUM_PERM, signature))
        known_hashes.add(digest)
        known_ids.add(report_id)
        for key in band_keys:
            own.setdefault(key, []).append(report_id)
        result.added += 1
        result.added_ids.append(report_id)
        if duplicate_of:
            result.near_duplicates += 1
            result.links.append((report_id, duplicate_of))

    def _link_near_duplicate(self, cur: psycopg.Cursor, candidates: list[str],
                             report_id: str, published: str | None, body: str) -> str | None:
        """The id this report duplicates (the group's earliest copy), or None; as in the
        SQLite backend, a report published before the group's earliest copy becomes the
        copy the others point to.  Candidates are confirmed with the exact Jaccard."""
        roots: dict[str, tuple] = {}
        shingles = dedup.shingles(body) if candidates else None
        for cand in candidates:
            row = cur.execute("SELECT body, duplicate_of FROM reports WHERE id = %s",
                              (cand,)).fetchone()
            if row is None or dedup.jaccard(shingles, dedup.shingles(row["body"])) < dedup.NEAR_DUPLICATE_THRESHOLD:
                continue
            root = row["duplicate_of"] or cand
            if root not in roots:
                r = cur.execute("SELECT published, seq FROM reports WHERE id = %s", (root,)).fetchone()
                if r is not None:
                    roots[root] = (r["published"] is None, r["published"] or "", r["seq"])
        if not roots:
            return None
        earliest = min(roots, key=roots.__getitem__)
        undated, first_published, _seq = roots[earliest]
        if published and (undated or published < first_published):
            for root in roots:
                cur.execute("UPDATE reports SET duplicate_of = %s WHERE id = %s OR duplicate_of = %s",
                            (report_id, root, root))
            return None
        return earliest

    def get_report(self, report_id: str) -> Report | None:
        row = self.conn.execute(f"SELECT {_REPORT_COLUMNS} FROM reports WHERE id = %s",
                                (report_id,)).fetchone()
        return _row_to_report(row) if row else None

    def near_duplicates(self, report_id: str) -> list[str]:
        """Ids of the reports linked to this one with duplicate_of (either direction)."""
        rows = self.conn.execute(
            "SELECT id AS rid FROM reports WHERE duplicate_of = %s UNION "
            "SELECT duplicate_of FROM reports WHERE id = %s AND duplicate_of IS NOT NULL",
            (report_id, report_id))
        return [r["rid"] for r in rows]

    def _iter_where(self, where: str, params: tuple, columns: str = _REPORT_COLUMNS) -> Iterator[dict]:
        """Rows in ingest order by keyset pages (no cursor stays open across a yield)."""
        last = 0
        cond = f"({where}) AND " if where else ""
        while True:
            rows = self.conn.execute(
                f"SELECT {columns} FROM reports r WHERE {cond}r.seq > %s ORDER BY r.seq LIMIT %s",
                (*params, last, READ_CHUNK)).fetchall()
            if not rows:
                return
            yield from rows
            last = rows[-1]["seq"]

    def iter_reports(self, *, since: str | None = None, until: str | None = None,
                     source: str | None = None, status: str | None = None) -> Iterator[Report]:
        where, params = self._filter_sql(SearchFilters(since=since, until=until, source=source,
                                                       status=status))
        for row in self._iter_where(where, params):
            yield _row_to_report(row)

    def count(self) -> int:
        return self.conn.execute("SELECT count(*) AS n FROM reports").fetchone()["n"]

    def stats(self, top: int = 10) -> dict[str, Any]:
        def one(sql: str) -> int:
            return next(iter(self.conn.execute(sql).fetchone().values()))

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
            "records": one("SELECT count(*) FROM records"),
            "places": one("SELECT count(DISTINCT coalesce(place_id, name)) FROM places"),
            "organizations": one("SELECT count(DISTINCT coalesce(org_id, name)) FROM organizations"),
            "incidents_by_type": pairs("SELECT type, count(*) FROM incidents GROUP BY 1 ORDER BY 2 DESC, 1"),
            "top_provinces": pairs("SELECT province, count(DISTINCT report_id) FROM places "
                                   f"WHERE province IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {int(top)}"),
            "top_places": pairs("SELECT name, count(DISTINCT report_id) FROM places "
                                f"GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {int(top)}"),
            "top_organizations": pairs("SELECT name, count(DISTINCT report_id) FROM organizations "
                                       f"GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {int(top)}"),
        }

    # -- records ----------------------------------------------------------------------

    def save_records(self, records: Iterable[dict], batch_size: int = BATCH_SIZE) -> int:
        """Store analysis records (``Record.to_dict()`` shape).  Each replaces the report's
        previous record and rows atomically; one transaction per batch."""
        saved = 0
        batch: list[dict] = []
        for record in records:
            batch.append(record)
            if len(batch) >= batch_size:
                saved += self._save_batch(batch)
                batch = []
        if batch:
            saved += self._save_batch(batch)
        return saved

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
                writer = RecordWriter(cur, _now(), placeholder="%s")
                for record in batch:
                    writer.write(record)
        except psycopg.Error as exc:
            raise StoreError(f"{self.path}: cannot store records ({_one_line(exc)})") from exc
        return len(batch)

    def get_record(self, report_id: str) -> dict | None:
        row = self.conn.execute(
            "SELECT c.record_json, r.duplicate_of FROM records c JOIN reports r ON r.id = c.report_id "
            "WHERE c.report_id = %s", (report_id,)).fetchone()
        if row is None:
            return None
        record = json.loads(row["record_json"])
        if not record.get("duplicate_of") and row["duplicate_of"]:
            record["duplicate_of"] = row["duplicate_of"]
        return record

    def iter_records(self) -> Iterator[dict]:
        last = ""
        while True:
            rows = self.conn.execute(
                "SELECT c.report_id, c.record_json, r.duplicate_of FROM records c "
                "JOIN reports r ON r.id = c.report_id WHERE c.report_id COLLATE \"C\" > %s "
                "ORDER BY c.report_id COLLATE \"C\" LIMIT %s", (last, READ_CHUNK)).fetchall()
            if not rows:
                return
            for row in rows:
                record = json.loads(row["record_json"])
                if not record.get("duplicate_of") and row["duplicate_of"]:
                    record["duplicate_of"] = row["duplicate_of"]
                yield record
            last = rows[-1]["report_id"]

    def reports_needing_analysis(self, analyzer_version: str, since: str | None = None,
                                 reanalyze: bool = False) -> Iterator[Report]:
        """Reports with no record, or one by another analyzer version (all of them with
        ``reanalyze``).  ``since`` keeps reports published on or after that ISO date."""
        conds, params = [], []
        if not reanalyze:
            conds.append("NOT EXISTS (SELECT 1 FROM records c WHERE c.report_id = r.id "
                         "AND c.analyzer = %s)")
            params.append(analyzer_version)
        if since:
            conds.append("r.published >= %s")
            params.append(since)
        for row in self._iter_where(" AND ".join(conds), tuple(params)):
            yield _row_to_report(row)


__all__ = ["PostgresStore", "to_tsquery_text", "redact", "FILTERS"]
