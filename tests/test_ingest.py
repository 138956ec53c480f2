"""Ingest: formats in, duplicates once, bad input isolated, interrupted runs resumable."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tumen.ingest.run import ingest, parse_field_map, sample_paths
from tumen.errors import InputError
from tumen.store import BATCH_SIZE, open_store


def _synthetic_jsonl(path: Path, n: int, seed: int = 0) -> Path:
    """n distinct pseudo-reports (no shared data copied)."""
    rng = random.Random(seed)
    vocab = [f"word{i}" for i in range(3000)]
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            body = " ".join(rng.choice(vocab) for _ in range(60))
            fh.write(json.dumps({"id": f"s{i:05d}", "title": f"Synthetic {i}",
                                 "published": f"2024-{1 + i % 12:02d}-01", "body": body}) + "\n")
    return path


def test_ingest_samples_then_rerun_adds_nothing_and_says_so(empty_store):
    paths = [str(p) for p in sample_paths()]
    first = ingest(empty_store, paths)
    assert first.ok and first.result.added == len(paths) >= 20
    assert first.result.near_duplicates >= 1
    second = ingest(empty_store, paths)
    assert second.result.added == 0 and second.result.duplicates == len(paths)
    assert second.lines()[0].startswith("nothing new")
    assert empty_store.count() == len(paths)


def test_ingest_keeps_original_bytes_path_and_status(empty_store):
    path = sample_paths()[0]
    ingest(empty_store, [str(path)])
    report = next(iter(empty_store.iter_reports()))
    assert report.original == path.read_bytes()
    assert report.source_path == str(path) and report.extra["status"] == "ingested"
    assert report.published and report.source and report.url and report.title


def test_ingest_mixed_batch_keeps_good_items_and_lists_failures(tmp_path):
    good = _synthetic_jsonl(tmp_path / "good.jsonl", 5)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "b1", "title": "ok", "body": "a fine body of text here"}\n'
                   '{"id": "b2", "body": \n', encoding="utf-8")
    binary = tmp_path / "junk.txt"
    binary.write_bytes(bytes(range(256)) * 20)
    missing = tmp_path / "missing.jsonl"
    db = tmp_path / "s.db"
    with open_store(db) as store:
        store.add_reports([])  # an existing store...
        ingest(store, [str(_synthetic_jsonl(tmp_path / "before.jsonl", 3, seed=9))])
        before = {r.id: r.body for r in store.iter_reports()}
        summary = ingest(store, [str(good), str(bad), str(binary), str(missing)])
        assert not summary.ok
        where = " ".join(w for w, _ in summary.failed)
        assert "bad.jsonl:2" in where and "junk.txt" in where and "missing.jsonl" in where
        assert summary.result.added == 6  # the 5 good ones and b1
        after = {r.id: r.body for r in store.iter_reports()}
        assert all(after[k] == v for k, v in before.items())  # nothing stored changed
        assert any(line.startswith("failed: ") and "bad.jsonl" in line for line in summary.lines())


def test_ingest_headline_only_items_are_skipped_not_failed(empty_store, tmp_path):
    path = tmp_path / "headlines.jsonl"
    path.write_text("".join(json.dumps({"id": f"h{i}", "title": f"Headline {i}", "body": ""}) + "\n"
                            for i in range(4)), encoding="utf-8")
    summary = ingest(empty_store, [str(path)])
    assert summary.ok and summary.result.skipped == 4 and empty_store.count() == 0


def test_ingest_field_map_and_no_title(empty_store, tmp_path):
    path = tmp_path / "mapped.jsonl"
    path.write_text(json.dumps({"key": "m1", "headline": "Mapped title",
                                "text": "Mapped body of the report with words."}) + "\n", encoding="utf-8")
    summary = ingest(empty_store, [str(path)], field_map=parse_field_map("id=key,title=headline,body=text"))
    assert summary.ok, summary.lines()
    report = empty_store.get_report("m1")
    assert report.title == "Mapped title" and report.body.startswith("Mapped body")
    text = tmp_path / "plain.txt"
    text.write_text("First line is body here.\n\nSecond paragraph.\n", encoding="utf-8")
    ingest(empty_store, [str(text)], title_line=False)
    assert any(r.body.startswith("First line is body") for r in empty_store.iter_reports())


def test_parse_field_map_errors():
    assert parse_field_map(None) is None
    assert parse_field_map("title=headline, body = text") == {"title": "headline", "body": "text"}
    with pytest.raises(InputError, match="field=column"):
        parse_field_map("title")


@pytest.mark.slow
def test_ingest_killed_mid_way_then_rerun_leaves_one_copy_each(tmp_path):
    n = 12 * BATCH_SIZE
    data = _synthetic_jsonl(tmp_path / "many.jsonl", n)
    db = tmp_path / "kill.db"
    open_store(db).close()
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1] / "src"))
    proc = subprocess.Popen([sys.executable, "-m", "tumen", "ingest", str(data), "--db", str(db), "--quiet"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        stored = 0
        while time.monotonic() < deadline and proc.poll() is None:
            with sqlite3.connect(db, timeout=30) as conn:
                stored = conn.execute("SELECT count(*) FROM reports").fetchone()[0]
            if stored >= BATCH_SIZE:
                break
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    with open_store(db) as store:
        partial = store.count()
        assert partial % BATCH_SIZE == 0 and partial < n or partial == n  # whole batches only
        summary = ingest(store, [str(data)])
        assert summary.ok
        assert summary.result.added == n - partial and summary.result.duplicates == partial
        assert store.count() == n
        rows = store.query("SELECT count(DISTINCT content_hash) AS h, count(DISTINCT id) AS i, "
                           "count(*) AS n FROM reports")[0]
        assert rows == {"h": n, "i": n, "n": n}
        assert store.query("SELECT count(*) AS n FROM minhash")[0]["n"] == n
        assert store.query("SELECT count(*) AS n FROM reports_fts WHERE reports_fts MATCH 'word1'")[0]["n"] > 0
        assert store.integrity_check() == "ok"
        store.conn.execute("INSERT INTO reports_fts(reports_fts, rank) VALUES ('integrity-check', 1)")


@pytest.mark.slow
def test_ingest_shared_corpora_stores_every_body_once(tmp_path, shared_dir):
    from tumen.ingest.normalize import normalize
    from tumen.record import RawReport

    corpora = shared_dir / "data" / "corpora"
    files = [corpora / name for name in ("kcna_2011_2012.jsonl", "kcna_kp_2024.jsonl",
                                         "rodong_sinmun_2021_2022.jsonl")]
    hashes = set()
    with_body = 0
    for path in files:
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                item = json.loads(line)
                if item.get("body", "").strip():
                    with_body += 1
                    hashes.add(normalize(RawReport(body=item["body"])).content_hash)
    with open_store(tmp_path / "corpora.db") as store:
        summary = ingest(store, [str(p) for p in files])
        assert summary.ok, summary.lines()[:5]
        assert store.count() == len(hashes)
        assert summary.result.added + summary.result.duplicates == with_body
        again = ingest(store, [str(p) for p in files])
        assert again.result.added == 0 and store.count() == len(hashes)
        # headlines: titles only, documented as skipped (nothing to analyze or cite)
        headlines = ingest(store, [str(corpora / "kcna_headlines_1997_2014.jsonl")])
        assert headlines.ok and headlines.result.added == 0
        assert headlines.result.skipped == headlines.read


def test_ingest_serial_and_parallel_paths_agree(tmp_path):
    paths = [str(p) for p in sample_paths()] + [str(_synthetic_jsonl(tmp_path / "s.jsonl", 30))]
    results = []
    for parallel in (False, True):
        with open_store(tmp_path / f"p{parallel}.db") as store:
            summary = ingest(store, paths, parallel=parallel, batch_size=7)
            results.append((summary.result.added, summary.result.near_duplicates,
                            sorted((r.id, r.content_hash, r.extra["duplicate_of"]) for r in store.iter_reports())))
    assert results[0] == results[1]


def test_signatures_travel_with_the_reports_to_the_store(tmp_path):
    """The reader process signs each report (``Report.signature``); the store keeps the
    signature the report carries and computes one only for a report without it."""
    from tumen.ingest import dedup
    from tumen.ingest.run import _messages_parallel
    from tumen.record import Report

    path = _synthetic_jsonl(tmp_path / "s.jsonl", 5)
    (batch,) = _messages_parallel([path], True, None, None, None, 10)
    reports = [message[1] for message in batch]
    assert [r.signature for r in reports] == [dedup.sign(r.body) for r in reports]
    carried = dedup.sign("an unrelated body whose words share nothing with the report")
    with open_store(tmp_path / "s.db") as store:
        store.add_reports([Report(id="carried", body="Markets in the border towns reopened after a month.",
                                  signature=carried),
                           Report(id="computed", body="Officials held a meeting on the spring planting.")])
        stored = dict(store.conn.execute("SELECT report_id, signature FROM minhash").fetchall())
    assert stored == {"carried": carried.minhash,
                      "computed": dedup.sign("Officials held a meeting on the spring planting.").minhash}


@pytest.mark.slow
def test_ingest_ctrl_c_exits_130_and_leaves_whole_batches(tmp_path):
    n = 12 * BATCH_SIZE
    data = _synthetic_jsonl(tmp_path / "many.jsonl", n, seed=3)
    db = tmp_path / "int.db"
    open_store(db).close()
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1] / "src"))
    proc = subprocess.Popen([sys.executable, "-m", "tumen", "ingest", str(data), "--db", str(db), "--quiet"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        with sqlite3.connect(db, timeout=30) as conn:
            if conn.execute("SELECT count(*) FROM reports").fetchone()[0] >= BATCH_SIZE:
                break
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=60)
    assert proc.returncode in (0, 130)  # 0 only if it finished first
    with open_store(db) as store:
        partial = store.count()
        assert partial % BATCH_SIZE == 0
        assert ingest(store, [str(data)]).result.added == n - partial
        assert store.count() == n and store.integrity_check() == "ok"


_PEAK_RSS_CHILD = r"""
import resource, sys
from tumen.ingest.run import ingest
from tumen.store import open_store
with open_store(sys.argv[1]) as store:
    summary = ingest(store, [sys.argv[2]])
    assert summary.ok, summary.lines()
# The writer's own peak from VmHWM: ru_maxrss of RUSAGE_SELF survives execve and would
# report the pytest parent's peak (spaCy and all) instead of this process's.
with open("/proc/self/status") as fh:
    hwm = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))
kib = max(hwm, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(summary.result.added, kib)
"""


def _ingest_peak_rss_mb(db: Path, path: Path) -> tuple[int, float]:
    """Ingest in a fresh interpreter; (reports added, peak RSS in MB of the busier of the
    writer and the reader process)."""
    proc = subprocess.run([sys.executable, "-c", _PEAK_RSS_CHILD, str(db), str(path)],
                          capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-2000:]
    added, kib = proc.stdout.split()
    return int(added), int(kib) / 1024


# Megabytes the second run's peak may exceed the first's: SQLite's page cache
# (store.sqlite.CACHE_MB = 32) fills further as the store grows; an in-memory LSH of
# every stored report (what this replaced) added ~4.6 KB per stored report, ~90 MB more
# for the second run here.
RSS_GROWTH_ALLOWANCE_MB = 40


@pytest.mark.slow
def test_ingest_peak_memory_does_not_grow_with_the_store(tmp_path):
    """10,000 reports, then 20,000 more into the same store: the second run (a store
    three times larger, twice the input) peaks at about the first's memory."""
    first = _synthetic_jsonl(tmp_path / "first.jsonl", 10_000, seed=1)
    second = tmp_path / "second.jsonl"
    with second.open("w", encoding="utf-8") as fh:
        for line in _synthetic_jsonl(tmp_path / "tmp.jsonl", 20_000, seed=2).open(encoding="utf-8"):
            item = json.loads(line)
            item["id"] = "t" + item["id"]
            fh.write(json.dumps(item) + "\n")
    db = tmp_path / "big.db"
    added1, peak1 = _ingest_peak_rss_mb(db, first)
    added2, peak2 = _ingest_peak_rss_mb(db, second)
    assert (added1, added2) == (10_000, 20_000)
    print(f"peak RSS: {peak1:.0f} MB at 10,000 stored, {peak2:.0f} MB at 30,000 stored")
    assert peak2 < peak1 + RSS_GROWTH_ALLOWANCE_MB
    assert peak2 < 500
