"""Keeping a store safe: ``backup`` (a consistent copy of a live store) and ``check``.

``backup(db, target)`` copies a SQLite store with SQLite's online backup API while
other processes keep reading and writing it: the copy is one read transaction (a
snapshot of the last commit; in WAL mode writers are not blocked meanwhile), written to
``target.part`` and renamed into place only when complete and verified, so a backup
killed half-way never leaves a half-written file under the target's name.

``check_store(db)`` reads a store without changing it and lists every problem found:
SQLite's own ``integrity_check`` and ``foreign_key_check``, the full-text index against
the reports it indexes, rows of the record tables whose report is gone (orphans), and
records that are not whole (JSON that does not parse, row counts that differ from the
record, a report marked analyzed with no record).  ``tumen check`` exits 1 when there
is any problem.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

from tumen.errors import StoreError

# Tables holding one row per item of a record, keyed by report_id (store/records.py),
# with the record field whose length each must match.
RECORD_TABLES = {"places": "places", "organizations": "organizations", "laws": "laws",
                 "dates": "dates", "incidents": "incidents"}
# Every table whose rows belong to one report (orphans when the report is gone).
REPORT_TABLES = ("records", "minhash", "places", "organizations", "laws", "dates",
                 "incidents", "tags")
# Problems of one kind listed by id before "... and N more" (the count is always exact).
MAX_LISTED = 10
# Records compared with their rows per query while checking (bounds memory).
CHECK_CHUNK = 1000


@dataclass
class BackupResult:
    source: str
    target: str
    reports: int
    bytes: int
    seconds: float

    def line(self) -> str:
        return (f"backed up {self.source} to {self.target}: {self.reports} reports, "
                f"{self.bytes:,} bytes in {self.seconds:.1f} s")


@dataclass
class CheckResult:
    """What ``check_store`` found: ``problems`` (empty when the store is sound)."""

    path: str
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        c = self.counts
        head = (f"{self.path}: {c.get('reports', 0)} reports, {c.get('records', 0)} records: "
                + ("ok" if self.ok else f"{len(self.problems)} problem(s)"))
        return [head] + [f"problem: {p}" for p in self.problems]

    def to_dict(self) -> dict:
        return {"path": self.path, "ok": self.ok, "counts": self.counts, "problems": self.problems}


def _sqlite_path(db: str | Path) -> str:
    target = str(db)
    if target.startswith(("postgres://", "postgresql://")):
        raise StoreError(f"{target}: backup and check are for SQLite stores; for PostgreSQL "
                         "use pg_dump and the server's own checks")
    if target.startswith("sqlite:///"):
        target = target[len("sqlite:///"):]
    if not Path(target).is_file():
        raise StoreError(f"{target}: no such store")
    return target


def _connect_ro(path: str) -> sqlite3.Connection:
    from tumen.store.sqlite import BUSY_TIMEOUT_MS

    try:
        conn = sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True,
                               isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path}: not a readable SQLite store ({exc})") from exc
    return conn


# -- backup ---------------------------------------------------------------------------
def _remove_part(part: Path) -> None:
    """Remove a half-written backup and SQLite's files beside it (its rollback journal
    ``.part-journal`` stays behind when the copy fails, e.g. on a full disk)."""
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(str(part) + suffix).unlink(missing_ok=True)


def backup(db: str | Path, target: str | Path, *, overwrite: bool = False) -> BackupResult:
    """Copy the live SQLite store ``db`` to ``target`` (a consistent snapshot)."""
    source = _sqlite_path(db)
    target = Path(target)
    if target.exists() and target.resolve() == Path(source).resolve():
        raise StoreError(f"{target}: the backup cannot replace the store itself")
    if target.exists() and not overwrite:
        raise StoreError(f"{target}: already exists (choose a new name, or --overwrite)")
    if target.is_dir():
        raise StoreError(f"{target}: is a folder; give the backup a file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    _remove_part(part)
    started = time.perf_counter()
    src = _connect_ro(source)
    try:
        dst = sqlite3.connect(part, isolation_level=None)
        try:
            # pages=-1: the whole database in one step, i.e. one read transaction: a
            # snapshot of one commit however busy the writers are (a step-wise copy is
            # restarted by every write from another connection).
            src.backup(dst, pages=-1)
            dst.execute("PRAGMA journal_mode = DELETE")  # a self-contained single file
            verdict = dst.execute("PRAGMA quick_check").fetchone()[0]
            reports = dst.execute("SELECT count(*) FROM reports").fetchone()[0] \
                if dst.execute("SELECT 1 FROM sqlite_master WHERE name = 'reports'").fetchone() else 0
        finally:
            dst.close()
    except (sqlite3.DatabaseError, OSError) as exc:
        _remove_part(part)
        raise StoreError(f"{target}: backup failed ({exc})") from exc
    finally:
        src.close()
    if verdict != "ok":
        _remove_part(part)
        raise StoreError(f"{target}: the copy does not verify ({verdict})")
    with open(part, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(part, target)
    return BackupResult(source, str(target), reports, target.stat().st_size,
                        time.perf_counter() - started)


# -- check ----------------------------------------------------------------------------
def _listed(ids: list, total: int) -> str:
    shown = ", ".join(map(str, ids[:MAX_LISTED]))
    return shown + (f" ... and {total - MAX_LISTED} more" if total > MAX_LISTED else "")


def _note(problems: list[str], ids: list, what: str) -> None:
    """Add ``"N <what>: id, id, ..."`` to ``problems`` when ``ids`` is not empty."""
    if ids:
        problems.append(f"{len(ids)} {what}: {_listed(ids, len(ids))}")


def _ids(conn: sqlite3.Connection, sql: str) -> list:
    return [r[0] for r in conn.execute(sql).fetchall()]


def _table_names(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}


def _check_sqlite(conn: sqlite3.Connection, problems: list[str]) -> None:
    rows = [r[0] for r in conn.execute("PRAGMA integrity_check(100)")]
    if rows != ["ok"]:
        problems.append(f"SQLite integrity_check: {'; '.join(rows[:5])}"
                        + (f" ... ({len(rows)} messages)" if len(rows) > 5 else ""))
    fk = conn.execute("PRAGMA foreign_key_check").fetchall()
    if fk:
        tables = sorted({r[0] for r in fk})
        problems.append(f"{len(fk)} row(s) break a foreign key (tables: {', '.join(tables)})")


def _check_fts(conn: sqlite3.Connection, problems: list[str], tables: set[str]) -> None:
    if "reports_fts" not in tables:
        problems.append("the full-text index (reports_fts) is missing")
        return
    if "reports_fts_docsize" in tables:
        missing = conn.execute("SELECT count(*) FROM reports r WHERE NOT EXISTS "
                               "(SELECT 1 FROM reports_fts_docsize d WHERE d.id = r.seq)").fetchone()[0]
        stray = conn.execute("SELECT count(*) FROM reports_fts_docsize d WHERE NOT EXISTS "
                             "(SELECT 1 FROM reports r WHERE r.seq = d.id)").fetchone()[0]
        if missing:
            problems.append(f"{missing} report(s) missing from the full-text index")
        if stray:
            problems.append(f"{stray} full-text index entr(y/ies) for reports that are gone")


def _check_orphans(conn: sqlite3.Connection, problems: list[str], tables: set[str]) -> None:
    for table in REPORT_TABLES:
        if table not in tables:
            continue
        rows = conn.execute(f"SELECT DISTINCT report_id FROM {table} t WHERE NOT EXISTS "
                            "(SELECT 1 FROM reports r WHERE r.id = t.report_id)").fetchall()
        if rows:
            problems.append(f"{table}: rows for {len(rows)} report(s) that are not stored "
                            f"(orphans): {_listed([r[0] for r in rows], len(rows))}")
    if "minhash" in tables:
        _note(problems, _ids(conn, "SELECT id FROM reports r WHERE NOT EXISTS "
                                   "(SELECT 1 FROM minhash m WHERE m.report_id = r.id)"),
              "report(s) without a duplicate fingerprint (minhash)")
    _note(problems, _ids(conn, "SELECT id FROM reports r WHERE duplicate_of IS NOT NULL AND NOT "
                               "EXISTS (SELECT 1 FROM reports o WHERE o.id = r.duplicate_of)"),
          "report(s) marked as a duplicate of a report that is not stored")


def _check_fts_index(path: str, problems: list[str]) -> None:
    """FTS5's own integrity-check, comparing the index with the reports.  It is issued
    as a write (changing nothing), so it runs on a read-write connection, outside the
    snapshot of the other checks."""
    from tumen.store.sqlite import BUSY_TIMEOUT_MS

    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'reports_fts'").fetchone():
            return
        # rank 1: also compare the index with its content table (the reports)
        conn.execute("INSERT INTO reports_fts(reports_fts, rank) VALUES ('integrity-check', 1)")
    except sqlite3.DatabaseError as exc:
        problems.append(f"full-text index does not match the reports ({exc}); "
                        "rebuild it with `tumen check --repair`")
    finally:
        conn.close()


def _row_counts(conn: sqlite3.Connection, ids: list[str]) -> dict[str, dict[str, int]]:
    marks = ",".join("?" * len(ids))
    counts: dict[str, dict[str, int]] = {rid: {} for rid in ids}
    for table in RECORD_TABLES:
        for rid, n in conn.execute(f"SELECT report_id, count(*) FROM {table} "
                                   f"WHERE report_id IN ({marks}) GROUP BY report_id", ids):
            counts[rid][table] = n
    return counts


def _check_records(conn: sqlite3.Connection, problems: list[str], tables: set[str]) -> None:
    """Every record whole: JSON parses, its id is its report's, each item has its row."""
    if "records" not in tables:
        return
    broken: list[str] = []
    uneven: list[str] = []
    last = ""
    while True:
        rows = conn.execute("SELECT report_id, record_json FROM records WHERE report_id > ? "
                            "ORDER BY report_id LIMIT ?", (last, CHECK_CHUNK)).fetchall()
        if not rows:
            break
        last = rows[-1][0]
        counts = _row_counts(conn, [r[0] for r in rows])
        for rid, text in rows:
            try:
                record = json.loads(text)
                if not isinstance(record, dict) or record.get("id") != rid:
                    raise ValueError("not this report's record")
            except ValueError:
                broken.append(rid)
                continue
            for table, key in RECORD_TABLES.items():
                if len(record.get(key) or []) != counts[rid].get(table, 0):
                    uneven.append(f"{rid} ({table})")
                    break
    _note(problems, broken, "record(s) whose JSON does not parse or names another report")
    _note(problems, uneven, "record(s) whose rows do not match the record (half written?)")
    _note(problems, _ids(conn, "SELECT id FROM reports r WHERE status IN ('analyzed', 'failed') "
                               "AND NOT EXISTS (SELECT 1 FROM records c WHERE c.report_id = r.id)"),
          "report(s) marked analyzed with no record")


def check_store(db: str | Path) -> CheckResult:
    """Verify a SQLite store without changing it; ``result.problems`` lists what is wrong."""
    path = _sqlite_path(db)
    result = CheckResult(path)
    conn = _connect_ro(path)
    try:
        tables = _table_names(conn)
        if "reports" not in tables:
            result.problems.append("not a Tumen store (no reports table)")
            return result
        result.counts["reports"] = conn.execute("SELECT count(*) FROM reports").fetchone()[0]
        if "records" in tables:
            result.counts["records"] = conn.execute("SELECT count(*) FROM records").fetchone()[0]
        conn.execute("BEGIN")  # one snapshot for every check, even with writers at work
        try:
            _check_sqlite(conn, result.problems)
            _check_fts(conn, result.problems, tables)
            _check_orphans(conn, result.problems, tables)
            _check_records(conn, result.problems, tables)
        finally:
            conn.execute("COMMIT")
    except sqlite3.DatabaseError as exc:
        result.problems.append(f"cannot read the store: {exc}")
        return result
    finally:
        conn.close()
    if "reports_fts" in tables:
        _check_fts_index(path, result.problems)
    return result


def repair_fts(db: str | Path) -> None:
    """Rebuild the full-text index from the reports (what ``check`` suggests when the
    index and the reports disagree).  Stored reports and records are not touched."""
    path = _sqlite_path(db)
    from tumen.store.sqlite import BUSY_TIMEOUT_MS

    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO reports_fts(reports_fts) VALUES ('rebuild')")
        conn.execute("COMMIT")
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path}: cannot rebuild the full-text index ({exc})") from exc
    finally:
        conn.close()


__all__ = ["BackupResult", "CheckResult", "backup", "check_store", "repair_fts"]
