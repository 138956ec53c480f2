"""Scale-out figures: analysis rate of the local engine on 2 processes and of Spark
local[2] on the same reports, with the ratio (benchmarks/spark.py); the store at 100,000
and 1,000,000 reports on SQLite and PostgreSQL.

    python benchmarks/scale.py [--analysis-docs 20000] [--store-sizes 100000 1000000]
                               [--postgres URL] [--skip-analysis] [--skip-store]

The store rows are the CLI's search (``store.search``, bm25 + snippets) and a filtered
search (a word, a date range, a source); the web's search page and facet counts at
100,000 and 1,000,000 reports are measured by ``benchmarks/serve.py`` on stores grown by
``benchmarks/grow_store.py`` (see docs/scaling.md).

The analysis texts are bodies from ../shared/data/corpora/kcna_2011_2012.jsonl.  The
store sizes are synthesized by repeating the three article corpora with new ids (see
benchmarks/store_backends.py, which measures one backend).  Without ``--postgres``
a throw-away PostgreSQL cluster is started when PostgreSQL's binaries are installed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))


def analysis_figures(n: int) -> None:
    """The local engine on 2 processes and Spark local[2] on the same ``n`` reports, back to
    back, with the ratio and the RSS at each quarter (benchmarks/spark.py)."""
    import spark as spark_bench

    spark_bench.analysis_figures(n)


def store_figures(sizes: list[int], postgres: str | None) -> None:
    try:
        import store_backends
    except ImportError as exc:
        print(f"store: skipped ({exc})")
        return
    cluster = None
    if postgres is None:
        cluster = tempfile.mkdtemp(prefix="tumen-pg-scale-")
        try:
            postgres = store_backends._start_cluster(cluster)
        except RuntimeError as exc:
            print(f"PostgreSQL skipped: {exc}")
            shutil.rmtree(cluster, ignore_errors=True)
            cluster = None
    try:
        _store_table(store_backends, sizes, postgres)
    finally:
        if cluster:
            import subprocess

            subprocess.run(["bash", str(ROOT / "scripts" / "pg-test-cluster.sh"), "stop", cluster],
                           capture_output=True, timeout=120)
            shutil.rmtree(cluster, ignore_errors=True)


def _store_table(store_backends, sizes: list[int], postgres: str | None) -> None:
    print("\n## Store at scale")
    print(f"{'backend':<12}{'reports':>10}{'ingest/s':>10}{'size MB':>10}{'search p50/p95 ms':>19}"
          f"{'filtered p50/p95 ms':>21}   RSS MB at each quarter of the ingest")
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            targets = [("sqlite", str(Path(tmp) / "scale.db"))]
            if postgres:
                targets.append(("postgresql", postgres))
            for name, url in targets:
                m = store_backends.measure(url, size)
                sys.stdout.flush()
                print(f"{name:<12}{size:>10,}{m['ingest_rate']:>10,.0f}{m['db_mb']:>10,.0f}"
                      f"{m['search_p50_ms']:>10.1f} /{m['search_p95_ms']:>7.1f}"
                      f"{m['facet_p50_ms']:>12.1f} /{m['facet_p95_ms']:>7.1f}   "
                      + " ".join(f"{r:,}" for r in m.get("rss_mb_quarters", [])))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--analysis-docs", type=int, default=20_000)
    parser.add_argument("--store-sizes", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--postgres", default=os.environ.get("TUMEN_BENCH_POSTGRES"))
    parser.add_argument("--skip-analysis", action="store_true")
    parser.add_argument("--skip-store", action="store_true")
    args = parser.parse_args()
    if not args.skip_analysis:
        analysis_figures(args.analysis_docs)
    if not args.skip_store:
        store_figures(args.store_sizes, args.postgres)


if __name__ == "__main__":
    main()
