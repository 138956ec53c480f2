"""Web benchmark: search page and facets API at 100,000 reports, 8 concurrent clients.

1. Reads the shared article corpora (~24,800 reports with a body) and analyzes each
   once with the gazetteer components (places, organizations, laws, dates, incidents;
   no spaCy, for time), caching the records in bench-out/serve-records.jsonl.
2. Fills a fresh store with --reports reports: the corpora repeated with new ids (a
   copy's body gets a one-line suffix so it is a new report; its record is the
   original's, whose offsets still hold).  Copies are linked as near-duplicates by
   the store, like syndicated reprints.
3. Builds the web index (``sync``), starts ``tumen serve`` (uvicorn) in a subprocess,
   and sends requests from 8 client threads: the search page (HTML, with facets) and
   the facets API, each request a distinct query (words drawn from the corpus
   vocabulary, phrases, prefixes, some with a facet filter, some empty), so the
   per-filter memo never answers.
Prints median and p95 latency and requests/s per endpoint, and the machine's load
average (other processes inflate every figure).  Target: search p95 < 150 ms.

    .venv/bin/python benchmarks/serve.py [--reports 100000] [--requests 400] [--db FILE]
    .venv/bin/python benchmarks/serve.py --db postgresql://user@host/db   # an empty database
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

from tumen.record import Report
from tumen.store import open_store

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = ROOT.parent / "shared"
CORPORA = ("kcna_2011_2012.jsonl", "kcna_kp_2024.jsonl", "rodong_sinmun_2021_2022.jsonl")
COMPONENTS = ("places", "organizations", "laws", "dates", "incidents")
CLIENTS = 8
_PIPE = None


def read_corpora(shared: Path) -> list[Report]:
    out, seen = [], set()
    for name in CORPORA:
        with open(shared / "data" / "corpora" / name, encoding="utf-8") as fh:
            for line in fh:
                obj = json.loads(line)
                if obj.get("body") and obj["id"] not in seen:
                    seen.add(obj["id"])
                    out.append(Report(id=obj["id"], body=obj["body"], title=obj.get("title"),
                                      published=obj.get("published"), url=obj.get("url"),
                                      source=obj.get("source") or name.split("_")[0].upper()))
    return out


def _init() -> None:
    global _PIPE
    from tumen.analysis.pipeline import Pipeline

    _PIPE = Pipeline(COMPONENTS, use_spacy=False).initialize()


def _analyze(batch: list[Report]) -> list[dict]:
    return [doc.to_record().to_dict() for doc in _PIPE.pipe(batch)]


def records_for(reports: list[Report], cache: Path) -> dict[str, dict]:
    if cache.exists():
        records = {}
        with open(cache, encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                records[rec["id"]] = rec
        if all(r.id in records for r in reports):
            return records
    cache.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    chunks = [reports[i:i + 64] for i in range(0, len(reports), 64)]
    records = {}
    with mp.get_context("fork").Pool(os.cpu_count() or 2, initializer=_init) as pool, \
            open(cache, "w", encoding="utf-8") as out:
        for k, batch in enumerate(pool.imap(_analyze, chunks)):
            for rec in batch:
                records[rec["id"]] = rec
                out.write(json.dumps(rec, ensure_ascii=False) + "\n")
            if k % 50 == 0:
                print(f"  analyzed {len(records):,}/{len(reports):,}", file=sys.stderr)
    print(f"analysis: {len(records):,} records in {time.perf_counter() - started:.0f} s",
          file=sys.stderr)
    return records


def fill(db: Path | str, reports: list[Report], records: dict[str, dict], total: int) -> None:
    store = open_store(db)
    started = time.perf_counter()
    n, copy = 0, 0
    while n < total:
        batch, recs = [], []
        for rep in reports:
            if n >= total:
                break
            rid = rep.id if copy == 0 else f"{rep.id}~{copy}"
            body = rep.body if copy == 0 else f"{rep.body}\n\n(reprint {copy})"
            batch.append(Report(id=rid, body=body, title=rep.title, published=rep.published,
                                url=rep.url, source=f"{rep.source} {'ABC'[copy % 3]}" if copy else rep.source))
            rec = dict(records[rep.id], id=rid, source=batch[-1].source)
            recs.append(rec)
            n += 1
        added = set(store.add_reports(batch).added_ids)
        store.save_records([rec for rec in recs if rec["id"] in added])
        copy += 1
        print(f"  stored {n:,} reports ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    store.close()


def vocabulary(reports: list[Report]) -> list[str]:
    counts = Counter(w for r in reports[:3000] for w in re.findall(r"[a-z]{4,}", r.body.lower()))
    return [w for w, c in counts.most_common(3000) if c >= 3]


def make_queries(words: list[str], facets: dict, n: int, rng: random.Random) -> list[dict]:
    out = []
    values = [(name, v["value"]) for name, f in facets.items() for v in f["values"]]
    for k in range(n):
        kind = k % 6
        if kind == 0:
            params = {"q": rng.choice(words)}
        elif kind == 1:
            params = {"q": f"{rng.choice(words)} {rng.choice(words)}"}
        elif kind == 2:
            params = {"q": f'"{rng.choice(words)} {rng.choice(words)}"'}
        elif kind == 3:
            params = {"q": rng.choice(words)[:4] + "*"}
        elif kind == 4:
            name, value = rng.choice(values)
            params = {"q": rng.choice(words), name: value}
        else:
            name, value = rng.choice(values)
            params = {name: value}
        out.append(params)
    return out


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (the server's workers), in MB."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo += children.get(p, [])
        try:
            with open(f"/proc/{p}/status") as fh:
                total += next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:"))
        except (OSError, StopIteration):
            pass
    return total / 1024


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_load(base: str, path: str, queries: list[dict], clients: int = CLIENTS
             ) -> tuple[list[float], float, int]:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    todo = list(queries)

    def client() -> None:
        with httpx.Client(base_url=base, timeout=60) as c:
            while True:
                with lock:
                    if not todo:
                        return
                    params = todo.pop()
                t = time.perf_counter()
                r = c.get(path, params=params)
                dt = time.perf_counter() - t
                with lock:
                    latencies.append(dt * 1000)
                    if r.status_code != 200:
                        errors[0] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, time.perf_counter() - started, errors[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=400, help="per endpoint")
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--distinct", type=int, default=0,
                        help="analyze only this many corpus reports (every k-th, so all "
                        "three corpora) and repeat them: a large store without a long analysis")
    parser.add_argument("--clients", type=int, default=CLIENTS, help="concurrent clients")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2,
                        help="tumen serve --workers (default: the number of cores)")
    parser.add_argument("--db", help="reuse/keep this store (else a temp file); a "
                        "postgresql:// URL names an empty (or earlier filled) database")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="tumen-bench-")
    postgres = bool(args.db) and args.db.startswith(("postgresql://", "postgres://"))
    db = args.db if postgres else Path(args.db) if args.db else Path(tmp) / "serve.db"
    reports = read_corpora(args.shared)
    if args.distinct and args.distinct < len(reports):
        reports = reports[::len(reports) // args.distinct][:args.distinct]
    print(f"corpora: {len(reports):,} reports with a body", file=sys.stderr)
    # a store from an earlier run is reused when it holds about as many reports
    # (exact duplicate bodies in the corpora are skipped by the store: ~0.05 %)
    stored = open_store(db).count() if postgres or db.exists() else 0
    if stored < 0.99 * args.reports:
        records = records_for(reports, ROOT / "bench-out" / "serve-records.jsonl")
        records = {r.id: records[r.id] for r in reports}
        if postgres and stored:
            sys.exit(f"{db} holds {stored:,} reports: give an empty database")
        if not postgres and db.exists():
            db.unlink()
        fill(db, reports, records, args.reports)
    from tumen.web.db import WebDB

    started = time.perf_counter()
    WebDB(str(db)).close()
    print(f"web index built in {time.perf_counter() - started:.1f} s", file=sys.stderr)

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "tumen", "serve", "--db", str(db), "--port", str(port),
         "--workers", str(args.workers)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                httpx.get(base + "/api/me", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        rng = random.Random(7)
        words = vocabulary(reports)
        facets = httpx.get(base + "/api/facets", timeout=60).json()["facets"]
        total = httpx.get(base + "/api/search", timeout=60).json()["total"]
        print(f"server RSS after start: {tree_rss_mb(server.pid):,.0f} MB")
        print(f"\nload average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        print(f"store: {total:,} reports; server: {args.workers} worker process(es); "
              f"{args.clients} concurrent clients, "
              f"{args.requests} distinct queries per endpoint")
        for label, path in (("search page (HTML + facets)", "/"), ("facets API", "/api/facets")):
            queries = make_queries(words, facets, args.requests, rng)
            run_load(base, path, queries[:16], args.clients)  # warm up
            lat, seconds, errors = run_load(base, path, queries, args.clients)
            lat.sort()
            p95 = lat[int(0.95 * (len(lat) - 1))]
            print(f"{label:30s} median {statistics.median(lat):7.1f} ms   p95 {p95:7.1f} ms"
                  f"   max {lat[-1]:7.1f} ms   {len(lat) / seconds:6.1f} req/s   errors {errors}"
                  f"   server RSS {tree_rss_mb(server.pid):,.0f} MB")
        print(f"load average after: {os.getloadavg()[0]:.1f}")
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
