"""duplicate_of links: syndicated copies and other outlets' reports of the same event."""

from __future__ import annotations

from tumen.analysis.linking import DuplicateLinker

ARTICLE = (
    "Security agents in the border city raided three houses on the night of the fifth and "
    "took away two men accused of carrying smuggled medicine across the river, a source said. "
    "The men were held at the county office for questioning about their contacts in China. "
    "Residents say the raids have made everyone in the district afraid of using phones. "
    "Prices of cooking oil and rice in the local market rose sharply the following morning."
)
OTHER_WORDS = (
    "Two men were detained by state security officers in a night raid on the fifth, accused "
    "of bringing medicine over the river without permission, according to people in the city. "
    "Officers questioned them about relatives in China; neighbours are now afraid of phones."
)
UNRELATED = (
    "The provincial committee ordered every farm to deliver compost before spring planting, "
    "and students were sent to the fields for two weeks of labor in the cooperatives."
)


def _record(rid, published, incidents=()):
    return {"id": rid, "published": published, "incidents": list(incidents), "duplicate_of": None}


ARREST = {"type": "arrest", "province": "Yanggang Province", "date": "2023-03-05", "date_precision": "day"}


def test_syndicated_copy_links_to_the_earlier_report():
    linker = DuplicateLinker()
    assert linker.link(_record("a", "2023-03-07"), ARTICLE) is None
    edited = ARTICLE.replace("Residents say the raids have made everyone in the district afraid of using phones. ", "")
    assert linker.link(_record("b", "2023-03-08"), edited + " This article first appeared elsewhere.") == "a"


def test_same_event_from_another_outlet_links_by_incident():
    linker = DuplicateLinker()
    linker.link(_record("a", "2023-03-07", [ARREST]), ARTICLE)
    assert linker.link(_record("b", "2023-03-09", [ARREST]), OTHER_WORDS) == "a"


def test_same_event_needs_day_precision_and_nearby_publication():
    linker = DuplicateLinker()
    linker.link(_record("a", "2023-03-07", [ARREST]), ARTICLE)
    month_only = dict(ARREST, date="2023-03", date_precision="month")
    assert linker.link(_record("b", "2023-03-09", [month_only]), OTHER_WORDS) is None
    later = "Months on, state security officers detained two men in a raid, accused of moving medicine over the river; people in the city are afraid of phones."
    assert linker.link(_record("c", "2023-06-30", [ARREST]), later) is None


def test_unrelated_reports_and_market_reports_do_not_link():
    linker = DuplicateLinker()
    market = {"type": "market", "province": "Yanggang Province", "date": "2023-03-05", "date_precision": "day"}
    linker.link(_record("a", "2023-03-07", [market]), ARTICLE)
    assert linker.link(_record("b", "2023-03-07", [market]), OTHER_WORDS) is None
    assert linker.link(_record("c", "2023-03-07", [ARREST]), UNRELATED) is None


def test_link_points_to_the_earlier_published_report_whatever_the_order():
    linker = DuplicateLinker()
    linker.link(_record("late", "2023-03-09", [ARREST]), OTHER_WORDS)
    # the earlier-published report arrives second: it is not made a duplicate of the later one
    assert linker.link(_record("early", "2023-03-07", [ARREST]), ARTICLE) is None


def test_a_report_met_before_earlier_ones_is_relinked_to_the_earliest():
    """Input out of date order: the later report's link is kept in ``relinks`` (for a
    syndicated copy as for another outlet's report), pointing at the earliest report."""
    linker = DuplicateLinker()
    copy = ARTICLE + " This article first appeared elsewhere."
    assert linker.link(_record("copy", "2023-03-10"), copy) is None
    assert linker.link(_record("second", "2023-03-08"), ARTICLE) is None
    assert linker.relinks == [("copy", "second")]
    assert linker.link(_record("first", "2023-03-07"), ARTICLE) is None
    assert sorted(linker.relinks) == [("copy", "first"), ("second", "first")]


def test_file_analysis_links_a_report_that_comes_before_the_earlier_one(tmp_path):
    """``analyze FILE``: d012 first, then d005 (the earlier-published report of the same
    public trial): d012's record in the output still points at d005."""
    import io
    import json

    import pytest

    from tumen.engines.local import analyze_file

    source = SHARED_DEVSET / "reports.jsonl"
    if not source.exists():
        pytest.skip("../shared/data is not beside the repository")
    lines = {json.loads(line)["id"]: line for line in source.read_text("utf-8").splitlines()}
    path = tmp_path / "reports.jsonl"
    path.write_text(lines["d012"] + "\n" + lines["d005"] + "\n", encoding="utf-8")
    out = io.StringIO()
    analyze_file(path, out, progress=False)
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(r["id"], r["duplicate_of"]) for r in records] == [("d012", "d005"), ("d005", None)]


def test_same_event_links_even_when_the_incidents_were_typed_apart():
    """One outlet's "open-air trial" is another's "sentencing": the (province, day) of an
    event ties the reports, whatever type each report's incident was given."""
    linker = DuplicateLinker()
    linker.link(_record("a", "2023-03-07", [ARREST]), ARTICLE)
    as_crackdown = dict(ARREST, type="crackdown")
    assert linker.link(_record("b", "2023-03-09", [as_crackdown]), OTHER_WORDS) == "a"


def test_a_stored_report_on_the_same_event_is_found_through_the_archive():
    """Reports already in the archive (``stored``) count as earlier on a tie; a stored
    report published *later* than the new one is kept in ``relinks`` to be rewritten."""
    archive = {("Yanggang Province", "2023-03-05"): [{"id": "old", "published": "2023-03-07", "body": ARTICLE}]}
    linker = DuplicateLinker(stored=lambda province, day: archive.get((province, day), []))
    assert linker.link(_record("new", "2023-03-09", [ARREST]), OTHER_WORDS) == "old"
    assert linker.relinks == []

    linker = DuplicateLinker(stored=lambda province, day: archive.get((province, day), []))
    assert linker.link(_record("earliest", "2023-03-06", [ARREST]), OTHER_WORDS) is None
    assert linker.relinks == [("old", "earliest")]


SHARED_DEVSET = __import__("pathlib").Path(__file__).resolve().parents[2] / "shared" / "data" / "devset"


def test_store_analysis_links_reports_on_the_same_event_across_runs(tmp_path):
    """Two outlets' reports of one public trial (devset d005, d012), ingested and analyzed
    on different days and in either order: the later-published one points at the other."""
    import json

    import pytest

    from tumen.engines.local import analyze_store
    from tumen.ingest.run import ingest
    from tumen.store import open_store

    source = SHARED_DEVSET / "reports.jsonl"
    if not source.exists():
        pytest.skip("../shared/data is not beside the repository")
    lines = {json.loads(line)["id"]: line for line in source.read_text("utf-8").splitlines()}
    for order in (["d005", "d012"], ["d012", "d005"]):
        with open_store(tmp_path / f"{order[0]}.db") as store:
            for rid in order:
                path = tmp_path / f"{rid}.jsonl"
                path.write_text(lines[rid] + "\n", encoding="utf-8")
                ingest(store, [str(path)])
                analyze_store(store, processes=1, progress=False)
            links = {r["id"]: r["duplicate_of"] for r in store.iter_records()}
        assert links == {"d005": None, "d012": "d005"}, order


def test_a_linker_after_ingest_decides_only_same_event_links():
    """For stored reports ingest has decided the near-duplicates (the record arrives with
    its ``duplicate_of``): ``near=False`` leaves syndicated copies alone and still links
    other outlets' reports of the same event."""
    linker = DuplicateLinker(near=False)
    assert linker.link(_record("a", "2023-03-07"), ARTICLE) is None
    assert linker.link(_record("copy", "2023-03-08"), ARTICLE) is None
    assert linker.link(_record("b", "2023-03-09", [ARREST]), OTHER_WORDS) is None
    assert linker.link(_record("c", "2023-03-10", [ARREST]), ARTICLE) == "b"
