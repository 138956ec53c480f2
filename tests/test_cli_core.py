"""The core commands end to end: ingest, search, show, stats, export, demo."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cli_support import run
from tumen.ingest.run import sample_paths


@pytest.fixture
def db(tmp_path, capsys) -> str:
    path = str(tmp_path / "cli.db")
    code, _, err = run(capsys, "ingest", *map(str, sample_paths()), "--db", path, "--quiet")
    assert code == 0, err
    return path


def test_cli_ingest_summary_rerun_and_exit_codes(tmp_path, capsys):
    path = str(tmp_path / "a.db")
    samples = [str(p) for p in sample_paths()]
    code, _, err = run(capsys, "ingest", *samples, "--db", path)
    assert code == 0 and f"added {len(samples)}," in err and "near-duplicates 1" in err
    code, _, err = run(capsys, "ingest", *samples, "--db", path)
    assert code == 0 and "nothing new" in err
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "z", "body": "fine body text"}\n{oops\n', encoding="utf-8")
    code, _, err = run(capsys, "ingest", str(bad), str(tmp_path / "nope.txt"), "--db", path)
    assert code == 1
    assert "added 1," in err and "failed 2" in err
    assert f"failed: {bad}:2" in err and "nope.txt" in err
    assert "Traceback" not in err


def test_cli_ingest_bad_map_is_one_line_error(tmp_path, capsys):
    code, _, err = run(capsys, "ingest", str(sample_paths()[0]), "--db", str(tmp_path / "x.db"), "--map", "title")
    assert code == 1 and err.strip().count("\n") == 0 and "field=column" in err


def test_cli_search_text_and_json(db, capsys):
    code, out, _ = run(capsys, "search", "yuan", "--db", db, "--limit", "3")
    assert code == 0 and out.strip()
    code, out, _ = run(capsys, "search", '"labor camp" OR smuggl*', "--db", db, "--json")
    hits = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and hits and {"id", "title", "snippet", "highlights", "score"} <= set(hits[0])
    code, out, _ = run(capsys, "search", "--since", "2024", "--db", db, "--json")
    assert all(json.loads(line)["published"] >= "2024" for line in out.splitlines())


@pytest.mark.parametrize("query", ['"unbalanced', "OR rice", "rice AND", ""])
def test_cli_search_malformed_query_is_one_line(db, capsys, query):
    code, out, err = run(capsys, "search", query, "--db", db)
    assert code == 1 and out == ""
    assert err.startswith("error: ") and err.strip().count("\n") == 0


def test_cli_search_missing_store(tmp_path, capsys):
    code, _, err = run(capsys, "search", "rice", "--db", str(tmp_path / "none.db"))
    assert code == 1 and "no such store" in err


def test_cli_show_and_stats(db, capsys):
    code, out, _ = run(capsys, "search", "rice", "--db", db, "--json", "--limit", "1")
    rid = json.loads(out.splitlines()[0])["id"]
    code, out, _ = run(capsys, "show", rid, "--db", db)
    assert code == 0 and rid in out
    code, out, _ = run(capsys, "show", rid, "--db", db, "--json")
    view = json.loads(out)
    assert view["report"]["id"] == rid and view["record"] is None
    code, _, err = run(capsys, "show", "no-such-id", "--db", db)
    assert code == 1 and "no report" in err
    code, out, _ = run(capsys, "stats", "--db", db, "--json")
    stats = json.loads(out)
    assert code == 0 and stats["reports"] == len(sample_paths())
    code, out, _ = run(capsys, "stats", "--db", db)
    assert code == 0 and "source" in out and "month" in out


def test_cli_export_formats(db, tmp_path, capsys):
    code, out, _ = run(capsys, "export", "--db", db)
    assert code == 0 and len(out.splitlines()) == len(sample_paths())
    for fmt in ("csv", "parquet"):
        target = tmp_path / f"out.{fmt}"
        code, _, err = run(capsys, "export", "--format", fmt, "--out", str(target), "--db", db)
        assert code == 0 and target.stat().st_size > 0 and "exported" in err
    code, _, err = run(capsys, "export", "--format", "parquet", "--db", db)
    assert code == 1 and "--out" in err


@pytest.mark.slow
def test_cli_demo_builds_an_analyzed_store(tmp_path):
    db = tmp_path / "demo.db"
    db.write_text("stale")  # replaced
    proc = subprocess.run([sys.executable, "-m", "tumen", "demo", "--db", str(db), "--quiet"],
                          capture_output=True, text=True, timeout=900,
                          env={"PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src"),
                               "PATH": "/usr/bin:/bin", "COLUMNS": "120"})
    assert proc.returncode == 0, proc.stderr
    assert "Tumen demo" in proc.stdout and "Next:" in proc.stdout and "tumen search" in proc.stdout
    from tumen.store import open_store

    with open_store(db) as store:
        assert store.count() == len(sample_paths())
        stats = store.stats()
        assert stats["records"] == store.count() or "analysis skipped" in proc.stdout


def test_cli_ingest_from_standard_input(tmp_path):
    db = tmp_path / "stdin.db"
    line = json.dumps({"id": "in1", "title": "From standard input",
                       "body": "A report read from standard input, see http://example.org/x."})
    env = {"PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src"), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, "-m", "tumen", "ingest", "-", "--db", str(db)],
                          input=line + "\n", capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "added 1," in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "tumen", "search", "http://example.org/x", "--db", str(db),
                           "--json"], capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0 and json.loads(proc.stdout)["id"] == "in1"


def test_cli_show_marks_the_record_beside_the_text(db, capsys, monkeypatch):
    from tumen.store import open_store

    with open_store(db) as store:
        report = next(iter(store.iter_reports()))
        end = report.body.index(".") + 1
        store.save_records([{
            "id": report.id, "tags": ["test tag"], "places": [], "organizations": [], "laws": [],
            "dates": [], "analyzer": "t", "status": "ok",
            "incidents": [{"type": "arrest", "actor": "Ministry of State Security", "target": None,
                           "place": None, "date": None, "date_precision": None, "penalty": None,
                           "evidence": {"text": report.body[:end], "start": 0, "end": end}}]}])
    for width in ("160", "80"):
        monkeypatch.setenv("COLUMNS", width)
        code, out, _ = run(capsys, "show", report.id, "--db", db)
        assert code == 0 and "incidents" in out and "arrest" in out and "test tag" in out
    code, out, _ = run(capsys, "show", report.id, "--db", db, "--json")
    assert json.loads(out)["record"]["incidents"][0]["evidence"]["end"] == end
