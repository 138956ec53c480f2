"""Faults: nothing lost, nothing doubled.

* SIGKILL of ``tumen ingest`` (10,000 reports) at several points, then a rerun: every
  report stored exactly once, whole batches only, ``PRAGMA integrity_check`` ok.
* SIGKILL of ``tumen analyze --db`` mid-way: every stored record whole (``tumen check``),
  and a rerun finishes the rest.
* Disk full (a real 4 MiB tmpfs; and SQLite's own max_page_count): a clear error, the
  store still opens, nothing stored before is lost.
* A web server, an ingest and web writes at the same time as 8 readers: no request
  fails, no "database is locked" reaches a user.
* ``tumen backup`` of a store while it is written is consistent; ``tumen check`` finds
  what was broken on purpose.

The slow ones are marked; together they run in about three minutes on 2 cores.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from hostile import synthetic_jsonl
from tumen.errors import StoreError
from tumen.ingest.run import ingest
from tumen.store.maintenance import backup, check_store
from tumen.store.search import search
from tumen.store import BATCH_SIZE, open_store

PYTHON = sys.executable
TUMEN = [PYTHON, "-m", "tumen"]
# Reports in the kill test (the figure) and the counts at which it is killed.
N_INGEST = 10_000
KILL_AT = (1_000, 4_000, 7_500)
# Longest wait for a subprocess to reach a kill point or finish (a hung test fails).
WAIT_S = 300


def _count(db: Path, table: str = "reports") -> int:
    """Rows committed so far, read by another connection (0 before the table exists)."""
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    except sqlite3.OperationalError:
        return 0
    try:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


def _integrity(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def _kill_when(proc: subprocess.Popen, db: Path, table: str, at_least: int) -> int:
    """SIGKILL ``proc`` once ``table`` holds ``at_least`` rows; returns the count seen
    (``-1`` when the process finished first)."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return -1
        n = _count(db, table)
        if n >= at_least:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
            _reap(proc)
            return n
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    _reap(proc)
    raise AssertionError(f"no kill point: {table} never reached {at_least}")


def _reap(proc: subprocess.Popen) -> None:
    """End what the killed process left behind (its reader/worker children), by the
    process group this test created for it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _popen(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)


# -- kill the ingest ------------------------------------------------------------------
@pytest.mark.slow
def test_ingest_killed_at_several_points_loses_and_doubles_nothing(tmp_path):
    source = tmp_path / "reports.jsonl"
    ids = synthetic_jsonl(source, N_INGEST)
    db = tmp_path / "store.db"
    seen = []
    for at in KILL_AT:
        proc = _popen([*TUMEN, "ingest", str(source), "--db", str(db), "-q"])
        n = _kill_when(proc, db, "reports", at)
        assert n != -1, "the ingest finished before the kill point"
        stored = _count(db)
        seen.append(stored)
        assert _integrity(db) == "ok"
        assert stored % BATCH_SIZE == 0, f"{stored} stored: a batch was half-written"
        assert check_store(db).ok, check_store(db).problems
    assert seen == sorted(seen) and seen[-1] < N_INGEST
    proc = subprocess.run([*TUMEN, "ingest", str(source), "--db", str(db)],
                          capture_output=True, text=True, timeout=WAIT_S)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert f"added {N_INGEST - seen[-1]}," in proc.stderr
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT id, body, content_hash FROM reports").fetchall()
    conn.close()
    assert len(rows) == N_INGEST
    assert sorted(r[0] for r in rows) == ids  # every report exactly once, none renamed
    for _, body, digest in rows:
        assert hashlib.sha256(body.encode()).hexdigest() == digest
    assert _integrity(db) == "ok"
    result = check_store(db)
    assert result.ok, result.problems
    # and a further run adds nothing
    with open_store(db) as store:
        again = ingest(store, [source])
    assert again.result.added == 0 and again.result.duplicates == N_INGEST


# -- kill the analysis ----------------------------------------------------------------
@pytest.mark.slow
def test_analysis_killed_mid_way_leaves_whole_records_and_rerun_finishes(tmp_path):
    from tumen.engines.local import SAVE_BATCH

    source = tmp_path / "reports.jsonl"
    n_reports = 2 * SAVE_BATCH + 40
    synthetic_jsonl(source, n_reports, prefix="an")
    db = tmp_path / "store.db"
    with open_store(db) as store:
        assert ingest(store, [source], parallel=False).result.added == n_reports
    for at in (SAVE_BATCH, 2 * SAVE_BATCH):
        proc = _popen([*TUMEN, "analyze", "--db", str(db), "-q", "-j", "1"])
        n = _kill_when(proc, db, "records", at)
        assert n != -1, "the analysis finished before the kill point"
        records = _count(db, "records")
        assert records % SAVE_BATCH == 0 and records < n_reports
        assert _integrity(db) == "ok"
        result = check_store(db)  # records whole: JSON parses, rows match, statuses agree
        assert result.ok, result.problems
    proc = subprocess.run([*TUMEN, "analyze", "--db", str(db), "-q", "-j", "1"],
                          capture_output=True, text=True, timeout=WAIT_S)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert _count(db, "records") == n_reports
    result = check_store(db)
    assert result.ok, result.problems
    with open_store(db) as store:
        for record in store.iter_records():
            assert record["id"].startswith("an-")


# -- disk full ------------------------------------------------------------------------
def _fill_before(db: Path, tmp_path: Path, n: int = 30) -> list[str]:
    first = tmp_path / "first.jsonl"
    ids = synthetic_jsonl(first, n, prefix="before")
    with open_store(db) as store:
        assert ingest(store, [first], parallel=False).result.added == n
    return ids


def _assert_nothing_lost(db: Path, ids: list[str]) -> None:
    with open_store(db) as store:  # the store still opens (and migrates) after the fault
        for rid in ids:
            assert store.get_report(rid) is not None, rid
        assert store.integrity_check() == "ok"
    result = check_store(db)
    assert result.ok, result.problems


@pytest.fixture
def small_disk(tmp_path):
    """A real 4 MiB file system (tmpfs), or a skip when mounting is not permitted."""
    mount = tmp_path / "small"
    mount.mkdir()
    if shutil.which("mount") is None:
        pytest.skip("no mount command: the injected disk-full test covers this")
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({proc.stderr.strip() or 'not permitted'}); "
                    "the injected disk-full test covers this")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def test_disk_full_on_a_real_small_file_system(small_disk, tmp_path):
    db = small_disk / "store.db"
    before = _fill_before(db, tmp_path)
    big = tmp_path / "big.jsonl"  # the input lives elsewhere; only the store fills up
    synthetic_jsonl(big, 6_000, start=100_000, prefix="big")
    proc = subprocess.run([*TUMEN, "ingest", str(big), "--db", str(db), "-q"],
                          capture_output=True, text=True, timeout=WAIT_S)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert lines[-1].startswith("error: ") and "full" in lines[-1], proc.stderr[-2000:]
    assert str(db) in lines[-1]
    assert "Traceback" not in proc.stderr
    _assert_nothing_lost(db, before)
    stored = _count(db)
    assert (stored - len(before)) % BATCH_SIZE == 0  # whole batches only
    # once there is room again, a rerun stores the rest and nothing twice
    # (the last commits may sit in the WAL file, which cannot be checkpointed into a
    # full disk: `tumen backup` reads through it to a disk with room)
    moved = tmp_path / "moved.db"
    assert backup(db, moved).reports == stored
    with open_store(moved) as store:
        summary = ingest(store, [big], parallel=False)
        assert summary.ok
        assert store.count() == len(before) + 6_000


def test_disk_full_injected_by_sqlite_page_limit(tmp_path):
    """The same fault without a mount: SQLite's max_page_count makes the file 'full'."""
    db = tmp_path / "store.db"
    before = _fill_before(db, tmp_path)
    big = tmp_path / "big.jsonl"
    synthetic_jsonl(big, 2_000, start=100_000, prefix="big")
    with open_store(db) as store:
        pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
        store.conn.execute(f"PRAGMA max_page_count = {pages + 50}")
        with pytest.raises(StoreError) as info:
            ingest(store, [big], parallel=False)
    message = str(info.value)
    assert str(db) in message and "full" in message and "\n" not in message
    _assert_nothing_lost(db, before)


# -- a web server, an ingest and 8 readers at once -----------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, proc: subprocess.Popen) -> None:
    import httpx

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("server did not start")


# Concurrent readers of the web API (the figure).
N_READERS = 8


@pytest.mark.slow
def test_web_server_ingest_and_readers_at_once_never_fail(tmp_path):
    import httpx

    from web_support import analyzed_sample_store

    db = analyzed_sample_store(tmp_path)
    source = tmp_path / "more.jsonl"
    synthetic_jsonl(source, 4_000, prefix="live")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([*TUMEN, "serve", "--db", str(db), "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              start_new_session=True)
    failures: list[str] = []
    counts = {"read": 0, "write": 0}
    lock = threading.Lock()
    stop = threading.Event()
    try:
        _wait_http(f"{base}/api/search?q=", server)
        with httpx.Client(base_url=base, timeout=60) as c:
            incidents = c.get("/api/incidents", params={"sort": "report"}).json()["incidents"]
        assert incidents, "the analyzed sample store has no incidents (is the analysis broken?)"
        paths = ["/api/search?q=officials", "/api/search?q=synthetic", "/api/search?q=",
                 "/api/facets", "/api/incidents", "/api/timeline", "/api/map",
                 f"/api/reports/{incidents[0]['report_id']}"]

        def record(kind: str, response) -> None:
            with lock:
                counts[kind] += 1
                if response.status_code != 200 or "locked" in response.text:
                    failures.append(f"{response.request.url}: {response.status_code} "
                                    f"{response.text[:200]}")

        def reader(k: int) -> None:
            with httpx.Client(base_url=base, timeout=120) as c:
                i = k
                while not stop.is_set():
                    try:
                        record("read", c.get(paths[i % len(paths)]))
                    except httpx.HTTPError as exc:
                        with lock:
                            failures.append(f"{paths[i % len(paths)]}: {type(exc).__name__} {exc}")
                    i += 1

        def writer() -> None:  # the web's own writes: corrections of one incident
            with httpx.Client(base_url=base, timeout=120) as c:
                token = c.get("/api/me").json()["csrf_token"]
                rid, key = incidents[0]["report_id"], incidents[0]["key"]
                places = ["Musan", "Hyesan"]
                i = 0
                while not stop.is_set():
                    try:
                        record("write", c.post(f"/api/reports/{rid}/corrections",
                                               headers={"X-CSRF-Token": token},
                                               json={"action": "edit", "key": key,
                                                     "changes": {"place": places[i % 2]}}))
                    except httpx.HTTPError as exc:
                        with lock:
                            failures.append(f"correction: {type(exc).__name__} {exc}")
                    i += 1
                    time.sleep(0.05)

        threads = [threading.Thread(target=reader, args=(k,)) for k in range(N_READERS)]
        threads.append(threading.Thread(target=writer))
        for t in threads:
            t.start()
        try:
            ingest_proc = subprocess.run([*TUMEN, "ingest", str(source), "--db", str(db), "-q"],
                                         capture_output=True, text=True, timeout=WAIT_S)
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=180)
        assert ingest_proc.returncode == 0, ingest_proc.stderr[-2000:]
        assert "locked" not in ingest_proc.stderr
        with httpx.Client(base_url=base, timeout=60) as c:
            hits = c.get("/api/search", params={"q": "synthetic"}).json()
        assert hits  # the new reports are searchable through the running server
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    print(f"requests: {counts['read']} reads, {counts['write']} writes, {len(failures)} failed")
    assert not failures, failures[:5]
    assert counts["read"] >= N_READERS and counts["write"] >= 1
    assert _count(db) >= 4_000
    assert check_store(db).ok, check_store(db).problems


# -- backup and check -----------------------------------------------------------------
def test_backup_of_a_store_being_written_is_consistent(tmp_path):
    source = tmp_path / "reports.jsonl"
    synthetic_jsonl(source, 3_000, prefix="bk")
    db = tmp_path / "store.db"
    with open_store(db) as store:
        ingest(store, [tmp_path / "reports.jsonl"], parallel=False, batch_size=BATCH_SIZE)
    more = tmp_path / "more.jsonl"
    synthetic_jsonl(more, 3_000, start=3_000, prefix="bk")
    writer = _popen([*TUMEN, "ingest", str(more), "--db", str(db), "-q"])
    copies = []
    live_checks = []
    (tmp_path / "backup-0.db.part").write_bytes(b"left by a backup killed half-way")
    deadline = time.monotonic() + WAIT_S
    while _count(db) <= 3_000 and writer.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)  # start copying once the writer is committing
    try:
        for k in range(3):
            target = tmp_path / f"backup-{k}.db"
            result = backup(db, target)
            copies.append((target, result.reports))
            live_checks.append(check_store(db))  # check works on a store being written
            time.sleep(0.3)
    finally:
        assert writer.wait(timeout=WAIT_S) == 0, writer.stderr.read().decode()[-2000:]
    for live in live_checks:
        assert live.ok, live.problems
    for target, n in copies:
        assert not target.with_name(target.name + ".part").exists()
        assert _integrity(target) == "ok"
        assert n % BATCH_SIZE == 0 and 3_000 <= n <= 6_000  # a snapshot of whole batches
        result = check_store(target)
        assert result.ok, result.problems
        with open_store(target) as store:
            assert store.count() == n
            assert search(store, "synthetic", limit=1)


def test_backup_cli_refuses_to_overwrite_and_names_the_problem(tmp_path):
    db = tmp_path / "store.db"
    _fill_before(db, tmp_path, 5)
    target = tmp_path / "copy.db"
    ok = subprocess.run([*TUMEN, "backup", str(target), "--db", str(db)], capture_output=True,
                        text=True, timeout=120)
    assert ok.returncode == 0 and "5 reports" in ok.stderr
    again = subprocess.run([*TUMEN, "backup", str(target), "--db", str(db)], capture_output=True,
                           text=True, timeout=120)
    assert again.returncode == 1 and "already exists" in again.stderr
    missing = subprocess.run([*TUMEN, "backup", str(tmp_path / "x.db"), "--db",
                              str(tmp_path / "nope.db")], capture_output=True, text=True, timeout=120)
    assert missing.returncode == 1 and "no such store" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1


def test_check_finds_each_kind_of_damage(tmp_path):
    db = tmp_path / "store.db"
    ids = _fill_before(db, tmp_path, 6)
    with open_store(db) as store:
        store.save_records([{"id": ids[0], "places": [{"name": "Hyesan", "mentions": []}],
                             "incidents": [{"type": "arrest"}]},
                            {"id": ids[1], "incidents": []}])
    clean = subprocess.run([*TUMEN, "check", "--db", str(db)], capture_output=True, text=True,
                           timeout=120)
    assert clean.returncode == 0, clean.stderr
    assert "6 reports, 2 records: ok" in clean.stderr
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = OFF")
    seq, title, body = conn.execute("SELECT seq, title, body FROM reports WHERE id = ?",
                                    (ids[2],)).fetchone()
    conn.execute("INSERT INTO reports_fts(reports_fts, rowid, title, body) VALUES "
                 "('delete', ?, ?, ?)", (seq, title, body))  # index out of sync
    conn.execute("INSERT INTO tags VALUES ('ghost-report', 'x', 0)")  # orphan rows
    conn.execute("DELETE FROM incidents WHERE report_id = ?", (ids[0],))  # half a record
    conn.execute("UPDATE records SET record_json = '{\"id\": ' WHERE report_id = ?", (ids[1],))
    conn.execute("UPDATE reports SET status = 'analyzed' WHERE id = ?", (ids[3],))
    conn.close()
    proc = subprocess.run([*TUMEN, "check", "--db", str(db), "--json"], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 1
    problems = json.loads(proc.stdout)["problems"]
    text = "\n".join(problems)
    assert "missing from the full-text index" in text
    assert "full-text index does not match" in text
    assert "tags: rows for 1 report(s) that are not stored (orphans): ghost-report" in text
    assert f"{ids[0]} (incidents)" in text
    assert f"does not parse or names another report: {ids[1]}" in text
    assert f"marked analyzed with no record: {ids[3]}" in text
    assert "foreign key" in text
    # --repair rebuilds the index; the rest is reported again, nothing was changed
    repaired = subprocess.run([*TUMEN, "check", "--db", str(db), "--repair", "--json"],
                              capture_output=True, text=True, timeout=120)
    after = json.loads(repaired.stdout)["problems"]
    assert not any("full-text" in p for p in after)
    assert len(after) == len(problems) - 2


def test_check_of_a_file_that_is_not_a_store(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not SQLite at all" * 100)
    proc = subprocess.run([*TUMEN, "check", "--db", str(junk)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 1
    assert proc.stderr.strip() == f"error: {junk}: not a readable SQLite store (file is not a database)"


# -- a report that cannot be analyzed is kept and marked -----------------------------
FAULT_MARKER = "FAULT-INJECTION-MARKER"


@pytest.mark.slow
def test_a_report_whose_analysis_fails_is_kept_and_marked(tmp_path):
    """A component that raises (injected: registered here, fails on a marker word) marks
    that one report failed; the others are analyzed; nothing is lost."""
    from tumen.engines.local import analyze_store
    from tumen.analysis.pipeline import component
    from tumen.record import Report

    @component("fault_injector")
    class FaultInjector:
        name = "fault_injector"
        requires = ()
        assigns = ()

        def __call__(self, doc):
            if FAULT_MARKER in doc.report.body:
                raise RuntimeError("injected fault")
            return doc

    db = tmp_path / "s.db"
    with open_store(db) as store:
        store.add_reports([Report(id="ok-1", body="Officials in Hyesan held a meeting."),
                           Report(id="bad-1", body=f"A report with {FAULT_MARKER} in it."),
                           Report(id="ok-2", body="Farmers in Musan planted maize.")])
        summary = analyze_store(store, processes=1, progress=False,
                                components=["fault_injector", "places"])
        assert summary.analyzed == 3 and summary.failed == 1
        assert "bad-1" in summary.errors[0] and "injected fault" in summary.errors[0]
        bad = store.get_record("bad-1")
        assert bad["status"] == "failed" and "fault_injector" in bad["error"]
        assert store.get_report("bad-1").extra["status"] == "failed"
        assert store.get_record("ok-1")["status"] == "ok"
        assert store.count() == 3
        assert [h.id for h in search(store, "report")] == ["bad-1"]  # still searchable
    assert check_store(db).ok


@pytest.mark.slow
def test_disk_full_during_analysis_keeps_whole_records(tmp_path):
    """SQLite's max_page_count fills the store while records are saved: a clear error,
    whole batches of records only, and a rerun with room finishes the rest."""
    from tumen.engines.local import SAVE_BATCH, analyze_store

    source = tmp_path / "reports.jsonl"
    n_reports = 3 * SAVE_BATCH
    synthetic_jsonl(source, n_reports, prefix="df")
    db = tmp_path / "s.db"
    with open_store(db) as store:
        assert ingest(store, [source], parallel=False).result.added == n_reports
        pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
        store.conn.execute(f"PRAGMA max_page_count = {pages + 8}")
        with pytest.raises(StoreError) as info:
            analyze_store(store, processes=1, progress=False, components=["places", "dates"])
    assert "full" in str(info.value) and str(db) in str(info.value)
    records = _count(db, "records")
    assert records % SAVE_BATCH == 0 and records < n_reports
    assert _count(db) == n_reports
    result = check_store(db)
    assert result.ok, result.problems
    with open_store(db) as store:  # room again (a new connection has no page limit)
        analyze_store(store, processes=1, progress=False, components=["places", "dates"])
    assert _count(db, "records") == n_reports
    assert check_store(db).ok
