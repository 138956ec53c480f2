"""The store's read model: one corrected record for the CLI, export and the web, and the
corrected incidents counted by ``search --type`` and ``stats``."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from support.cli import run

from tumen.engines.local import analyze_store
from tumen.ingest.run import ingest
from tumen.store import open_store

# Our own wording (not from any corpus): an arrest, with a place and a month.
REPORT = {
    "id": "rm-1", "title": "Traders held in Hyesan", "published": "2024-06-03",
    "source": "Test Desk",
    "body": ("Security agents in Hyesan arrested three traders in May 2024 for selling "
             "smuggled mobile phones at the city market. The traders were taken to the "
             "local security office, a resident said."),
}


@pytest.fixture
def corrected_db(tmp_path, store_url):
    """A store (SQLite, PostgreSQL) with one analyzed report whose first incident an
    editor retyped through the store; (path or URL, report id, old type, new type)."""
    source = tmp_path / "reports.jsonl"
    source.write_text(json.dumps(REPORT) + "\n", encoding="utf-8")
    db = store_url
    with open_store(db) as store:
        assert ingest(store, [str(source)]).ok
        assert analyze_store(store, processes=1, progress=False).analyzed == 1
        record = store.corrected_record("rm-1")
        first = record["incidents"][0]
        new_type = "public_trial" if first["type"] != "public_trial" else "meeting"
        store.add_correction("rm-1", "edit", first["key"], {"type": new_type}, "ed")
    return str(db), "rm-1", first["type"], new_type


def test_show_export_and_web_give_the_same_corrected_record(corrected_db, capsys):
    from tumen.web import create_app

    db, rid, _, new_type = corrected_db
    with open_store(db) as store:
        expected = store.corrected_record(rid)
        analyzer = store.get_record(rid)
    assert expected["incidents"][0]["type"] == new_type and expected["incidents"][0]["corrected"]
    assert analyzer["incidents"][0]["type"] != new_type  # the analyzer's record is kept as it was
    code, out, _ = run(capsys, "show", rid, "--db", db, "--json")
    assert code == 0 and json.loads(out)["record"] == expected
    code, out, _ = run(capsys, "export", "--records", "--format", "jsonl", "--db", db, "--quiet")
    assert code == 0 and [json.loads(line) for line in out.splitlines()] == [expected]
    with TestClient(create_app(db)) as client:
        web = client.get(f"/api/reports/{rid}").json()["record"]
    assert web == expected


def test_search_type_and_stats_count_the_corrected_incidents(corrected_db, capsys):
    db, rid, old_type, new_type = corrected_db
    with open_store(db) as store:
        analyzer_types = [i["type"] for i in store.get_record(rid)["incidents"]]
        corrected_types = [i["type"] for i in store.corrected_record(rid)["incidents"]]
    code, out, _ = run(capsys, "search", "--type", new_type, "--db", db, "--json")
    assert code == 0 and rid in out
    code, out, _ = run(capsys, "stats", "--db", db, "--json")
    by_type = json.loads(out)["incidents_by_type"]
    assert by_type[new_type] == corrected_types.count(new_type)
    assert by_type.get(old_type, 0) == corrected_types.count(old_type) == analyzer_types.count(old_type) - 1
    if old_type not in corrected_types:
        code, out, _ = run(capsys, "search", "--type", old_type, "--db", db, "--json")
        assert code == 0 and rid not in out


def test_the_store_takes_and_returns_typed_records_with_the_same_json(corrected_db):
    from tumen.record import Record

    db, rid, _, _ = corrected_db
    with open_store(db) as store:
        stored = store.get_record(rid)
        typed = store.record(rid)
        assert isinstance(typed, Record) and typed.incidents and typed.places
        assert json.dumps(typed.to_dict(), ensure_ascii=False) == json.dumps(stored, ensure_ascii=False)
        typed.tags = typed.tags + ["typed-save"]
        assert store.save_records([typed]) == 1
        again = store.get_record(rid)
    assert again["tags"][-1] == "typed-save"
    assert {k: v for k, v in again.items() if k != "tags"} == \
        {k: v for k, v in stored.items() if k != "tags"}


def test_record_from_dict_keeps_fields_set_after_the_pipeline():
    from tumen.record import Record

    data = {"id": "x1", "title": None, "published": None, "source": None, "url": None,
            "tags": [], "places": [], "organizations": [], "laws": [], "dates": [],
            "incidents": [{"type": "arrest", "evidence": {"text": "held", "start": 0, "end": 4},
                           "actor": None, "target": None, "place": None, "province": None,
                           "date": None, "date_precision": None, "penalty": None,
                           "prescribed_penalty": None, "event": "e1", "follows": None}],
            "duplicate_of": None, "analyzer": "t", "status": "ok", "translation_of": "x0"}
    assert json.dumps(Record.from_dict(data).to_dict()) == json.dumps(data)
