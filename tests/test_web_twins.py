"""Every page and its JSON twin come from one handler: the same data, whichever is asked.

The search page, the incidents table, the timeline and the map answer JSON at
``<path>.json`` and at ``/api/<name>``; a report page at ``/api/reports/{id}`` (an id may
hold "/" and end in ".json").  The OpenAPI description lists each filter parameter of a
route once, with its type and limits, because the query model *is* the description.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tumen.ingest.run import ingest
from tumen.record import INCIDENT_TYPES
from tumen.store import open_store
from tumen.store.queries import FACETS, INCIDENT_SORTS
from tumen.web.app import create_app
from tumen.web.deps import id_url
from tumen.web.params import MAX_PAGE, MAX_VALUE_CHARS, MAX_VALUES_PER_FACET, QUERIES

# Written for this test: three short desk notes (one id with "/" that ends in ".json").
NOTES = [
    ("desk/2024/one.json", "Hyesan note", "2024-03-20",
     ("Security officials in Hyesan arrested two market traders in March 2024. "
      "The traders were held for a week.")),
    ("plain-2", "Musan note", "2024-04-02",
     ("A lecture on the new law was held in Musan County in April 2024. "
      "Market stalls were closed that day.")),
    ("plain-3", "Sinuiju note", "2023-11-15",
     ("Border guards in Sinuiju searched homes for foreign phones in November 2023. "
      "No arrests were reported.")),
]
TYPES = {"desk/2024/one.json": "arrest", "plain-2": "meeting", "plain-3": "crackdown"}
PLACES = {"desk/2024/one.json": ("Hyesan", "Yanggang Province"),
          "plain-2": ("Musan County", "North Hamgyong Province"),
          "plain-3": ("Sinuiju", "North Pyongan Province")}


def _record(report) -> dict:
    end = report.body.index(".") + 1
    return {"id": report.id, "title": report.title, "published": report.published,
            "source": report.source, "url": report.url, "tags": ["market"], "places": [],
            "organizations": [], "laws": [], "dates": [],
            "incidents": [{"type": TYPES[report.id], "actor": None, "target": None,
                           "place": PLACES[report.id][0], "province": PLACES[report.id][1],
                           "date": report.published[:7],
                           "date_precision": "month", "penalty": None,
                           "evidence": {"text": report.body[:end], "start": 0, "end": end}}]}


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    root = tmp_path_factory.mktemp("twins")
    rows = [{"id": i, "title": t, "published": p, "source": "Desk", "body": b}
            for i, t, p, b in NOTES]
    (root / "notes.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    db: Path = root / "twins.db"
    with open_store(db) as store:
        assert ingest(store, [root / "notes.jsonl"], parallel=False).result.added == 3
        store.save_records([_record(r) for r in store.iter_reports()])
    with TestClient(create_app(str(db))) as c:
        yield c


QUERIES_TRIED = ["", "q=market", "type=arrest", "q=market&province=Yanggang+Province"]


def _json(client, url: str) -> dict:
    response = client.get(url)
    assert response.status_code == 200, (url, response.text[:200])
    assert response.headers["content-type"].startswith("application/json"), url
    return response.json()


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.text[:200])
    assert response.headers["content-type"].startswith("text/html"), url
    return response.text


@pytest.mark.parametrize("query", QUERIES_TRIED)
def test_search_page_and_its_twins_give_the_same_results(client, query):
    data = _json(client, f"/.json?{query}")
    assert _json(client, f"/api/search?{query}") == data
    page = _page(client, f"/?{query}")
    ids = [html.unescape(m) for m in re.findall(r'<a class="title" href="/reports/([^"]+)"', page)]
    assert ids == [id_url(r["id"]) for r in data["results"]]
    assert f"<strong>{data['total']:,}</strong> report" in page
    if query == "":
        assert data["total"] == 3


@pytest.mark.parametrize("query", QUERIES_TRIED)
def test_incidents_page_and_its_twins_give_the_same_rows(client, query):
    data = _json(client, f"/incidents.json?{query}")
    assert _json(client, f"/api/incidents?{query}") == data
    page = _page(client, f"/incidents?{query}")
    count = re.search(r'<strong id="incident-count">([\d,]+)</strong>', page).group(1)
    assert int(count.replace(",", "")) == data["total"]
    keys = [html.unescape(k) for k in re.findall(r'class="rep" data-key="([^"]+)"', page)]
    assert keys == [row["key"] for row in data["incidents"]]
    if query == "type=arrest":
        assert [row["report_id"] for row in data["incidents"]] == ["desk/2024/one.json"]


@pytest.mark.parametrize("query", QUERIES_TRIED)
def test_timeline_and_map_pages_and_their_twins_give_the_same_counts(client, query):
    timeline = _json(client, f"/timeline.json?{query}")
    assert _json(client, f"/api/timeline?{query}") == timeline
    bars = re.findall(r"<title>(\d{4}-\d\d) · (\w+): (\d+)</title>", _page(client, f"/timeline?{query}"))
    assert sorted((m, t, int(n)) for m, t, n in bars) == \
        sorted((c["month"], c["type"], c["n"]) for c in timeline["counts"])
    geo = _json(client, f"/map.json?{query}")
    assert _json(client, f"/api/map?{query}") == geo
    shaded = re.findall(r'data-province="([^"]+)" data-count="(\d+)"', _page(client, f"/map?{query}"))
    assert {p: int(n) for p, n in shaded if int(n)} == {p: n for p, n in geo["provinces"].items() if n}
    if query == "":
        assert sum(geo["provinces"].values()) == 3


@pytest.mark.parametrize("report_id", [n[0] for n in NOTES])
def test_report_page_and_its_twin_are_the_same_report(client, report_id):
    data = _json(client, f"/api/reports/{id_url(report_id)}")
    assert data["report"]["id"] == report_id
    assert [i["type"] for i in data["record"]["incidents"]] == [TYPES[report_id]]
    page = _page(client, f"/reports/{id_url(report_id)}")  # "…one.json" is a page, not JSON
    assert f"<code>{html.escape(report_id)}</code>" in page
    assert f'href="/api/reports/{id_url(report_id)}"' in page  # the page links its twin
    assert 'id="ev-0"' in page


def test_a_twin_refuses_bad_parameters_as_json_and_the_page_as_a_page(client):
    for path in ("/.json", "/incidents.json", "/timeline.json", "/map.json"):
        response = client.get(path, params={"type": "picnic"})
        assert response.status_code == 400, path
        assert "unknown incident type" in response.json()["error"], path
    response = client.get("/incidents", params={"type": "picnic"})
    assert response.status_code == 400 and response.headers["content-type"].startswith("text/html")
    assert "unknown incident type" in response.text
    response = client.get("/incidents.json", params=[("page", "1"), ("page", "2")])
    assert response.status_code == 400 and "given 2 times" in response.json()["error"]
    assert client.get("/api/reports/no-such.json").json() == {"error": "no report 'no-such.json'"}


# -- the query models are the OpenAPI description ------------------------------------
FILTERED = {"/api/search": "search", "/api/timeline": "search", "/api/map": "search",
            "/api/incidents": "incidents", "/api/facets": "facets",
            "/api/export.{fmt}": "export"}


def test_openapi_lists_each_filter_parameter_once_with_its_type_and_limits(client):
    spec = _json(client, "/api/openapi.json")
    for path, kind in FILTERED.items():
        params = [p for p in spec["paths"][path]["get"]["parameters"] if p["in"] == "query"]
        names = [p["name"] for p in params]
        assert sorted(names) == sorted(QUERIES[kind].model_fields), path
        assert len(names) == len(set(names)), (path, names)
        schema = {p["name"]: p["schema"] for p in params}
        assert schema["q"]["type"] == "string" and schema["q"]["maxLength"] == 1000, path
        for facet in FACETS:
            assert schema[facet]["type"] == "array", (path, facet)
            assert schema[facet]["maxItems"] == MAX_VALUES_PER_FACET, (path, facet)
            items = schema[facet]["items"]
            if facet == "type":
                assert items["enum"] == list(INCIDENT_TYPES), path
            elif facet == "month":
                assert items["pattern"].startswith("^"), path
            else:
                assert items == {"type": "string", "maxLength": MAX_VALUE_CHARS}, (path, facet)
        if "page" in schema:
            assert schema["page"]["type"] == "integer", path
            assert (schema["page"]["minimum"], schema["page"]["maximum"]) == (1, MAX_PAGE), path
        if "sort" in schema:
            assert schema["sort"]["enum"] == list(INCIDENT_SORTS), path
            assert schema["order"]["enum"] == ["asc", "desc"], path
    # the twins and pages are left out of the description (one entry per API route)
    assert not [p for p in spec["paths"] if not p.startswith("/api/")]
