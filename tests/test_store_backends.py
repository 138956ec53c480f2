"""The store's shared test suite, run against both backends (SQLite and PostgreSQL).

Every test takes ``store_url`` (tests/conftest_pg.py): a fresh SQLite file or a fresh
PostgreSQL database.  The reports are written here for the tests (fictional).
"""

from __future__ import annotations

import io
import json

import pytest

from conftest_pg import pg_url, store_url  # noqa: F401  (fixtures)
from tumen.store import export as export_mod
from tumen.errors import QueryError, StoreError
from tumen.record import Evidence, Incident, Organization, Place, Record, Report
from tumen.store.search import report_view, search
from tumen.store import SearchFilters, open_store

BODIES = {
    "r1": ("Traders arrested in Sinuiju market",
           "Security agents arrested three traders at the Sinuiju market on Tuesday for "
           "selling Chinese mobile phones. The traders were taken to the county security "
           "office, a source in North Pyongan Province said."),
    "r2": ("Rice prices climb in Hyesan",
           "Rice prices in Hyesan rose again this week as border trade stayed closed. "
           "Market vendors said the yuan also climbed against the won, and a trader from "
           "Sinuiju reported similar moves."),
    "r3": ("Lectures on the reactionary thought law",
           "Residents of Kanggye were ordered to attend lectures on the Reactionary Ideology "
           "and Culture Rejection Law. Neighborhood watch units checked attendance."),
    "r4": ("평양 회의",
           "평양에서 간부 회의가 열렸다. 회의에서는 국경 통제 강화 방침이 전달되었다. "
           "Participants were told about the U.S. and Kim's new 2,000-won rule."),
    "r5": ("Labor camp transfers reported",
           "Several detainees were transferred to a labor camp near Kaechon, according to "
           "a former inmate. The transfers followed a public trial in the province."),
}
META = {
    "r1": dict(published="2024-05-14", source="Daily NK", tags=["Markets"]),
    "r2": dict(published="2024-06-02", source="Rimjin-gang"),
    "r3": dict(published="2023-11-20", source="Daily NK"),
    "r4": dict(published=None, source="Radio Free Asia", language="ko"),
    "r5": dict(published="2024-01-09", source="NK News", url="https://example.org/r5"),
}


def make_reports() -> list[Report]:
    return [Report(id=rid, title=title, body=body, original=(body + "\n").encode("utf-8"),
                   source_path="fixtures.jsonl", locator=f"line {i + 1}", format="jsonl",
                   extra={"desk": "north"} if rid == "r5" else {}, **META[rid])
            for i, (rid, (title, body)) in enumerate(BODIES.items())]


def make_record(report_id: str, **kw) -> dict:
    body = BODIES[report_id][1]
    first = body.split(".")[0]
    record = Record(
        id=report_id, title=BODIES[report_id][0], published=META[report_id]["published"],
        source=META[report_id]["source"], tags=kw.get("tags", ["arrest", "market"]),
        places=[Place(id="kp-sinuiju", name="Sinuiju", kind="city", province="North Pyongan",
                      province_id="kp-np", lat=40.1, lon=124.4)],
        organizations=[Organization(id="org-mss", name="Ministry of State Security")],
        incidents=[Incident(type=kw.get("type", "arrest"),
                            evidence=Evidence(first, 0, len(first)), place="Sinuiju",
                            province="North Pyongan", date="2024-05-14", date_precision="day")],
        analyzer=kw.get("analyzer", "test-1"))
    return record.to_dict()


@pytest.fixture
def store(store_url):  # noqa: F811
    with open_store(store_url) as s:
        s.add_reports(make_reports())
        yield s


# -- reports -------------------------------------------------------------------------

def test_add_and_get_round_trip(store):
    assert store.count() == 5
    got = store.get_report("r5")
    assert got.body == BODIES["r5"][1] and got.title == BODIES["r5"][0]
    assert got.original == (BODIES["r5"][1] + "\n").encode("utf-8")
    assert got.url == "https://example.org/r5" and got.locator == "line 5"
    assert got.extra["desk"] == "north" and got.extra["status"] == "ingested"
    assert got.extra["duplicate_of"] is None and got.extra["ingested_at"]
    assert store.get_report("r1").tags == ["Markets"]
    assert store.get_report("r4").published is None
    assert store.get_report("missing") is None


def test_rerun_adds_nothing_and_taken_ids_are_suffixed(store):
    again = store.add_reports(make_reports())
    assert (again.added, again.duplicates) == (0, 5)
    clash = store.add_reports([Report(id="r1", body="A different body about something else.")])
    assert clash.added == 1 and len(clash.renamed) == 1
    given, stored = clash.renamed[0]
    assert given == "r1" and stored.startswith("r1~") and len(stored) == len("r1~") + 8
    assert store.get_report(stored).body.startswith("A different body")
    assert store.get_report("r1").body == BODIES["r1"][1]
    rerun = store.add_reports([Report(id="r1", body="A different body about something else.")])
    assert (rerun.added, rerun.duplicates) == (0, 1)
    same_body = store.add_reports([Report(id="other", body=BODIES["r2"][1])])
    assert same_body.duplicates == 1
    empty = store.add_reports([Report(id="e", body="   ")])
    assert empty.skipped == 1
    assert store.count() == 6


def test_duplicates_inside_one_batch(store_url):  # noqa: F811
    with open_store(store_url) as s:
        res = s.add_reports([Report(id="x1", body="Same words here."),
                             Report(id="x2", body="Same words here."),
                             Report(id="x1", body="Other words here.")])
        assert (res.added, res.duplicates, len(res.renamed)) == (2, 1, 1)
        assert s.count() == 2


def test_near_duplicates_link_to_the_earliest_copy(store):
    body = BODIES["r1"][1]
    copy = body.replace("Tuesday", "Wednesday") + " The report could not be verified."
    res = store.add_reports([Report(id="r1-copy", body=copy, published="2024-05-20")])
    assert res.near_duplicates == 1 and res.links == [("r1-copy", "r1")]
    assert store.get_report("r1-copy").extra["duplicate_of"] == "r1"
    assert store.near_duplicates("r1") == ["r1-copy"]
    # An earlier-published copy becomes the one the group points to.
    early = body.replace("three", "four") + " First reported by a local outlet."
    store.add_reports([Report(id="r1-early", body=early, published="2024-05-10")])
    assert store.get_report("r1").extra["duplicate_of"] == "r1-early"
    assert store.get_report("r1-copy").extra["duplicate_of"] == "r1-early"
    assert sorted(store.near_duplicates("r1-early")) == ["r1", "r1-copy"]


def test_iter_reports_order_and_filters(store):
    assert [r.id for r in store.iter_reports()] == ["r1", "r2", "r3", "r4", "r5"]
    assert [r.id for r in store.iter_reports(since="2024-05")] == ["r1", "r2"]
    assert [r.id for r in store.iter_reports(until="2024-01")] == ["r3", "r5"]
    assert [r.id for r in store.iter_reports(source="daily nk")] == ["r1", "r3"]
    assert [r.id for r in store.iter_reports(status="analyzed")] == []


def test_store_persists_and_migrations_are_idempotent(store_url):  # noqa: F811
    with open_store(store_url) as s:
        s.add_reports(make_reports()[:2])
        names = [name for name, _ in s.migrations()]
        assert names[:2] == ["0001_reports", "0002_records"]
    with open_store(store_url) as s:
        assert s.count() == 2
        assert s.migrate() == []
        assert [name for name, _ in s.migrations()] == names


# -- records -------------------------------------------------------------------------

def test_records_round_trip_and_replace(store):
    assert store.save_records([make_record("r1"), make_record("r3", type="order")]) == 2
    got = store.get_record("r1")
    assert got == make_record("r1")
    assert store.get_report("r1").extra["status"] == "analyzed"
    assert [r["id"] for r in store.iter_records()] == ["r1", "r3"]
    store.save_records([make_record("r1", type="punishment", tags=["trial"])])
    assert store.get_record("r1")["incidents"][0]["type"] == "punishment"
    assert [h.id for h in search(store, "", type="arrest")] == []
    assert [h.id for h in search(store, "", type="punishment")] == ["r1"]
    assert store.get_record("r2") is None


def test_record_for_unknown_report_rolls_back_the_batch(store):
    with pytest.raises(StoreError, match="nope"):
        store.save_records([make_record("r2"), dict(make_record("r1"), id="nope")])
    assert store.get_record("r2") is None
    assert store.get_report("r2").extra["status"] == "ingested"


def test_reports_needing_analysis(store):
    store.save_records([make_record("r1", analyzer="v1"), make_record("r2", analyzer="v0")])
    todo = [r.id for r in store.reports_needing_analysis("v1")]
    assert todo == ["r2", "r3", "r4", "r5"]
    assert [r.id for r in store.reports_needing_analysis("v1", since="2024-02")] == ["r2"]
    assert len(list(store.reports_needing_analysis("v1", reanalyze=True))) == 5


def test_reports_with_event_finds_stored_incidents_by_province_and_day(store):
    twice = make_record("r3")
    twice["incidents"].append(dict(twice["incidents"][0], type="crackdown"))
    store.save_records([make_record("r1"), make_record("r2", type="market"), twice])
    rows = store.reports_with_event("North Pyongan", "2024-05-14")
    assert [r["id"] for r in rows] == ["r1", "r2", "r3"]
    assert [r["published"] for r in rows[:2]] == ["2024-05-14", "2024-06-02"]
    assert rows[0]["body"] == BODIES["r1"][1]
    # one row per report, and only incidents of the types asked for
    assert [r["id"] for r in store.reports_with_event("North Pyongan", "2024-05-14", types={"arrest", "order"})] == ["r1", "r3"]
    assert store.reports_with_event("North Pyongan", "2024-05-14", types=()) == []
    assert store.reports_with_event("North Pyongan", "2024-05-15") == []
    assert store.reports_with_event("Yanggang Province", "2024-05-14") == []


def test_records_with_incidents_in_a_province_and_month_for_event_linking(store):
    r1 = make_record("r1")
    r1["incidents"][0].update(event="r1#0", event_link=None, follows=None)
    undated = make_record("r2")
    undated["incidents"][0].update(date=None, date_precision=None)
    no_province = make_record("r3")
    no_province["incidents"][0].update(province=None, place=None, date="2024-05-20")
    store.save_records([r1, undated, no_province])

    def ids(*args, **kw):
        return [r["id"] for r in store.records_with_incidents_in(*args, **kw)]

    assert ids("North Pyongan", "2024-05") == ["r1"]
    assert store.records_with_incidents_in("North Pyongan", "2024-05")[0]["incidents"][0]["event"] == "r1#0"
    assert ids("North Pyongan", "2024-06") == ["r2"]  # undated: by the report's publication month
    assert ids("North Pyongan", "2024-04") == [] and ids("Yanggang Province", "2024-05") == []
    assert ids(None, "2024-05") == ["r3"]
    assert ids(None, "2024-05", any_province=True) == ["r1", "r3"]
    assert ids("North Pyongan", "2024-05", or_unknown=True) == ["r1", "r3"]
    assert ids("North Pyongan", "2024-05", dated=False) == [] and ids("North Pyongan", "2024-06", dated=True) == []
    assert ids("North Pyongan", "2024-05", or_unknown=True, skip={"r1"}) == ["r3"]


def test_duplicate_of_is_added_to_the_record(store):
    copy = BODIES["r3"][1] + " Attendance was checked again on Friday."
    store.add_reports([Report(id="r3-copy", body=copy, published="2023-12-01")])
    store.save_records([dict(make_record("r3"), id="r3-copy")])
    assert store.get_record("r3-copy")["duplicate_of"] == "r3"


# -- search --------------------------------------------------------------------------

@pytest.mark.parametrize("query, expected", [
    ("sinuiju", {"r1", "r2"}),
    ("SINUIJU", {"r1", "r2"}),
    ('"three traders"', {"r1"}),
    ('"traders three"', set()),
    ("arrest*", {"r1"}),
    ("sinuiju AND rice", {"r2"}),
    ("sinuiju rice", {"r2"}),
    ("rice OR lectures", {"r2", "r3"}),
    ("sinuiju NOT rice", {"r1"}),
    ("(rice OR lectures) NOT hyesan", {"r3"}),
    ("title:sinuiju", {"r1"}),
    ("body:camp", {"r5"}),
    ("평양에서", {"r4"}),
    ("U.S.", {"r4"}),
    ("kim's", {"r4"}),
    ("nonexistentword", set()),
])
def test_search_query_language(store, query, expected):
    assert {h.id for h in search(store, query, limit=50)} == expected


def test_search_ranks_title_above_body_and_marks_matches(store):
    hits = search(store, "sinuiju")
    assert [h.id for h in hits] == ["r1", "r2"]
    assert hits[0].score > hits[1].score
    for hit in hits:
        assert hit.highlights, hit
        assert all(hit.snippet[s:e].lower() == "sinuiju" for s, e in hit.highlights)
    assert hits[0].title_highlights
    assert hits[0].marked().count("[") == len(hits[0].highlights)


def test_search_rows_have_the_same_shape(store):
    parsed = __import__("tumen.store.search", fromlist=["parse_query"]).parse_query("rice")
    rows = store.search(parsed, SearchFilters(), limit=5)
    assert set(rows[0]) == {"id", "title", "published", "source", "url", "duplicate_of",
                            "status", "score", "snippet", "title_hl"}
    listed = store.search(None, SearchFilters(source="daily"), limit=5)
    assert set(listed[0]) == set(rows[0]) and listed[0]["score"] is None


def test_search_filters(store):
    store.save_records([make_record("r1"), make_record("r2", tags=["prices"], type="market")])
    assert [h.id for h in search(store, "", since="2024")] == ["r2", "r1", "r5"]
    assert [h.id for h in search(store, "", until="2023")] == ["r3"]
    assert [h.id for h in search(store, "", source="NK")] == ["r1", "r5", "r3"]
    assert {h.id for h in search(store, "", place="sinuiju")} == {"r1", "r2"}
    assert {h.id for h in search(store, "", place="kp-sinuiju")} == {"r1", "r2"}
    assert {h.id for h in search(store, "", province="north pyongan")} == {"r1", "r2"}
    assert {h.id for h in search(store, "", org="ministry of state security")} == {"r1", "r2"}
    assert [h.id for h in search(store, "", type="market")] == ["r2"]
    assert [h.id for h in search(store, "", tag="PRICES")] == ["r2"]
    assert [h.id for h in search(store, "", tag="markets")] == ["r1"]  # an editor tag
    assert [h.id for h in search(store, "traders", tag="arrest")] == ["r1"]
    assert [h.id for h in search(store, "", source="100%_")] == []
    listed = search(store, "", source="Radio")
    assert [h.id for h in listed] == ["r4"] and listed[0].snippet.startswith("평양에서")


def test_search_paging(store):
    ids = [h.id for h in search(store, "", source="NK", limit=10)]
    assert [h.id for h in search(store, "", source="NK", limit=2, offset=2)] == ids[2:4]


@pytest.mark.parametrize("bad", ['"unclosed', "a AND", "(rice", "NOT rice", "title:", "x" * 1001])
def test_malformed_queries_are_one_line_query_errors(store, bad):
    with pytest.raises(QueryError) as info:
        search(store, bad)
    assert "\n" not in str(info.value)


def test_report_view_and_stats(store):
    store.save_records([make_record("r1")])
    view = report_view(store, "r1")
    assert view["report"]["status"] == "analyzed" and view["record"]["id"] == "r1"
    stats = store.stats()
    assert stats["reports"] == 5 and stats["records"] == 1
    assert stats["by_source"] == {"Daily NK": 2, "Rimjin-gang": 1, "Radio Free Asia": 1, "NK News": 1}
    assert stats["by_month"] == {"unknown": 1, "2023-11": 1, "2024-01": 1, "2024-05": 1, "2024-06": 1}
    assert stats["by_status"] == {"ingested": 4, "analyzed": 1}
    assert stats["top_places"] == {"Sinuiju": 1} and stats["incidents_by_type"] == {"arrest": 1}


def test_export_reads_back_the_same_reports(store, tmp_path):
    out = io.StringIO()
    assert export_mod.export(store, "jsonl", out) == 5
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["id"] for r in rows] == list(BODIES)
    assert rows[0]["body"] == BODIES["r1"][1] and rows[0]["tags"] == ["Markets"]
    path = tmp_path / "reports.parquet"
    assert export_mod.export(store, "parquet", path) == 5
    assert [r["id"] for r in export_mod.read_parquet(path)] == list(BODIES)


def _exported_jsonl(tmp_path) -> str:
    """An export of the test reports, one row also carrying ``original`` and a field of
    its own (``desk``): every store-managed key appears as a plain input field."""
    with open_store(tmp_path / "exported-from.db") as source:
        source.add_reports(make_reports())
        out = io.StringIO()
        export_mod.export(source, "jsonl", out)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    rows[-1].update(original="raw bytes elsewhere", desk="north")
    path = tmp_path / "exported.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")
    return str(path)


def _extras(store) -> dict[str, dict]:
    """Each report's extra without the per-run ingest time."""
    return {r.id: {k: v for k, v in r.extra.items() if k != "ingested_at"}
            for r in store.iter_reports()}


def test_reingested_export_keeps_no_store_managed_keys_in_extra(store_url, tmp_path):  # noqa: F811
    """The export's status, duplicate_of, ingested_at, source_path, locator, format,
    content_hash (and an ``original`` field) are the store's own: never kept in extra."""
    from tumen.ingest.run import ingest
    from tumen.store.common import MANAGED_EXTRA

    path = _exported_jsonl(tmp_path)
    assert {"source_path", "locator", "format", "content_hash"} <= set(
        json.loads(open(path, encoding="utf-8").readline()))
    with open_store(store_url) as s:
        assert ingest(s, [path], parallel=False).result.added == 5
        extras = _extras(s)
        r5 = s.get_report("r5")
    assert extras["r5"] == {"desk": "north", "status": "ingested", "duplicate_of": None}
    assert all(e == {"status": "ingested", "duplicate_of": None}
               for rid, e in extras.items() if rid != "r5")
    assert set(r5.extra) - {"desk"} <= MANAGED_EXTRA
    # the report's own fields are this ingest's, not the exported ones
    assert r5.source_path == path and r5.locator == "line 5" and r5.format == "jsonl"
    assert r5.original != b"raw bytes elsewhere"


@pytest.mark.postgres
def test_reingested_export_gives_the_same_extra_on_both_backends(pg_url, tmp_path):  # noqa: F811
    from tumen.ingest.run import ingest

    path = _exported_jsonl(tmp_path)
    with open_store(pg_url) as pg, open_store(tmp_path / "same.db") as lite:
        for s in (pg, lite):
            ingest(s, [path], parallel=False)
        assert len(_extras(pg)) == 5 and _extras(pg) == _extras(lite)


def test_many_reports_span_batches(store_url):  # noqa: F811
    import random

    vocab = [f"w{n}" for n in range(3000)]
    reports = []
    for i in range(700):
        rng = random.Random(i)
        reports.append(Report(id=f"m{i:04d}", title=f"Note {i}",
                              body=" ".join(rng.choice(vocab) for _ in range(60))))
    with open_store(store_url) as s:
        res = s.add_reports(reports, batch_size=300)
        assert (res.added, res.duplicates, res.near_duplicates) == (700, 0, 0)
        assert s.count() == 700
        assert [r.id for r in s.iter_reports()] == [r.id for r in reports]
        assert len(search(s, "Note", limit=1000)) == 700


# -- PostgreSQL only -----------------------------------------------------------------

@pytest.mark.postgres
def test_pg_bad_url_is_a_one_line_store_error(pg_url):  # noqa: F811
    bad = pg_url.rsplit("/", 1)[0] + "/no_such_database"
    with pytest.raises(StoreError) as info:
        open_store(bad)
    assert "\n" not in str(info.value) and "no_such_database" in str(info.value)


@pytest.mark.postgres
def test_pg_tsquery_mapping():
    from tumen.store.search import parse_query
    from tumen.store.postgres import to_tsquery_text

    def tsq(text: str) -> str:
        return to_tsquery_text(parse_query(text))

    assert tsq("kaesong") == "'kaesong'"
    assert tsq('"labor camp"') == "'labor camp'"
    assert tsq("phon*") == "'phon':*"
    assert tsq("a OR b") == "('a' | 'b')"
    assert tsq("a b NOT c") == "('a' & ('b' & !'c'))"
    assert tsq("title:x*") == "'x':*A"
    assert tsq("kim's") == "'kim''s'"
    assert tsq("a\\b") == "'a\\\\b'"


@pytest.mark.postgres
def test_pg_report_with_nul_fails_alone(pg_url):  # noqa: F811
    with open_store(pg_url) as s:
        res = s.add_reports([Report(id="ok", body="A clean report."),
                             Report(id="nul", body="Broken\x00 text.", source_path="in.txt",
                                    locator="line 2")])
        assert res.added == 1 and len(res.failed) == 1
        assert res.failed[0][0] == "in.txt (line 2)" and "NUL" in res.failed[0][1]
        assert s.count() == 1


@pytest.mark.postgres
def test_pg_batch_is_all_or_nothing(pg_url):  # noqa: F811
    class Boom(Exception):
        pass

    def reports():
        yield from make_reports()[:3]
        raise Boom()

    with open_store(pg_url) as s:
        with pytest.raises(Boom):
            s.add_reports(reports(), batch_size=2)
        assert [r.id for r in s.iter_reports()] == ["r1", "r2"]  # the first batch only
        assert s.add_reports(make_reports()).added == 3  # a rerun adds what is missing


@pytest.mark.postgres
def test_pg_cli_commands_with_tumen_db(pg_url, monkeypatch, tmp_path, capsys):  # noqa: F811
    from tumen.cli import main
    from tumen.ingest.run import sample_paths

    def run(*args: str) -> str:
        capsys.readouterr()
        with pytest.raises(SystemExit) as done:
            main(list(args))
        assert done.value.code == 0, capsys.readouterr().err
        return capsys.readouterr().out

    monkeypatch.setenv("TUMEN_DB", pg_url)
    run("ingest", "-q", *[str(p) for p in sample_paths()])
    stats = json.loads(run("stats", "--json"))
    hits = [json.loads(line) for line in run("search", "--json", "market").splitlines()]
    assert hits and all("snippet" in h and h["highlights"] for h in hits)
    # the same figures and the same hits as a SQLite store of the same reports
    from tumen.ingest.run import ingest

    with open_store(tmp_path / "same.db") as lite:
        ingest(lite, [str(p) for p in sample_paths()])
        assert lite.stats() == stats
        assert {h.id for h in search(lite, "market", limit=20)} == {h["id"] for h in hits}
    out = tmp_path / "reports.jsonl"
    run("export", "--out", str(out))
    assert len(out.read_text(encoding="utf-8").splitlines()) == stats["reports"]
    first = json.loads(out.read_text(encoding="utf-8").splitlines()[0])
    shown = json.loads(run("show", "--json", first["id"]))
    assert shown["report"]["body"] == first["body"]


def test_two_writers_at_once(store_url):  # noqa: F811
    """Two stores (connections) ingesting into one database at the same time: every
    report stored once, none lost, the store consistent."""
    import threading

    first = make_reports()
    copy = Report(id="r2-copy", body=BODIES["r2"][1] + " Prices were checked twice.",
                  published="2024-07-01")
    others = [Report(id=f"o{i}", body=f"Other report number {i} about patrols and trains.")
              for i in range(40)] + [copy]
    with open_store(store_url):
        pass  # created and migrated before the writers race
    errors: list[BaseException] = []

    def write(items: list[Report], batch_size: int) -> None:
        try:
            with open_store(store_url) as s:
                for i in range(0, len(items), 3):
                    s.add_reports(items[i:i + 3], batch_size=batch_size)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(first + [copy], 2)),
               threading.Thread(target=write, args=(others, 5))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with open_store(store_url) as s:
        assert s.count() == len(first) + 41
        assert s.integrity_check() == "ok"


@pytest.mark.postgres
def test_pg_writers_see_each_others_reports_for_near_duplicates(pg_url):  # noqa: F811
    """A store object links a near-duplicate of a report that ANOTHER connection
    stored after this one had read its signatures."""
    with open_store(pg_url) as a, open_store(pg_url) as b:
        a.add_reports([Report(id="a0", body="First report of writer a about a border patrol.")])
        b.add_reports([Report(id="b0", body="First report of writer b about a school.")])
        a.add_reports(make_reports()[1:2])  # r2
        copy = Report(id="r2-copy", body=BODIES["r2"][1] + " Checked twice.", published="2024-07-01")
        res = b.add_reports([copy])
        assert res.links == [("r2-copy", "r2")]


@pytest.mark.slow
@pytest.mark.postgres
def test_pg_analyze_gives_the_records_sqlite_gives(pg_url, tmp_path):  # noqa: F811
    """`tumen analyze` over a PostgreSQL store: the same records, stats and filtered
    searches as over a SQLite store of the same reports."""
    from tumen.engines.local import analyze_store
    from tumen.ingest.run import ingest, sample_paths

    paths = [str(p) for p in sample_paths()]
    with open_store(pg_url) as pg, open_store(tmp_path / "same.db") as lite:
        for s in (pg, lite):
            ingest(s, paths)
            summary = analyze_store(s, processes=1, progress=False)
            assert summary.analyzed == s.count() and summary.failed == 0
        assert list(pg.iter_records()) == list(lite.iter_records())
        a, b = pg.stats(), lite.stats()
        for key in [k for k in a if k.startswith("top_")]:
            # top-10 lists: ties at the cut may be broken differently by the engines
            ta, tb = a.pop(key), b.pop(key)
            assert sorted(ta.values()) == sorted(tb.values()), key
            assert all(ta[k] == tb[k] for k in ta.keys() & tb.keys()), key
        assert a == b
        for kw in ({"type": "arrest"}, {"province": "North Hamgyong"}, {"tag": "market"}):
            assert {h.id for h in search(pg, "", **kw, limit=100)} == \
                {h.id for h in search(lite, "", **kw, limit=100)}, kw


@pytest.mark.postgres
def test_pg_fulltext_index_follows_edits_and_deletes(pg_url):  # noqa: F811
    with open_store(pg_url) as s:
        s.add_reports(make_reports())
        s.query("UPDATE reports SET title = 'Chongjin harbour notice' WHERE id = 'r3' RETURNING id")
        assert [h.id for h in search(s, "chongjin")] == ["r3"]
        assert [h.id for h in search(s, "reactionary")] == ["r3"]  # still in the body
        s.query("DELETE FROM reports WHERE id = 'r3' RETURNING id")
        assert search(s, "chongjin") == []
        assert s.query("SELECT count(*) AS n FROM reports_fts")[0]["n"] == 4


def test_date_undated_dates_only_undated_reports_and_stales_their_records(store):
    store.save_records([make_record("r4"), make_record("r1")])
    assert store.date_undated(["r4", "r1", "missing"], "2022-01-28") == ["r4"]
    r4, r1 = store.get_report("r4"), store.get_report("r1")
    assert r4.published == "2022-01-28" and r4.extra["published_given"] == "--published"
    assert r1.published == "2024-05-14" and "published_given" not in r1.extra
    # r4's record was made without the date: the next analysis redoes it, not r1's
    assert [r.id for r in store.reports_needing_analysis("test-1")] == ["r2", "r3", "r4", "r5"]
    assert store.date_undated(["r4"], "2023-01-01") == []  # dated once, never moved
