"""The JSON API and the pages, through FastAPI's test client, over the analyzed samples."""

from __future__ import annotations

import csv
import io
import json
import re

import numpy as np
import pytest
from fastapi.testclient import TestClient
from support.web import analyzed_sample_store

from tumen.record import Report
from tumen.store import open_store
from tumen.web import create_app

pytestmark = pytest.mark.slow  # the shared fixture analyzes the samples (~30 s once)


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return analyzed_sample_store(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="module")
def client(db):
    with TestClient(create_app(str(db))) as c:
        yield c


def all_incidents(client, query=""):
    rows, page = [], 1
    while True:
        data = client.get(f"/api/incidents?{query}&page={page}").json()
        rows += data["incidents"]
        if page >= data["pages"]:
            return rows, data["total"]
        page += 1


# -- search -------------------------------------------------------------------------
def test_web_search_lists_every_report_without_query(client, db):
    data = client.get("/api/search").json()
    store = open_store(db)
    assert data["total"] == store.count()
    store.close()
    assert len(data["results"]) == min(data["total"], data["page_size"])
    assert set(data["facets"]) == {"tag", "province", "place", "org", "type", "source", "month"}


def test_web_search_facet_counts_narrow_to_exactly_that_many(client):
    facets = client.get("/api/search").json()["facets"]
    checked = 0
    for name in ("province", "type", "source", "org", "month", "place"):
        for value in facets[name]["values"][:2]:
            narrowed = client.get("/api/search", params={name: value["value"]}).json()
            assert narrowed["total"] == value["count"], (name, value)
            sel = [v for v in narrowed["facets"][name]["values"] if v["value"] == value["value"]]
            assert sel and sel[0]["selected"] and sel[0]["count"] == value["count"]
            checked += 1
    assert checked >= 8


def test_web_search_facets_combine_with_query(client):
    base = client.get("/api/search", params={"q": "security"}).json()
    assert base["total"] > 0
    value = base["facets"]["type"]["values"][0]
    both = client.get("/api/search", params={"q": "security", "type": value["value"]}).json()
    assert both["total"] == value["count"] <= base["total"]


def test_web_search_snippets_highlight_the_query_word(client):
    data = client.get("/api/search", params={"q": "market"}).json()
    assert data["total"] > 0
    hits = [seg["text"] for r in data["results"] for seg in r["snippet"] if seg["hit"]]
    assert hits and all(re.match(r"(?i)market", h) for h in hits)


@pytest.mark.parametrize("params,needle", [
    ({"q": '"unbalanced'}, "quote"),
    ({"q": "(phones"}, "parenthes"),
    ({"type": "picnic"}, "unknown incident type"),
    ({"month": "2024-13"}, "not a month"),
    ({"page": "two"}, "page"),
    ({"bogus": "1"}, "unknown parameter"),
])
def test_web_bad_parameters_are_400_with_a_message(client, params, needle):
    for path in ("/api/search", "/"):
        response = client.get(path, params=params)
        assert response.status_code == 400, (path, params, response.text[:200])
        text = response.json()["error"] if path.startswith("/api") else response.text
        assert needle.lower() in text.lower()


def test_web_incidents_bad_sort_is_400(client):
    response = client.get("/api/incidents", params={"sort": "evil; DROP TABLE reports"})
    assert response.status_code == 400


# -- reports ------------------------------------------------------------------------
def test_web_report_marks_entities_and_evidence(client):
    data = client.get("/api/incidents").json()
    rid = data["incidents"][0]["report_id"]
    report = client.get(f"/api/reports/{rid}").json()
    body = report["body"]
    assert "".join(seg["text"] for seg in report["segments"]) == body
    for k, inc in enumerate(report["record"]["incidents"]):
        ev = inc["evidence"]
        assert body[ev["start"]:ev["end"]] == ev["text"]
        marked = [s for s in report["segments"] if f"ev-{k}" in s["classes"]]
        assert "".join(s["text"] for s in marked) == ev["text"]
        assert marked[0]["anchor"] == f"ev-{k}"
    kinds = {c for s in report["segments"] for c in s["classes"]}
    assert {"place", "ev"} <= kinds
    page = client.get(f"/reports/{rid}")
    assert page.status_code == 200 and 'id="ev-0"' in page.text and 'class="ev ev-0' in page.text


def test_web_report_links_near_duplicates_and_source(client, db):
    store = open_store(db)
    rows = store.query("SELECT id, duplicate_of, url FROM reports WHERE duplicate_of IS NOT NULL")
    store.close()
    if not rows:
        pytest.skip("the samples have no near-duplicate pair")
    copy = rows[0]
    page = client.get(f"/reports/{copy['id']}").text
    assert f'/reports/{copy["duplicate_of"]}' in page
    original = client.get(f"/api/reports/{copy['duplicate_of']}").json()
    assert copy["id"] in [d["id"] for d in original["duplicates"]]
    if copy["url"]:
        assert f'href="{copy["url"]}"' in page


def test_web_unknown_report_is_404(client):
    assert client.get("/api/reports/no-such-report").status_code == 404
    assert client.get("/reports/no-such-report").status_code == 404


# -- incidents, exports, timeline, map ----------------------------------------------
def test_web_incidents_filter_and_sort(client):
    everything = client.get("/api/incidents").json()
    assert everything["total"] > 10
    top_type = everything["facets"]["type"]["values"][0]
    rows, total = all_incidents(client, f"type={top_type['value']}&sort=place&order=asc")
    assert total == top_type["count"] == len(rows)
    assert {r["type"] for r in rows} == {top_type["value"]}
    places = [r["place"] for r in rows if r["place"] is not None]
    assert places == sorted(places)


@pytest.mark.parametrize("query", ["", "type=arrest", "q=phone&sort=type&order=asc"])
def test_web_export_has_exactly_the_filtered_rows(client, query):
    rows, total = all_incidents(client, query)
    keys = [(r["report_id"], r["key"]) for r in rows]
    csv_rows = list(csv.DictReader(io.StringIO(client.get(f"/api/export.csv?{query}").text)))
    assert [(r["report_id"], r["key"]) for r in csv_rows] == keys
    jsonl = [json.loads(line) for line in client.get(f"/api/export.jsonl?{query}").text.splitlines()]
    assert [(r["report_id"], r["key"]) for r in jsonl] == keys
    import pyarrow.parquet as pq

    table = pq.read_table(io.BytesIO(client.get(f"/api/export.parquet?{query}").content))
    assert table.num_rows == total == len(keys)
    assert table.column("key").to_pylist() == [k for _, k in keys]


def test_web_export_unknown_format_is_404(client):
    assert client.get("/api/export.xlsx").status_code == 404


def test_web_timeline_counts_add_up_to_dated_incidents(client):
    data = client.get("/api/timeline").json()
    rows, total = all_incidents(client)
    assert sum(c["n"] for c in data["counts"]) == sum(1 for r in rows if r["month"])
    assert len(data["timeline"]["bars"]) == len(data["counts"])
    narrowed = client.get("/api/timeline", params={"type": "arrest"}).json()
    assert {c["type"] for c in narrowed["counts"]} <= {"arrest"}


def test_web_map_shades_provinces_and_links_to_their_filter(client):
    data = client.get("/api/map").json()
    rows, _ = all_incidents(client)
    assert sum(data["provinces"].values()) == sum(1 for r in rows if r["province"])
    shaded = [p for p in data["map"]["provinces"] if p["count"]]
    assert shaded and len(data["map"]["provinces"]) == 13
    assert sum(p["count"] for p in shaded) == sum(data["provinces"].values())
    busiest = max(shaded, key=lambda p: p["count"])
    filtered = client.get("/api/incidents", params={"province": busiest["value"]}).json()
    assert filtered["total"] == busiest["count"]
    page = client.get("/incidents").text
    assert f'data-province="{busiest["value"]}"' in page


# -- the whole API is described; pages are self-contained ---------------------------
def test_web_openapi_describes_every_api_route(client):
    spec = client.get("/api/openapi.json").json()
    for path in ("/api/search", "/api/facets", "/api/reports/{report_id}", "/api/incidents",
                 "/api/timeline", "/api/map", "/api/export.{fmt}"):
        assert path in spec["paths"], path


@pytest.mark.parametrize("path", ["/", "/incidents", "/timeline", "/map", "/upload"])
def test_web_pages_load_nothing_from_other_hosts(client, path):
    response = client.get(path)
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    html = response.text
    assert "<script>" not in html and " on" + "click=" not in html
    for url in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert not re.match(r"(?i)^(https?:)?//", url), url
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
        assert client.get(asset).status_code == 200


def test_web_user_text_is_escaped(db):
    body = 'In Hyesan <script>alert("x")</script> officials met. "Quotes" & <b>tags</b>.'
    store = open_store(db)
    import hashlib

    store.add_reports([Report(id="xss-1", title="<img src=x onerror=alert(1)>", body=body,
                              published="2024-02-02", source="<i>Evil</i> Source",
                              content_hash=hashlib.sha256(body.encode()).hexdigest())])
    store.close()
    with TestClient(create_app(str(db))) as c:
        for path in ("/reports/xss-1", "/?q=officials", "/"):
            html = c.get(path).text
            assert "<script>alert" not in html and "<img src=x" not in html
            assert "<i>Evil</i>" not in html
        assert "&lt;script&gt;" in c.get("/reports/xss-1").text


# -- corrections -------------------------------------------------------------------
def _csrf(client):
    return client.get("/api/me").json()["csrf_token"]


def test_web_corrections_apply_show_and_survive_reanalysis(db):
    with TestClient(create_app(str(db))) as c:
        token = _csrf(c)
        data = c.get("/api/incidents", params={"sort": "report"}).json()
        rid = data["incidents"][0]["report_id"]
        record = c.get(f"/api/reports/{rid}").json()["record"]
        assert len(record["incidents"]) >= 2
        first, second = record["incidents"][0], record["incidents"][1]
        new_type = "propaganda" if first["type"] != "propaganda" else "meeting"
        r = c.post(f"/api/reports/{rid}/corrections", headers={"X-CSRF-Token": token},
                   json={"action": "edit", "key": first["key"],
                         "changes": {"type": new_type, "place": "Musan", "date": "2023-05"}})
        assert r.status_code == 200, r.text
        r = c.post(f"/api/reports/{rid}/corrections", headers={"X-CSRF-Token": token},
                   json={"action": "delete", "key": second["key"]})
        assert r.status_code == 200, r.text
        body = c.get(f"/api/reports/{rid}").json()["body"]
        sentence = body.strip().splitlines()[-1].strip()
        r = c.post(f"/api/reports/{rid}/corrections", headers={"X-CSRF-Token": token},
                   json={"action": "add", "changes": {"type": "other"}, "evidence": sentence})
        assert r.status_code == 200, r.text

        def check():
            rec = c.get(f"/api/reports/{rid}").json()["record"]
            edited = [i for i in rec["incidents"] if i["key"] == first["key"]]
            assert edited and edited[0]["type"] == new_type
            assert edited[0]["place"] == "Musan County"
            assert edited[0]["province"] == "North Hamgyong Province"
            assert edited[0]["date"] == "2023-05" and edited[0]["date_precision"] == "month"
            assert edited[0]["corrected"][0]["by"] == "local"
            assert second["key"] not in [i["key"] for i in rec["incidents"]]
            assert [i["key"] for i in rec["deleted_incidents"]] == [second["key"]]
            added = [i for i in rec["incidents"] if i.get("added")]
            assert added and added[0]["evidence"]["text"] == sentence
            assert body[added[0]["evidence"]["start"]:added[0]["evidence"]["end"]] == sentence
            assert all(fix["status"] == "applied" for fix in rec["corrections"])
            rows = c.get("/api/incidents", params={"q": f'"{rec["title"].split()[0]}"'}).json()
            table = [r for r in all_incidents(c, "type=" + new_type)[0] if r["report_id"] == rid]
            assert any(r["key"] == first["key"] and r["corrected"] for r in table)
            return rows

        check()
        page = c.get(f"/reports/{rid}").text
        assert "corrected" in page and "Deleted by editors" in page
        # re-analysis: the record is written again by the analyzer
        store = open_store(db)
        original = store.get_record(rid)
        store.save_records([original])
        store.close()
        check()


@pytest.mark.parametrize("payload,needle", [
    ({"action": "edit", "changes": {"type": "picnic"}}, "unknown incident type"),
    ({"action": "edit", "changes": {"place": "Atlantis"}}, "unknown place"),
    ({"action": "edit", "changes": {"actor": "Kim Chol-su"}}, "private persons"),
    ({"action": "edit", "changes": {"date": "last week"}}, "bad date"),
    ({"action": "add", "changes": {"type": "arrest"}, "evidence": "Not in the text."}, "not a passage"),
    ({"action": "explode"}, "unknown action"),
])
def test_web_bad_corrections_are_refused(db, payload, needle):
    with TestClient(create_app(str(db))) as c:
        token = _csrf(c)
        rid = c.get("/api/incidents").json()["incidents"][0]["report_id"]
        key = c.get(f"/api/reports/{rid}").json()["record"]["incidents"][0]["key"]
        r = c.post(f"/api/reports/{rid}/corrections", headers={"X-CSRF-Token": token},
                   json={"key": key, **payload})
        assert r.status_code == 400 and needle in r.json()["error"], r.text


def test_web_correction_without_csrf_is_refused(db):
    with TestClient(create_app(str(db))) as c:
        rid = c.get("/api/incidents").json()["incidents"][0]["report_id"]
        r = c.post(f"/api/reports/{rid}/corrections", json={"action": "delete", "key": "x"})
        assert r.status_code == 403
        r = c.post(f"/reports/{rid}/corrections", data={"action": "delete", "key": "x"})
        assert r.status_code == 403


def test_web_index_follows_new_records(db):
    with TestClient(create_app(str(db))) as c:
        before = c.get("/api/search").json()["total"]
        store = open_store(db)
        import hashlib

        body = "Officials in Hyesan held a meeting on market prices."
        store.add_reports([Report(id="late-1", body=body, title="Late", published="2021-03-03",
                                  source="Test Desk",
                                  content_hash=hashlib.sha256(body.encode()).hexdigest())])
        store.close()
        after = c.get("/api/search").json()
        assert after["total"] == before + 1
        assert {"value": "Test Desk", "count": 1, "selected": False} in after["facets"]["source"]["values"]


def test_web_upload_pasted_report_is_ingested_and_analyzed(db):
    with TestClient(create_app(str(db))) as c:
        token = _csrf(c)
        text = ("Hyesan market traders fined\n\nThe Ministry of State Security arrested two "
                "traders in Hyesan, Yanggang Province, on March 3, 2024, a source said.\n")
        upload = ("Onsong border guards rotated\n\nBorder Guard General Bureau units in Onsong "
                  "County were rotated in April 2024 after a smuggling case, a source said.\n")
        r = c.post("/upload", data={"csrf_token": token, "text": text},
                   files=[("files", ("onsong.txt", upload.encode(), "text/plain"))])
        assert r.status_code == 200 and 'id="upload-result"' in r.text, r.text[-500:]
        assert "Added <strong>2</strong>" in r.text
        assert c.get("/api/search", params={"q": '"border guards rotated"'}).json()["total"] == 1
        hits = c.get("/api/search", params={"q": '"market traders fined"'}).json()
        assert hits["total"] == 1
        rid = hits["results"][0]["id"]
        assert c.get(f"/api/reports/{rid}").json()["record"] is not None


def test_web_facet_index_agrees_with_sql(db):
    from tumen.store.queries import Filters
    from tumen.web.db import WebDB
    from tumen.web.params import parse_state

    web = WebDB(str(db))
    facets = web.reader.report_facet_counts(Filters())
    some = [(f, v) for f, v, _ in facets][::7][:6]
    cases = [[], [("q", "security")], [("q", "market OR border")]] + \
        [[(f, v)] for f, v in some] + [[("q", "province"), some[0]]]
    for pairs in cases:
        state = parse_state(pairs, "search")
        fast = web.facets.report_facets(state.filters)
        assert fast is not None
        slow = web.reader.report_facet_counts(state.filters)
        assert sorted(fast[0]) == sorted(slow), pairs
        assert fast[1] == web.reader.count_reports(state.filters), pairs
    web.close()


def _note(i: int, published: str) -> Report:
    return Report(id=f"note-{i}", title=f"Note {i}", published=published, source="Test Desk",
                  body=f"Officials in district {i} held meeting number {i} on prices {i * 7}.")


def test_web_facet_index_is_one_snapshot_while_reports_are_committed(store_url, monkeypatch):
    """A batch committed by another connection WHILE the index is being read (here between
    its report-seq queries: the inline rebuild of a small store) is wholly out of it:
    every seq it lists is inside its masks, and a page of the newest reports never fails."""
    from tumen.store.readmodel import ReadModel
    from tumen.web.db import WebDB

    with open_store(store_url) as s:
        s.add_reports([_note(i, f"2020-01-{i + 1:02d}") for i in range(5)])
    web = WebDB(store_url)
    try:
        with open_store(store_url) as s:
            s.add_reports([_note(5, "2020-02-01")])
        web.sync()  # a new generation: the next request rebuilds the index inline
        real_newest, committed = ReadModel.newest_seqs, []

        def newest_after_a_commit(store):
            if not committed:  # another writer commits newer reports right now
                with open_store(store_url) as s:
                    committed.append(s.add_reports([_note(i, "2030-01-01") for i in (6, 7, 8)]))
            return real_newest(store)

        monkeypatch.setattr(ReadModel, "newest_seqs", newest_after_a_commit)
        index = web.facets.current()
        monkeypatch.setattr(ReadModel, "newest_seqs", real_newest)
        assert committed and committed[0].added == 3
        assert index is not None and index.generation == web.reader.generation()
        listed = set(int(x) for x in index.newest)
        assert len(listed) == 6 and listed == set(np.nonzero(index.present)[0].tolist())
        assert max(listed) < index.size and int(index.seqs.max()) < index.size
        page = index.page(index.present, 0, 100)
        rows = web.reader.reports_by_seqs(page)
        assert [r["id"] for r in rows] == [f"note-{i}" for i in (5, 4, 3, 2, 1, 0)]
        counts = dict(((f, v), n) for f, v, n in index.counts(index.present))
        assert counts[("source", "Test Desk")] == 6
        web.sync()  # the committed batch is in the next generation's index
        assert len(web.facets.current().newest) == 9
    finally:
        web.close()


def test_web_unselective_query_lists_newest_first_with_marked_snippets(client, monkeypatch):
    from tumen.web import views

    ranked = client.get("/api/search", params={"q": "province"}).json()
    assert ranked["order"] == "relevance" and ranked["total"] > 2
    monkeypatch.setattr(views, "RANK_MAX_MATCHES", 1)
    newest = client.get("/api/search", params={"q": "province", "page": 1}).json()
    assert newest["order"] == "newest" and newest["total"] == ranked["total"]
    dates = [r["published"] or "" for r in newest["results"]]
    assert dates == sorted(dates, reverse=True)
    assert {r["id"] for r in newest["results"]} == {r["id"] for r in ranked["results"]} \
        or ranked["total"] > len(ranked["results"])
    for result in newest["results"]:
        hits = [s["text"] for s in result["snippet"] if s["hit"]]
        assert hits and all(h.lower().startswith("province") for h in hits)


def test_web_text_snippet_marks_words_phrases_and_prefixes():
    from tumen.store.queries import SNIPPET_CLOSE as C
    from tumen.store.queries import SNIPPET_OPEN as O
    from tumen.web.views import text_snippet

    body = "Officials in Hyesan said the Workers' Party ordered checks on provincial markets."
    out = text_snippet(body, '"workers\' party" OR "provinc"*')
    assert f"{O}Workers' Party{C}" in out and f"{O}provincial{C}" in out
    assert text_snippet(body, '"absent"') == body
