"""The SQLite backend: WAL, busy timeout, migrations at open, FTS5 filled per batch (and
kept by triggers on update and delete), near-duplicate candidates from the indexed ``lsh_bands`` table.

Every write is one transaction per batch (``BEGIN IMMEDIATE`` ... ``COMMIT``), so a
killed process leaves whole batches or nothing, and UNIQUE ids and content hashes make
a rerun add exactly what is missing.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any, Iterable, Iterator

from .. import dedup
from ..errors import StoreError
from ..record import Report
from . import BATCH_SIZE, IngestResult, SearchFilters
from .migrations import LSH_BAND_FUNCTION, MIGRATIONS
from .records import RecordWriter, record_rows_delete
from .sqlite_search import (BM25_WEIGHTS, FILTERS, HL_CLOSE, HL_OPEN, SNIPPET_TOKENS,  # noqa: F401
                            SearchMixin, _like_escape, _until)

# Milliseconds a writer waits for another writer's lock before giving up.
BUSY_TIMEOUT_MS = 10_000
# Page cache per connection (SQLite's default is 2 MB).  Bulk-insert cost measured the
# same at 2 and 64 MB (FTS5 work is CPU-bound); 32 MB keeps the hot part of a large
# FTS index cached between searches at a bounded memory cost.
CACHE_MB = 32
# Reports fetched per query when streaming (iter_reports, exports, analysis).
READ_CHUNK = 500
# Most stored candidates confirmed per new report (those sharing the most LSH bands
# first).  A real near-duplicate group links through its root, so one confirmed member
# is enough; the cap bounds the work when many stored reports collide (bodies with no
# words all share one signature).  On the three article corpora no report had more
# than a handful of candidates.
MAX_CANDIDATES = 50
# Largest WAL file kept after a checkpoint (SQLite's default keeps whatever it grew to).
JOURNAL_SIZE_LIMIT = 64 * 1024 * 1024

_CANDIDATES_SQL = (
    "SELECT l.report_id, count(*) AS n FROM (VALUES "
    + ",".join("(?, ?)" for _ in range(dedup.LSH_BANDS))
    + ") v CROSS JOIN lsh_bands l ON l.band = v.column1 AND l.hash = v.column2 "
    f"GROUP BY l.report_id ORDER BY n DESC LIMIT {MAX_CANDIDATES}")

_REPORT_COLUMNS = ("seq, id, title, published, source, url, language, body, original, "
                   "source_path, locator, format, content_hash, ingested_at, status, "
                   "duplicate_of, tags_json, extra_json")


# Keys the store manages itself: never kept in extra_json (a re-ingested export carries
# them as plain fields; this report gets its own).
_MANAGED_EXTRA = frozenset({"status", "duplicate_of", "ingested_at", "source_path", "locator",
                            "format", "content_hash", "original"})


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def content_hash(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


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


def _row_to_report(row: sqlite3.Row) -> Report:
    extra = json.loads(row["extra_json"]) if row["extra_json"] else {}
    extra.update(status=row["status"], duplicate_of=row["duplicate_of"],
                 ingested_at=row["ingested_at"])
    return Report(
        id=row["id"], body=row["body"], title=row["title"], published=row["published"],
        source=row["source"], url=row["url"], language=row["language"],
        tags=json.loads(row["tags_json"]) if row["tags_json"] else None,
        source_path=row["source_path"], locator=row["locator"], format=row["format"],
        original=row["original"], content_hash=row["content_hash"], extra=extra,
    )


# Characters of the content hash appended to an id that is already taken by a
# different body ("kcnakp-59ff167348aa7bab~3f2a9c01"): stable across runs.
ID_SUFFIX_CHARS = 8


def _suffixed(report: Report) -> str:
    return f"{report.id}~{(report.content_hash or content_hash(report.body))[:ID_SUFFIX_CHARS]}"


class SQLiteStore(SearchMixin):
    """A Tumen store in one SQLite file."""

    def __init__(self, path: str | Path, *, readonly: bool = False,
                 check_same_thread: bool = True):
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
            if not readonly:
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

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "SQLiteStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def query(self, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
        """Rows of a read query as dicts (for store/queries.py and checks)."""
        return [dict(row) for row in self.conn.execute(sql, tuple(params))]

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
                                      (migration.name, _now()))
                    applied.append(migration.name)
                self.conn.execute("COMMIT")
            except sqlite3.DatabaseError as exc:
                self.conn.execute("ROLLBACK")
                raise StoreError(f"{self.path}: migration {migration.name} failed ({exc})") from exc
        return applied

    def migrations(self) -> list[tuple[str, str]]:
        return [(r["name"], r["applied_at"]) for r in
                self.conn.execute("SELECT name, applied_at FROM migrations ORDER BY rowid")]

    def integrity_check(self) -> str:
        return self.conn.execute("PRAGMA integrity_check").fetchone()[0]

    # -- reports ----------------------------------------------------------------------

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
        cur = self.conn.cursor()
        # The batch's own LSH bands, (band, hash) -> ids: written to ``lsh_bands`` at the
        # end of the batch (sorted, one executemany), looked up in memory meanwhile so
        # the batch's reports see each other.  Lookups in the table see every committed
        # report, concurrent writers' too (BEGIN IMMEDIATE: we hold the write lock).
        bands: dict[tuple[int, int], list[str]] = {}
        try:
            cur.execute("BEGIN IMMEDIATE")
            known_hashes, known_ids = self._known(cur, batch)
            first_seq = None
            for report in batch:
                seq = self._add_one(cur, bands, report, now, result, known_hashes, known_ids)
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
            cur.execute("COMMIT")
        except BaseException as exc:  # KeyboardInterrupt too: the batch is all or nothing
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.DatabaseError):
                raise StoreError(f"{self.path}: cannot store reports ({exc})") from exc
            raise
        return result

    @staticmethod
    def _known(cur: sqlite3.Cursor, batch: list[Report]) -> tuple[set[str], set[str]]:
        """Which of the batch's content hashes and ids are already stored (two queries)."""
        for report in batch:
            if not report.content_hash:
                report.content_hash = content_hash(report.body or "")
        hashes = list({r.content_hash for r in batch})
        ids = list({r.id for r in batch} | {_suffixed(r) for r in batch})
        known_hashes = {row[0] for row in cur.execute(
            f"SELECT content_hash FROM reports WHERE content_hash IN ({','.join('?' * len(hashes))})",
            hashes)}
        known_ids = {row[0] for row in cur.execute(
            f"SELECT id FROM reports WHERE id IN ({','.join('?' * len(ids))})", ids)}
        return known_hashes, known_ids

    def _add_one(self, cur: sqlite3.Cursor, bands: dict[tuple[int, int], list[str]],
                 report: Report, now: str, result: IngestResult,
                 known_hashes: set[str], known_ids: set[str]) -> int | None:
        """Store one report of a batch; its seq, or None when it is not stored."""
        if not report.body or not report.body.strip():
            result.skipped += 1
            return None
        digest = report.content_hash
        if digest in known_hashes:
            result.duplicates += 1
            return None
        report_id = report.id
        if report_id in known_ids:
            # The id is taken by a different body: never overwrite; store under a stable
            # suffixed id (the same on every run, so a re-ingest finds it by its hash).
            report_id = _suffixed(report)
            if report_id in known_ids:
                where = report.source_path or "-"
                result.failed.append((f"{where} ({report.locator})" if report.locator else where,
                                      f"id {report.id!r} and {report_id!r} are both taken by "
                                      "other reports; give this report another id"))
                return None
            result.renamed.append((report.id, report_id))
        signature_bytes, band_keys = dedup.signature_and_bands(report.body, digest)
        duplicate_of = self._link_near_duplicate(cur, self._candidates(cur, bands, band_keys),
                                                 report_id, report.published, report.body)
        extra = {k: v for k, v in (report.extra or {}).items()
                 if k not in _MANAGED_EXTRA}
        cur.execute(
            f"INSERT INTO reports ({_REPORT_COLUMNS}) VALUES "
            "(NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'ingested', ?, ?, ?)",
            (report_id, report.title, report.published, report.source, report.url,
             report.language, report.body, report.original, report.source_path,
             report.locator, report.format, digest, now, duplicate_of,
             json.dumps(report.tags, ensure_ascii=False) if report.tags else None,
             json.dumps(extra, ensure_ascii=False, default=str) if extra else None))
        seq = cur.lastrowid
        cur.execute("INSERT INTO minhash VALUES (?, ?, ?)",
                    (report_id, dedup.NUM_PERM, signature_bytes))
        known_hashes.add(digest)
        known_ids.add(report_id)
        for key in band_keys:
            bands.setdefault(key, []).append(report_id)
        result.added += 1
        result.added_ids.append(report_id)
        if duplicate_of:
            result.near_duplicates += 1
            result.links.append((report_id, duplicate_of))
        return seq

    @staticmethod
    def _candidates(cur: sqlite3.Cursor, bands: dict[tuple[int, int], list[str]],
                    band_keys: list[tuple[int, int]]) -> list[str]:
        """Reports sharing at least one LSH band: stored ones (one indexed query, those
        sharing the most bands first, at most ``MAX_CANDIDATES``), then this batch's."""
        params = [v for key in band_keys for v in key]
        found = [row[0] for row in cur.execute(_CANDIDATES_SQL, params)]
        seen = set(found)
        for key in band_keys:
            for rid in bands.get(key, ()):
                if rid not in seen:
                    seen.add(rid)
                    found.append(rid)
        return found

    def _link_near_duplicate(self, cur: sqlite3.Cursor, candidates: list[str],
                             report_id: str, published: str | None, body: str) -> str | None:
        """The id this report duplicates (the group's earliest copy), or None.  When the
        new report is published before the group's earliest copy, it becomes the copy
        the others point to.  Candidates are confirmed with the exact Jaccard of the
        two bodies' shingles."""
        roots: dict[str, tuple] = {}
        shingles = dedup.shingles(body) if candidates else None
        for cand in candidates:
            row = cur.execute("SELECT body, duplicate_of FROM reports WHERE id = ?",
                              (cand,)).fetchone()
            if row is None or dedup.jaccard(shingles, dedup.shingles(row[0])) < dedup.NEAR_DUPLICATE_THRESHOLD:
                continue
            root = row[1] or cand
            if root not in roots:
                r = cur.execute("SELECT published, seq FROM reports WHERE id = ?", (root,)).fetchone()
                if r is not None:
                    roots[root] = (r[0] is None, r[0] or "", r[1])
        if not roots:
            return None
        earliest = min(roots, key=roots.__getitem__)
        undated, first_published, _seq = roots[earliest]
        if published and (undated or published < first_published):
            for root in roots:
                cur.execute("UPDATE reports SET duplicate_of = ? WHERE id = ? OR duplicate_of = ?",
                            (report_id, root, root))
            return None
        return earliest

    def get_report(self, report_id: str) -> Report | None:
        row = self.conn.execute(f"SELECT {_REPORT_COLUMNS} FROM reports WHERE id = ?",
                                (report_id,)).fetchone()
        return _row_to_report(row) if row else None

    def near_duplicates(self, report_id: str) -> list[str]:
        """Ids of the reports linked to this one with duplicate_of (either direction)."""
        rows = self.conn.execute(
            "SELECT id FROM reports WHERE duplicate_of = ? UNION "
            "SELECT duplicate_of FROM reports WHERE id = ? AND duplicate_of IS NOT NULL",
            (report_id, report_id))
        return [r[0] for r in rows]

    def _iter_where(self, where: str, params: tuple, columns: str = _REPORT_COLUMNS) -> Iterator[sqlite3.Row]:
        """Stream rows in ingest order by keyset pages: no cursor stays open across a
        yield, so callers may write to the store while iterating."""
        last = 0
        cond = f"({where}) AND " if where else ""
        while True:
            rows = self.conn.execute(
                f"SELECT {columns} FROM reports r WHERE {cond}r.seq > ? ORDER BY r.seq LIMIT ?",
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
        return self.conn.execute("SELECT count(*) FROM reports").fetchone()[0]

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
            "records": q("SELECT count(*) FROM records").fetchone()[0],
            "places": q("SELECT count(DISTINCT coalesce(place_id, name)) FROM places").fetchone()[0],
            "organizations": q("SELECT count(DISTINCT coalesce(org_id, name)) FROM organizations").fetchone()[0],
            "incidents_by_type": pairs("SELECT type, count(*) FROM incidents GROUP BY 1 ORDER BY 2 DESC"),
            "top_provinces": pairs("SELECT province, count(DISTINCT report_id) FROM places "
                                   f"WHERE province IS NOT NULL GROUP BY 1 ORDER BY 2 DESC LIMIT {int(top)}"),
            "top_places": pairs("SELECT name, count(DISTINCT report_id) FROM places "
                                f"GROUP BY 1 ORDER BY 2 DESC LIMIT {int(top)}"),
            "top_organizations": pairs("SELECT name, count(DISTINCT report_id) FROM organizations "
                                       f"GROUP BY 1 ORDER BY 2 DESC LIMIT {int(top)}"),
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
        cur = self.conn.cursor()
        try:
            cur.execute("BEGIN IMMEDIATE")
            writer = RecordWriter(cur, _now())
            for record in batch:
                rid = record.get("id")
                if not cur.execute("SELECT 1 FROM reports WHERE id = ?", (rid,)).fetchone():
                    raise StoreError(f"{self.path}: a record for report {rid!r}, which is not stored")
                record_rows_delete(cur, rid)
                writer.write(record)
            cur.execute("COMMIT")
        except BaseException as exc:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.DatabaseError):
                raise StoreError(f"{self.path}: cannot store records ({exc})") from exc
            raise
        return len(batch)

    def get_record(self, report_id: str) -> dict | None:
        row = self.conn.execute(
            "SELECT c.record_json, r.duplicate_of FROM records c JOIN reports r ON r.id = c.report_id "
            "WHERE c.report_id = ?", (report_id,)).fetchone()
        if row is None:
            return None
        record = json.loads(row[0])
        if not record.get("duplicate_of") and row[1]:
            record["duplicate_of"] = row[1]
        return record

    def iter_records(self) -> Iterator[dict]:
        last = ""
        while True:
            rows = self.conn.execute(
                "SELECT c.report_id, c.record_json, r.duplicate_of FROM records c "
                "JOIN reports r ON r.id = c.report_id WHERE c.report_id > ? "
                "ORDER BY c.report_id LIMIT ?", (last, READ_CHUNK)).fetchall()
            if not rows:
                return
            for row in rows:
                record = json.loads(row[1])
                if not record.get("duplicate_of") and row[2]:
                    record["duplicate_of"] = row[2]
                yield record
            last = rows[-1][0]

    def reports_needing_analysis(self, analyzer_version: str, since: str | None = None,
                                 reanalyze: bool = False) -> Iterator[Report]:
        """Reports with no record, or one by another analyzer version (all of them with
        ``reanalyze``).  ``since`` keeps reports published on or after that ISO date."""
        conds, params = [], []
        if not reanalyze:
            conds.append("NOT EXISTS (SELECT 1 FROM records c WHERE c.report_id = r.id "
                         "AND c.analyzer = ?)")
            params.append(analyzer_version)
        if since:
            conds.append("r.published >= ?")
            params.append(since)
        for row in self._iter_where(" AND ".join(conds), tuple(params)):
            yield _row_to_report(row)
