"""Events: incidents of many reports that tell one real-world event (``tumen.analysis.events``)."""

from __future__ import annotations

import io
import itertools
import json
from pathlib import Path

import pytest

from tumen.analysis.events import EVENT_LINK_THRESHOLD, EventLinker, apply

ROOT = Path(__file__).resolve().parents[1]
EVENT_SET = ROOT / "benchmarks" / "data" / "events"

HYESAN = {"id": "KP-10.hyesan", "name": "Hyesan", "kind": "city"}


def _record(rid, published, incidents, body="", url=None, title=None):
    """A record as the analyzer writes it: each incident's evidence is its own paragraph
    of ``body``."""
    record = {"id": rid, "published": published, "url": url, "title": title, "duplicate_of": None,
              "places": [dict(HYESAN, mentions=[])], "organizations": [], "laws": [], "dates": [],
              "incidents": []}
    text = body
    for inc in incidents:
        evidence = inc.pop("text")
        start = len(text) + (2 if text else 0)
        text = f"{text}\n\n{evidence}" if text else evidence
        record["incidents"].append({"actor": None, "target": None, "place": "Hyesan",
                                    "province": "Yanggang Province", "date_precision": "day",
                                    "penalty": None, **inc,
                                    "evidence": {"text": evidence, "start": start, "end": start + len(evidence)}})
    if "Ministry of State Security" in text:
        start = text.index("Ministry of State Security")
        record["organizations"].append({"id": "mss", "name": "Ministry of State Security",
                                        "mentions": [{"text": "Ministry of State Security", "start": start,
                                                      "end": start + 26}]})
    return record, text


def _arrest(day="2023-03-05", people="four", **more):
    return {"type": "arrest", "date": day,
            "text": f"The Ministry of State Security arrested {people} people in Hyesan on that day.", **more}


def _run(records_and_bodies):
    linker = EventLinker()
    for record, body in records_and_bodies:
        linker.link(record, body)
    return {record["id"]: linker.annotations(record["id"]) for record, _ in records_and_bodies}


def test_reports_of_one_arrest_share_one_event_with_its_reasons():
    found = _run([_record("a", "2023-03-07", [_arrest()]), _record("b", "2023-03-09", [_arrest()]),
                  _record("c", "2023-03-12", [_arrest(people="4")])])
    assert {found[r]["incidents"][0]["event"] for r in "abc"} == {"a#0"}
    assert found["a"]["incidents"][0]["event_link"] is None
    link = found["c"]["incidents"][0]["event_link"]
    assert link["to"] in {"a#0", "b#0"} and link["score"] >= EVENT_LINK_THRESHOLD
    assert link["shared"] == {"type": "arrest", "place": "KP-10.hyesan", "date": "2023-03-05",
                              "organs": ["mss"], "numbers": [4]}


def test_event_ids_do_not_depend_on_the_order_of_arrival():
    items = [_record("a", "2023-03-07", [_arrest()]), _record("b", "2023-03-09", [_arrest()]),
             _record("c", "2023-03-12", [_arrest(), _arrest(day="2023-03-10", people="two")])]
    results = []
    for order in itertools.permutations(items):
        found = _run([(json.loads(json.dumps(r)), b) for r, b in order])
        results.append({rid: [i["event"] for i in ann["incidents"]] for rid, ann in found.items()})
    assert all(result == results[0] for result in results)
    assert results[0] == {"a": ["a#0"], "b": ["a#0"], "c": ["a#0", "c#1"]}


def test_look_alikes_stay_apart():
    """Same type and province: another day, other numbers of people, or another city."""
    other_city = _record("d", "2023-03-07", [_arrest()])
    other_city[0]["places"] = [{"id": "KP-10.samjiyon", "name": "Samjiyon", "kind": "city", "mentions": []}]
    other_city[0]["incidents"][0]["place"] = "Samjiyon"
    found = _run([_record("a", "2023-03-07", [_arrest()]),
                  _record("b", "2023-03-08", [_arrest(day="2023-03-02")]),
                  _record("c", "2023-03-20", [_arrest(day="2023-03", people="seven", date_precision="month")]),
                  other_city])
    assert [found[r]["incidents"][0]["event"] for r in "abcd"] == ["a#0", "b#0", "c#0", "d#0"]


def test_two_incidents_of_one_report_are_never_one_event():
    found = _run([_record("a", "2023-03-07", [_arrest(), _arrest()])])
    assert [i["event"] for i in found["a"]["incidents"]] == ["a#0", "a#1"]


def test_a_sentence_reported_a_month_later_follows_the_arrest_and_is_not_merged():
    sentence = {"type": "punishment", "date": "2023-04-10", "penalty": "7 years in a labor camp",
                "text": "The four were sentenced to seven years in a labor camp."}
    found = _run([_record("a", "2023-03-07", [_arrest()]),
                  _record("f", "2023-04-12", [_arrest(), sentence])])
    arrest, punishment = found["f"]["incidents"]
    assert arrest["event"] == "a#0" and arrest["follows"] is None
    assert punishment["event"] == "f#1" and punishment["follows"] == "a#0"


def test_a_korean_report_and_its_english_version_pair_one_to_one():
    english, en_body = _record("en", "2023-03-08", [_arrest(), {"type": "meeting", "date": "2023-03-06", "text":
                               "Residents were called to a meeting the next day."}],
                               url="https://en.outlet.example/2023/1", title="Four arrested in Hyesan")
    korean, ko_body = _record("ko", "2023-03-07", [
        {"type": "arrest", "date": "2023-03-05", "text": "혜산시에서 보위부가 주민 4명을 체포했다."},
        {"type": "order", "date": "2023-03-06", "text": "다음날 주민들을 모아 회의를 열었다."}],
        url="https://outlet.example/ko/2023/1", title="혜산서 4명 체포")
    for record in (english, korean):
        record["dates"] = [{"value": "2023-03-05", "precision": "day"}, {"value": "2023-03-06", "precision": "day"}]
    found = _run([(english, en_body), (korean, ko_body)])
    assert found["en"]["translation_of"] == "ko" and found["ko"]["translation_of"] is None
    # the arrest by its people, the meeting the typer read as an order by its day
    assert [i["event"] for i in found["en"]["incidents"]] == ["ko#0", "ko#1"]


def test_reports_of_two_outlets_are_not_translations():
    english, en_body = _record("en", "2023-03-08", [_arrest()], url="https://one.example/a", title="Four arrested")
    korean, ko_body = _record("ko", "2023-03-07", [
        {"type": "arrest", "date": "2023-03-05", "text": "혜산시에서 보위부가 주민 4명을 체포했다."}],
        url="https://other.example/b", title="혜산서 4명 체포")
    found = _run([(english, en_body), (korean, ko_body)])
    assert found["en"]["translation_of"] is None and found["ko"]["translation_of"] is None
    assert found["en"]["incidents"][0]["event"] == "ko#0"  # still one event


def test_apply_sets_the_record_fields():
    record, body = _record("a", "2023-03-07", [_arrest()])
    linker = EventLinker()
    linker.link(record, body)
    apply(record, linker.annotations("a"))
    assert record["translation_of"] is None
    assert {k: record["incidents"][0][k] for k in ("event", "event_link", "follows")} == \
        {"event": "a#0", "event_link": None, "follows": None}


# -- on the event set, through the engines ----------------------------------------------------
def _read(path):
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def _analyze(path):
    from tumen.engines.local import analyze_file

    out = io.StringIO()
    analyze_file(path, out, progress=False)
    return [json.loads(line) for line in out.getvalue().splitlines()]


@pytest.fixture(scope="module")
def event_set_records():
    return _analyze(EVENT_SET / "reports.jsonl")


def _linked(records):
    members = {}
    for record in records:
        for inc in record["incidents"]:
            members.setdefault(inc["event"], set()).add(record["id"])
    return {frozenset(p) for ids in members.values() for p in itertools.combinations(sorted(ids), 2)}


@pytest.mark.slow
def test_event_set_links_the_reports_of_each_event_and_not_the_look_alikes(event_set_records):
    gold = _read(EVENT_SET / "gold.jsonl")
    gold_pairs = {frozenset(p) for g in gold if g["kind"] == "event"
                  for p in itertools.combinations(g["reports"], 2)}
    predicted = _linked(event_set_records)
    tp = len(predicted & gold_pairs)
    precision, recall = tp / len(predicted), tp / len(gold_pairs)
    assert 2 * precision * recall / (precision + recall) >= 0.90
    looks = [frozenset(g["reports"]) for g in gold if g["kind"] == "lookalike"]
    assert len(looks) >= 15 and sum(p in predicted for p in looks) / len(looks) < 1 / 20
    by_id = {r["id"]: r for r in event_set_records}
    assert {(r["id"], r["translation_of"]) for r in event_set_records if r["translation_of"]} == \
        {(g["report"], g["translation_of"]) for g in gold if g["kind"] == "translation"}
    groups = {g["event"]: g["reports"] for g in gold if g["kind"] == "event"}
    for g in (g for g in gold if g["kind"] == "follows"):
        events_before = {i["event"] for rid in groups[g["follows"]] if rid != g["report"]
                         for i in by_id[rid]["incidents"]}
        assert any(i["follows"] in events_before and i["event"] not in events_before
                   for i in by_id[g["report"]]["incidents"]), g


def _events(records, ids=None):
    return {r["id"]: (r.get("translation_of"), [(i["event"], i["follows"]) for i in r["incidents"]])
            for r in records if ids is None or r["id"] in ids}


@pytest.mark.slow
def test_event_ids_are_the_same_whatever_the_order_of_the_file(event_set_records, tmp_path):
    lines = (EVENT_SET / "reports.jsonl").read_text(encoding="utf-8").splitlines()
    reversed_file = tmp_path / "reversed.jsonl"
    reversed_file.write_text("\n".join(lines[::-1]) + "\n", encoding="utf-8")
    assert _events(_analyze(reversed_file)) == _events(event_set_records)


@pytest.mark.slow
def test_store_runs_link_to_stored_events_and_rename_them_when_an_earlier_report_comes(event_set_records, tmp_path):
    """One event told by four reports: the three later ones analyzed into the store first,
    the earliest (the Korean original) in a second run; then all reanalyzed."""
    from tumen.engines.local import analyze_store, read_jsonl_reports
    from tumen.store import open_store

    reports = {r.id: r for r in read_jsonl_reports(EVENT_SET / "reports.jsonl")}
    group = ["ev01a", "ev01c", "ev01f", "ev01b", "lk01"]
    with open_store(tmp_path / "events.db") as store:
        store.add_reports([reports[i] for i in group[:3]])
        analyze_store(store, processes=1, progress=False)
        first = _events([store.get_record(i) for i in group[:3]])
        assert first["ev01a"][1][0][0] == "ev01a#0"  # the earliest stored so far
        store.add_reports([reports[i] for i in group[3:]])
        analyze_store(store, processes=1, progress=False)
        second = _events([store.get_record(i) for i in group])
        assert second == _events(event_set_records, set(group))
        assert second["ev01a"][0] == "ev01b" and second["ev01a"][1][0] == ("ev01b#0", None)  # its arrest
        analyze_store(store, processes=1, progress=False, reanalyze=True)
        assert _events([store.get_record(i) for i in group]) == second


def test_a_stored_event_is_joined_and_renamed_when_an_earlier_report_arrives():
    archive = {}
    for rid, published in (("b", "2023-03-09"), ("c", "2023-03-12")):
        record, body = _record(rid, published, [_arrest()])
        archive[rid] = apply(record, {"translation_of": None, "incidents": [
            {"event": "b#0", "event_link": None, "follows": None}]})

    def stored(province, months, known=()):
        wanted = province is None or province == "*" or province.startswith("Yanggang Province")
        return [r for r in archive.values() if wanted and r["id"] not in known and "2023-03" in months]

    linker = EventLinker(stored=stored, stored_record=archive.get)
    record, body = _record("a", "2023-03-07", [_arrest()])
    linker.link(record, body)
    assert linker.annotations("a")["incidents"][0]["event"] == "a#0"
    assert linker.annotations("a")["incidents"][0]["event_link"]["to"] in {"b#0", "c#0"}
    assert sorted(linker.changed_stored()) == ["b", "c"]
    assert linker.annotations("c")["incidents"][0]["event"] == "a#0"
