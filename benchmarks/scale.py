"""Scale-out figures: analysis throughput on 1 and 2 processes and on Spark local[1]
and local[2]; the store at 100,000 and 1,000,000 reports on SQLite and PostgreSQL.

    python benchmarks/scale.py [--analysis-docs 1000] [--store-sizes 100000 1000000]
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
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from tumen.analyze import analyze_reports  # noqa: E402
from tumen.record import Report  # noqa: E402


def corpus_reports(n: int) -> list[Report]:
    out = []
    with (SHARED / "corpora" / "kcna_2011_2012.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            o = json.loads(line)
            if o.get("body"):
                out.append(Report(id=o["id"], body=o["body"], title=o.get("title"), published=o.get("published")))
                if len(out) >= n:
                    break
    return out


def analysis_figures(n: int) -> None:
    reports = corpus_reports(n)
    print(f"\n## Analysis throughput ({len(reports)} KCNA reports)")
    print(f"{'engine':<22}{'seconds':>10}{'reports/s':>12}{'speed-up':>10}")
    base = None
    for label, procs in (("local, 1 process", 1), ("local, 2 processes", 2)):
        t0 = time.perf_counter()
        count = sum(1 for _ in analyze_reports(reports, processes=procs))
        secs = time.perf_counter() - t0
        base = base or secs
        print(f"{label:<22}{secs:>10.1f}{count / secs:>12.1f}{base / secs:>10.2f}")
    if shutil.which("java") is None:
        print("spark: skipped (no Java)")
        return
    from tumen.engines.spark import analyze_with_spark, spark_session

    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.jsonl"
        with src.open("w", encoding="utf-8") as fh:
            for r in reports:
                fh.write(json.dumps(r.as_input(), ensure_ascii=False) + "\n")
        spark_base = None
        for master in ("local[1]", "local[2]"):
            spark = spark_session(master)
            try:
                t0 = time.perf_counter()
                counts = analyze_with_spark(str(src), f"{tmp}/out-{master[6]}", spark=spark,
                                            partitions=int(master[6]) * 2)
                secs = time.perf_counter() - t0
            finally:
                spark.stop()
            spark_base = spark_base or secs
            print(f"{'spark ' + master:<22}{secs:>10.1f}{counts['reports'] / secs:>12.1f}"
                  f"{spark_base / secs:>10.2f}  (vs local 1 process: {base / secs:.2f}x)")


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
    parser.add_argument("--analysis-docs", type=int, default=1000)
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
