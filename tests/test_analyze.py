"""`tumen analyze` on JSON Lines: records on stdout, messages on stderr, order kept."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tumen.engines.local import analyze_file, read_jsonl_reports

REPORTS = [
    {"id": "a1", "title": "Phones seized", "published": "2023-03-10", "source": "Test Wire",
     "url": None, "body": "Security agents searched homes in Hyesan on Tuesday and seized "
     "three Chinese phones, a source told Test Wire."},
    {"id": "a2", "title": "Empty", "published": None, "source": None, "url": None, "body": ""},
    {"id": "a3", "title": "No punctuation", "published": "2030-01-01", "source": None, "url": None,
     "body": "market prices rose in sinuiju on the 45th and nobody knows why " * 20},
]


def _write(tmp_path: Path, rows, extra_lines=()) -> Path:
    path = tmp_path / "in.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row) + "\n")
        for line in extra_lines:
            fh.write(line + "\n")
    return path


def test_read_jsonl_reports_keeps_body_verbatim_and_reports_bad_lines(tmp_path):
    path = _write(tmp_path, REPORTS[:1], extra_lines=["{not json", "[1, 2]"])
    errors: list[str] = []
    reports = list(read_jsonl_reports(path, errors))
    assert [r.id for r in reports] == ["a1"]
    assert reports[0].body == REPORTS[0]["body"]
    assert len(errors) == 2 and "in.jsonl:2" in errors[0] and "in.jsonl:3" in errors[1]


def test_analyze_file_writes_one_record_per_report_in_order(tmp_path):
    import io

    path = _write(tmp_path, REPORTS)
    out = io.StringIO()
    summary = analyze_file(path, out, progress=False)
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["id"] for r in records] == ["a1", "a2", "a3"]
    assert summary.analyzed == 3
    for record in records:
        for key in ("tags", "places", "organizations", "laws", "dates", "incidents"):
            assert isinstance(record[key], list)
        body = next(r["body"] for r in REPORTS if r["id"] == record["id"])
        for item in record["places"] + record["organizations"] + record["laws"]:
            for m in item["mentions"]:
                assert body[m["start"]:m["end"]] == m["text"]
        for d in record["dates"]:
            assert body[d["start"]:d["end"]] == d["text"]
        for inc in record["incidents"]:
            ev = inc["evidence"]
            assert body[ev["start"]:ev["end"]] == ev["text"]


def test_cli_analyze_stdout_is_records_only(tmp_path):
    path = _write(tmp_path, REPORTS[:1])
    proc = subprocess.run([sys.executable, "-m", "tumen", "analyze", str(path), "--format", "jsonl"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["id"] == "a1"
    assert "analyzed 1 reports" in proc.stderr


def test_cli_analyze_missing_file_is_a_one_line_error(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "tumen", "analyze", str(tmp_path / "nope.jsonl")],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 2
    assert "nope.jsonl: no such file" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_analyze_two_processes_gives_the_same_records(tmp_path):
    import io

    rows = [dict(REPORTS[0], id=f"p{i}") for i in range(40)]
    path = _write(tmp_path, rows)
    one, two = io.StringIO(), io.StringIO()
    analyze_file(path, one, progress=False, processes=1)
    analyze_file(path, two, progress=False, processes=2)
    assert one.getvalue() == two.getvalue()
