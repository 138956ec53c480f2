"""Analysis rate of the local engine (2 processes) and of Spark ``local[2]`` on the same
reports, back to back in one run, with the ratio; the resident memory (RSS) of the
whole process tree (the driver, its pool or the JVM and Spark's Python workers) at each
quarter of each run.

    python benchmarks/spark.py [--reports 20000] [--partitions P] [--master local[2]]

The reports are the first N bodies of ../shared/data/corpora/kcna_2011_2012.jsonl
(22,618 articles, so up to about 20,000).  The local engine's time is
``analyze_reports(processes=2)`` over the reports in memory; Spark's is the whole
``analyze_with_spark`` job from a new session (JVM start, reading the JSON Lines, the
analysis, the driver's duplicate-linking pass and the Parquet writes), so the ratio
charges Spark with everything it does.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT / "src"))

from tumen.engines.local import analyze_reports  # noqa: E402
from tumen.record import Report  # noqa: E402

CORPUS = SHARED / "corpora" / "kcna_2011_2012.jsonl"


def corpus_reports(n: int) -> list[Report]:
    out = []
    with CORPUS.open(encoding="utf-8") as fh:
        for line in fh:
            o = json.loads(line)
            if o.get("body"):
                out.append(Report(id=o["id"], body=o["body"], title=o.get("title"),
                                  published=o.get("published"), url=o.get("url")))
                if len(out) >= n:
                    break
    return out


def _tree_rss_mb(root: int | None = None) -> tuple[float, int]:
    """(RSS in MB, number of processes) of ``root`` (this process) and all its descendants."""
    root = root or os.getpid()
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    total, count, todo = 0, 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        try:
            with open(f"/proc/{pid}/statm") as fh:
                total += int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            count += 1
        except OSError:
            pass
    return total / 2**20, count


def _quarter_line(label: str, quarter: int, done: int, t0: float) -> None:
    rss, procs = _tree_rss_mb()
    print(f"  {label}: {quarter * 25:>3}% ({done:,} reports, {time.perf_counter() - t0:,.0f} s): "
          f"RSS {rss:,.0f} MB over {procs} processes", flush=True)


def run_local(reports: list[Report], processes: int = 2) -> float:
    n, quarter, done = len(reports), 1, 0
    t0 = time.perf_counter()
    for _ in analyze_reports(reports, processes=processes):
        done += 1
        while quarter <= 4 and done >= n * quarter / 4:
            _quarter_line(f"local {processes} processes", quarter, done, t0)
            quarter += 1
    return time.perf_counter() - t0


def run_spark(src: Path, out: Path, n: int, master: str, partitions: int) -> tuple[float, dict]:
    from tumen.engines.spark import analyze_with_spark, spark_session

    t0 = time.perf_counter()
    spark = spark_session(master)
    progress = spark.sparkContext.accumulator(0)
    stop = threading.Event()

    def watch():  # task-end granularity: the accumulator reaches the driver as tasks end
        quarter = 1
        while quarter <= 4 and not stop.wait(0.5):
            while quarter <= 4 and progress.value >= n * quarter / 4:
                _quarter_line(f"spark {master}", quarter, progress.value, t0)
                quarter += 1

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        counts = analyze_with_spark(str(src), str(out), spark=spark, partitions=partitions,
                                    progress=progress)
        secs = time.perf_counter() - t0
        stop.set()
        watcher.join()
        rss, procs = _tree_rss_mb()
        print(f"  spark {master}: job done ({time.perf_counter() - t0:,.0f} s): RSS {rss:,.0f} MB "
              f"over {procs} processes", flush=True)
    finally:
        stop.set()
        spark.stop()
    return secs, counts


def analysis_figures(n: int, *, master: str = "local[2]", partitions: int | None = None,
                     skip_local: bool = False) -> None:
    reports = corpus_reports(n)
    n = len(reports)
    partitions = partitions or max(8, n // 250)
    load = os.getloadavg()[0]
    print(f"\n## Analysis rate, {n:,} KCNA reports (load average {load:.1f} on {os.cpu_count()} cores)")
    local_secs = None
    if not skip_local:
        local_secs = run_local(reports, 2)
        print(f"local engine, 2 processes: {local_secs:,.1f} s, {n / local_secs:.2f} reports/s", flush=True)
    if shutil.which("java") is None:
        print("spark: skipped (no Java)")
        return
    with tempfile.TemporaryDirectory(prefix="tumen-spark-bench-") as tmp:
        src = Path(tmp) / "reports.jsonl"
        with src.open("w", encoding="utf-8") as fh:
            for r in reports:
                fh.write(json.dumps(r.as_input(), ensure_ascii=False) + "\n")
        secs, counts = run_spark(src, Path(tmp) / "out", n, master, partitions)
    print(f"spark {master}, {partitions} partitions: {secs:,.1f} s, {counts['reports'] / secs:.2f} reports/s, "
          f"pipelines built {counts['pipelines_built']}, failed {counts['failed']}")
    if local_secs:
        print(f"ratio spark {master} / local 2 processes: {local_secs / secs:.2f}x "
              f"(load average now {os.getloadavg()[0]:.1f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=20_000)
    parser.add_argument("--partitions", type=int, default=None,
                        help="Spark partitions (default: max(8, reports / 250))")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--skip-local", action="store_true")
    args = parser.parse_args()
    analysis_figures(args.reports, master=args.master, partitions=args.partitions, skip_local=args.skip_local)


if __name__ == "__main__":
    main()
