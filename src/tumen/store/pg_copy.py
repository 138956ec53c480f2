"""Copying a store between SQLite and PostgreSQL, table by table, and proving it.

The SQL side of ``tumen migrate`` (``tumen/store/migrate.py`` is the command's logic).  Every
stored table is copied with its columns as they are (ids, ``seq`` ingest order, status,
``duplicate_of`` links, ingest times, original bytes, MinHash signatures, records,
users, corrections), through ``COPY ... FROM STDIN``, in ONE transaction; before it
commits, the target is read back and compared with the source: the row count of every
table, a checksum of every report (all of its columns) and an order-independent
checksum of every other table.  Any difference rolls the whole copy back.

The web's derived tables (``web_facets``, ``web_incidents`` ...) are not copied: the
target's triggers mark every report dirty and the web rebuilds them.  The full-text
index (``reports_fts``) is filled by the target's trigger as reports are copied.

The way back (``copy_postgres_to_sqlite``: a team's archive to one file, for a laptop or
an offline copy) copies the same tables into a new SQLite store in one SQLite
transaction, rebuilds its full-text index and near-duplicate bands (derived tables,
which SQLite's store fills itself), and verifies the copy the same way before it
commits.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import psycopg

from tumen.errors import StoreError

# Tables copied, in foreign-key order, with the column that orders their rows.
COPY_TABLES: tuple[tuple[str, str], ...] = (
    ("reports", "seq"), ("minhash", "report_id"), ("records", "report_id"),
    ("places", "rowid"), ("organizations", "rowid"), ("laws", "rowid"), ("dates", "rowid"),
    ("incidents", "rowid"), ("tags", "rowid"), ("users", "name"), ("web_settings", "key"),
    ("corrections", "id"),
)
# Identity columns whose sequence must continue after the copied values.
IDENTITIES = (("reports", "seq"), ("corrections", "id"))
# Rows read from SQLite per fetch while copying.
FETCH_ROWS = 2000


@dataclass
class CopyResult:
    counts: dict[str, int] = field(default_factory=dict)  # table -> rows copied
    reports_verified: int = 0
    checksums: dict[str, str] = field(default_factory=dict)  # table -> checksum (both sides)
    skipped_tables: list[str] = field(default_factory=list)  # absent from the source


def _canonical(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"bytes": bytes(value).hex()}
    if isinstance(value, float):
        return repr(value)
    return value


def row_digest(row: tuple) -> str:
    """sha256 of a row's values (bytes as hex, floats by repr): the same on both sides."""
    data = json.dumps([_canonical(v) for v in row], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def _sqlite_columns(conn: sqlite3.Connection, table: str) -> list[str] | None:
    rows = conn.execute(f"PRAGMA table_info({table})").fetchall()
    return [r[1] for r in rows] or None


def _pg_columns(conn: psycopg.Connection, table: str) -> list[str] | None:
    rows = conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = %s ORDER BY ordinal_position", (table,)).fetchall()
    return [r["column_name"] if isinstance(r, dict) else r[0] for r in rows] or None


def _quoted(columns: list[str]) -> str:
    return ", ".join(f'"{c}"' for c in columns)


def _sqlite_rows(conn: sqlite3.Connection, table: str, columns: list[str],
                 order: str) -> Iterator[tuple]:
    cur = conn.execute(f"SELECT {_quoted(columns)} FROM {table} ORDER BY {order}")
    while True:
        rows = cur.fetchmany(FETCH_ROWS)
        if not rows:
            return
        for row in rows:
            yield tuple(row)


def _pg_rows(conn: psycopg.Connection, table: str, columns: list[str],
             order: str | None = None) -> Iterator[tuple]:
    with conn.cursor(row_factory=psycopg.rows.tuple_row) as cur:
        cur.execute(f"SELECT {_quoted(columns)} FROM {table}" + (f" ORDER BY {order}" if order else ""))
        while True:
            rows = cur.fetchmany(FETCH_ROWS)
            if not rows:
                return
            yield from rows


def _pg_order(order: str) -> str | None:
    """A ``COPY_TABLES`` order column as PostgreSQL has it (its tables have no rowid)."""
    return None if order == "rowid" else order


def _report_digests(rows: Iterator[tuple], id_index: int) -> dict[str, str]:
    return {row[id_index]: row_digest(row) for row in rows}


def _table_digest(rows: Iterator[tuple]) -> tuple[int, str]:
    digests = sorted(row_digest(row) for row in rows)
    return len(digests), hashlib.sha256("".join(digests).encode()).hexdigest()


def _plan(source_columns: Callable[[str], list[str] | None], target_columns: Callable[[str], list[str] | None],
          result: CopyResult, target_name: str) -> list[tuple[str, str, list[str]]]:
    """(table, order column, columns) of every table to copy; a table the source lacks
    is noted as skipped, one the target cannot hold stops the copy before it starts."""
    plan: list[tuple[str, str, list[str]]] = []
    for table, order in COPY_TABLES:
        src_cols = source_columns(table)
        if src_cols is None:
            result.skipped_tables.append(table)
            continue
        dst_cols = target_columns(table)
        if dst_cols is None:
            raise StoreError(f"{target_name}: has no table {table!r}; it cannot hold this store")
        missing = [c for c in src_cols if c not in dst_cols]
        if missing:
            raise StoreError(f"{target_name}: table {table} has no column(s) {', '.join(missing)}; "
                             "nothing was copied")
        plan.append((table, order, src_cols))
    return plan


def copy_sqlite_to_postgres(source: sqlite3.Connection, target: psycopg.Connection, *,
                            target_name: str = "target",
                            progress: Callable[[str, int], None] | None = None) -> CopyResult:
    """Copy every stored table of ``source`` into the (migrated, empty) ``target`` and
    verify it, all in one transaction of ``target``; raises ``StoreError`` on any
    difference (nothing is committed then)."""
    result = CopyResult()
    plan = _plan(lambda t: _sqlite_columns(source, t), lambda t: _pg_columns(target, t), result, target_name)
    try:
        with target.transaction():
            n = target.execute("SELECT count(*) AS n FROM reports").fetchone()
            n = n["n"] if isinstance(n, dict) else n[0]
            if n:
                raise StoreError(f"{target_name}: already holds {n} reports; migrate into an "
                                 "empty database")
            target.execute("SELECT pg_advisory_xact_lock(%s)", (0x54756D656E,))
            for table, order, cols in plan:
                copied = 0
                with target.cursor().copy(f"COPY {table} ({_quoted(cols)}) FROM STDIN") as copy:
                    for row in _sqlite_rows(source, table, cols, order):
                        copy.write_row(row)
                        copied += 1
                        if progress and copied % 5000 == 0:
                            progress(table, copied)
                result.counts[table] = copied
                if progress:
                    progress(table, copied)
            for table, column in IDENTITIES:
                if any(t == table for t, _, _ in plan):
                    target.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                        f"coalesce((SELECT max({column}) FROM {table}), 0) + 1, false)")
            _verify(lambda t, c, o: _sqlite_rows(source, t, c, o), lambda t, c, o: _pg_rows(target, t, c),
                    plan, result, target_name)
    except psycopg.Error as exc:
        raise StoreError(f"{target_name}: the copy failed and was rolled back "
                         f"({' '.join(str(exc).split())})") from exc
    return result


def copy_postgres_to_sqlite(source: psycopg.Connection, target: sqlite3.Connection, *,
                            target_name: str = "target",
                            progress: Callable[[str, int], None] | None = None) -> CopyResult:
    """Copy every stored table of the PostgreSQL store ``source`` into the (migrated,
    empty) SQLite store ``target`` -- a connection with the store's band-hash function,
    as ``SQLiteStore`` opens it -- and verify it, in one transaction of ``target``;
    raises ``StoreError`` on any difference (nothing is committed then)."""
    from tumen.store.migrations import LSH_BANDS_FILL_SQL

    result = CopyResult()
    plan = _plan(lambda t: _pg_columns(source, t), lambda t: _sqlite_columns(target, t), result, target_name)
    target.execute("BEGIN IMMEDIATE")
    try:
        n = target.execute("SELECT count(*) FROM reports").fetchone()[0]
        if n:
            raise StoreError(f"{target_name}: already holds {n} reports; migrate into a new file")
        target.execute("PRAGMA defer_foreign_keys = ON")
        for table, order, cols in plan:
            insert = f"INSERT INTO {table} ({_quoted(cols)}) VALUES ({', '.join('?' * len(cols))})"
            copied = 0
            batch: list[tuple] = []
            for row in _pg_rows(source, table, cols, _pg_order(order)):
                batch.append(row)
                if len(batch) >= FETCH_ROWS:
                    target.executemany(insert, batch)
                    copied += len(batch)
                    batch = []
                    if progress:
                        progress(table, copied)
            target.executemany(insert, batch)
            copied += len(batch)
            result.counts[table] = copied
            if progress:
                progress(table, copied)
        # derived tables that SQLite's store fills itself
        target.execute("INSERT INTO reports_fts(reports_fts) VALUES ('rebuild')")
        target.execute(LSH_BANDS_FILL_SQL)
        _verify(lambda t, c, o: _pg_rows(source, t, c, _pg_order(o)), lambda t, c, o: _sqlite_rows(target, t, c, o),
                plan, result, target_name)
        target.execute("COMMIT")
    except BaseException as exc:
        target.execute("ROLLBACK")
        if isinstance(exc, (psycopg.Error, sqlite3.Error)):
            raise StoreError(f"{target_name}: the copy failed and was rolled back "
                             f"({' '.join(str(exc).split())})") from exc
        raise
    return result


def _verify(read_source: Callable[[str, list[str], str], Iterator[tuple]],
            read_target: Callable[[str, list[str], str], Iterator[tuple]],
            plan: list[tuple[str, str, list[str]]], result: CopyResult, target_name: str) -> None:
    """Row counts, a checksum of every report and an order-free checksum of every other
    table, source against target; ``read_*(table, columns, order)`` yield the rows."""
    for table, order, cols in plan:
        if table == "reports":
            idx = cols.index("id")
            src = _report_digests(read_source(table, cols, order), idx)
            dst = _report_digests(read_target(table, cols, order), idx)
            if len(src) != len(dst):
                raise StoreError(f"{target_name}: {len(dst)} reports copied of {len(src)}; rolled back")
            differ = [rid for rid, digest in src.items() if dst.get(rid) != digest]
            if differ:
                raise StoreError(f"{target_name}: {len(differ)} reports differ after the copy "
                                 f"(first: {differ[0]!r}); rolled back")
            result.reports_verified = len(src)
            result.checksums[table] = hashlib.sha256(
                "".join(src[k] for k in sorted(src)).encode()).hexdigest()
            continue
        n_src, sum_src = _table_digest(read_source(table, cols, order))
        n_dst, sum_dst = _table_digest(read_target(table, cols, order))
        if (n_src, sum_src) != (n_dst, sum_dst):
            raise StoreError(f"{target_name}: table {table} differs after the copy "
                             f"({n_dst} rows of {n_src}); rolled back")
        result.checksums[table] = sum_src


__all__ = ["COPY_TABLES", "CopyResult", "copy_postgres_to_sqlite", "copy_sqlite_to_postgres", "row_digest"]
