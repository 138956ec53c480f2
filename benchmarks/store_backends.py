"""Store backends side by side: SQLite vs PostgreSQL on the three shared article corpora.

``measure(url, reports)`` stores ``reports`` reports into an empty store at ``url`` (a
SQLite path, or a postgresql:// URL: a fresh database is made on that server) and
returns a dict of figures.  The reports are the ~21,400 of the three corpora, then,
for larger sizes, synthesized rounds of them (``synth_reports``); they are read,
normalized and generated outside the timed calls, so only the store is timed:

* ``ingest_rate``: stored reports per second through ``Store.add_reports``
  (batches of ``BATCH_SIZE``, near-duplicate detection included);
* ``db_mb``: the database's size on disk (SQLite file + WAL; ``pg_database_size``);
* ``search_p50_ms``/``search_p95_ms``: full-text queries (words, phrases, prefixes,
  AND/OR/NOT drawn from the stored titles), 20 hits with snippets;
* ``facet_p50_ms``/``facet_p95_ms``: faceted searches, i.e. a query word combined
  with the search filters (date range, source) the CLI and the web narrow results with,
  plus a filter-only listing (no query, newest first).

Run as a script it starts a throw-away PostgreSQL cluster (scripts/pg-test-cluster.sh,
default durable settings) unless ``--pg-url`` names a server, and prints both
backends side by side::

    .venv/bin/python benchmarks/store_backends.py [--reports N] [--pg-url URL] [--shared DIR]
"""

from __future__ import annotations

import argparse
import itertools
import random
import re
import shutil
import statistics
import os
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from tumen.ingest.run import read_reports
from tumen.record import Report
from tumen.store.search import search
from tumen.store import open_store

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = ROOT.parent / "shared"
CORPORA = ("kcna_2011_2012.jsonl", "kcna_kp_2024.jsonl", "rodong_sinmun_2021_2022.jsonl")
N_QUERIES = 200

_cache: dict[str, list[Report]] = {}
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
# Reports generated and stored per timed add_reports call when synthesizing.
CHUNK = 5000


def base_reports(shared: Path = DEFAULT_SHARED) -> list[Report]:
    """Every normalized report of the three corpora (~21,400 with a body; cached)."""
    key = str(shared)
    if key not in _cache:
        paths = [shared / "data" / "corpora" / name for name in CORPORA]
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            raise FileNotFoundError(f"corpora not found: {', '.join(missing)}")
        _cache[key] = [item for item in read_reports([str(p) for p in paths])
                       if isinstance(item, Report)]
    return _cache[key]


def synth_reports(reports: int, shared: Path = DEFAULT_SHARED) -> Iterator[Report]:
    """``reports`` reports: the corpora's own first, then as many synthesized rounds
    as needed.  Round k keeps each report's title, date and source (title suffixed
    "(k)") and draws a body of as many sentences at random from the whole corpus, so
    synthesized reports are neither exact nor near-duplicates of each other (no
    sentence sequence repeats) and search terms keep their real frequencies."""
    base = base_reports(shared)
    pool = [s for r in base for s in _SENTENCE_END.split(r.body) if s.strip()]
    n = 0
    for k in itertools.count():
        rng = random.Random(k)
        for r in base:
            if n >= reports:
                return
            n += 1
            if k == 0:
                yield r
                continue
            count = max(1, len(_SENTENCE_END.split(r.body)))
            body = " ".join(rng.choice(pool) for _ in range(count))
            yield Report(id=f"{r.id}~s{k}", title=f"{r.title or ''} ({k})", body=body,
                         published=r.published, source=r.source, url=r.url, language=r.language,
                         tags=r.tags, format=r.format)


def load_reports(reports: int, shared: Path = DEFAULT_SHARED) -> list[Report]:
    """The first ``reports`` reports of ``synth_reports`` as a list."""
    return list(synth_reports(reports, shared))


def make_queries(reports: list[Report], n: int = N_QUERIES, seed: int = 0) -> list[str]:
    """Words, phrases, prefixes and boolean queries drawn from the titles."""
    rng = random.Random(seed)
    words: set[str] = set()
    bigrams: set[str] = set()
    for report in reports[::10]:
        toks = re.findall(r"[A-Za-z]{4,}", report.title or "")
        words.update(t.lower() for t in toks)
        bigrams.update(f"{a} {b}".lower() for a, b in zip(toks, toks[1:]))
    wl, bl = sorted(words), sorted(bigrams)
    queries = []
    for k in range(n):
        kind = k % 4
        if kind == 0:
            queries.append(rng.choice(wl))
        elif kind == 1:
            queries.append(f'"{rng.choice(bl)}"')
        elif kind == 2:
            queries.append(rng.choice(wl)[:4] + "*")
        else:
            queries.append(f"{rng.choice(wl)} {rng.choice(['AND', 'OR', 'NOT'])} {rng.choice(wl)}")
    return queries


def _percentiles(times: list[float]) -> tuple[float, float]:
    times = sorted(times)
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def _db_mb(store: Any, url: str) -> float:
    if url.startswith(("postgresql://", "postgres://")):
        row = store.query("SELECT pg_database_size(current_database()) AS n")[0]
        return row["n"] / 1e6
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return sum(Path(url + s).stat().st_size for s in ("", "-wal") if Path(url + s).exists()) / 1e6


@contextmanager
def _fresh_target(url: str) -> Iterator[str]:
    """For a PostgreSQL URL, a new database on that server (dropped afterwards) when
    the role may create one, else ``url`` itself; a SQLite path as it is."""
    if not url.startswith(("postgresql://", "postgres://")):
        yield url
        return
    import psycopg

    name = f"tumen_bench_{os.getpid()}_{next(_bench_ids)}"
    base, _, rest = url.rpartition("/")
    query = ("?" + rest.split("?", 1)[1]) if "?" in rest else ""
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
    except psycopg.Error:
        yield url
        return
    try:
        yield f"{base}/{name}{query}"
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


_bench_ids = itertools.count(1)


def rss_mb() -> float:
    """This process's resident memory now, in MB (Linux)."""
    try:
        with open("/proc/self/status") as fh:
            return next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:")) / 1024
    except (OSError, StopIteration):
        return 0.0


def measure(url: str, reports: int, shared: Path = DEFAULT_SHARED) -> dict:
    """Ingest rate, database size, search and facet latency of ``reports`` reports in a
    store at ``url``: a SQLite path (must be empty) or a PostgreSQL URL (a fresh
    database is created on that server for the run when the role may, else the
    database of the URL is used and must be empty)."""
    base = base_reports(shared)
    queries = make_queries(base)
    rng = random.Random(1)
    months = sorted({r.published[:7] for r in base[:reports] if r.published})
    sources = sorted({r.source for r in base[:reports] if r.source})
    facets = []
    for i, q in enumerate(queries[: N_QUERIES // 2]):
        first = rng.randrange(len(months))  # a window of three months of the data
        facets.append(dict(query=q.split()[0].strip('"*') if i % 5 else "", since=months[first],
                           until=months[min(first + 2, len(months) - 1)],
                           source=rng.choice(sources).split()[0]))
    with _fresh_target(url) as target, open_store(target) as store:
        if store.count():
            raise RuntimeError(f"{target}: the store is not empty")
        seconds, added, near, offered = 0.0, 0, 0, 0
        rss, quarter = [], 1
        stream = synth_reports(reports, shared)
        while chunk := list(itertools.islice(stream, CHUNK)):
            t = time.perf_counter()
            result = store.add_reports(chunk)
            seconds += time.perf_counter() - t
            added += result.added
            near += result.near_duplicates
            offered += len(chunk)
            while quarter <= 4 and offered >= quarter * reports / 4:
                rss.append(round(rss_mb()))  # memory flat as the archive grows?
                quarter += 1
        size = _db_mb(store, target)
        for q in queries[:10]:  # warm caches
            search(store, q, limit=20)
        times = []
        for q in queries:
            t = time.perf_counter()
            search(store, q, limit=20)
            times.append((time.perf_counter() - t) * 1000)
        s50, s95 = _percentiles(times)
        ftimes, hits = [], 0
        for f in facets:
            t = time.perf_counter()
            hits += len(search(store, f["query"], since=f["since"], until=f["until"],
                               source=f["source"], limit=20))
            ftimes.append((time.perf_counter() - t) * 1000)
        f50, f95 = _percentiles(ftimes)
    rate = round(added / seconds) if seconds else 0
    return {"reports": offered, "stored": added, "near_duplicates": near,
            "ingest_s": round(seconds, 2), "ingest_rate": rate,
            "db_mb": round(size, 1), "search_p50_ms": round(s50, 2), "search_p95_ms": round(s95, 2),
            "facet_p50_ms": round(f50, 2), "facet_p95_ms": round(f95, 2),
            "facet_hits_per_query": round(hits / len(facets), 1), "rss_mb_quarters": rss}


def _start_cluster(directory: str) -> str:
    proc = subprocess.run(["bash", str(ROOT / "scripts" / "pg-test-cluster.sh"), "start", directory],
                          capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "failed")
    return proc.stdout.strip().splitlines()[-1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reports", type=int, default=10**9, help="reports to store (default: all)")
    ap.add_argument("--pg-url", default=None, help="an EMPTY PostgreSQL database (default: a throw-away cluster)")
    ap.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    args = ap.parse_args(argv)
    tmp = tempfile.mkdtemp(prefix="tumen-bench-")
    cluster = None
    try:
        print(f"reading the corpora ({args.shared / 'data' / 'corpora'}) ...", file=sys.stderr)
        n = min(args.reports, len(base_reports(args.shared))) if args.reports == 10**9 else args.reports
        results = {"SQLite": measure(str(Path(tmp) / "bench.db"), n, args.shared)}
        pg_url = args.pg_url
        if pg_url is None:
            cluster = tempfile.mkdtemp(prefix="tumen-pg-bench-")
            try:
                pg_url = _start_cluster(cluster)
            except RuntimeError as exc:
                print(f"PostgreSQL skipped: {exc}", file=sys.stderr)
        if pg_url:
            results["PostgreSQL"] = measure(pg_url, n, args.shared)
        names = list(results)
        print(f"{'':24}" + "".join(f"{name:>14}" for name in names))
        for key in results["SQLite"]:
            print(f"{key:24}" + "".join(f"{results[name][key]:>14}" for name in names))
    finally:
        if cluster:
            subprocess.run(["bash", str(ROOT / "scripts" / "pg-test-cluster.sh"), "stop", cluster],
                           capture_output=True, timeout=120)
            shutil.rmtree(cluster, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
