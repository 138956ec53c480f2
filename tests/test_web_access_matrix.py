"""Every route of the web app, tried as anonymous, viewer, editor and admin, in the
login-required mode: each role gets exactly the status its role allows.

The routes are enumerated from ``app.routes``: a route added to the app without a row
in ``EXPECTED`` fails ``test_every_route_has_a_row``, so nobody can add an endpoint
without deciding who may use it.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Callable

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount, Route

from tumen.store.corrections import incident_key
from tumen.ingest.run import ingest
from tumen.store import open_store
from tumen.web import auth
from tumen.web.app import create_app

ROLES = ("anonymous", "viewer", "editor", "admin")
USERS = {"viewer": ("vic", "vic-pass-1"), "editor": ("ed", "ed-pass-2"), "admin": ("ada", "ada-pass-3")}
A, P = 401, 303  # anonymous on /api/... gets 401; on a page, a redirect to /login

# (method, route path): statuses for (anonymous, viewer, editor, admin)
EXPECTED: dict[tuple[str, str], tuple[int, int, int, int]] = {
    ("GET", "/"): (P, 200, 200, 200),
    ("GET", "/.json"): (A, 200, 200, 200),  # a page's JSON twin answers like the API
    ("GET", "/api/search"): (A, 200, 200, 200),
    ("GET", "/api/facets"): (A, 200, 200, 200),
    ("GET", "/reports/{report_id:path}"): (P, 200, 200, 200),
    ("GET", "/api/reports/{report_id:path}"): (A, 200, 200, 200),
    ("GET", "/reports/{report_id:path}/correct"): (P, 403, 200, 200),
    ("POST", "/reports/{report_id:path}/corrections"): (P, 403, 303, 303),
    ("POST", "/api/reports/{report_id:path}/corrections"): (A, 403, 200, 200),
    ("GET", "/incidents"): (P, 200, 200, 200),
    ("GET", "/incidents.json"): (A, 200, 200, 200),
    ("GET", "/api/incidents"): (A, 200, 200, 200),
    ("GET", "/timeline"): (P, 200, 200, 200),
    ("GET", "/timeline.json"): (A, 200, 200, 200),
    ("GET", "/api/timeline"): (A, 200, 200, 200),
    ("GET", "/map"): (P, 200, 200, 200),
    ("GET", "/map.json"): (A, 200, 200, 200),
    ("GET", "/api/map"): (A, 200, 200, 200),
    ("GET", "/api/export.{fmt}"): (A, 200, 200, 200),
    ("GET", "/login"): (200, 200, 200, 200),
    ("POST", "/login"): (303, 303, 303, 303),
    ("POST", "/logout"): (P, 303, 303, 303),
    ("GET", "/api/me"): (A, 200, 200, 200),
    ("GET", "/admin/users"): (P, 403, 403, 200),
    ("POST", "/admin/users"): (P, 403, 403, 303),
    ("GET", "/upload"): (P, 403, 200, 200),
    # an empty upload form: 400 "choose a file" shows the role check was passed
    ("POST", "/upload"): (P, 403, 400, 400),
    ("GET", "/api/openapi.json"): (A, 200, 200, 200),
    ("GET", "/static"): (200, 200, 200, 200),
}
LAST = [("POST", "/logout"), ("POST", "/login")]  # they change the session: run them last

BODY = ("Officials of the Ministry of State Security held a meeting in Hyesan in March 2024. "
        "Three traders were arrested at the market the next week.")


def _record(report) -> dict:
    end = report.body.index(".") + 1
    return {"id": report.id, "title": report.title, "published": report.published,
            "source": report.source, "url": report.url, "tags": ["meeting"], "places": [],
            "organizations": [], "laws": [], "dates": [],
            "incidents": [{"type": "meeting", "actor": None, "target": None, "place": None,
                           "date": "2024-03", "date_precision": "month", "penalty": None,
                           "evidence": {"text": report.body[:end], "start": 0, "end": end}}]}


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("matrix")
    rows = [{"id": "m-1", "title": "Matrix one", "published": "2024-03-20", "source": "Desk",
             "body": BODY},
            {"id": "m-2", "title": "Matrix two", "published": "2024-04-02", "source": "Desk",
             "body": BODY.replace("Hyesan", "Musan").replace("Three", "Two")}]
    (root / "m.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    path = root / "matrix.db"
    with open_store(path) as store:
        assert ingest(store, [root / "m.jsonl"], parallel=False).result.added == 2
        store.save_records([_record(r) for r in store.iter_reports()])
    for role, (name, password) in USERS.items():
        auth.add_user(str(path), name, role, password)
    return path


@pytest.fixture(scope="module")
def app(db):
    return create_app(str(db), require_login=True)


def route_keys(app) -> set[tuple[str, str]]:
    keys = set()
    # FastAPI keeps an included router as one entry of app.routes: its routes, with
    # their paths as served, come from iter_route_contexts
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, Mount):
            keys.add(("GET", context.path))
        elif isinstance(route, (APIRoute, Route)):
            for method in context.methods or ():
                if method != "HEAD":
                    keys.add((method, context.path))
        else:  # a websocket or another kind: it needs a row and a request here
            keys.add(("?", getattr(context, "path", None) or repr(route)))
    return keys


def test_every_route_has_a_row(app):
    keys = route_keys(app)
    missing = sorted(keys - set(EXPECTED))
    stale = sorted(set(EXPECTED) - keys)
    assert not missing, f"routes without a row in EXPECTED (decide who may use them): {missing}"
    assert not stale, f"rows for routes the app no longer has: {stale}"


def test_a_new_route_without_a_row_is_caught(db):
    extra = create_app(str(db), require_login=True)

    @extra.get("/api/unreviewed")
    def unreviewed() -> dict:
        return {}

    extra.add_route("/plain", lambda request: None, methods=["DELETE"])
    assert sorted(route_keys(extra) - set(EXPECTED)) == [("DELETE", "/plain"),
                                                         ("GET", "/api/unreviewed")]


# -- requests --------------------------------------------------------------------------
def _token(c: TestClient) -> str:
    me = c.get("/api/me")
    if me.status_code == 200:
        return me.json()["csrf_token"]
    return re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)


def _login(c: TestClient, role: str):
    name, password = USERS.get(role, USERS["viewer"])
    return c.post("/login", data={"csrf_token": _token(c), "name": name, "password": password,
                                  "next": "/incidents"}, follow_redirects=False)


def _key(c: TestClient, report_id: str = "m-1") -> str:
    conn = sqlite3.connect(c.app.state.db.path)
    row = conn.execute("SELECT record_json FROM records WHERE report_id = ?", (report_id,)).fetchone()
    conn.close()
    return incident_key(json.loads(row[0])["incidents"][0]) if row else "0-1:meeting"


def _correction_form(c: TestClient, role: str):
    return c.post("/reports/m-1/corrections", follow_redirects=False, data={
        "csrf_token": _token(c), "action": "edit", "key": _key(c), "penalty": f"fine ({role})"})


def _correction_api(c: TestClient, role: str):
    return c.post("/api/reports/m-2/corrections", headers={"X-CSRF-Token": _token(c)},
                  json={"action": "add", "changes": {"type": "arrest", "penalty": role},
                        "evidence": "Two traders were arrested at the market"},
                  follow_redirects=False)


def _add_user(c: TestClient, role: str):
    return c.post("/admin/users", follow_redirects=False, data={
        "csrf_token": _token(c), "action": "add", "name": f"new-{role}", "role": "viewer",
        "password": "new-pass"})


REQUESTS: dict[tuple[str, str], Callable[[TestClient, str], object]] = {
    ("GET", "/reports/{report_id:path}"): lambda c, r: c.get("/reports/m-1", follow_redirects=False),
    ("GET", "/api/reports/{report_id:path}"): lambda c, r: c.get("/api/reports/m-1"),
    ("GET", "/reports/{report_id:path}/correct"):
        lambda c, r: c.get("/reports/m-1/correct", follow_redirects=False),
    ("POST", "/reports/{report_id:path}/corrections"): _correction_form,
    ("POST", "/api/reports/{report_id:path}/corrections"): _correction_api,
    ("GET", "/api/export.{fmt}"): lambda c, r: c.get("/api/export.csv"),
    ("POST", "/login"): _login,
    ("POST", "/logout"): lambda c, r: c.post("/logout", data={"csrf_token": _token(c)},
                                             follow_redirects=False),
    ("POST", "/admin/users"): _add_user,
    ("POST", "/upload"): lambda c, r: c.post("/upload", data={"csrf_token": _token(c)},
                                             follow_redirects=False),
    ("GET", "/static"): lambda c, r: c.get("/static/tumen.css", follow_redirects=False),
}


def _request(c: TestClient, key: tuple[str, str], role: str):
    if key in REQUESTS:
        return REQUESTS[key](c, role)
    method, path = key
    assert method == "GET" and "{" not in path, f"add a request for {key} to REQUESTS"
    return c.get(path, follow_redirects=False)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_what_it_may(app, db, role):
    column = ROLES.index(role)
    keys = sorted(set(route_keys(app)) & set(EXPECTED), key=lambda k: (k in LAST, LAST.index(k)
                                                                      if k in LAST else 0, k))
    got, wrong = {}, []
    with TestClient(app, client=(f"10.9.{column}.1", 1)) as c:
        if role != "anonymous":
            assert _login(c, role).status_code == 303
        for key in keys:
            response = _request(c, key, role)
            got[key] = response.status_code
            want = EXPECTED[key][column]
            if response.status_code != want:
                wrong.append((key, want, response.status_code, response.text[:120]))
            location = response.headers.get("location", "")
            if response.status_code == 303 and role == "anonymous" and key != ("POST", "/login"):
                assert location.startswith("/login?next="), (key, location)
            if response.status_code == 303 and role != "anonymous":
                assert not location.startswith("/login?next="), (key, location)
            if response.status_code in (401, 403):
                json_route = key[1].startswith("/api/") or key[1].endswith(".json")
                text = response.json()["error"] if json_route else response.text
                assert ("login required" in text) if response.status_code == 401 else \
                       ("role" in text), (key, text[:200])
    assert not wrong, "\n".join(f"{k}: expected {w}, got {g}: {t!r}" for k, w, g, t in wrong)


def test_refused_requests_change_nothing(app, db):
    """Refused writes leave nothing behind: no correction by a viewer, no user added by
    anyone but an admin."""
    for role in ("anonymous", "viewer", "editor"):
        with TestClient(app, client=("10.9.8.1", 1)) as c:
            if role != "anonymous":
                assert _login(c, role).status_code == 303
            if role != "editor":
                assert _correction_form(c, role).status_code in (303, 403)
                assert _correction_api(c, role).status_code in (401, 403)
            assert _add_user(c, role).status_code in (303, 403)
    conn = sqlite3.connect(db)
    authors = {r[0] for r in conn.execute("SELECT author FROM corrections")}
    users = {r[0] for r in conn.execute("SELECT name FROM users")}
    conn.close()
    assert not authors & {"vic", "local"}, authors
    assert "new-viewer" not in users and "new-anonymous" not in users and "new-editor" not in users
