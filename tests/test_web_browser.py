"""The web UI in real Chromium (Debian's /usr/bin/chromium driven by Playwright).

Each test drives pages as an analyst would and saves a screenshot under
test-artifacts/.  The app runs in uvicorn in a thread on a free 127.0.0.1 port.
"""

from __future__ import annotations

import csv
import io
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest
from support.web import add_user, analyzed_sample_store

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"

pytestmark = [
    pytest.mark.slow, pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="needs Debian's chromium at /usr/bin/chromium "
                              "(apt-get install chromium chromium-driver)"),
]


class Server:
    def __init__(self, app):
        import uvicorn

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port,
                                                    log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.time() + 30
        while not self.server.started:
            if time.time() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)

    def stop(self):
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def local_server(tmp_path_factory):
    from tumen.web import create_app

    db = analyzed_sample_store(tmp_path_factory.getbasetemp())
    server = Server(create_app(str(db)))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def login_server(tmp_path_factory):
    from tumen.web import create_app

    db = analyzed_sample_store(tmp_path_factory.getbasetemp())
    add_user(db, "viv", "viewer", "viv-pass")
    add_user(db, "eddie", "editor", "eddie-pass")
    server = Server(create_app(str(db), require_login=True))
    yield server
    server.stop()


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.errors = errors
    yield pg
    context.close()


def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)


def test_browser_search_and_facet(page, local_server):
    page.goto(local_server.url + "/")
    page.fill("input[name=q]", "security")
    page.press("input[name=q]", "Enter")
    page.wait_for_url("**/?q=security*")
    assert page.locator(".hit").count() > 0
    assert page.locator(".hit mark").count() > 0
    shot(page, "search")
    facet = page.locator('.facet[data-facet="type"] li a').first
    value = facet.get_attribute("data-value")
    count = int(page.locator('.facet[data-facet="type"] li .n').first.inner_text().replace(",", ""))
    facet.click()
    page.wait_for_url("**type=*")
    assert "q=security" in page.url
    shown = int(page.locator(".count strong").inner_text().replace(",", ""))
    assert shown == count
    assert page.locator('.facet[data-facet="type"] li.sel a').first.get_attribute("data-value") == value
    shot(page, "search-facet")
    assert not page.errors, page.errors


def test_browser_report_evidence_highlighted(page, local_server):
    page.goto(local_server.url + "/incidents")
    page.locator("table.incidents td a.rep").first.click()
    page.wait_for_url("**/reports/**")
    evidence = page.locator("#report-text .ev")
    assert evidence.count() > 0
    background = evidence.first.evaluate("el => getComputedStyle(el).textDecorationLine + ' ' + getComputedStyle(el).backgroundColor")
    assert "underline" in background
    link = page.locator("a.evlink").first
    target = link.get_attribute("data-ev")
    link.click()
    flashed = page.locator(f"#report-text .{target}.flash")
    assert flashed.count() > 0
    color = flashed.first.evaluate("el => getComputedStyle(el).backgroundColor")
    assert color not in ("rgba(0, 0, 0, 0)", "transparent")
    assert page.locator(".inc").count() > 0
    shot(page, "report")
    assert not page.errors, page.errors


def test_browser_map_click_filters_table(page, local_server):
    page.goto(local_server.url + "/incidents")
    shot(page, "incidents")
    shapes = page.locator("figure.map a.prov")
    assert shapes.count() == 13
    # the busiest province: its title carries the count
    best, best_n = None, -1
    for k in range(shapes.count()):
        n = int(shapes.nth(k).get_attribute("data-count"))
        if n > best_n:
            best, best_n = shapes.nth(k), n
    province = best.get_attribute("data-province")
    best.locator("path").click()
    page.wait_for_url("**province=*")
    assert int(page.locator("#incident-count").inner_text().replace(",", "")) == best_n
    cells = page.locator("table.incidents tbody tr td:nth-child(4)").all_inner_texts()
    assert cells and set(cells) == {province}
    assert page.locator(f'figure.map a.prov.sel[data-province="{province}"]').count() == 1
    shot(page, "map-filtered")
    page.goto(local_server.url + "/timeline")
    assert page.locator("figure.timeline rect").count() > 0
    shot(page, "timeline")
    page.goto(local_server.url + "/map")
    shot(page, "map")
    assert not page.errors, page.errors


def test_browser_csv_download_matches_api(page, local_server):
    page.goto(local_server.url + "/incidents?type=arrest&sort=place&order=asc")
    with page.expect_download() as info:
        page.click("#dl-csv")
    path = info.value.path()
    rows = list(csv.DictReader(io.StringIO(Path(path).read_text(encoding="utf-8"))))
    api_rows, pg = [], 1
    while True:
        data = httpx.get(local_server.url + "/api/incidents",
                         params={"type": "arrest", "sort": "place", "order": "asc", "page": pg}).json()
        api_rows += data["incidents"]
        if pg >= data["pages"]:
            break
        pg += 1
    assert len(rows) == len(api_rows) == data["total"] > 0
    assert [(r["report_id"], r["key"], r["place"] or None) for r in rows] == \
        [(r["report_id"], r["key"], r["place"]) for r in api_rows]


def test_browser_login_and_logout(page, login_server):
    page.goto(login_server.url + "/incidents")
    page.wait_for_url("**/login?next=*")
    shot(page, "login")
    page.fill("input[name=name]", "viv")
    page.fill("input[name=password]", "wrong")
    page.click("form.login button")
    assert "wrong user name or password" in page.inner_text(".error")
    page.fill("input[name=name]", "viv")
    page.fill("input[name=password]", "viv-pass")
    page.click("form.login button")
    page.wait_for_url("**/incidents")
    assert "viv" in page.inner_text("header .who")
    page.click("#logout")
    page.wait_for_url("**/login")
    page.goto(login_server.url + "/")
    page.wait_for_url("**/login?next=*")
    assert [e for e in page.errors if "401" not in e] == []  # the refused login is a 401


def _login(page, server, name, password):
    page.goto(server.url + "/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.click("form.login button")
    page.wait_for_url(server.url + "/")


def test_browser_viewer_cannot_reach_correction_form(page, login_server):
    _login(page, login_server, "viv", "viv-pass")
    page.locator(".hit a.title").first.click()
    page.wait_for_url("**/reports/**")
    assert page.locator("a.edit").count() == 0
    assert page.locator("text=Add a missed incident").count() == 0
    response = page.goto(page.url.split("#")[0] + "/correct")
    assert response.status == 403
    assert "editor role" in page.inner_text("#error-message")
    shot(page, "viewer-forbidden")


def test_browser_editor_corrects_an_incident(page, login_server):
    _login(page, login_server, "eddie", "eddie-pass")
    page.goto(login_server.url + "/incidents")
    page.locator("table.incidents td a.rep").first.click()
    page.wait_for_url("**/reports/**")
    page.locator("a.edit").first.click()
    page.wait_for_url("**/correct?key=*")
    shot(page, "correct-form")
    current = page.locator("select[name=type]").input_value()
    new = "other" if current != "other" else "meeting"
    page.select_option("select[name=type]", new)
    page.click("#correction-form button[type=submit]")
    page.wait_for_url("**/reports/**#incidents")
    corrected = page.locator(".inc.corrected")
    assert corrected.count() >= 1
    assert new in corrected.first.inner_text()
    shot(page, "report-corrected")
    assert not page.errors, page.errors
