"""The web app on a PostgreSQL store: the same API answers as on SQLite.

The PostgreSQL store is filled through the real ingest of the bundled samples; its
records are the ones the pipeline computed for the shared SQLite sample store
(``support.web.analyzed_sample_store``), saved with ``save_records`` -- so both
backends hold the same reports and records and the API must answer alike.  Skips
without PostgreSQL binaries (see ``tests/support/pg.py``).
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from fastapi.testclient import TestClient
from support.pg import drop_pg_database, fresh_pg_database
from support.web import SAMPLES, analyzed_sample_store

from tumen.store import open_store
from tumen.web import auth, create_app

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


@pytest.fixture(scope="module")
def sqlite_db(tmp_path_factory):
    return analyzed_sample_store(tmp_path_factory.getbasetemp())


def _fill(url: str, sqlite_db) -> None:
    from tumen.ingest.run import ingest

    store = open_store(url)
    source = open_store(sqlite_db)
    try:
        summary = ingest(store, [SAMPLES])
        assert summary.result.added == source.count()
        assert store.save_records(source.iter_records()) > 0
    finally:
        source.close()
        store.close()


@pytest.fixture(scope="module")
def pg_store(sqlite_db):
    url = fresh_pg_database()
    _fill(url, sqlite_db)
    yield url
    drop_pg_database(url)


@pytest.fixture(scope="module")
def client(pg_store):
    with TestClient(create_app(pg_store)) as c:
        yield c


@pytest.fixture(scope="module")
def sqlite_client(sqlite_db):
    with TestClient(create_app(str(sqlite_db))) as c:
        yield c


@pytest.fixture()
def fresh_pg(sqlite_db):
    """A PostgreSQL sample store of its own (for tests that write)."""
    url = fresh_pg_database()
    _fill(url, sqlite_db)
    yield url
    drop_pg_database(url)


def all_incidents(client, query=""):
    rows, page = [], 1
    while True:
        data = client.get(f"/api/incidents?{query}&page={page}").json()
        rows += data["incidents"]
        if page >= data["pages"]:
            return rows, data["total"]
        page += 1


def _facets(data):
    return {name: {(v["value"], v["count"]) for v in facet["values"]}
            for name, facet in data["facets"].items()}


# -- search -------------------------------------------------------------------------
def test_pg_web_search_and_facets_equal_sqlite(client, sqlite_client, pg_store):
    data = client.get("/api/search").json()
    store = open_store(pg_store)
    assert data["total"] == store.count() > 0
    store.close()
    assert _facets(data) == _facets(sqlite_client.get("/api/search").json())
    for name in ("province", "type", "org"):
        value = data["facets"][name]["values"][0]
        narrowed = client.get("/api/search", params={name: value["value"]}).json()
        assert narrowed["total"] == value["count"]
        assert _facets(narrowed) == _facets(
            sqlite_client.get("/api/search", params={name: value["value"]}).json())


def test_pg_web_search_query_with_facet_filter(client, sqlite_client):
    base = client.get("/api/search", params={"q": "security"}).json()
    assert base["total"] > 0
    value = base["facets"]["type"]["values"][0]
    both = client.get("/api/search", params={"q": "security", "type": value["value"]}).json()
    assert both["total"] == value["count"] <= base["total"]
    # the same reports as on SQLite (ranking functions differ, the matches do not)
    sq = sqlite_client.get("/api/search", params={"q": "security", "type": value["value"]}).json()
    assert {r["id"] for r in both["results"]} == {r["id"] for r in sq["results"]}
    hits = client.get("/api/search", params={"q": "market"}).json()
    assert hits["total"] > 0 and any("market" in str(r).lower() for r in hits["results"])


def test_pg_web_ranked_search_marks_snippets_and_refuses_bad_queries(client):
    ranked = client.get("/api/search", params={"q": "market"}).json()
    assert ranked["order"] == "relevance" and ranked["total"] > 0
    for result in ranked["results"]:
        hits = [s["text"] for s in result["snippet"] if s["hit"]]
        assert hits and all("market" in h.lower() for h in hits), result["snippet"]
    phrase = client.get("/api/search", params={"q": '"security officials"'}).json()
    assert phrase["total"] <= client.get("/api/search", params={"q": "security officials"}).json()["total"]
    assert client.get("/api/search", params={"q": "x" * 5000}).status_code == 400
    assert client.get("/api/incidents", params={"sort": "evil; DROP TABLE reports"}).status_code == 400


def test_pg_web_facet_index_agrees_with_sql(pg_store):
    from tumen.store.queries import Filters
    from tumen.web.db import WebDB
    from tumen.web.params import parse_state

    web = WebDB(pg_store)
    try:
        facets = web.reader.report_facet_counts(Filters())
        some = [(f, v) for f, v, _ in facets][::7][:5]
        cases = [[], [("q", "security")], [("q", "market OR border")], [("q", "phon*")]] + \
            [[(f, v)] for f, v in some] + [[("q", "province"), some[0]]]
        for pairs in cases:
            state = parse_state(pairs, "search")
            fast = web.facets.report_facets(state.filters)
            assert fast is not None
            slow = web.reader.report_facet_counts(state.filters)
            assert sorted(fast[0]) == sorted(slow), pairs
            assert fast[1] == web.reader.count_reports(state.filters), pairs
    finally:
        web.close()


# -- reports ------------------------------------------------------------------------
def test_pg_web_report_json_has_record_and_marks(client):
    rid = client.get("/api/incidents").json()["incidents"][0]["report_id"]
    report = client.get(f"/api/reports/{rid}").json()
    body = report["body"]
    assert report["record"]["incidents"]
    assert "".join(seg["text"] for seg in report["segments"]) == body
    for inc in report["record"]["incidents"]:
        ev = inc["evidence"]
        assert body[ev["start"]:ev["end"]] == ev["text"]
    assert client.get("/api/reports/no-such-report").status_code == 404
    assert client.get(f"/reports/{rid}").status_code == 200


# -- incidents, export, timeline, map -----------------------------------------------
@pytest.mark.parametrize("query", ["", "type=arrest", "q=security&sort=type&order=asc"])
def test_pg_web_incidents_and_csv_export_agree(client, sqlite_client, query):
    rows, total = all_incidents(client, query)
    keys = [(r["report_id"], r["key"]) for r in rows]
    assert len(keys) == total
    csv_rows = list(csv.DictReader(io.StringIO(client.get(f"/api/export.csv?{query}").text)))
    assert [(r["report_id"], r["key"]) for r in csv_rows] == keys
    sq_rows, sq_total = all_incidents(sqlite_client, query)
    assert sq_total == total
    assert sorted(keys) == sorted((r["report_id"], r["key"]) for r in sq_rows)


def test_pg_web_incidents_sort_by_place(client):
    everything = client.get("/api/incidents").json()
    top = everything["facets"]["type"]["values"][0]
    rows, total = all_incidents(client, f"type={top['value']}&sort=place&order=asc")
    assert total == top["count"] == len(rows)
    places = [r["place"] for r in rows if r["place"] is not None]
    assert places == sorted(places)


def test_pg_web_timeline_and_map_equal_sqlite(client, sqlite_client):
    data = client.get("/api/timeline").json()
    rows, _ = all_incidents(client)
    assert sum(c["n"] for c in data["counts"]) == sum(1 for r in rows if r["month"]) > 0
    assert data["counts"] == sqlite_client.get("/api/timeline").json()["counts"]
    shaded = client.get("/api/map").json()
    assert sum(shaded["provinces"].values()) == sum(1 for r in rows if r["province"])
    assert shaded["provinces"] == sqlite_client.get("/api/map").json()["provinces"]


# -- corrections, accounts ----------------------------------------------------------
def test_pg_web_correction_survives_resaving_the_record(fresh_pg):
    with TestClient(create_app(fresh_pg)) as c:
        token = c.get("/api/me").json()["csrf_token"]
        rid = c.get("/api/incidents", params={"sort": "report"}).json()["incidents"][0]["report_id"]
        first = c.get(f"/api/reports/{rid}").json()["record"]["incidents"][0]
        new_type = "propaganda" if first["type"] != "propaganda" else "meeting"
        r = c.post(f"/api/reports/{rid}/corrections", headers={"X-CSRF-Token": token},
                   json={"action": "edit", "key": first["key"],
                         "changes": {"type": new_type, "place": "Musan"}})
        assert r.status_code == 200, r.text

        def check():
            rec = c.get(f"/api/reports/{rid}").json()["record"]
            edited = [i for i in rec["incidents"] if i["key"] == first["key"]]
            assert edited and edited[0]["type"] == new_type
            assert edited[0]["province"] == "North Hamgyong Province"
            assert all(fix["status"] == "applied" for fix in rec["corrections"])
            table = [r for r in all_incidents(c, "type=" + new_type)[0] if r["report_id"] == rid]
            assert any(r["key"] == first["key"] and r["corrected"] for r in table)

        check()
        store = open_store(fresh_pg)
        store.save_records([store.get_record(rid)])  # the analyzer writes it again
        store.close()
        check()


def test_pg_web_index_follows_uploads(fresh_pg):
    with TestClient(create_app(fresh_pg)) as c:
        before = c.get("/api/search").json()["total"]
        token = c.get("/api/me").json()["csrf_token"]
        upload = ("Onsong border guards rotated\n\nBorder Guard General Bureau units in Onsong "
                  "County were rotated in April 2024 after a smuggling case, a source said.\n")
        r = c.post("/upload", data={"csrf_token": token},
                   files=[("files", ("onsong.txt", upload.encode(), "text/plain"))])
        assert r.status_code == 200 and "Added <strong>1</strong>" in r.text, r.text[-500:]
        assert c.get("/api/search").json()["total"] == before + 1
        hits = c.get("/api/search", params={"q": '"border guards rotated"'}).json()
        assert hits["total"] == 1
        assert c.get(f"/api/reports/{hits['results'][0]['id']}").json()["record"] is not None


def test_pg_web_user_add_then_login_required(fresh_pg):
    with TestClient(create_app(fresh_pg)) as c:
        assert c.get("/api/me").json()["login_required"] is False
    auth.add_user(fresh_pg, "vic", "viewer", "vic-pw")
    assert [u["name"] for u in auth.list_users(fresh_pg)] == ["vic"]
    with pytest.raises(Exception, match="already exists"):
        auth.add_user(fresh_pg, "vic", "viewer", "other-pw")
    with TestClient(create_app(fresh_pg)) as c:
        r = c.get("/api/search")
        assert r.status_code == 401
        token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
        r = c.post("/login", data={"csrf_token": token, "name": "vic", "password": "vic-pw",
                                   "next": "/"}, follow_redirects=False)
        assert r.status_code == 303
        assert c.get("/api/search").status_code == 200
        me = c.get("/api/me").json()
        assert me["user"] == "vic" and me["role"] == "viewer"
    # failed logins are kept in PostgreSQL: two apps (two workers) count them together
    workers = [create_app(fresh_pg) for _ in range(2)]
    for k in range(auth.LOGIN_MAX_FAILURES):
        with TestClient(workers[k % 2]) as c:
            assert _login(c, "vic", "wrong").status_code == 401
    with TestClient(workers[0], client=("10.9.0.9", 1)) as c:
        assert _login(c, "vic", "vic-pw").status_code == 429


def _login(client, name, password):
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    return client.post("/login", data={"csrf_token": token, "name": name, "password": password,
                                       "next": "/"}, follow_redirects=False)


def test_pg_web_serves_a_migrated_archive_with_its_users_and_corrections(tmp_path):
    from tumen.store.migrate import migrate

    db = analyzed_sample_store(tmp_path)  # a copy of its own: this test writes to it
    with TestClient(create_app(str(db))) as c:
        token = c.get("/api/me").json()["csrf_token"]
        rid = c.get("/api/incidents", params={"sort": "report"}).json()["incidents"][0]["report_id"]
        first = c.get(f"/api/reports/{rid}").json()["record"]["incidents"][0]
        r = c.post(f"/api/reports/{rid}/corrections", headers={"X-CSRF-Token": token},
                   json={"action": "delete", "key": first["key"]})
        assert r.status_code == 200, r.text
        expected = _facets(c.get("/api/search").json())
        incidents = c.get("/api/incidents").json()["total"]
    auth.add_user(str(db), "ada", "admin", "ada-pw")
    url = fresh_pg_database()
    try:
        migrate(str(db), url)
        with TestClient(create_app(url)) as c:
            assert c.get("/api/search").status_code == 401
            assert _login(c, "ada", "ada-pw").status_code == 303
            assert _facets(c.get("/api/search").json()) == expected
            assert c.get("/api/incidents").json()["total"] == incidents
            rec = c.get(f"/api/reports/{rid}").json()["record"]
            assert [i["key"] for i in rec["deleted_incidents"]] == [first["key"]]
            assert [fix["status"] for fix in rec["corrections"]] == ["applied"]
    finally:
        drop_pg_database(url)


def test_pg_web_query_time_limit_is_a_query_error(pg_store):
    from tumen.errors import QueryError
    from tumen.store import open_store

    store = open_store(pg_store, migrate=False)
    try:
        with pytest.raises(QueryError, match="longer than 50 ms"):
            with store.time_limit(50):
                store.conn.execute("SELECT pg_sleep(2)")
        assert store.query("SHOW statement_timeout")[0]["statement_timeout"] == "0"  # none left behind
        assert store.user("nobody") is None
    finally:
        store.close()
