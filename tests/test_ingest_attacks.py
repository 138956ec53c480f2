"""The ingest and analysis holes of an outside attack run (issue 23), one test each.

* Memory: a MinHash signature reads its shingles a block at a time (a 6 MB body and an
  accepted 60 MB text file, peak RSS of a child process).
* Time: inputs that were quadratic (a feed of unclosed ``<item>``s, place mentions in a
  long body) are run at n and 2n; the ratio must stay near 2 (never a wall-clock limit).
* A killed ``tumen ingest`` leaves no reader process behind.
* Lone surrogates in JSON, file names that are not UTF-8, zero-width and bidi
  characters, a flood of bad lines, FIFOs, odd ids, a failing migration or backup:
  one clear line each, the rest goes on.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

PYTHON = sys.executable
TUMEN = [PYTHON, "-m", "tumen"]

# Words of the synthetic long texts (made up here; varied so shingles differ).
_WORDS = (["market", "price", "rice", "border", "guard", "county", "province", "school",
           "worker", "farm", "mine", "train", "station", "lecture", "meeting", "fuel"]
          + [f"w{i}" for i in range(2000)])


def write_long_text(path: Path, megabytes: float, seed: int = 7) -> Path:
    """A text report of about ``megabytes`` MiB: a title line, then paragraphs."""
    rnd = random.Random(seed)
    size = int(megabytes * 1024 * 1024)
    with open(path, "w", encoding="utf-8") as out:
        out.write("A long made-up report\n\n")
        n = 0
        while n < size:
            para = " ".join(rnd.choice(_WORDS) for _ in range(120)) + ".\n\n"
            out.write(para)
            n += len(para)
    return path


_MEMORY_SCRIPT = r"""
import json, sys
from tumen.ingest.run import ingest
from tumen.store import open_store
with open_store(sys.argv[1]) as store:
    s = ingest(store, sys.argv[2:], parallel=False)
rss = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")) // 1024
print(json.dumps({"rss_mb": rss, "failed": [r for _, r in s.failed], "added": s.result.added}))
"""


def _peak_rss_of_ingest(tmp_path: Path, *files: Path) -> dict:
    proc = subprocess.run([PYTHON, "-c", _MEMORY_SCRIPT, str(tmp_path / "m.db"), *map(str, files)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


# Peak RSS allowed for a 6 MB body (before: 1.27 GB, the N x 64 MinHash matrix).
BODY_BOUND_MB = 400
# Peak RSS allowed for an accepted 60 MB text file (before: ~10 GB).  Not 400 MB: the
# text reader holds the file's bytes, its text and its lines, and SQLite's FTS5 index of
# one 60 MB document takes ~160 MB by itself (measured 536 MB after the fix).
TEXT_BOUND_MB = 640


@pytest.mark.slow
def test_minhash_memory_bounded_on_a_6mb_body(tmp_path):
    out = _peak_rss_of_ingest(tmp_path, write_long_text(tmp_path / "six.txt", 6))
    print(f"6 MB body: peak RSS {out['rss_mb']} MB")
    assert out["added"] == 1 and not out["failed"]
    assert out["rss_mb"] < BODY_BOUND_MB


@pytest.mark.slow
def test_memory_bounded_on_an_accepted_60mb_text(tmp_path):
    out = _peak_rss_of_ingest(tmp_path, write_long_text(tmp_path / "sixty.txt", 60))
    print(f"60 MB text: peak RSS {out['rss_mb']} MB")
    assert out["added"] == 1 and not out["failed"]
    assert out["rss_mb"] < TEXT_BOUND_MB


def test_streamed_minhash_equals_the_whole_matrix():
    """The block-wise signature is the signature: same values as one N x 64 matrix."""
    import numpy as np

    from tumen.ingest import dedup

    rnd = random.Random(5)
    text = " ".join(rnd.choice(_WORDS + ["혜산", "Hyésan"]) for _ in range(20_000))
    sh = dedup.shingles(text)
    with np.errstate(over="ignore"):
        whole = ((sh[:, None] * dedup._PERM_A + dedup._PERM_B) >> dedup._SHIFT).min(axis=0)
    assert np.array_equal(dedup.minhash_of_text(text).hashvalues, whole)
    assert np.array_equal(dedup.minhash(sh).hashvalues, whole)


# ---------------------------------------------------------------------------------
# 16. a flood of bad lines: counted, the first MAX_FAILURES_KEPT listed, memory constant

def test_a_flood_of_bad_lines_is_summarized(tmp_path):
    from tumen.errors import MAX_FAILURES_KEPT

    n_bad = 200_000
    path = tmp_path / "flood.jsonl"
    with open(path, "w", encoding="utf-8") as out:
        out.write(json.dumps({"id": "good-1", "body": "Rice prices rose in the county market."}) + "\n")
        out.write("{broken\n" * n_bad)
    proc = subprocess.run([*TUMEN, "ingest", str(path), "--db", str(tmp_path / "s.db")],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines()
             if not ln.startswith(("creating a new store", "warning: "))]  # the undated report's warning
    assert lines[0].startswith("added 1,") and f"failed {n_bad}" in lines[0], lines[0]
    listed = [ln for ln in lines if ln.startswith("failed: ")]
    assert len(listed) == MAX_FAILURES_KEPT
    assert lines[-1] == (f"... and {n_bad - MAX_FAILURES_KEPT:,} more failures "
                         f"(only the first {MAX_FAILURES_KEPT} are listed)")
    assert len(lines) <= MAX_FAILURES_KEPT + 2


def test_failures_kept_are_capped_in_memory(tmp_path):
    from tumen.errors import MAX_FAILURES_KEPT
    from tumen.ingest.run import ingest
    from tumen.store import open_store

    path = tmp_path / "flood.jsonl"
    path.write_text("[1]\n" * 5_000, encoding="utf-8")
    with open_store(tmp_path / "s.db") as store:
        summary = ingest(store, [path], parallel=False)
    assert summary.failed.total == 5_000
    assert len(summary.failed) == MAX_FAILURES_KEPT
    assert summary.to_dict()["failed_total"] == 5_000


# ---------------------------------------------------------------------------------
# 4. a lone surrogate in a JSON string: that line refused by file and line, the rest kept

_LONE = '"\\ud800"'  # the JSON text \ud800 (an escape, as an attacker writes it)


def _surrogate_jsonl(path: Path, n: int = 2_400, bad_at: int = 1_000) -> Path:
    with open(path, "w", encoding="utf-8") as out:
        for i in range(1, n + 1):
            body = f"Report {i}: rice prices rose again in market number {i} of the county."
            line = json.dumps({"id": f"s-{i}", "body": body})
            if i == bad_at:
                line = line.replace('"body": "', '"body": ' + _LONE[:-1] + ' ')
            out.write(line + "\n")
        out.write('{"id": "pair", "body": "a paired escape \\ud83d\\ude00 is one character"}\n')
    return path


def test_lone_surrogate_line_is_refused_and_the_rest_ingested(tmp_path):
    path = _surrogate_jsonl(tmp_path / "sur.jsonl")
    db = tmp_path / "s.db"
    proc = subprocess.run([*TUMEN, "ingest", str(path), "--db", str(db)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    failed = [ln for ln in proc.stderr.splitlines() if ln.startswith("failed: ")]
    assert failed == [f"failed: {path}:1000: lone surrogate \\ud800 in a JSON string "
                      "(half of a UTF-16 pair, not a character)"]
    from tumen.store import open_store

    with open_store(db) as store:
        assert store.stats()["reports"] == 2_400  # 2,399 good lines and the paired escape
        assert "\U0001F600" in store.get_report("pair").body


@pytest.mark.slow
def test_upload_with_a_lone_surrogate_line_stores_the_rest(tmp_path):
    from fastapi.testclient import TestClient

    from tumen.ingest.run import ingest
    from tumen.store import open_store
    from tumen.web.app import create_app

    db = tmp_path / "u.db"
    first = tmp_path / "first.txt"
    first.write_text("First note\n\nRice prices rose in the county market.\n", encoding="utf-8")
    with open_store(db) as store:
        ingest(store, [first], parallel=False)
    data = _surrogate_jsonl(tmp_path / "sur.jsonl", n=5, bad_at=3).read_bytes()
    with TestClient(create_app(str(db))) as c:
        token = c.get("/api/me").json()["csrf_token"]
        r = c.post("/upload", data={"csrf_token": token},
                   files=[("files", ("sur.jsonl", data, "application/x-ndjson"))])
    assert r.status_code == 200, r.text[-500:]
    assert "Added <strong>5</strong>" in r.text  # 4 good lines and the paired escape
    assert "lone surrogate" in r.text
    with open_store(db) as store:
        assert store.stats()["reports"] == 6


def test_lone_surrogate_in_a_json_array_names_the_item(tmp_path):
    from tumen.errors import InputError
    from tumen.ingest.sources import read_path

    path = tmp_path / "a.json"
    path.write_text('[{"id": "x", "body": "fine text"},\n {"id": "y", "body": "bad ' + _LONE[1:-1]
                    + '"}]', encoding="utf-8")
    items = list(read_path(path))
    assert items[0].body == "fine text"
    assert isinstance(items[1], InputError) and "item 2: lone surrogate \\ud800" in str(items[1])


def test_analyze_file_skips_a_lone_surrogate_line(tmp_path):
    path = _surrogate_jsonl(tmp_path / "sur.jsonl", n=3, bad_at=2)
    proc = subprocess.run([*TUMEN, "analyze", str(path), "-q"],
                          capture_output=True, text=True, timeout=600)
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert proc.returncode == 1
    ids = [json.loads(ln)["id"] for ln in proc.stdout.splitlines()]
    assert ids == ["s-1", "s-3", "pair"]
    assert f"skipped {path}:2: not a report: lone surrogate \\ud800" in proc.stderr


# ---------------------------------------------------------------------------------
# 5. file names that are not UTF-8 (CP949 names from Korean Windows archives)

def test_file_names_that_are_not_utf8(tmp_path):
    import os

    folder = tmp_path / "archive"
    folder.mkdir()
    cp949_name = "양강도 시장 소식.txt".encode("cp949")
    with open(os.path.join(os.fsencode(folder), cp949_name), "w", encoding="utf-8") as fh:
        fh.write("Market note\n\nRice prices rose in the county market this week.\n")
    with open(os.path.join(os.fsencode(folder), b"empty-\xff\xfe.txt"), "wb"):
        pass  # neither UTF-8 nor CP949, and empty: a failure line must still print
    (folder / "plain.txt").write_text("Border note\n\nGuards were moved along the river.\n",
                                      encoding="utf-8")
    db = tmp_path / "s.db"
    proc = subprocess.run([*TUMEN, "ingest", str(folder), "--db", str(db)],
                          capture_output=True, text=True, timeout=600)
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert proc.returncode == 1  # the empty file
    assert f"failed: {folder}/empty-\\xff\\xfe.txt: empty file" in proc.stderr.splitlines()
    from tumen.store import open_store

    with open_store(db) as store:
        paths = sorted(r.source_path for r in store.iter_reports())
    assert paths == [f"{folder}/plain.txt", f"{folder}/양강도 시장 소식.txt"]


# ---------------------------------------------------------------------------------
# 15. zero-width and bidi characters: gone from the frozen body, kept in the original

def test_zero_width_and_bidi_characters_removed_from_the_body(tmp_path):
    from tumen.engines.local import analyze_store
    from tumen.ingest.run import ingest
    from tumen.store.search import search
    from tumen.store import open_store

    body = ("Traders in Hy\u200besan said rice prices rose.\n\n"
            "A checkpoint near Hoe\u2060ryong was \u202ereinforced\u202c and patrols "
            "doubled at the Mu\u200dsan mine.")
    path = tmp_path / "hidden.jsonl"
    path.write_text(json.dumps({"id": "zw-1", "title": "Hy\u200fesan \u2066market\u2069",
                                "body": body}) + "\n", encoding="utf-8")
    with open_store(tmp_path / "s.db") as store:
        ingest(store, [path], parallel=False)
        report = store.get_report("zw-1")
        assert report.body == ("Traders in Hyesan said rice prices rose.\n\nA checkpoint near "
                               "Hoeryong was reinforced and patrols doubled at the Musan mine.")
        assert report.title == "Hyesan market"
        assert b"\\u200b" in report.original  # the bytes as given (a JSON escape)
        assert [h.id for h in search(store, "Hyesan")] == ["zw-1"]
        assert [h.id for h in search(store, "Hoeryong")] == ["zw-1"]
        analyze_store(store, progress=False, processes=1)
        places = {m["name"] for m in store.get_record("zw-1")["places"]}
        assert {"Hyesan", "Hoeryong"} <= places and any(p.startswith("Musan") for p in places)


# ---------------------------------------------------------------------------------
# 1. a killed ingest leaves no reader process behind

def _children(pid: int) -> list[int]:
    """Pids of the live processes whose parent is ``pid`` (from /proc)."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                out.append(int(entry.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _count_reports(db: Path) -> int:
    import sqlite3

    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
        try:
            return conn.execute("SELECT count(*) FROM reports").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.OperationalError:
        return 0


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_killed_ingest_leaves_no_reader_behind(tmp_path):
    import os
    import signal
    import time

    from tumen.store import BATCH_SIZE

    # Five batches of ~1 KB reports: the reader reads them all while the writer stores
    # the first two, its last batches waiting in the queue's pipe (a pipe holds 64 KB).
    path = tmp_path / "five.jsonl"
    with open(path, "w", encoding="utf-8") as out:
        for i in range(5 * BATCH_SIZE):
            body = f"Report {i}. " + " ".join(f"word{(i * 7 + k) % 997}" for k in range(150))
            out.write(json.dumps({"id": f"k-{i}", "body": body}) + "\n")
    db = tmp_path / "k.db"
    with open(tmp_path / "out.txt", "wb") as log:
        proc = subprocess.Popen([*TUMEN, "ingest", str(path), "--db", str(db)],
                                stdout=log, stderr=log)
        try:
            deadline = time.monotonic() + 300
            readers: list[int] = []
            while time.monotonic() < deadline and proc.poll() is None:
                readers = _children(proc.pid) or readers
                if _count_reports(db) >= 2 * BATCH_SIZE:
                    break
                time.sleep(0.02)
            if proc.poll() is not None:
                pytest.skip("the ingest finished before it could be killed (too fast a disk)")
            readers = _children(proc.pid) or readers
            assert readers, "no reader process seen"
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and any(map(_alive, readers)):
                time.sleep(0.1)
            left = [pid for pid in readers if _alive(pid)]
        finally:
            for pid in _children(proc.pid) + [proc.pid]:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)  # do not leave the old code's orphan running
        except ProcessLookupError:
            pass
    assert not left, f"reader processes {left} outlived the killed ingest"
    # and a rerun stores the rest, nothing twice
    rerun = subprocess.run([*TUMEN, "ingest", str(path), "--db", str(db)],
                           capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert _count_reports(db) == 5 * BATCH_SIZE


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_killed_server_during_an_upload_leaves_no_process_on_its_port(tmp_path):
    import os
    import signal
    import socket
    import threading
    import time

    import httpx

    from tumen.ingest.run import ingest
    from tumen.store import BATCH_SIZE, open_store

    db = tmp_path / "w.db"
    first = tmp_path / "first.txt"
    first.write_text("First note\n\nRice prices rose in the county market.\n", encoding="utf-8")
    with open_store(db) as store:
        ingest(store, [first], parallel=False)
    upload = tmp_path / "upload.jsonl"
    with open(upload, "w", encoding="utf-8") as out:
        for i in range(5 * BATCH_SIZE):
            body = f"Upload {i}. " + " ".join(f"term{(i * 11 + k) % 991}" for k in range(150))
            out.write(json.dumps({"id": f"u-{i}", "body": body}) + "\n")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([*TUMEN, "serve", "--db", str(db), "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    seen: set[int] = set()
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/api/me", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        client = httpx.Client(base_url=base, timeout=300)
        token = client.get("/api/me").json()["csrf_token"]

        def post() -> None:
            try:
                client.post("/upload", data={"csrf_token": token},
                            files={"files": ("upload.jsonl", upload.read_bytes())})
            except httpx.HTTPError:
                pass  # the server is killed under it

        thread = threading.Thread(target=post, daemon=True)
        thread.start()
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and _count_reports(db) < 1 + 2 * BATCH_SIZE:
            seen.update(_children(server.pid))
            time.sleep(0.02)
        seen.update(_children(server.pid))
        assert seen, "no reader process seen during the upload"
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=30)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and any(map(_alive, seen)):
            time.sleep(0.1)
        left = [pid for pid in seen if _alive(pid)]
        for pid in left:
            os.kill(pid, signal.SIGKILL)  # the old code's orphan
        assert not left, f"processes {left} outlived the killed server"
        # the port is free again: a restart can bind it (a grandchild, such as a worker's
        # reader, ends on its own parent's death a moment later: wait for it, bounded)
        deadline = time.monotonic() + 60
        while True:
            with socket.socket() as s:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
                try:
                    s.bind(("127.0.0.1", port))
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
            time.sleep(0.2)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        client.close()


# ---------------------------------------------------------------------------------
# 3. inputs that were quadratic: time at n and 2n, the ratio must stay near 2
# (CPU time of this process, the best of a few runs; never a wall-clock limit)

# The largest ratio accepted between the 2n and the n run: linear is ~2, quadratic ~4.
MAX_RATIO = 3.0


def _cpu_seconds(fn, *args, runs: int = 2) -> float:
    import time

    best = float("inf")
    for _ in range(runs):
        t = time.process_time()
        fn(*args)
        best = min(best, time.process_time() - t)
    return best


def _unclosed_feed(n: int) -> bytes:
    return (b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
            + b"<item><title>x" * n)


def test_feed_of_unclosed_items_is_read_in_linear_time():
    from tumen.ingest.sources import read_bytes
    from tumen.ingest.sources.feeds import item_spans

    small, big = _unclosed_feed(20_000), _unclosed_feed(40_000)
    ratio = _cpu_seconds(item_spans, big) / _cpu_seconds(item_spans, small)
    print(f"item spans: x{ratio:.2f} for twice the input")
    assert ratio < MAX_RATIO

    def read(data: bytes) -> None:
        items = list(read_bytes(data, path="feed.rss"))
        assert items and all("title only" in str(i) for i in items)

    ratio = _cpu_seconds(read, _unclosed_feed(16_000)) / _cpu_seconds(read, _unclosed_feed(8_000))
    print(f"whole feed: x{ratio:.2f} for twice the input")
    assert ratio < MAX_RATIO


def test_item_spans_pair_each_opening_with_its_closing_tag():
    from tumen.ingest.sources.feeds import item_spans

    data = (b"<rss><channel><item><title>a</title></item>\n<item>never closed\n"
            b"<x:item a='1'>b</x:item ><entry>c</entry><items>no</items></channel></rss>")
    assert item_spans(data) == [b"<item><title>a</title></item>",
                                b"<item>never closed\n<x:item a='1'>b</x:item >",
                                b"<entry>c</entry>"]


@pytest.mark.slow
def test_place_mentions_in_a_long_body_are_analyzed_in_linear_time():
    from tumen.analysis.components.incidents import extract
    from tumen.analysis.incidents.classify import TypeModel
    from tumen.analysis.incidents import args as A
    from tumen.analysis.pipeline import Pipeline
    from tumen.record import Report

    pipe = Pipeline(("places", "organizations", "dates")).initialize()
    model = TypeModel.load(None)
    sentences = ["Traders in Hyesan said rice prices rose.", "Police in Musan arrested a smuggler.",
                 "A lecture was held in Hoeryong on the new law.", "Guards in Sinuiju were replaced."]

    def doc_of(paragraphs: int):
        body = "\n\n".join(" ".join(sentences[(i + k) % 4] for k in range(4)) for i in range(paragraphs))
        return next(iter(pipe.pipe([Report(id="long", body=body)])))

    def main_place(doc) -> None:
        assert A.main_place(doc, A.place_mentions(doc))[0]

    def incidents(doc) -> None:
        assert extract(doc, model)

    small, big = doc_of(2_000), doc_of(4_000)
    for step in (main_place, incidents):
        ratio = _cpu_seconds(step, big, runs=1) / _cpu_seconds(step, small, runs=1)
        print(f"{step.__name__}: x{ratio:.2f} for twice the input")
        assert ratio < MAX_RATIO


# ---------------------------------------------------------------------------------
# minors: a full disk during a migration or a backup

@pytest.fixture
def small_disk(tmp_path):
    """A real 2 MiB file system (tmpfs), or a skip when mounting is not permitted."""
    import shutil

    mount = tmp_path / "small"
    mount.mkdir()
    if shutil.which("mount") is None:
        pytest.skip("no mount command")
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({proc.stderr.strip() or 'not permitted'})")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def _fill(folder: Path) -> None:
    with open(folder / "filler", "wb") as fh:
        try:
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()
        except OSError:
            pass


def test_migration_on_a_full_disk_names_the_cause(small_disk, monkeypatch):
    from tumen.errors import StoreError
    from tumen.store import open_store
    from tumen.store import sqlite as sqlite_store
    from tumen.store.migrations import Migration

    db = small_disk / "m.db"
    keep = open_store(db)  # holds the WAL files open, as a running server would
    try:
        _fill(small_disk)
        # a pending migration that needs room (as a new release's would)
        monkeypatch.setattr(sqlite_store, "MIGRATIONS", [*sqlite_store.MIGRATIONS, Migration(
            "9999_needs_room", "CREATE TABLE room (b BLOB);\nINSERT INTO room SELECT "
            "randomblob(200000) FROM (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 "
            "FROM c WHERE x < 50) SELECT x FROM c)")])
        with pytest.raises(StoreError) as err:
            open_store(db)
        assert "database or disk is full" in str(err.value), str(err.value)
        assert "no transaction is active" not in str(err.value)
        assert "9999_needs_room" in str(err.value)
    finally:
        keep.close()


def test_failed_backup_leaves_no_part_files(small_disk, tmp_path):
    from tumen.errors import StoreError
    from tumen.ingest.run import ingest
    from tumen.store.maintenance import backup
    from tumen.store import open_store

    src = tmp_path / "big.jsonl"
    with open(src, "w", encoding="utf-8") as out:
        for i in range(3_000):
            out.write(json.dumps({"id": f"b-{i}", "body": f"Report {i}: " + " ".join(
                f"word{(i * 13 + k) % 1009}" for k in range(60))}) + "\n")
    db = tmp_path / "b.db"
    with open_store(db) as store:
        ingest(store, [src], parallel=False)
    assert db.stat().st_size > 3 * 1024 * 1024
    target = small_disk / "copy.db"
    with pytest.raises(StoreError) as err:
        backup(db, target)
    assert "backup failed" in str(err.value) and "full" in str(err.value), str(err.value)
    assert sorted(p.name for p in small_disk.iterdir()) == []  # no copy, .part, .part-journal


# ---------------------------------------------------------------------------------
# minors: FIFOs, ids, warcio's warnings

def test_a_fifo_named_on_the_command_line_is_refused(tmp_path):
    import os

    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    good = tmp_path / "good.txt"
    good.write_text("Note\n\nRice prices rose in the county market.\n", encoding="utf-8")
    proc = subprocess.run([*TUMEN, "ingest", str(fifo), str(good), "--db", str(tmp_path / "f.db")],
                          capture_output=True, text=True, timeout=120)  # the old code hung here
    assert proc.returncode == 1
    assert (f"failed: {fifo}: not a regular file but a FIFO (named pipe); to read a stream, "
            "pipe it to standard input and name '-'") in proc.stderr.splitlines()
    assert "\nadded 1," in "\n" + proc.stderr  # after the store-creation line
    proc = subprocess.run([*TUMEN, "analyze", str(fifo), "-q"], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "not a regular file but a FIFO" in proc.stderr


def test_ids_too_long_or_with_control_characters_are_refused(tmp_path):
    from tumen.ingest.run import ingest
    from tumen.ingest.normalize import MAX_ID_CHARS
    from tumen.store import open_store

    path = tmp_path / "ids.jsonl"
    lines = [{"id": "x" * (MAX_ID_CHARS + 1), "body": "A report with a very long id."},
             {"id": "nul\u0000id", "body": "A report whose id holds a NUL."},
             {"id": "bell\u0007", "body": "A report whose id holds a bell."},
             {"id": "https://example.org/news/2024/05/a-guid-that-is-a-url", "body": "A fine one."}]
    path.write_text("".join(json.dumps(o) + "\n" for o in lines), encoding="utf-8")
    with open_store(tmp_path / "i.db") as store:
        summary = ingest(store, [path], parallel=False)
        assert [r.id for r in store.iter_reports()] == [lines[3]["id"]]
    reasons = [f"{w}: {r}" for w, r in summary.failed]
    assert reasons == [
        f"{path} (line 1): id longer than {MAX_ID_CHARS} characters ({MAX_ID_CHARS + 1}); "
        "give the report a shorter id",
        f"{path} (line 2): id contains a control character (U+0000); give the report an id "
        "of printable characters",
        f"{path} (line 3): id contains a control character (U+0007); give the report an id "
        "of printable characters"]


def test_warcio_warnings_are_one_line_each(tmp_path):
    import re

    from hostile import _warc_record

    first = _warc_record("https://example.org/a", "<p>Rice prices rose in the county market.</p>")
    second = _warc_record("https://example.org/b", "<p>Guards along the river were replaced.</p>")
    length = re.search(rb"Content-Length: (\d+)", first)
    # a Content-Length 40 bytes short: warcio warns, quoting the bytes left over
    first = first.replace(length.group(0), b"Content-Length: %d" % (int(length.group(1)) - 40))
    first = first.replace(b"</article>", b"\x1b[31m\x00</article>")
    path = tmp_path / "short.warc"
    path.write_bytes(first + second)
    proc = subprocess.run([*TUMEN, "ingest", str(path), "--db", str(tmp_path / "w.db")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if not ln.startswith("creating a new store")]
    warned = [ln for ln in lines if "Content-Length is invalid" in ln]
    assert len(warned) == 1 and "Offset:" in warned[0] and "Remainder:" in warned[0]
    assert not any(ln.lstrip().startswith(("Offset:", "Remainder:")) for ln in lines)
    assert "\x1b" not in proc.stderr and "\x00" not in proc.stderr
    assert any(ln.startswith("added 2,") for ln in lines)
