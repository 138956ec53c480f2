"""What the SQLite and PostgreSQL stores share: the report row, the ingest rules, and the
read and write methods whose SQL is the same in both dialects.

``StoreBase`` is the base class of ``SQLiteStore`` and ``PostgresStore``.  It writes its
SQL with ``self.PH``, the backend's parameter placeholder (``?`` for sqlite3, ``%s`` for
psycopg), reads result rows by column name (``sqlite3.Row`` and psycopg's ``dict_row``
both allow it), and leaves to each backend what really differs: opening, migrations,
locking, how a batch is written (``_add_batch``, ``_save_batch``), statistics, and the
search filters' and ranking SQL (``filter_sql`` below applies a dialect's filter table).

The ingest rules (skip an empty body, store an exact duplicate once, store a report
whose id is taken by another body under a stable suffixed id, link a near-duplicate to
its group's earliest copy) are here once, so both backends store the same reports
under the same ids with the same links.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Container, Iterable, Iterator
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, TypeVar

from tumen.errors import QueryError
from tumen.ingest import dedup
from tumen.ingest.normalize import content_hash
from tumen.record import Record, Report
from tumen.store import BATCH_SIZE, IngestResult, SearchFilters

# Reports fetched per query when streaming (iter_reports, exports, analysis).
READ_CHUNK = 500
# Most stored candidates confirmed per new report (those sharing the most LSH bands
# first).  A real near-duplicate group links through its root, so one confirmed member
# is enough; the cap bounds the work when many stored reports collide (bodies with no
# words all share one signature).  On the three article corpora no report had more
# than a handful of candidates.
MAX_CANDIDATES = 50
# Characters of the content hash appended to an id that is already taken by a
# different body ("kcnakp-59ff167348aa7bab~3f2a9c01"): stable across runs, and the same
# in both backends, so ids agree.
ID_SUFFIX_CHARS = 8

REPORT_COLUMNS = ("seq, id, title, published, source, url, language, body, original, "
                  "source_path, locator, format, content_hash, ingested_at, status, "
                  "duplicate_of, tags_json, extra_json")
# Columns an INSERT sets (seq is the database's; status starts as 'ingested').
_INSERT_COLUMNS = ("id, title, published, source, url, language, body, original, "
                   "source_path, locator, format, content_hash, ingested_at, status, "
                   "duplicate_of, tags_json, extra_json")

# Keys the store manages itself, never kept in extra_json: they come back from the
# report's own columns (a re-ingested export carries them as plain fields; the report
# gets its own).  One set for both backends, so their extra_json agrees.
MANAGED_EXTRA = frozenset({"status", "duplicate_of", "ingested_at", "source_path", "locator",
                           "format", "content_hash", "original"})


def now() -> str:
    """The current UTC time as stored (ISO 8601, seconds)."""
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def suffixed(report: Report) -> str:
    """The stable id of a report whose own id is taken by a different body."""
    return f"{report.id}~{(report.content_hash or content_hash(report.body))[:ID_SUFFIX_CHARS]}"


def where_of(report: Report) -> str:
    """Where a report came from, for a failure line: its path (and locator)."""
    where = report.source_path or "-"
    return f"{where} ({report.locator})" if report.locator else where


# The analyzer name of a record whose report changed after it was made (date_undated):
# no analyzer version has it, so ``reports_needing_analysis`` returns the report again.
STALE_ANALYZER = "stale"


def row_to_report(row: Any) -> Report:
    """A ``reports`` row (selected with ``REPORT_COLUMNS``) as a Report, with
    ``extra["status"]``, ``extra["duplicate_of"]`` and ``extra["ingested_at"]`` set."""
    extra = json.loads(row["extra_json"]) if row["extra_json"] else {}
    extra.update(status=row["status"], duplicate_of=row["duplicate_of"],
                 ingested_at=row["ingested_at"])
    original = row["original"]
    if original is not None and not isinstance(original, (bytes, str)):
        original = bytes(original)  # a driver's buffer type (memoryview)
    return Report(
        id=row["id"], body=row["body"], title=row["title"], published=row["published"],
        source=row["source"], url=row["url"], language=row["language"],
        tags=json.loads(row["tags_json"]) if row["tags_json"] else None,
        source_path=row["source_path"], locator=row["locator"], format=row["format"],
        original=original, content_hash=row["content_hash"], extra=extra,
    )


def report_values(report: Report, report_id: str, stored_at: str,
                  duplicate_of: str | None) -> tuple:
    """The values of ``insert_report_sql`` for a report stored as ``report_id`` (its
    ``extra`` without the ``MANAGED_EXTRA`` keys)."""
    extra = {k: v for k, v in (report.extra or {}).items() if k not in MANAGED_EXTRA}
    return (report_id, report.title, report.published, report.source, report.url,
            report.language, report.body, report.original, report.source_path,
            report.locator, report.format, report.content_hash, stored_at, duplicate_of,
            json.dumps(report.tags, ensure_ascii=False) if report.tags else None,
            json.dumps(extra, ensure_ascii=False, default=str) if extra else None)


def insert_report_sql(ph: str) -> str:
    """The INSERT of one report row with ``ph`` placeholders (``report_values`` order)."""
    columns = [c.strip() for c in _INSERT_COLUMNS.split(",")]
    marks = ", ".join("'ingested'" if c == "status" else ph for c in columns)
    return f"INSERT INTO reports ({_INSERT_COLUMNS}) VALUES ({marks})"


def add_own_candidates(found: list[str], band_keys: Iterable[tuple[int, int]],
                       own: dict[tuple[int, int], list[str]]) -> list[str]:
    """``found`` (stored candidates) followed by the reports of the current batch that
    share a band, each once."""
    seen = set(found)
    for key in band_keys:
        for rid in own.get(key, ()):
            if rid not in seen:
                seen.add(rid)
                found.append(rid)
    return found


def batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """``items`` in lists of ``size`` (the last one shorter)."""
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


# -- search (the dialects' search mixins: sqlite_search.py, pg_search.py) -------------

# Columns of a search hit besides score, snippet and title_hl (both backends' shape).
HIT_COLUMNS = "r.id, r.title, r.published, r.source, r.url, r.duplicate_of, r.status"


def filter_sql(filters: SearchFilters, table: dict[str, tuple[str, int, Any]]) -> tuple[str, tuple]:
    """A search's filters as one SQL condition on ``reports r`` and its parameters, from a
    dialect's table of filters (name -> (condition, times the value is bound, transform))."""
    conds, params = [], []
    for name, value in filters.active().items():
        if name not in table:
            raise QueryError(f"unknown filter {name!r}")
        sql, n, transform = table[name]
        conds.append(sql)
        params.extend([transform(value)] * n)
    return " AND ".join(conds), tuple(params)


def _with_duplicate_of(record_json: str, duplicate_of: str | None) -> dict:
    """A stored record with its ``duplicate_of``, which is stored once: in
    ``reports.duplicate_of`` (the record's JSON keeps the key, empty).  A record saved
    without the key reads back without it unless the report has a link."""
    record = json.loads(record_json)
    if "duplicate_of" in record or duplicate_of is not None:
        record["duplicate_of"] = duplicate_of
    return record


_S = TypeVar("_S", bound="StoreBase")


class StoreBase:
    """Methods of the Store API that are the same in both backends.  A subclass sets
    ``PH`` and ``RECORD_ID_ORDER`` and provides ``conn``, ``path``, ``_stored_values``,
    ``_add_batch``, ``_save_batch`` and (from its search mixin) ``_filter_sql``."""

    PH = "?"
    # How iter_records orders report ids (byte order in both backends).
    RECORD_ID_ORDER = "c.report_id"
    conn: Any
    path: str

    if TYPE_CHECKING:  # what the subclass and its search mixin provide (declared for mypy)
        def _write(self) -> AbstractContextManager[Any]: ...
        def _filter_sql(self, filters: SearchFilters) -> tuple[str, tuple]: ...

    # -- plumbing ---------------------------------------------------------------------

    def close(self) -> None:
        self.conn.close()

    def __enter__(self: _S) -> _S:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing reports --------------------------------------------------------------

    def add_reports(self, reports: Iterable[Report], batch_size: int = BATCH_SIZE) -> IngestResult:
        """Store new reports, one transaction per ``batch_size``; skip exact duplicates,
        link near-duplicates, reject an id already stored with a different body."""
        result = IngestResult()
        for batch in batches(reports, batch_size):
            result.merge(self._add_batch(batch))
        return result

    def _add_batch(self, batch: list[Report]) -> IngestResult:
        raise NotImplementedError

    def _known(self, cur: Any, batch: list[Report]) -> tuple[set[str], set[str]]:
        """Which of the batch's content hashes and ids are already stored (two queries);
        fills in the content hashes the batch lacks."""
        for report in batch:
            if not report.content_hash:
                report.content_hash = content_hash(report.body or "")
        hashes = list({r.content_hash for r in batch if r.content_hash})  # all, once filled in
        ids = list({r.id for r in batch} | {suffixed(r) for r in batch})
        return (self._stored_values(cur, "content_hash", hashes),
                self._stored_values(cur, "id", ids))

    def _stored_values(self, cur: Any, column: str, values: list[str]) -> set[str]:
        """The ``values`` found in ``reports.column`` (one query, dialect-specific)."""
        raise NotImplementedError

    def _unstorable(self, report: Report) -> str | None:
        """Why the backend cannot store this report at all, or None."""
        return None

    def _new_id(self, report: Report, result: IngestResult, known_hashes: set[str],
                known_ids: set[str]) -> str | None:
        """The id a report of a batch is stored under, or None when it is not stored
        (no body, an exact duplicate, unstorable, or both of its ids taken); counts what
        it skips in ``result``."""
        if not report.body or not report.body.strip():
            result.skipped += 1
            return None
        if report.content_hash in known_hashes:
            result.duplicates += 1
            return None
        reason = self._unstorable(report)
        if reason:
            result.failed.append((where_of(report), reason))
            return None
        report_id = report.id
        if report_id in known_ids:
            # The id is taken by a different body: never overwrite; store under a stable
            # suffixed id (the same on every run, so a re-ingest finds it by its hash).
            report_id = suffixed(report)
            if report_id in known_ids:
                result.failed.append((where_of(report),
                                      f"id {report.id!r} and {report_id!r} are both taken by "
                                      "other reports; give this report another id"))
                return None
            result.renamed.append((report.id, report_id))
        return report_id

    @staticmethod
    def _note_added(result: IngestResult, report: Report, report_id: str,
                    duplicate_of: str | None, band_keys: Iterable[tuple[int, int]],
                    own: dict[tuple[int, int], list[str]], known_hashes: set[str],
                    known_ids: set[str]) -> None:
        """Book a stored report: the batch's later reports see its hash, id and bands."""
        assert report.content_hash is not None  # _known filled it in
        known_hashes.add(report.content_hash)
        known_ids.add(report_id)
        for key in band_keys:
            own.setdefault(key, []).append(report_id)
        result.added += 1
        result.added_ids.append(report_id)
        if duplicate_of:
            result.near_duplicates += 1
            result.links.append((report_id, duplicate_of))

    def _link_near_duplicate(self, cur: Any, candidates: list[str], report_id: str,
                             published: str | None, body: str) -> str | None:
        """The id this report duplicates (the group's earliest copy), or None.  When the
        new report is published before the group's earliest copy, it becomes the copy
        the others point to.  Candidates are confirmed with the exact Jaccard of the
        two bodies' shingles."""
        ph = self.PH
        roots: dict[str, tuple] = {}
        shingles = dedup.shingles(body if candidates else "")  # compared only with candidates
        for cand in candidates:
            row = cur.execute(f"SELECT body, duplicate_of FROM reports WHERE id = {ph}",
                              (cand,)).fetchone()
            if (row is None or dedup.jaccard(shingles, dedup.shingles(row["body"]))
                    < dedup.NEAR_DUPLICATE_THRESHOLD):
                continue
            root = row["duplicate_of"] or cand
            if root not in roots:
                r = cur.execute(f"SELECT published, seq FROM reports WHERE id = {ph}",
                                (root,)).fetchone()
                if r is not None:
                    roots[root] = (r["published"] is None, r["published"] or "", r["seq"])
        if not roots:
            return None
        earliest = min(roots, key=roots.__getitem__)
        undated, first_published, _seq = roots[earliest]
        if published and (undated or published < first_published):
            for root in roots:
                cur.execute(f"UPDATE reports SET duplicate_of = {ph} WHERE id = {ph} "
                            f"OR duplicate_of = {ph}", (report_id, root, root))
            return None
        return earliest

    def date_undated(self, report_ids: Iterable[str], day: str) -> list[str]:
        """Give the stored reports among ``report_ids`` that have no publication date the
        day ``day`` (``--published`` on a re-ingest of an undated page); their records
        are marked stale so the next ``tumen analyze`` redoes them.  Returns the ids dated."""
        ids = list(dict.fromkeys(report_ids))
        if not ids:
            return []
        ph = self.PH
        dated = []
        with self._write() as cur:
            for rid in ids:
                row = cur.execute(f"SELECT extra_json FROM reports WHERE id = {ph} AND published IS NULL",
                                  (rid,)).fetchone()
                if row is None:
                    continue
                raw = row["extra_json"] if hasattr(row, "keys") else row[0]
                extra = dict(raw) if isinstance(raw, dict) else json.loads(raw) if raw else {}
                extra["published_given"] = "--published"
                cur.execute(f"UPDATE reports SET published = {ph}, extra_json = {ph} WHERE id = {ph}",
                            (day, json.dumps(extra, ensure_ascii=False), rid))
                cur.execute(f"UPDATE records SET analyzer = {ph} WHERE report_id = {ph}",
                            (STALE_ANALYZER, rid))
                dated.append(rid)
        return dated

    # -- reading reports --------------------------------------------------------------

    def get_report(self, report_id: str) -> Report | None:
        row = self.conn.execute(f"SELECT {REPORT_COLUMNS} FROM reports WHERE id = {self.PH}",
                                (report_id,)).fetchone()
        return row_to_report(row) if row else None

    def near_duplicates(self, report_id: str) -> list[str]:
        """Ids of the reports linked to this one with duplicate_of (either direction)."""
        rows = self.conn.execute(
            f"SELECT id AS rid FROM reports WHERE duplicate_of = {self.PH} UNION "
            f"SELECT duplicate_of FROM reports WHERE id = {self.PH} AND duplicate_of IS NOT NULL",
            (report_id, report_id))
        return [r["rid"] for r in rows]

    def _iter_where(self, where: str, params: tuple, columns: str = REPORT_COLUMNS) -> Iterator[Any]:
        """Stream rows in ingest order by keyset pages: no cursor stays open across a
        yield, so callers may write to the store while iterating."""
        last = 0
        cond = f"({where}) AND " if where else ""
        while True:
            rows = self.conn.execute(
                f"SELECT {columns} FROM reports r WHERE {cond}r.seq > {self.PH} "
                f"ORDER BY r.seq LIMIT {self.PH}", (*params, last, READ_CHUNK)).fetchall()
            if not rows:
                return
            yield from rows
            last = rows[-1]["seq"]

    def iter_reports(self, *, since: str | None = None, until: str | None = None,
                     source: str | None = None, status: str | None = None) -> Iterator[Report]:
        where, params = self._filter_sql(SearchFilters(since=since, until=until, source=source,
                                                       status=status))
        for row in self._iter_where(where, params):
            yield row_to_report(row)

    def count(self) -> int:
        return self.conn.execute("SELECT count(*) AS n FROM reports").fetchone()["n"]

    def count_records(self) -> int:
        return self.conn.execute("SELECT count(*) AS n FROM records").fetchone()["n"]

    # -- records ----------------------------------------------------------------------

    def save_records(self, records: Iterable[Record | dict], batch_size: int = BATCH_SIZE) -> int:
        """Store analysis records (``Record``s, or dicts of ``Record.to_dict()``'s shape).
        Each replaces the report's previous record and rows atomically; one transaction
        per batch."""
        as_dicts = (r.to_dict() if isinstance(r, Record) else r for r in records)
        return sum(self._save_batch(batch) for batch in batches(as_dicts, batch_size))

    def _save_batch(self, batch: list[dict]) -> int:
        raise NotImplementedError

    def record(self, report_id: str) -> Record | None:
        """The analyzer's record of a report, typed (``get_record`` gives its JSON dict)."""
        data = self.get_record(report_id)
        return Record.from_dict(data) if data is not None else None

    def get_record(self, report_id: str) -> dict | None:
        row = self.conn.execute(
            "SELECT c.record_json, r.duplicate_of FROM records c JOIN reports r ON r.id = c.report_id "
            f"WHERE c.report_id = {self.PH}", (report_id,)).fetchone()
        if row is None:
            return None
        return _with_duplicate_of(row["record_json"], row["duplicate_of"])

    def reports_with_event(self, province: str, date: str, types: Iterable[str] | None = None) -> list[dict]:
        """Reports whose stored record has an incident in ``province`` on the day ``date``
        (of one of ``types``, when given): dicts with id, published and body, one per
        report however many such incidents it has."""
        types = sorted(types) if types is not None else None
        if types == []:
            return []
        type_cond = f" AND i.type IN ({', '.join([self.PH] * len(types))})" if types else ""
        rows = self.conn.execute(
            "SELECT r.id AS id, r.published AS published, r.body AS body FROM reports r "
            "WHERE r.id IN (SELECT i.report_id FROM incidents i "
            f"WHERE i.date = {self.PH} AND i.province = {self.PH} AND i.date_precision = 'day'{type_cond}) "
            "ORDER BY r.id",
            (date, province, *(types or ()))).fetchall()
        return [dict(row) for row in rows]

    def records_with_incidents_in(self, province: str | None, month: str, *, any_province: bool = False,
                                  dated: bool | None = None, skip: Container[str] = (),
                                  or_unknown: bool = False) -> list[dict]:
        """Stored records (with their ``event`` fields) that have an incident in
        ``province`` (None: without a province; ``any_province``: in any) dated in
        ``month`` (YYYY-MM), or undated (or dated to the year only) in a report published
        that month; only the first kind with ``dated=True``, only the second with
        ``dated=False``; with ``or_unknown``, incidents without a province too; the
        records of the ids in ``skip`` are left out (not even decoded).  For event
        linking (``tumen.analysis.events``)."""
        y, m = int(month[:4]), int(month[5:7])
        following = f"{y + m // 12:04d}-{m % 12 + 1:02d}"
        params: tuple[str, ...]
        if any_province:
            cond, params = "", ()
        elif province is None:
            cond, params = "i.province IS NULL AND ", ()
        elif or_unknown:
            cond, params = f"(i.province = {self.PH} OR i.province IS NULL) AND ", (province,)
        else:
            cond, params = f"i.province = {self.PH} AND ", (province,)
        parts, args = [], []
        if dated is not False:
            parts.append("c.report_id IN (SELECT i.report_id FROM incidents i "
                         f"WHERE {cond}i.date >= {self.PH} AND i.date < {self.PH})")
            args += [*params, month, following]
        if dated is not True:
            parts.append("c.report_id IN (SELECT i.report_id FROM incidents i JOIN reports p ON p.id = i.report_id "
                         f"WHERE {cond}(i.date IS NULL OR LENGTH(i.date) < 7) "
                         f"AND p.published >= {self.PH} AND p.published < {self.PH})")
            args += [*params, month, following]
        rows = self.conn.execute(
            "SELECT c.report_id, c.record_json, r.duplicate_of FROM records c JOIN reports r ON r.id = c.report_id "
            f"WHERE {' OR '.join(parts)} ORDER BY c.report_id", args).fetchall()
        return [_with_duplicate_of(row["record_json"], row["duplicate_of"]) for row in rows
                if row["report_id"] not in skip]

    def iter_records(self) -> Iterator[dict]:
        last = ""
        while True:
            rows = self.conn.execute(
                "SELECT c.report_id, c.record_json, r.duplicate_of FROM records c "
                f"JOIN reports r ON r.id = c.report_id WHERE {self.RECORD_ID_ORDER} > {self.PH} "
                f"ORDER BY {self.RECORD_ID_ORDER} LIMIT {self.PH}", (last, READ_CHUNK)).fetchall()
            if not rows:
                return
            for row in rows:
                yield _with_duplicate_of(row["record_json"], row["duplicate_of"])
            last = rows[-1]["report_id"]

    def reports_needing_analysis(self, analyzer_version: str, since: str | None = None,
                                 reanalyze: bool = False) -> Iterator[Report]:
        """Reports with no record, or one by another analyzer version (all of them with
        ``reanalyze``).  ``since`` keeps reports published on or after that ISO date."""
        conds, params = [], []
        if not reanalyze:
            conds.append("NOT EXISTS (SELECT 1 FROM records c WHERE c.report_id = r.id "
                         f"AND c.analyzer = {self.PH})")
            params.append(analyzer_version)
        if since:
            conds.append(f"r.published >= {self.PH}")
            params.append(since)
        for row in self._iter_where(" AND ".join(conds), tuple(params)):
            yield row_to_report(row)
