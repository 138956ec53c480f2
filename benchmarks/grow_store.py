"""Grow a SQLite store made by benchmarks/serve.py k-fold, for the search page at scale.

Analyzing and ingesting a million reports takes hours on a shared 2-core machine; the
search page only reads ``reports``, ``reports_fts`` and the web index (``web_facets``,
``web_facet_totals``).  This copies those rows k-1 times inside SQLite: copy k of report
``seq`` gets seq ``seq + k*N``, id ``ID~gK``, its publication date moved back 14*k
years (and its ``month`` facet with it), the same title and body (so every word's
document frequency grows k-fold, as in a real archive of similar reports).  Records and
incident tables are not copied (the incidents pages are not what this measures).

    .venv/bin/python benchmarks/grow_store.py STORE.db --factor 10    # 100,000 -> 1,000,000
    .venv/bin/python benchmarks/grow_store.py postgresql://... --factor 10  # the same there

(On PostgreSQL the full-text rows come from the store's own trigger on ``reports``.)

Work on a copy: the store is changed in place.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time

COLUMNS = ("title, source, url, language, body, original, source_path, locator, format, "
           "ingested_at, status, tags_json, extra_json")


def grow(path: str, factor: int) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    n = conn.execute("SELECT max(seq) FROM reports").fetchone()[0]
    started = time.perf_counter()
    for k in range(1, factor):
        off, years = k * n, 14 * k
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            f"INSERT INTO reports (seq, id, published, content_hash, duplicate_of, {COLUMNS}) "
            f"SELECT seq + {off}, id || '~g{k}', "
            f"CASE WHEN published GLOB '[0-9][0-9][0-9][0-9]*' THEN "
            f"printf('%04d', CAST(substr(published, 1, 4) AS INTEGER) - {years}) || substr(published, 5) END, "
            f"content_hash || '~g{k}', CASE WHEN duplicate_of IS NOT NULL THEN duplicate_of || '~g{k}' END, "
            f"{COLUMNS} FROM reports WHERE seq <= {n}")
        conn.execute("INSERT INTO reports_fts (rowid, title, body) SELECT seq, title, body "
                     f"FROM reports WHERE seq > {off} AND seq <= {off + n}")
        conn.execute(
            "INSERT INTO web_facets (facet, value, seq) "
            f"SELECT facet, CASE WHEN facet = 'month' THEN printf('%04d', "
            f"CAST(substr(value, 1, 4) AS INTEGER) - {years}) || substr(value, 5) ELSE value END, "
            f"seq + {off} FROM web_facets WHERE seq <= {n}")
        # the copies' facet rows are written here, not rebuilt from (absent) records
        conn.execute(f"DELETE FROM web_dirty WHERE report_id IN (SELECT id FROM reports WHERE seq > {off})")
        conn.execute("COMMIT")
        print(f"  copy {k}: {off + n:,} reports ({time.perf_counter() - started:.0f} s)",
              file=sys.stderr)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("DELETE FROM web_facet_totals")
    conn.execute("INSERT INTO web_facet_totals SELECT facet, value, count(*) FROM web_facets "
                 "GROUP BY facet, value")
    conn.execute("UPDATE web_state SET value = value + 1 WHERE key = 'generation'")
    conn.execute("COMMIT")
    conn.close()


def grow_postgres(url: str, factor: int) -> None:
    import psycopg

    conn = psycopg.connect(url, autocommit=True)
    n = conn.execute("SELECT max(seq) FROM reports").fetchone()[0]
    started = time.perf_counter()
    for k in range(1, factor):
        off, years = k * n, 14 * k
        with conn.transaction():
            conn.execute(
                f"INSERT INTO reports (seq, id, published, content_hash, duplicate_of, {COLUMNS}) "
                f"SELECT seq + {off}, id || '~g{k}', CASE WHEN published ~ '^[0-9]{{4}}' THEN "
                f"lpad((substr(published, 1, 4)::int - {years})::text, 4, '0') || substr(published, 5) END, "
                f"content_hash || '~g{k}', duplicate_of || '~g{k}', {COLUMNS} FROM reports WHERE seq <= {n}")
            conn.execute(
                "INSERT INTO web_facets (facet, value, seq) SELECT facet, CASE WHEN facet = 'month' "
                f"THEN lpad((substr(value, 1, 4)::int - {years})::text, 4, '0') || substr(value, 5) "
                f"ELSE value END, seq + {off} FROM web_facets WHERE seq <= {n}")
            conn.execute("DELETE FROM web_dirty WHERE report_id IN "
                         f"(SELECT id FROM reports WHERE seq > {off})")
        print(f"  copy {k}: {off + n:,} reports ({time.perf_counter() - started:.0f} s)",
              file=sys.stderr)
    with conn.transaction():
        conn.execute("SELECT setval(pg_get_serial_sequence('reports', 'seq'), max(seq)) FROM reports")
        conn.execute("DELETE FROM web_facet_totals")
        conn.execute("INSERT INTO web_facet_totals SELECT facet, value, count(*) FROM web_facets "
                     "GROUP BY facet, value")
        conn.execute("UPDATE web_state SET value = value + 1 WHERE key = 'generation'")
    conn.execute("VACUUM ANALYZE")
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("db")
    parser.add_argument("--factor", type=int, required=True)
    args = parser.parse_args()
    if args.db.startswith(("postgresql://", "postgres://")):
        grow_postgres(args.db, args.factor)
    else:
        grow(args.db, args.factor)


if __name__ == "__main__":
    main()
