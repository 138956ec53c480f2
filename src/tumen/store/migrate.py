"""``tumen migrate --from sqlite:FILE --to postgresql://...`` (and back): move an archive,
nothing lost.

The target database is created by its store's own migrations (same schema version as
the source), then every stored table is copied and verified in one transaction
(``store/pg_copy.py``): row counts of every table, a checksum of every report and of
every other table.  Any difference rolls the copy back, so the target is either a
verified copy or untouched.  The source is only read.

The way back, ``--from postgresql://... --to sqlite:FILE``, writes a new SQLite file (a
team's archive on a laptop, or an offline copy); when the copy fails, the file is
removed again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from tumen.errors import StoreError
from tumen.store.queries import is_postgres_url


@dataclass
class MigrateSummary:
    source: str
    target: str
    counts: dict[str, int] = field(default_factory=dict)
    reports_verified: int = 0
    checksums: dict[str, str] = field(default_factory=dict)
    skipped_tables: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        tables = ", ".join(f"{t} {n}" for t, n in self.counts.items() if t != "reports")
        out = [f"migrated {self.counts.get('reports', 0)} reports from {self.source} to {self.target}",
               f"  copied: {tables}" if tables else "  copied: no other rows",
               f"  verified: row counts of {len(self.counts)} tables, checksums of "
               f"{self.reports_verified} reports and of every other table "
               f"(reports {self.checksums.get('reports', '-')[:16]})"]
        if self.skipped_tables:
            out.append(f"  not in the source (nothing to copy): {', '.join(self.skipped_tables)}")
        return out


def sqlite_path(spec: str) -> str:
    """``sqlite:FILE``, ``sqlite:///FILE`` or a plain path -> the file path."""
    if spec.startswith("sqlite:///"):
        return spec[len("sqlite:///"):]
    if spec.startswith("sqlite:"):
        return spec[len("sqlite:"):]
    if "://" in spec:
        raise StoreError(f"--from {spec}: give the SQLite store as sqlite:FILE")
    return spec


def migrate(source: str, target: str, *,
            progress: Callable[[str, int], None] | None = None) -> MigrateSummary:
    """Copy the SQLite store ``source`` into the empty PostgreSQL database ``target``, or
    the PostgreSQL store ``source`` into the new SQLite file ``target``, and verify the
    copy; raises ``StoreError`` (one line) when it cannot."""
    from tumen.store import open_store
    from tumen.store.sqlite import SQLiteStore

    if is_postgres_url(source):
        return _migrate_to_sqlite(source, target, progress)
    path = sqlite_path(source)
    if not is_postgres_url(target):
        raise StoreError(f"--to {target}: give the target as a postgresql:// URL")
    if not Path(path).is_file():
        raise StoreError(f"{path}: no such store")
    src = SQLiteStore(path, readonly=True)
    try:
        dst = open_store(target)  # creates the schema (migrations) when it is missing
        try:
            from tumen.store.pg_copy import copy_sqlite_to_postgres

            result = copy_sqlite_to_postgres(src.conn, dst.conn, target_name=dst.path,
                                             progress=progress)
        finally:
            dst.close()
    finally:
        src.close()
    return MigrateSummary(source=path, target=dst.path, counts=result.counts,
                          reports_verified=result.reports_verified, checksums=result.checksums,
                          skipped_tables=result.skipped_tables)


def _migrate_to_sqlite(source: str, target: str,
                       progress: Callable[[str, int], None] | None) -> MigrateSummary:
    from tumen.store import open_store
    from tumen.store.pg_copy import copy_postgres_to_sqlite
    from tumen.store.sqlite import SQLiteStore

    if is_postgres_url(target):
        raise StoreError(f"--to {target}: from PostgreSQL, give the target as sqlite:FILE")
    path = Path(sqlite_path(target))
    if path.exists():
        raise StoreError(f"{path}: already exists; migrate into a new file")
    src = open_store(source)  # the PostgreSQL store (its migrations bring it up to date)
    try:
        try:
            dst = SQLiteStore(path)
            try:
                result = copy_postgres_to_sqlite(src.conn, dst.conn, target_name=str(path),
                                                 progress=progress)
            finally:
                dst.close()
        except BaseException:
            for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                leftover.unlink(missing_ok=True)
            raise
    finally:
        src.close()
    return MigrateSummary(source=src.path, target=str(path), counts=result.counts,
                          reports_verified=result.reports_verified, checksums=result.checksums,
                          skipped_tables=result.skipped_tables)


__all__ = ["MigrateSummary", "migrate", "sqlite_path"]
