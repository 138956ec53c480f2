"""Editors' tags teach the tagger: ingest tags and web tag corrections -> an archive model.

The reports below are fictional, written for this test.  The editors use a house tag,
"cosmetics", that the shipped vocabulary lacks; after ``learn_house_tags`` a new report
of the same kind gets it on its tag line, and without learning it does not.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.cli import run

from tumen.engines.local import analyze_store
from tumen.engines.tagging import fit_house_tags, gather_examples, house_model_config, learn_house_tags
from tumen.ingest.run import ingest
from tumen.store import open_store
from tumen.store.corrections import CorrectionError, apply_corrections, clean_tags

NEW_TAG = "cosmetics"

COSMETICS = [
    ("Lipstick sellers fined in Hyesan market",
     "Market managers in Hyesan confiscated South Korean lipstick and face cream from "
     "several stalls last week. Traders said the skin lotion had been carried across the "
     "river by couriers and sold under the counter. Each seller paid a fine of 300,000 won."),
    ("Face cream from the South sells out in Sinuiju",
     "Women traders in Sinuiju say South Korean face cream and lipstick sell out within a "
     "day of arriving. The skin lotion and foundation come hidden in boxes of Chinese "
     "detergent. Inspectors seized a batch at the market last month."),
    ("Inspectors hunt for foreign beauty products",
     "A joint inspection team searched homes in Hoeryong for South Korean lipstick, face "
     "cream and perfume. Young women were warned that using skin lotion from the South is "
     "anti-socialist behaviour. Confiscated products were burned in front of the market."),
    ("Beauty products trade moves to private homes",
     "After the crackdown at the Musan market, sellers of face cream, lipstick and skin "
     "lotion now trade from private homes. Buyers order South Korean foundation by word "
     "of mouth. A jar of face cream costs as much as ten kilograms of rice."),
    ("Chinese brands replace South Korean lipstick",
     "Traders in Hyesan report that Chinese face cream and lipstick have replaced South "
     "Korean ones on market stalls since inspections grew stricter. Skin lotion with "
     "Korean labels is sold only to trusted customers."),
]
OTHER = [
    ("floods", "Heavy rain floods farms in South Hamgyong",
     "Heavy rain flooded maize fields and houses near Hamhung this week. Farmers were "
     "mobilized to repair dykes, and several bridges were washed away."),
    ("floods", "River bursts its banks near Sinuiju",
     "The Amnok river burst its banks after days of rain, flooding rice paddies near "
     "Sinuiju. Residents were mobilized to carry sandbags."),
    ("mobile phones", "Chinese phone users arrested in Hyesan",
     "Security officials arrested three residents of Hyesan for using Chinese mobile "
     "phones to call relatives abroad. The phones were confiscated."),
    ("mobile phones", "Phone signal detectors deployed on the border",
     "The security ministry deployed new signal detectors along the border to catch users "
     "of Chinese mobile phones making international calls."),
]
PROBE = ("Perfume and lipstick seized at Chongjin market",
         "Market inspectors in Chongjin seized South Korean perfume, lipstick and face cream "
         "from two traders. The skin lotion had come from China in food parcels. The "
         "traders were fined and the products burned.")


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")
    return path


def _archive(tmp_path: Path, name: str):
    rows = [{"id": f"c{i}", "title": t, "body": b, "published": "2025-03-0%d" % (i + 1),
             "source": "Fictional Daily", "tags": [NEW_TAG, "markets"]}
            for i, (t, b) in enumerate(COSMETICS)]
    rows += [{"id": f"o{i}", "title": t, "body": b, "published": "2025-04-0%d" % (i + 1),
              "source": "Fictional Daily", "tags": [tag]}
             for i, (tag, t, b) in enumerate(OTHER)]
    store = open_store(tmp_path / f"{name}.db")
    ingest(store, [str(_write(tmp_path / f"{name}.jsonl", rows))], progress=False)
    return store


def _probe_tags(store, tmp_path: Path) -> list[str]:
    probe = {"id": "probe", "title": PROBE[0], "body": PROBE[1], "published": "2025-05-01",
             "source": "Fictional Daily"}
    ingest(store, [str(_write(tmp_path / "probe.jsonl", [probe]))], progress=False)
    analyze_store(store, processes=1, progress=False)
    return store.get_record("probe")["tags"]


@pytest.mark.slow
def test_editor_tags_teach_a_new_house_tag(tmp_path, capsys):
    store = _archive(tmp_path, "taught")
    try:
        assert store.get_report("c0").tags == [NEW_TAG, "markets"]  # ingest kept them
        assert house_model_config(store) == {}
        result = fit_house_tags(store)
        assert result.examples == len(COSMETICS) + len(OTHER)
        assert NEW_TAG in result.new_tags and NEW_TAG in result.learned
        assert "markets" not in result.learned  # the shipped weights are kept
        assert result.path.is_file()
        config = house_model_config(store)["tags"]
        assert Path(config["house_model"]) == result.path
        assert NEW_TAG in Path(config["vocabulary"]).read_text(encoding="utf-8")
        assert learn_house_tags(store) == result.path  # same model, same content hash
        code, out, _ = run(capsys, "learn-tags", "--db", store.path)
        assert code == 0
        assert f"learned from {result.examples} editor-tagged reports" in out
        assert "new house tags: cosmetics" in out
        code, _, err = run(capsys, "learn-tags", "--db", str(tmp_path / "missing.db"))
        assert code == 1 and "no such store" in err
        tags = _probe_tags(store, tmp_path)
        assert NEW_TAG in tags
    finally:
        store.close()

    untaught = _archive(tmp_path, "untaught")
    try:
        assert NEW_TAG not in _probe_tags(untaught, tmp_path)
    finally:
        untaught.close()


def test_tag_corrections_are_examples_and_win_over_ingest_tags(tmp_path):
    store = open_store(tmp_path / "a.db")
    try:
        rows = [{"id": f"r{i}", "title": t, "body": b, "tags": ["markets"]}
                for i, (t, b) in enumerate(COSMETICS[:3])]
        ingest(store, [str(_write(tmp_path / "r.jsonl", rows))], progress=False)
        store.add_correction("r0", "tags", None, {"tags": ["markets", NEW_TAG]}, "ed")
        store.add_correction("r1", "tags", None, {"tags": ["women"]}, "ed")
        store.add_correction("r1", "tags", None, {"tags": [NEW_TAG]}, "ed")

        by_tags = sorted(tuple(tags) for _, _, tags in gather_examples(store))
        assert by_tags == [(NEW_TAG,), ("markets",), ("markets", NEW_TAG)]
    finally:
        store.close()


def test_tags_correction_applies_and_is_marked():
    record = {"id": "x", "tags": ["markets", "hyesan"], "incidents": []}
    fixes = [{"id": 1, "action": "tags", "target": None, "changes": {"tags": ["cosmetics"]},
              "author": "ed", "created_at": "2025-01-01T00:00:00Z"},
             {"id": 2, "action": "tags", "target": None,
              "changes": {"tags": ["cosmetics", "markets"]}, "author": "ann",
              "created_at": "2025-01-02T00:00:00Z"}]
    out = apply_corrections(record, fixes)
    assert out["tags"] == ["cosmetics", "markets"]
    assert out["analyzer_tags"] == ["markets", "hyesan"]
    assert out["tags_corrected"]["by"] == "ann"
    assert [c["status"] for c in out["corrections"]] == ["applied", "applied"]
    assert record["tags"] == ["markets", "hyesan"]  # the stored record is untouched


def test_clean_tags():
    assert clean_tags("Cosmetics; markets ,  HYESAN; cosmetics") == ["cosmetics", "markets", "hyesan"]
    assert clean_tags(["Fuel  Smuggling", "markets"]) == ["fuel smuggling", "markets"]
    for bad in ("", " ; ", [1, 2], {"a": 1}, ["x" * 61]):
        with pytest.raises(CorrectionError):
            clean_tags(bad)


@pytest.mark.slow
def test_web_tag_corrections_show_survive_reanalysis_and_teach(tmp_path):
    from fastapi.testclient import TestClient
    from support.web import analyzed_sample_store

    from tumen.web import create_app

    db = analyzed_sample_store(tmp_path)
    with TestClient(create_app(str(db))) as c:
        token = c.get("/api/me").json()["csrf_token"]
        rids = [r["id"] for r in c.get("/api/search").json()["results"][:2]]
        r = c.post(f"/api/reports/{rids[0]}/corrections", headers={"X-CSRF-Token": token},
                   json={"action": "tags", "changes": {"tags": ["Cosmetics", "markets"]}})
        assert r.status_code == 200, r.text
        assert r.json()["report"]["record"]["tags"] == ["cosmetics", "markets"]
        r = c.post(f"/api/reports/{rids[0]}/corrections", headers={"X-CSRF-Token": token},
                   json={"action": "tags", "changes": {"tags": 5}})
        assert r.status_code == 400 and "tags" in r.json()["error"]
        # the form on the report page (CSRF-protected like every form)
        page = c.get(f"/reports/{rids[1]}").text
        assert 'name="action" value="tags"' in page
        r = c.post(f"/reports/{rids[1]}/corrections", data={"action": "tags", "tags": "cosmetics; women"})
        assert r.status_code == 403
        r = c.post(f"/reports/{rids[1]}/corrections", follow_redirects=False,
                   data={"csrf_token": token, "action": "tags", "tags": "cosmetics; women"})
        assert r.status_code == 303 and r.headers["location"].endswith("#tags")

        def check():
            rec = c.get(f"/api/reports/{rids[1]}").json()["record"]
            assert rec["tags"] == ["cosmetics", "women"]
            assert rec["tags_corrected"]["by"] == "local"
            assert "corrected" in c.get(f"/reports/{rids[1]}").text
            found = {r["id"] for r in c.get("/api/search", params={"tag": "cosmetics"}).json()["results"]}
            assert found == set(rids)

        check()
        store = open_store(db)
        try:
            store.save_records([store.get_record(rids[1])])  # re-analysis rewrites the record
            examples = [tags for _, _, tags in gather_examples(store)]
            assert ["cosmetics", "women"] in examples and ["cosmetics", "markets"] in examples
        finally:
            store.close()
        check()


def test_editor_tags_reach_the_store_from_every_format(tmp_path):
    body = "Market inspectors in Hyesan seized face cream and lipstick from two stalls."
    (tmp_path / "a.txt").write_text(f"Lipstick seized\nPublished: 2025-01-02\nTags: cosmetics; markets\n\n{body}\n",
                                    encoding="utf-8")
    (tmp_path / "b.csv").write_text(f'id,title,body,tags\nb1,Seized,"{body} Again.","cosmetics, markets"\n',
                                    encoding="utf-8")
    (tmp_path / "c.json").write_text(json.dumps({"id": "c1", "title": "Seized", "body": body + " Once more.",
                                                 "tags": ["cosmetics", "markets"]}), encoding="utf-8")
    _write(tmp_path / "d.jsonl", [{"id": "d1", "title": "Seized", "body": body + " And again.",
                                   "tags": "cosmetics; markets"}])
    store = open_store(tmp_path / "s.db")
    try:
        summary = ingest(store, [str(tmp_path / n) for n in ("a.txt", "b.csv", "c.json", "d.jsonl")])
        assert summary.result.added == 4, summary.result.failed
        assert [r.tags for r in store.iter_reports()] == [["cosmetics", "markets"]] * 4
    finally:
        store.close()


@pytest.mark.slow
def test_archive_vocabulary_file_extends_the_house_vocabulary(tmp_path):
    (tmp_path / "house_vocabulary.csv").write_text(
        "tag,incident_types,cues\ncosmetics,,lipstick|face cream|skin lotion|perfume\n",
        encoding="utf-8")
    store = open_store(tmp_path / "archive.db")
    try:
        config = house_model_config(store)["tags"]
        assert "house_model" not in config  # no learned model: the shipped one
        vocabulary = Path(config["vocabulary"]).read_text(encoding="utf-8")
        assert "cosmetics,,lipstick" in vocabulary and "\nsmuggling," in vocabulary
        assert NEW_TAG in _probe_tags(store, tmp_path)
    finally:
        store.close()


@pytest.mark.slow
def test_learning_on_postgresql_keeps_the_model_in_the_archive(tmp_path):
    from support.pg import drop_pg_database, fresh_pg_database

    url = fresh_pg_database()
    try:
        rows = [{"id": f"c{i}", "title": t, "body": b, "tags": [NEW_TAG, "markets"]}
                for i, (t, b) in enumerate(COSMETICS)]
        rows += [{"id": f"o{i}", "title": t, "body": b, "tags": [tag]}
                 for i, (tag, t, b) in enumerate(OTHER)]
        store = open_store(url)
        try:
            ingest(store, [str(_write(tmp_path / "r.jsonl", rows))], progress=False)
            store.add_correction("o0", "tags", None, {"tags": ["floods", "farming"]}, "ed")
            assert store.tag_corrections() == {"o0": ["floods", "farming"]}
            result = fit_house_tags(store)
            assert result.examples == len(rows) and NEW_TAG in result.learned
            assert house_model_config(store)["tags"]["house_model"] == str(result.path)
            result.path.unlink()  # the archive, not the cache, holds the model
            assert Path(house_model_config(store)["tags"]["house_model"]).is_file()
        finally:
            store.close()
    finally:
        drop_pg_database(url)
