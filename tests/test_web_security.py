"""Attacks on the web app and API (issue 6): cross-site scripting, injection through
search and filter parameters, sessions, CSRF, login rate limit, passwords in logs and
path traversal.  Everything goes in-process through FastAPI's TestClient; hostile data
enters through the real ingest functions, ``store.save_records`` and the corrections API.

The hostile reports are written here (none comes from the shared data).
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tumen.cli import app as cli_app
from tumen.ingest.run import ingest
from tumen.store.search import MAX_QUERY_CHARS
from tumen.store import open_store
from tumen.web import auth
from tumen.web.app import create_app  # the factory with every option (session_max_age)

PASSWORDS = {"vic": "Vic-pass-7731", "ed": "Ed-pass-5519", "ada": "Ada-pass-0284"}
ROLES = {"vic": "viewer", "ed": "editor", "ada": "admin"}

# -- hostile strings -------------------------------------------------------------------
XSS = [
    '<script>alert("xss-1")</script>',
    '"><img src=x onerror=alert(2)>',
    "'><svg onload=alert(3)>",
    '<a href="javascript:alert(4)">click</a>',
    "</textarea></title></style><script>alert(5)</script>",
    "<b onmouseover=alert(6)>unclosed <i",
    '<iframe src="//evil.example/"></iframe>',
    "{{ 7*7 }}{% if 1 %}jinja{% endif %}",
]
BAD_URLS = ["javascript:alert(7)", " JaVaScRiPt:alert(8)", "data:text/html,<script>alert(9)</script>",
            "vbscript:msgbox(10)", "java\tscript:alert(11)"]
INJECTIVE = XSS[:3] + ["javascript:alert(12)"]


def _hostile_reports() -> list[dict]:
    out = []
    for k, (xss, url) in enumerate(zip(XSS, BAD_URLS * 2)):
        body = (f"In Hyesan, Yanggang Province, security officials held a meeting in "
                f"March 2024. {xss} The Ministry of State Security arrested three traders "
                f"at the market. {XSS[(k + 1) % len(XSS)]} Fines were imposed.")
        out.append({"id": f"xss-{k}", "title": f"Title {k} {xss}", "body": body,
                    "published": "2024-03-1" + str(k % 9), "source": f"Source {k} {xss}",
                    "url": url, "tags": [xss, f"tag {k}"]})
    return out


def _record(report, k: int) -> dict:
    """A hand-made record with hostile entity names, tags, actor, target and penalty."""
    body = report.body
    ev1, ev2 = 0, len(body) // 2
    xss = XSS[k % len(XSS)]
    hyesan = max(body.find("Hyesan"), 0)
    return {
        "id": report.id, "title": report.title, "published": report.published,
        "source": report.source, "url": report.url,
        "tags": [xss, "javascript:alert(13)", f"tag-{k}"],
        "places": [{"id": f"x{k}", "name": f"Place {xss}", "kind": "city",
                    "province": f"Province {xss}",
                    "mentions": [{"text": body[hyesan:hyesan + 6], "start": hyesan,
                                  "end": hyesan + 6}]}],
        "organizations": [{"id": f"o{k}", "name": f"Org {xss}", "mentions": [
            {"text": body[ev2:ev2 + 10], "start": ev2, "end": ev2 + 10}]}],
        "laws": [{"name": f"Law {xss}", "mentions": []}],
        "dates": [],
        "incidents": [
            {"type": "meeting", "actor": f"Actor {xss}", "target": f"Target {xss}",
             "place": f"Place {xss}", "province": f"Province {xss}", "date": "2024-03",
             "date_precision": "month", "penalty": None,
             "evidence": {"text": body[ev1:ev1 + 40], "start": ev1, "end": ev1 + 40}},
            {"type": "arrest", "actor": "javascript:alert(14)", "target": xss, "place": None,
             "date": None, "date_precision": None, "penalty": f"Penalty {xss}",
             "evidence": {"text": body[ev2:ev2 + 50], "start": ev2, "end": ev2 + 50}},
        ],
    }


def _write_inputs(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    jsonl = folder / "hostile.jsonl"
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in _hostile_reports()), encoding="utf-8")
    page = folder / "broken.html"
    page.write_text("<html><head><title>Broken <script>alert(20)</script> page</title></head>"
                    "<body><h1>Broken <b onclick=alert(21)>markup</h1><p>In Musan County, "
                    "officials <i>inspected <a href='javascript:alert(22)'>homes</a> for "
                    "phones &lt;script&gt;alert(23)&lt;/script&gt; in April 2024.<p>Another "
                    "paragraph <img src=x onerror=alert(24)> with <unclosed tags and more "
                    "words about the border guards who searched the houses.</body>",
                    encoding="utf-8")
    note = folder / "note.md"
    note.write_text("# Note <svg onload=alert(25)>\n\nsource: <script>alert(26)</script>\n\n"
                    "Officials in Hoeryong [held](javascript:alert(27)) a lecture on the "
                    "anti-reactionary thought law in May 2024. <script>alert(28)</script>\n",
                    encoding="utf-8")
    return [jsonl, page, note]


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("websec")
    db = root / "hostile.db"
    with open_store(db) as store:
        summary = ingest(store, _write_inputs(root / "in"), parallel=False)
        assert summary.result.added >= len(XSS) + 2, summary.result.failed
        reports = [r for r in store.iter_reports()]
        store.save_records([_record(r, k) for k, r in enumerate(reports)])
    for name, role in ROLES.items():
        auth.add_user(str(db), name, role, PASSWORDS[name])
    return db


def login(client: TestClient, name: str, password: str | None = None):
    token = _form_csrf(client)
    return client.post("/login", data={"csrf_token": token, "name": name,
                                       "password": password or PASSWORDS[name], "next": "/"},
                       follow_redirects=False)


def _form_csrf(client: TestClient, path: str = "/login") -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert match, path
    return match.group(1)


@pytest.fixture(scope="module")
def app(hostile_db):
    return create_app(str(hostile_db), require_login=True)


@pytest.fixture(scope="module")
def admin(app):
    with TestClient(app, client=("10.0.0.1", 1000)) as c:
        assert login(c, "ada").status_code == 303
        yield c


@pytest.fixture(scope="module")
def editor(app):
    with TestClient(app, client=("10.0.0.2", 1000)) as c:
        assert login(c, "ed").status_code == 303
        yield c


# -- an HTML checker -------------------------------------------------------------------
URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "srcdoc"}
OWN_SCRIPTS = {"/static/tumen.js"}


class PageAudit(HTMLParser):
    """Collects what an XSS would leave in a page: script elements, on* attributes,
    active URL schemes in link attributes, elements of the injected kinds."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "script":
            if values.get("src") not in OWN_SCRIPTS:
                self.problems.append(f"script element {attrs}")
            self._in_script = True
        if tag in ("iframe", "object", "embed", "img", "base", "meta") and tag != "meta":
            self.problems.append(f"<{tag}> element {attrs}")
        if tag == "meta" and (values.get("http-equiv") or "").lower() == "refresh":
            self.problems.append(f"meta refresh {attrs}")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"event handler {name}={value!r} on <{tag}>")
            if name in URL_ATTRS and value is not None:
                squashed = re.sub(r"[\x00-\x20]", "", value).lower()
                if re.match(r"(javascript|vbscript|data):", squashed):
                    self.problems.append(f"{name}={value!r} on <{tag}>")
            if name == "style":
                self.problems.append(f"inline style on <{tag}>")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.problems.append(f"inline script {data[:60]!r}")
        self.text.append(data)


def audit(response) -> PageAudit:
    checker = PageAudit()
    checker.feed(response.text)
    checker.close()
    return checker


def assert_safe_page(response, where: str) -> PageAudit:
    if response.status_code == 404 and response.headers["content-type"] == "application/json":
        assert response.json() == {"error": "Not Found"}, where  # no route: nothing echoed
        return PageAudit()
    assert response.headers["content-type"].startswith("text/html"), where
    csp = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp, (where, csp)
    assert "default-src 'self'" in csp and "object-src 'none'" in csp, (where, csp)
    assert response.headers.get("x-content-type-options") == "nosniff", where
    checker = audit(response)
    assert not checker.problems, (where, checker.problems[:5])
    for raw in ("<script>alert", "<img", "<svg onload", "<iframe", "<b onmouseover", "<a href=\"javascript"):
        assert raw not in response.text, (where, raw)
    return checker


# -- cross-site scripting ------------------------------------------------------------
def _pages(client: TestClient, db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    ids = [r[0] for r in conn.execute("SELECT id FROM reports ORDER BY seq")]
    conn.close()
    first = client.get(f"/api/reports/{ids[0]}").json()
    key = first["record"]["incidents"][0]["key"]
    q = "q"
    pages = ["/", "/incidents", "/timeline", "/map", "/upload", "/admin/users",
             "/?q=officials", "/?q=alert", "/?q=script", f"/incidents?{q}=meeting",
             f"/reports/{ids[0]}/correct", f"/reports/{ids[0]}/correct?key={key}",
             "/reports/%3Cscript%3Ealert(1)%3C%2Fscript%3E",
             "/?month=%3Cscript%3Ealert(1)%3C/script%3E", "/?bogus%3Cscript%3E=1",
             "/incidents?sort=%3Cscript%3Ealert(1)%3C/script%3E"]
    pages += [f"/reports/{rid}" for rid in ids]
    facets = client.get("/api/search").json()["facets"]
    for facet, values in facets.items():
        for value in values["values"][:4]:
            pages.append(f"/?{facet}=" + _quote(value["value"]))
            pages.append(f"/incidents?{facet}=" + _quote(value["value"]))
    for xss in INJECTIVE:
        pages += [f"/?q={_quote(xss)}", f"/incidents?tag={_quote(xss)}",
                  f"/timeline?source={_quote(xss)}", f"/map?place={_quote(xss)}"]
    return pages


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


def test_hostile_text_is_shown_as_text_on_every_page(admin, hostile_db):
    pages = _pages(admin, hostile_db)
    assert len(pages) > 40
    statuses = {}
    for path in pages:
        response = admin.get(path)
        statuses[path] = response.status_code
        assert response.status_code in (200, 400, 404), (path, response.status_code)
        assert_safe_page(response, path)
    assert sum(1 for s in statuses.values() if s == 200) > 35, statuses


def test_hostile_report_fields_appear_escaped_as_text(admin):
    page = admin.get("/reports/xss-0")
    checker = assert_safe_page(page, "/reports/xss-0")
    text = "".join(checker.text)
    assert 'Title 0 <script>alert("xss-1")</script>' in text  # title shown as text
    assert 'Source 0 <script>alert("xss-1")</script>' in text
    assert "Target " + XSS[0] in text and "Penalty " + XSS[0] in text
    assert "Org " + XSS[0] in text and "Actor " + XSS[0] in text
    assert "&lt;script&gt;" in page.text
    # the report's url is javascript: -- no link to it at all
    assert "original source" not in page.text
    inc = admin.get("/incidents").text
    assert "Penalty " + XSS[2].replace("'", "&#39;").replace(">", "&gt;").replace("<", "&lt;") in inc


def test_report_links_only_to_http_urls(tmp_path):
    db = tmp_path / "urls.db"
    rows = [{"id": f"u-{k}", "title": f"u {k}", "url": url, "published": "2024-01-01",
             "body": f"Officials in Hyesan met on the matter number {k} in January 2024."}
            for k, url in enumerate(BAD_URLS + ["https://example.org/a?b=1&c=2",
                                                "http://example.org/"])]
    (tmp_path / "u.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    with open_store(db) as store:
        assert ingest(store, [tmp_path / "u.jsonl"], parallel=False).result.added == len(rows)
    with TestClient(create_app(str(db))) as c:
        for k, row in enumerate(rows):
            page = c.get(f"/reports/u-{k}")
            assert_safe_page(page, row["url"])
            links = re.findall(r'href="([^"]*)"[^>]*class="ext"', page.text)
            if row["url"].startswith("http"):
                assert links == [row["url"].replace("&", "&amp;")]
            else:
                assert links == [], (row["url"], links)


def test_hostile_corrections_are_shown_as_text(editor, admin):
    token = editor.get("/api/me").json()["csrf_token"]
    report = editor.get("/api/reports/xss-1").json()
    key = report["record"]["incidents"][0]["key"]
    for payload in (
        {"action": "edit", "key": key, "changes": {"target": XSS[0], "penalty": XSS[1]}},
        {"action": "add", "changes": {"type": "arrest", "target": XSS[2], "penalty": XSS[3]},
         "evidence": XSS[2]},
    ):
        r = editor.post("/api/reports/xss-1/corrections", json=payload,
                        headers={"X-CSRF-Token": token})
        assert r.status_code == 200, r.text
    # rejected corrections echo the bad value in their message: still text
    form_token = _form_csrf(editor, f"/reports/xss-1/correct?key={key}")
    r = editor.post("/reports/xss-1/corrections", data={
        "csrf_token": form_token, "action": "edit", "key": key, "place": XSS[0],
        "actor": XSS[1], "type": "arrest"})
    assert r.status_code == 400
    assert_safe_page(r, "correction error page")
    assert "unknown place" in r.text
    for path in ("/reports/xss-1", "/incidents", "/?q=traders", "/reports/xss-1/correct"):
        page = admin.get(path)
        checker = assert_safe_page(page, path)
        if path == "/reports/xss-1":
            text = "".join(checker.text)
            assert XSS[0] in text and XSS[3] in text
    api = admin.get("/api/incidents", params={"q": "traders"}).json()["incidents"]
    assert XSS[0] in {i["target"] for i in api}  # the API returns the data as it is


def test_hostile_upload_shows_names_and_text_as_text(editor, hostile_db):
    token = _form_csrf(editor, "/upload")
    name = '<img src=x onerror=alert(30)>.txt'
    r = editor.post("/upload", data={"csrf_token": token},
                    files={"files": (name, b"\xff\xfe\x00<script>alert(31)</script>", "text/plain")})
    assert r.status_code in (200, 400)
    assert_safe_page(r, "upload result")


def test_error_pages_escape_what_they_echo(admin):
    for path in ("/reports/%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E",
                 "/?type=%3Cscript%3Ealert(1)%3C/script%3E",
                 "/login?next=javascript:alert(1)", "/login?next=%22%3E%3Cscript%3E"):
        response = admin.get(path)
        assert_safe_page(response, path)
    login_page = admin.get("/login?next=javascript:alert(1)")
    assert 'name="next" value="/"' in login_page.text


def test_every_response_carries_the_security_headers(admin):
    for path in ("/", "/api/search", "/static/tumen.css", "/api/openapi.json", "/nowhere",
                 "/api/reports/none", "/login"):
        response = admin.get(path)
        assert "script-src 'self'" in response.headers.get("content-security-policy", ""), path
        assert response.headers.get("x-frame-options") == "DENY", path
        assert response.headers.get("x-content-type-options") == "nosniff", path
    assert admin.get("/api/search").headers["content-type"].startswith("application/json")


# -- injection through search and filter parameters -------------------------------------
INJECTIONS = [
    "'", '"', "''", '""', "\\", "' OR '1'='1", '" OR ""="', "1; DROP TABLE reports; --",
    "x' UNION SELECT name, password_hash FROM users --", "%", "_", "*", "^", "^market",
    "market*", "*market", "NEAR(market officials)", "NEAR(market officials, 2)", "NEAR(",
    "market NEAR/2 officials", "title:market", "body:market", "{title body}:market",
    "password_hash:x", "web_users:x", "reports_fts:x", "rank:1", "-market", "- market",
    "market AND", "OR", "NOT market", "AND OR NOT", "(market", "market)", "((((((((((",
    "market:", ":", "a:b:c", '"unterminated', 'market"', "\x00", "\x00market", "\u202e",
    "ＭＡＲＫＥＴ", "시장", "<script>", "$(rm -rf /)", "../../etc/passwd", "null", "None",
    "-1", "0", "99999999999999999999", "1e309", "nan",
    "market " * 400, "x" * (MAX_QUERY_CHARS + 1), " OR ".join(["market"] * 300),
    "a* " * 300, "NEAR(" * 200,
]
ENDPOINTS = ["/api/search", "/api/facets", "/api/incidents", "/api/timeline", "/api/map",
             "/api/export.csv"]
PARAMS = ["q", "tag", "province", "place", "org", "type", "source", "month", "page",
          "sort", "order", "scope"]
ACCEPTS = {"/api/search": {"q", "page", "tag", "province", "place", "org", "type", "source", "month"},
           "/api/facets": {"q", "page", "scope", "tag", "province", "place", "org", "type",
                           "source", "month"},
           "/api/incidents": {"q", "page", "sort", "order", "tag", "province", "place", "org",
                              "type", "source", "month"},
           "/api/timeline": {"q", "page", "tag", "province", "place", "org", "type", "source",
                             "month"},
           "/api/map": {"q", "page", "tag", "province", "place", "org", "type", "source", "month"},
           "/api/export.csv": {"q", "sort", "order", "tag", "province", "place", "org", "type",
                               "source", "month"}}


@pytest.fixture(scope="module")
def secrets_in_store(hostile_db) -> list[str]:
    conn = sqlite3.connect(hostile_db)
    hashes = [r[0] for r in conn.execute("SELECT password_hash FROM users")]
    conn.close()
    secret = auth.secret_path(str(hostile_db)).read_text().strip()  # the key, beside the store
    return hashes + [secret] + list(PASSWORDS.values())


def _check_answer(response, where, secrets):
    assert response.status_code in (200, 400), (where, response.status_code, response.text[:300])
    if response.status_code == 400:
        if "application/json" in response.headers["content-type"]:
            message = response.json()["error"]
        else:
            message = re.search(r'id="error-message">([^<]*)<', response.text).group(1)
        assert message.strip() and "\n" not in message and "Traceback" not in message, where
    body = response.text
    for secret in secrets:
        assert secret not in body, (where, "leaked another table's data")
    assert "$argon2" not in body, where


@pytest.mark.slow  # ~2,500 requests
def test_injection_in_every_parameter_gives_results_or_400(admin, secrets_in_store, hostile_db):
    conn = sqlite3.connect(hostile_db)
    before = conn.execute("SELECT count(*) FROM reports").fetchone()[0]
    answered = {200: 0, 400: 0}
    for endpoint in ENDPOINTS:
        for param in PARAMS:
            # parameters a route does not take are refused before parsing: a few suffice
            values = INJECTIONS if param in ACCEPTS[endpoint] else INJECTIONS[:3]
            if endpoint in ("/api/timeline", "/api/map", "/api/facets") and param != "q":
                values = values[::2]  # the same parser and filter as /api/search
            for value in values:
                r = admin.get(endpoint, params={param: value})
                _check_answer(r, (endpoint, param, value[:40]), secrets_in_store)
                answered[r.status_code] += 1
                if param not in ACCEPTS[endpoint]:
                    assert r.status_code == 400 and "unknown parameter" in r.json()["error"]
    assert answered[200] > 200 and answered[400] > 200, answered
    assert conn.execute("SELECT count(*) FROM reports").fetchone()[0] == before
    assert conn.execute("SELECT count(*) FROM users").fetchone()[0] == len(PASSWORDS)
    conn.close()


def test_injection_in_page_parameters_and_combined(admin, secrets_in_store):
    for path in ("/", "/incidents", "/timeline", "/map"):
        for value in INJECTIONS[::3]:
            for param in ("q", "tag", "month", "page", "sort"):
                r = admin.get(path, params={param: value})
                _check_answer(r, (path, param, value[:40]), secrets_in_store)
    # every facet at once, repeated values, and the column names of other tables
    params = [("q", "market OR officials")] + [(f, "x' OR 1=1 --") for f in
                                               ("tag", "province", "place", "org", "source")]
    params += [("tag", f"t{k}") for k in range(11)]
    r = admin.get("/api/search", params=params)
    assert r.status_code == 400 and "at most" in r.json()["error"]
    r = admin.get("/api/search", params=params[:6])
    assert r.status_code == 200 and r.json()["total"] == 0


def test_fts_syntax_finds_only_reports(admin):
    """Column filters that name other tables' columns find nothing or are refused;
    a legitimate column filter still works."""
    ok = admin.get("/api/search", params={"q": "title:title"}).json()
    assert ok["total"] >= len(XSS)
    for q in ("password_hash:argon2", "name:ada", "role:admin", "value:x"):
        r = admin.get("/api/search", params={"q": q})
        assert r.status_code in (200, 400)
        if r.status_code == 200:
            assert all(hit["id"] for hit in r.json()["results"])
            assert "$argon2" not in r.text


def test_injection_in_report_ids_and_formats(admin, secrets_in_store):
    for rid in ("' OR '1'='1", "xss-0' --", "%", "*", "x" * 5000, "\u0000"):
        for prefix in ("/api/reports/", "/reports/"):
            r = admin.get(prefix + _quote(rid))
            assert r.status_code in (404, 400), (prefix, rid, r.status_code)
            for secret in secrets_in_store:
                assert secret not in r.text
    for fmt in ("csv'", "csv;", "sql", "db", "../csv", "csv%00"):
        assert admin.get(f"/api/export.{_quote(fmt)}").status_code == 404, fmt


def test_json_correction_bodies_never_500(editor):
    token = editor.get("/api/me").json()["csrf_token"]
    bodies = ["", "null", "[]", '"x"', "{", '{"action": []}', '{"action": "edit", "key": {}}',
              '{"action": "edit", "key": "x", "changes": []}',
              '{"action": "add", "changes": {"type": 5}, "evidence": 7}',
              '{"action": "add", "changes": {"__class__": "x"}, "evidence": "x"}',
              '{"action": "delete", "key": "\' OR 1=1 --"}',
              json.dumps({"action": "add", "changes": {"type": "arrest", "target": "x" * 10_000},
                          "evidence": "security officials"})]
    for body in bodies:
        r = editor.post("/api/reports/xss-2/corrections", content=body,
                        headers={"X-CSRF-Token": token, "content-type": "application/json"})
        assert r.status_code in (400, 404), (body[:60], r.status_code, r.text[:200])
        assert r.json()["error"]


# -- sessions, CSRF, rate limit ---------------------------------------------------------
def test_forged_and_reused_csrf_tokens_are_refused(app, hostile_db):
    with TestClient(app, client=("10.1.0.1", 1)) as a, TestClient(app, client=("10.1.0.2", 1)) as b:
        anon_token = _form_csrf(a)
        assert login(a, "ada").status_code == 303
        assert login(b, "ed").status_code == 303
        a_token = a.get("/api/me").json()["csrf_token"]
        b_token = b.get("/api/me").json()["csrf_token"]
        assert anon_token != a_token  # the session (and its token) is new after login
        before = len(auth.list_users(str(hostile_db)))
        altered = a_token[:-1] + ("y" if a_token.endswith("x") else "x")  # never the token itself
        for token in ("", "forged", altered, anon_token, b_token, a_token.upper()):
            r = a.post("/admin/users", data={"csrf_token": token, "action": "add",
                                             "name": "mallory", "role": "admin",
                                             "password": "m-pass"})
            assert r.status_code == 403 and "CSRF" in r.text, token
            r = a.post("/api/reports/xss-3/corrections", headers={"X-CSRF-Token": token},
                       json={"action": "add", "changes": {"type": "arrest"},
                             "evidence": "security officials"})
            assert r.status_code == 403, token
        # the token in the query string is not accepted either
        r = a.post(f"/admin/users?csrf_token={a_token}", data={
            "action": "add", "name": "mallory", "role": "admin", "password": "m-pass"})
        assert r.status_code == 403
        assert len(auth.list_users(str(hostile_db))) == before
        # a token from before logout is dead after it, and so is the old cookie
        old_cookie = a.cookies.get(auth.SESSION_COOKIE)
        assert a.post("/logout", data={"csrf_token": a_token},
                      follow_redirects=False).status_code == 303
        assert a.get("/api/me").status_code == 401
        a.cookies.set(auth.SESSION_COOKIE, old_cookie)
        assert a.get("/api/me").status_code == 401, "a logged-out session cookie still works"
        r = a.post("/logout", data={"csrf_token": a_token}, follow_redirects=False)
        assert r.status_code in (401, 303, 403)
        assert b.get("/api/me").json()["user"] == "ed"  # the other session is unaffected
    # another worker process (or the server restarted) over the same store refuses it too
    with TestClient(create_app(str(hostile_db), require_login=True)) as other:
        other.cookies.set(auth.SESSION_COOKIE, old_cookie)
        assert other.get("/api/me").status_code == 401


def test_sessions_expire(hostile_db):
    app = create_app(str(hostile_db), require_login=True, session_max_age=1)
    with TestClient(app, client=("10.2.0.1", 1)) as c:
        r = login(c, "vic")
        assert r.status_code == 303
        assert f"max-age=1" in r.headers["set-cookie"].lower()
        assert c.get("/api/me").json()["user"] == "vic"
        time.sleep(2.2)
        assert c.get("/api/me").status_code == 401
        assert c.get("/incidents", follow_redirects=False).status_code == 303


def test_default_session_lifetime_is_enforced_by_the_signature(app, hostile_db):
    """A cookie signed with the real secret but older than SESSION_MAX_AGE is refused
    (the cookie's own Max-Age is only advice to the browser)."""
    from itsdangerous import URLSafeTimedSerializer

    secret = auth.SecretKey(str(hostile_db)).current()
    conn = sqlite3.connect(hostile_db)
    mark = auth.password_mark(secret, conn.execute(
        "SELECT password_hash FROM users WHERE name = 'ada'").fetchone()[0])
    conn.close()
    serializer = URLSafeTimedSerializer(secret, salt="tumen-session")
    signer = serializer.make_signer("tumen-session")
    real = signer.get_timestamp
    fresh = serializer.dumps({"csrf": "t", "user": "ada", "pw": mark})
    signer_cls = type(signer)
    try:
        signer_cls.get_timestamp = lambda self: int(time.time()) - auth.SESSION_MAX_AGE - 5
        old = serializer.dumps({"csrf": "t", "user": "ada", "pw": mark})
    finally:
        signer_cls.get_timestamp = real.__func__ if hasattr(real, "__func__") else real
    with TestClient(app, client=("10.2.0.2", 1)) as c:
        c.cookies.set(auth.SESSION_COOKIE, fresh)
        assert c.get("/api/me").json()["user"] == "ada"
        c.cookies.set(auth.SESSION_COOKIE, old)
        assert c.get("/api/me").status_code == 401
        # a session forged with another secret is refused too
        c.cookies.set(auth.SESSION_COOKIE, URLSafeTimedSerializer("guess", salt="tumen-session")
                      .dumps({"csrf": "t", "user": "ada", "pw": mark}))
        assert c.get("/api/me").status_code == 401


@pytest.fixture
def no_failed_logins(hostile_db):
    """The store keeps failed logins for every app on it: start and leave the shared
    store without any, so that no other test meets a limit set here."""
    def clear():
        with sqlite3.connect(hostile_db) as conn:
            conn.execute("DELETE FROM login_failures")
    clear()
    yield hostile_db
    clear()


def test_login_is_rate_limited(hostile_db, no_failed_logins):
    app = create_app(str(hostile_db), require_login=True)
    limit = auth.LOGIN_MAX_FAILURES
    with TestClient(app, client=("10.3.0.1", 1)) as c:
        for _ in range(limit):
            assert login(c, "vic", "wrong").status_code == 401
        r = login(c, "vic")  # even the right password is not tried now
        assert r.status_code == 429 and "too many failed logins" in r.text
        assert int(r.headers["retry-after"]) > 0
        assert c.get("/api/me").status_code == 401
        r = login(c, "ed")  # same address, other account: still refused
        assert r.status_code == 429
    with TestClient(app, client=("10.3.0.2", 1)) as c:
        assert login(c, "vic").status_code == 429  # the account is protected from anywhere
        assert login(c, "ed").status_code == 303  # other accounts from other addresses work
    # the limit lifts when the window has passed
    clock = [time.time() + auth.LOGIN_WINDOW + 1]
    app.state.login_limiter.clock = lambda: clock[0]
    with TestClient(app, client=("10.3.0.1", 1)) as c:
        assert login(c, "vic").status_code == 303


def test_login_limit_holds_across_worker_processes(hostile_db, no_failed_logins):
    """Two apps on one store stand for two worker processes of `tumen serve --workers 2`:
    failures at either count for both, and the store forgets them once the window has
    passed."""
    workers = [create_app(str(hostile_db), require_login=True) for _ in range(2)]
    limit = auth.LOGIN_MAX_FAILURES
    for k in range(limit):
        with TestClient(workers[k % 2], client=("10.4.0.1", 1)) as c:
            assert login(c, "vic", "wrong").status_code == 401
    for app in workers:
        with TestClient(app, client=("10.4.0.9", 1)) as c:
            assert login(c, "vic").status_code == 429   # the account, from anywhere, on any worker
        with TestClient(app, client=("10.4.0.1", 1)) as c:
            assert login(c, "ed").status_code == 429    # the address, on any worker
    conn = sqlite3.connect(hostile_db)
    try:
        keys = {k for (k,) in conn.execute("SELECT DISTINCT key FROM login_failures")}
        assert keys == {"addr:10.4.0.1", "name:vic"}
        later = [time.time() + auth.LOGIN_WINDOW + 1]
        for app in workers:
            app.state.login_limiter.clock = lambda: later[0]
        with TestClient(workers[1], client=("10.4.0.2", 1)) as c:
            assert login(c, "vic").status_code == 303
            assert login(c, "nobody", "wrong").status_code == 401   # a failure prunes the old ones
        assert conn.execute("SELECT count(*) FROM login_failures").fetchone()[0] == 2
        # a name longer than any account's is kept by its first characters only
        with TestClient(workers[0], client=("10.4.0.3", 1)) as c:
            assert login(c, "x" * 10_000, "wrong").status_code == 401
        longest = conn.execute("SELECT max(length(key)) FROM login_failures").fetchone()[0]
        assert longest == len("name:") + auth.MAX_USER_NAME + 1
    finally:
        conn.close()


def test_limiter_counts_failures_per_key_in_a_sliding_window():
    now = [0.0]
    limiter = auth.LoginLimiter(max_failures=3, window=60, clock=lambda: now[0])
    for t in (0, 10, 20):
        now[0] = t
        assert limiter.wait("a") == 0
        limiter.failed("a")
    assert 0 < limiter.wait("a") <= 41 and limiter.wait("b") == 0
    now[0] = 60.5
    assert limiter.wait("a") == 0  # the first failure left the window


def test_passwords_never_appear_in_logs(tmp_path, caplog, capsys):
    db = tmp_path / "pw.db"
    open_store(db).close()
    secret_a, secret_b, secret_c = "Zq-first-secret-9931", "Zq-second-secret-4417", "Zq-third-8852"
    caplog.set_level(logging.DEBUG)
    auth.add_user(str(db), "root1", "admin", secret_a)
    result = CliRunner().invoke(cli_app, ["user", "add", "cli1", "--role", "viewer",
                                          "--password", secret_b, "--db", str(db)])
    assert result.exit_code == 0, result.output
    outputs = [result.output]
    result = CliRunner().invoke(cli_app, ["user", "add", "cli1", "--role", "viewer",
                                          "--password", secret_b, "--db", str(db)])
    assert result.exit_code != 0  # duplicate: the error must not echo the password
    outputs.append(result.output)
    with TestClient(create_app(str(db), require_login=True), client=("10.4.0.1", 1)) as c:
        assert login(c, "root1", secret_c).status_code == 401  # wrong password logged as failure
        assert login(c, "nobody", secret_c).status_code == 401
        assert login(c, "root1", secret_a).status_code == 303
        token = _form_csrf(c, "/admin/users")
        r = c.post("/admin/users", data={"csrf_token": token, "action": "add", "name": "web1",
                                         "role": "editor", "password": secret_c})
        assert r.status_code == 200 and secret_c not in r.text
        r = c.post("/admin/users", data={"csrf_token": token, "action": "add", "name": "web1",
                                         "role": "editor", "password": secret_c})
        assert r.status_code == 400 and secret_c not in r.text
        r = c.post("/admin/users", data={"csrf_token": token, "action": "add",
                                         "name": secret_c + " !", "role": "editor",
                                         "password": secret_c})
        assert r.status_code == 400
    captured = capsys.readouterr()
    logged = "\n".join(rec.getMessage() + " " + str(rec.args) for rec in caplog.records)
    assert "failed login" in logged  # the failures are logged ...
    everything = logged + caplog.text + captured.out + captured.err + "".join(outputs)
    for secret in (secret_a, secret_b):
        assert secret not in everything  # ... the passwords never
    # secret_c was also typed as a user *name* once: only that echo may show it
    assert secret_c not in logged


# -- paths ---------------------------------------------------------------------------
def test_upload_names_cannot_escape_the_upload_folder(editor, tmp_path, hostile_db):
    targets = {"abs": tmp_path / "abs-escape.txt", "rel": tmp_path / "rel-escape.txt"}
    names = [str(targets["abs"]), "../" * 30 + str(targets["rel"]).lstrip("/"),
             "..", ".", "/", "..\\..\\..\\win-escape.txt", "....//....//dots.txt",
             "x/../../../../../../../../../../" + str(tmp_path / "mid-escape.txt").lstrip("/"),
             "%2e%2e%2f%2e%2e%2fenc-escape.txt", "a\x00b.txt", "~/home-escape.txt",
             " " * 3, "\u202etxt.exe"]
    conn = sqlite3.connect(hostile_db)
    before = conn.execute("SELECT count(*) FROM reports").fetchone()[0]
    for k, name in enumerate(names):
        token = _form_csrf(editor, "/upload")
        body = f"Upload {k}\n\nOfficials in Hyesan inspected markets for phones, report {k}.\n"
        r = editor.post("/upload", data={"csrf_token": token},
                        files={"files": (name, body.encode(), "text/plain")})
        assert r.status_code in (200, 400), (name, r.status_code, r.text[:300])
        assert_safe_page(r, name)
    for path in list(targets.values()) + [tmp_path / "mid-escape.txt", Path.home() / "home-escape.txt"]:
        assert not path.exists(), path
    for bad in ("win-escape.txt", "dots.txt", "enc-escape.txt", "b.txt"):
        assert not list(Path("/").glob(bad)) and not (Path.cwd() / bad).exists()
    after = conn.execute("SELECT count(*) FROM reports").fetchone()[0]
    conn.close()
    assert after > before  # the uploads themselves were stored


def test_static_and_export_paths_cannot_read_outside(admin):
    for path in ("/static/../app.py", "/static/%2e%2e/app.py", "/static/..%2fapp.py",
                 "/static/%2e%2e%2f%2e%2e%2fstore%2fqueries.py", "/static//etc/passwd",
                 "/static/%2fetc%2fpasswd", "/static/....//app.py", "/static/..\\app.py",
                 "/api/export.csv/../../app.py", "/api/export.%2e%2e%2fapp.py",
                 "/api/export.%2F..%2F..%2Fetc%2Fpasswd"):
        r = admin.get(path)
        assert r.status_code in (400, 404, 405), (path, r.status_code)
        assert "def create_app" not in r.text and "root:" not in r.text, path
    r = admin.get("/api/export.csv", params={"q": '../../x"; filename="evil.sh'})
    assert r.status_code in (200, 400)
    if r.status_code == 200:
        assert r.headers["content-disposition"] == 'attachment; filename="tumen-incidents.csv"'


# -- local desk mode, redirects, cross-origin reads ---------------------------------------
def test_local_desk_mode_refuses_other_host_names(tmp_path):
    """Without users on 127.0.0.1 everyone is admin: a page that rebinds its DNS name to
    127.0.0.1 sends its own name as Host and is refused; localhost names work."""
    db = tmp_path / "desk.db"
    open_store(db).close()
    app = create_app(str(db))
    for base in ("http://evil.example", "http://evil.example:8000", "http://127.0.0.1.nip.io",
                 "http://tumen.attacker.test:8000"):
        with TestClient(app, base_url=base) as c:
            r = c.get("/api/me")
            assert r.status_code == 403 and "local desk mode" in r.json()["error"], base
            assert c.get("/").status_code == 403
            assert "script-src 'self'" in r.headers["content-security-policy"]
    for base in ("http://127.0.0.1:8000", "http://localhost:8000", "http://[::1]:8000",
                 "http://LOCALHOST"):
        with TestClient(app, base_url=base) as c:
            me = c.get("/api/me").json()
            assert me["role"] == "admin" and not me["login_required"], base
    # with login required, any host name reaches the login (a server behind a proxy)
    auth.add_user(str(db), "ann", "viewer", "ann-pass-1")
    with TestClient(create_app(str(db)), base_url="http://tumen.example.org") as c:
        assert c.get("/api/me").status_code == 401
        assert login(c, "ann", "ann-pass-1").status_code == 303


def test_login_redirect_stays_on_this_site(app):
    with TestClient(app, client=("10.5.0.1", 1)) as c:
        for target in ("//evil.example/", "/\\evil.example", "/\t/evil.example",
                       "/\n/evil.example", "https://evil.example/", "javascript:alert(1)",
                       "/%2F%2Fevil.example", " //evil.example", "\\\\evil.example"):
            r = c.post("/login", follow_redirects=False, data={
                "csrf_token": _form_csrf(c), "name": "vic", "password": PASSWORDS["vic"],
                "next": target})
            assert r.status_code == 303, target
            location = r.headers["location"]
            squashed = re.sub(r"[\x00-\x20]", "", location)
            assert location.startswith("/") and not squashed.startswith(("//", "/\\")), \
                (target, location)


def test_no_cross_origin_reads(admin):
    for path in ("/api/me", "/api/search", "/api/reports/xss-0"):
        r = admin.get(path, headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in r.headers, path
        pre = admin.options(path, headers={"Origin": "https://evil.example",
                                           "Access-Control-Request-Method": "GET"})
        assert "access-control-allow-origin" not in pre.headers, path
    with TestClient(admin.app, client=("10.5.0.2", 1)) as fresh:
        cookie = fresh.get("/login").headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


def test_unknown_user_names_cost_a_password_check_too(hostile_db, monkeypatch):
    """The answer to an unknown name is not faster: an argon2 check is made either way."""
    checks = []
    real = auth.verify_password
    monkeypatch.setattr(auth, "verify_password", lambda h, p: checks.append(h) or real(h, p))
    app = create_app(str(hostile_db), require_login=True)
    with TestClient(app, client=("10.6.0.1", 1)) as c:
        assert login(c, "no-such-user", "whatever").status_code == 401
        assert login(c, "vic", "wrong").status_code == 401
    assert len(checks) == 2 and all(h.startswith("$argon2id$") for h in checks)
    assert checks[0] != checks[1]
