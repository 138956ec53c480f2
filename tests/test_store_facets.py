"""Facet counts kept incrementally stay equal to a recount from scratch.

On both backends (``store_url``: a SQLite file and a PostgreSQL database): reports are
ingested and analyzed in batches, re-analyzed, and corrected through the web API
(incident edits, deletions, tag corrections), and after every step the derived web
index -- the per-report facet rows (``web_facets``), their running totals
(``web_facet_totals``), and the in-memory facet index the search page counts with --
must equal a plain ``GROUP BY`` over the facet rows and a recount of every report's
record with its corrections applied.  The bounded count of a very common word is
checked too: an estimate scaled from the newest matches, exact on demand.
"""

from __future__ import annotations

from collections import Counter

import pytest
from fastapi.testclient import TestClient

from tumen.record import Report
from tumen.store import open_store

pytestmark = pytest.mark.slow  # the pipeline (gazetteer components, no spaCy) loads once

PLACES = ["Hyesan", "Musan County", "Sinuiju", "Chongjin", "Kaesong", "Wonsan", "Hamhung"]
ORGS = ["Ministry of State Security", "Police", "Border Guard General Bureau",
        "Workers' Party of Korea"]
ACTS = ["arrested three traders for selling smuggled phones",
        "fined market vendors for selling foreign films",
        "sent a family to a labor camp after a border crossing",
        "held a public meeting on the new price rules"]


def _report(i: int) -> Report:
    place, org, act = PLACES[i % 7], ORGS[i % 4], ACTS[(i // 2) % 4]
    month = 1 + i % 12
    return Report(
        id=f"facet-{i}", title=f"Notes from {place}", published=f"202{i % 4}-{month:02d}-15",
        source=("Desk A", "Desk B", "Desk C")[i % 3],
        body=(f"The {org} {act} in {place} in {month:02d}/202{i % 4}, residents said. "
              f"Market prices in {PLACES[(i + 3) % 7]} rose again that week."))


@pytest.fixture(scope="module")
def pipeline():
    from tumen.analysis.pipeline import Pipeline

    return Pipeline(("places", "organizations", "laws", "dates", "incidents", "tags"),
                    use_spacy=False).initialize()


def _ingest_and_analyze(url: str, pipeline, reports: list[Report]) -> None:
    with open_store(url) as store:
        store.add_reports(reports)
        store.save_records([doc.to_record().to_dict() for doc in pipeline.pipe(reports)])


def _recount(store) -> Counter:
    """Facet counts from scratch: every report's facet values, corrections applied."""
    from tumen.store.corrections import index_rows

    counts: Counter = Counter()
    for report in store.iter_reports():
        facets, _ = index_rows(store.report_row(report.id), store.corrected_record(report.id))
        counts.update(facets)
    return counts


def _check(web) -> None:
    from tumen.store.queries import Filters

    web.sync()
    store = web.reader
    group_by = Counter({(f, v): n for f, v, n in store.facet_groups()})
    assert group_by == _recount(store)
    totals = Counter({(f, v): n for f, v, n in store.report_facet_counts(Filters())})
    assert totals == group_by
    fast = web.facets.report_facets(Filters())
    assert fast is not None and Counter({(f, v): n for f, v, n in fast[0]}) == group_by
    assert fast[1] == store.count()
    # filtered: a word, a facet value, both -- the index against SQL's GROUP BY
    from tumen.web.params import parse_state

    for pairs in ([("q", "market")], [("q", "labor camp")], [("source", "Desk B")],
                  [("q", "prices"), ("place", "Hyesan")], [("q", "hyes*")]):
        state = parse_state(pairs, "search")
        fast = web.facets.report_facets(state.filters)
        slow = store.report_facet_counts(state.filters)
        assert sorted(fast[0]) == sorted(slow), pairs
        assert fast[1] == store.count_reports(state.filters), pairs
        assert not fast.estimated


def test_facet_counts_equal_group_by_after_ingest_and_corrections(store_url, pipeline):
    from tumen.web import create_app
    from tumen.web.db import WebDB

    _ingest_and_analyze(store_url, pipeline, [_report(i) for i in range(0, 24)])
    web = WebDB(store_url)
    try:
        _check(web)
        _ingest_and_analyze(store_url, pipeline, [_report(i) for i in range(24, 40)])
        _check(web)
        with TestClient(create_app(store_url)) as c:
            token = c.get("/api/me").json()["csrf_token"]
            headers = {"X-CSRF-Token": token}
            edited = 0
            for rid in ("facet-3", "facet-10", "facet-30"):
                record = c.get(f"/api/reports/{rid}").json()["record"]
                incidents = record["incidents"]
                if incidents:
                    first = incidents[0]
                    new_type = "propaganda" if first["type"] != "propaganda" else "meeting"
                    r = c.post(f"/api/reports/{rid}/corrections", headers=headers,
                               json={"action": "edit", "key": first["key"],
                                     "changes": {"type": new_type, "place": "Kimchaek"}})
                    assert r.status_code == 200, r.text
                    edited += 1
                if len(incidents) > 1:
                    r = c.post(f"/api/reports/{rid}/corrections", headers=headers,
                               json={"action": "delete", "key": incidents[1]["key"]})
                    assert r.status_code == 200, r.text
                r = c.post(f"/api/reports/{rid}/corrections", headers=headers,
                           json={"action": "tags",
                                 "changes": {"tags": record["tags"][1:] + ["price survey"]}})
                assert r.status_code == 200, r.text
            assert edited >= 2
        _check(web)
        # re-analysis writes the records again: corrections survive, counts too
        with open_store(store_url) as store:
            store.save_records([store.get_record(f"facet-{i}") for i in (3, 10, 11, 30)])
        _check(web)
        _ingest_and_analyze(store_url, pipeline, [_report(i) for i in range(40, 52)])
        _check(web)
    finally:
        web.close()


def test_a_very_common_word_is_counted_about_and_exactly_on_demand(store_url, pipeline,
                                                                   monkeypatch):
    from tumen.web import facetindex
    from tumen.web.db import WebDB
    from tumen.web.params import parse_state

    _ingest_and_analyze(store_url, pipeline, [_report(i) for i in range(0, 60)])
    web = WebDB(store_url)
    try:
        monkeypatch.setattr(facetindex, "MATCH_BOUND", 20)
        state = parse_state([("q", "market")], "search")  # in every report
        about = web.facets.report_facets(state.filters)
        exact = web.facets.report_facets(state.filters, exact=True)
        assert about.estimated and not exact.estimated
        assert exact[1] == 60 == web.reader.count_reports(state.filters)
        assert sorted(exact[0]) == sorted(web.reader.report_facet_counts(state.filters))
        # the newest 20 of 60 matches, scaled by 3: the estimate is that sample's counts x3
        assert about[1] == 60
        sample = Counter()
        for rid in [f"facet-{i}" for i in range(40, 60)]:
            from tumen.store.corrections import index_rows

            sample.update(index_rows(web.reader.report_row(rid), web.reader.corrected_record(rid))[0])
        assert {(f, v): n for f, v, n in about[0]} == {k: 3 * n for k, n in sample.items()}
        from tumen.web import create_app

        with TestClient(create_app(store_url)) as c:
            page = c.get("/", params={"q": "market"}).text
            assert "about <strong>60</strong> reports" in page and "exact=1" in page
            data = c.get("/api/search", params={"q": "market", "exact": "1"}).json()
            assert data["total"] == 60 and data["estimated"] is False
            assert c.get("/api/search", params={"q": "market", "exact": "2"}).status_code == 400
    finally:
        web.close()
