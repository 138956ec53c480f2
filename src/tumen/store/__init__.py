"""The store: reports, their analysis records, search.  The only package that speaks SQL.

``open_store(url_or_path)`` returns a backend behind one API (the ``Store`` protocol):
a path or ``sqlite:///path`` opens SQLite (``store/sqlite.py``); ``postgresql://...``
opens PostgreSQL (``store/postgres.py``).  Callers never see SQL or a dialect.

Where things are: ``common.py`` (reports and records, the ingest rules),
``readmodel.py`` (what the web, ``tumen show``/``export``/``stats`` read: the corrected
record, search with snippets and facets, incidents) with ``accounts.py`` (users,
settings, corrections, the house model as bytes), ``sqlite*.py`` and ``pg_*.py``/``postgres.py`` (each dialect's
own SQL: full-text search, locking, time limits, migrations).

May import the base (``tumen.record``, ``tumen.errors``), the ingest stages and
``tumen.analysis``; never the engines, ``tumen.ingest.run``, the web or the CLI
(tests/test_layout.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from tumen.errors import Failures, StoreError
from tumen.record import Report

# Reports written per transaction.  A batch is atomic: an ingest killed mid-way keeps
# every committed batch and none of the interrupted one, and a rerun skips what is
# stored (ids and content hashes are UNIQUE).  500 amortizes the commit (an fsync in
# WAL mode) to well under 0.1 ms per report; larger batches gained nothing measurable
# in benchmarks/ingest.py.
BATCH_SIZE = 500


@dataclass
class IngestResult:
    """What ``add_reports`` did.  ``failed`` holds ``(where, reason)`` per rejected item."""

    added: int = 0
    duplicates: int = 0  # exact duplicates: same normalized body already stored
    near_duplicates: int = 0  # stored and linked with duplicate_of
    skipped: int = 0  # items with no body (headline-only records)
    # (given id, stored id) for reports whose id was already taken by another body:
    # they are stored as "<id>~<first 8 hex of the body's sha256>", never overwriting.
    renamed: list[tuple[str, str]] = field(default_factory=list)
    # the first MAX_FAILURES_KEPT failures; ``failed.total`` counts them all
    failed: Failures = field(default_factory=Failures)
    added_ids: list[str] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)  # (report id, duplicate_of)

    def merge(self, other: IngestResult) -> IngestResult:
        self.added += other.added
        self.duplicates += other.duplicates
        self.near_duplicates += other.near_duplicates
        self.skipped += other.skipped
        self.renamed.extend(other.renamed)
        self.failed.extend(other.failed)
        self.added_ids.extend(other.added_ids)
        self.links.extend(other.links)
        return self


@dataclass
class SearchFilters:
    """Filters of a search, backend-neutral.  ``None`` means no filter.

    Dates are ISO prefixes (``2024``, ``2024-05``, ``2024-05-10``) on ``published``.
    ``place``/``province``/``org`` match a canonical name (any case) or a gazetteer id;
    ``type`` an incident type; ``tag`` an analysis tag or an editor tag.
    """

    since: str | None = None
    until: str | None = None
    source: str | None = None
    place: str | None = None
    province: str | None = None
    org: str | None = None
    type: str | None = None
    tag: str | None = None
    status: str | None = None

    def active(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v not in (None, "")}


class Store(Protocol):
    """What every backend offers.  Reports come back as ``record.Report`` with
    ``extra["status"]``, ``extra["duplicate_of"]`` and ``extra["ingested_at"]`` set."""

    path: str  # what messages name (a PostgreSQL URL without its password)
    conn: Any  # the backend's DB-API connection (sqlite3 or psycopg)

    def __enter__(self) -> Store: ...
    def __exit__(self, *exc: object) -> None: ...
    def add_reports(self, reports: Iterable[Report], batch_size: int = BATCH_SIZE) -> IngestResult: ...
    def get_report(self, report_id: str) -> Report | None: ...
    def near_duplicates(self, report_id: str) -> list[str]: ...
    def date_undated(self, report_ids: Iterable[str], day: str) -> list[str]: ...
    def iter_reports(self, *, since: str | None = None, until: str | None = None,
                     source: str | None = None, status: str | None = None) -> Iterator[Report]: ...
    def count(self) -> int: ...
    def stats(self) -> dict[str, Any]: ...
    def save_records(self, records: Iterable[dict]) -> int: ...
    def get_record(self, report_id: str) -> dict | None: ...
    def iter_records(self) -> Iterator[dict]: ...
    def reports_needing_analysis(self, analyzer_version: str, since: str | None = None,
                                 reanalyze: bool = False) -> Iterator[Report]: ...
    def search(self, query: Any, filters: SearchFilters, *, limit: int = 20,
               offset: int = 0) -> list[dict]: ...
    def corrected_report_ids(self) -> set[str]: ...
    def close(self) -> None: ...
    # records, typed and corrected
    def record(self, report_id: str) -> Any: ...  # record.Record | None
    def count_records(self) -> int: ...
    def corrected_record(self, report_id: str) -> dict | None: ...
    def corrected_records(self) -> Iterator[dict]: ...
    # the read model (store/readmodel.py): search with snippets and facets, incidents
    def search_reports(self, filters: Any, limit: int, offset: int) -> list[dict]: ...
    def count_reports(self, filters: Any) -> int: ...
    def report_facet_counts(self, filters: Any) -> list[tuple[str, str, int]]: ...
    def list_incidents(self, filters: Any, sort: str = "date", descending: bool = True,
                       limit: int | None = 100, offset: int = 0) -> list[dict]: ...
    def iter_incidents(self, filters: Any, sort: str = "date",
                       descending: bool = True) -> Iterator[dict]: ...
    def incident_type_counts(self) -> dict[str, int]: ...
    def sync_index(self) -> int: ...
    # users, settings, corrections, models
    def add_user(self, name: str, role: str, password_hash: str) -> None: ...
    def user(self, name: str) -> dict | None: ...
    def list_users(self) -> list[dict]: ...
    def remove_user(self, name: str) -> bool: ...
    def setting(self, key: str) -> str | None: ...
    def put_setting(self, key: str, value: str) -> None: ...
    def add_correction(self, report_id: str, action: str, target: str | None,
                       changes: dict, author: str) -> int: ...
    def get_corrections(self, report_id: str) -> list[dict]: ...
    def put_model(self, name: str, data: bytes) -> None: ...
    def model(self, name: str) -> bytes | None: ...


def open_store(url_or_path: str | Path, **options: Any) -> Store:
    """Open (creating and migrating if needed) the store at a path or URL."""
    target = str(url_or_path)
    if target.startswith(("postgres://", "postgresql://")):
        try:
            from tumen.store.postgres import PostgresStore
        except ModuleNotFoundError as exc:
            raise StoreError(f"{target}: the PostgreSQL backend is not available ({exc})") from exc
        return PostgresStore(target, **options)
    if target.startswith("sqlite:///"):
        target = target[len("sqlite:///"):]
    elif "://" in target:
        raise StoreError(f"{target}: unknown store URL (use a file path, sqlite:///path or postgresql://...)")
    from tumen.store.sqlite import SQLiteStore

    return SQLiteStore(target, **options)


__all__ = ["BATCH_SIZE", "IngestResult", "SearchFilters", "Store", "open_store"]
