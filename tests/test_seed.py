"""The report Tumen started from (../shared/seeds/), ingested as it is through the real
command line: `tumen ingest` (with `--published 2022-01-28`, and once without), `tumen
analyze`, `tumen show`.

The seed's first line is the site's tag line (the editor's tags, not the title, not
text); its next line is a photo caption, so the page came without a headline.  It
carries no date: the seed's README fixes 2022-01-28.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SEEDS = Path(__file__).resolve().parents[1].parent / "shared" / "seeds"
SEED_TAGS = ["remittance", "ryanggang province", "border", "agreement", "equipment"]


def tumen(*argv: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200", "TUMEN_DB": str(cwd / "unused.db")}
    return subprocess.run([sys.executable, "-m", "tumen", *argv], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def seed_file() -> Path:
    files = sorted(SEEDS.glob("000_*.txt")) if SEEDS.exists() else []
    if not files:
        pytest.skip("../shared/seeds is not beside the repository")
    return files[0]


def ingest_analyze_show(tmp: Path, *ingest_options: str) -> dict:
    seed = seed_file()
    db = str(tmp / "seed.db")
    ingested = tumen("ingest", str(seed), "--db", db, *ingest_options, cwd=tmp)
    assert ingested.returncode == 0, ingested.stderr
    analyzed = tumen("analyze", "--db", db, "--quiet", cwd=tmp)
    assert analyzed.returncode == 0, analyzed.stderr
    found = tumen("export", "--format", "jsonl", "--db", db, cwd=tmp)
    assert found.returncode == 0, found.stderr
    (report_id,) = [json.loads(line)["id"] for line in found.stdout.splitlines() if line.strip()]
    shown = tumen("show", report_id, "--db", db, "--json", cwd=tmp)
    assert shown.returncode == 0, shown.stderr
    text = tumen("show", report_id, "--db", db, cwd=tmp)
    assert text.returncode == 0, text.stderr
    view = json.loads(shown.stdout)
    return {"seed": seed, "ingest_err": ingested.stderr, "view": view, "shown": text.stdout,
            "db": db, "id": report_id}


@pytest.fixture(scope="module")
def dated(tmp_path_factory):
    return ingest_analyze_show(tmp_path_factory.mktemp("seed-dated"), "--published", "2022-01-28")


@pytest.fixture(scope="module")
def undated(tmp_path_factory):
    return ingest_analyze_show(tmp_path_factory.mktemp("seed-undated"))


def test_seed_tag_line_title_and_body(dated):
    lines = dated["seed"].read_text(encoding="utf-8").splitlines()
    report, record = dated["view"]["report"], dated["view"]["record"]
    assert report["extra"]["tag_line"] == lines[0]
    assert record["tags"] == SEED_TAGS  # the editor's line, not generated tags
    # the line after the tag line is a photo caption and the lede a sentence: no headline
    assert report["title"] is None and record["title"] is None
    body = report["body"]
    assert body.startswith(lines[3]) and lines[0] not in body
    for furniture in ("FILE PHOTO", "/ Image:", "Please direct", "Read in Korean"):
        assert furniture not in body
    assert "\nlabor camp\n" not in body


def test_seed_dated_no_warning_and_record(dated):
    assert "warning" not in dated["ingest_err"]
    report, record = dated["view"]["report"], dated["view"]["record"]
    assert report["published"] == record["published"] == "2022-01-28"
    assert report["extra"]["published_given"] == "--published"
    assert "published_missing" not in record and record["status"] == "ok"
    assert "given with --published" in dated["shown"]


def test_seed_places_organizations_law(dated):
    record = dated["view"]["record"]
    names = {p["name"] for p in record["places"]}
    # the caption's places (Sakju County, North Pyongan) are furniture, not report text
    assert {"Yanggang Province", "Hyesan"} <= names and "Sakju County" not in names, names
    orgs = {o["name"] for o in record["organizations"]}
    assert "Ministry of State Security" in orgs
    assert any("Central Committee" in name for name in orgs), orgs
    assert any("222" in law["name"] for law in record["laws"]), record["laws"]
    assert not any("Daily NK" in n or "source" in n.lower() for n in names | orgs)


def test_seed_dates_and_incidents(dated):
    record, body = dated["view"]["record"], dated["view"]["report"]["body"]
    values = {(d["text"].lower(), d["value"]) for d in record["dates"]}
    assert any("jan. 16" in text and value == "2022-01-16" for text, value in values), values
    assert any("thursday" in text and value == "2022-01-27" for text, value in values), values
    by_type: dict[str, list[dict]] = {}
    for inc in record["incidents"]:
        by_type.setdefault(inc["type"], []).append(inc)
        ev = inc["evidence"]
        assert body[ev["start"]:ev["end"]] == ev["text"]  # offsets refer to the stored body
    assert any(i["place"] == "Hyesan" and i["date"] == "2022-01-16" for i in by_type.get("meeting", []))
    assert any(i["actor"] == "Ministry of State Security" for i in by_type.get("order", []))
    assert any(i["actor"] == "Ministry of State Security" and "emergency meeting" in i["evidence"]["text"]
               for i in by_type.get("meeting", []))
    # the labor-camp penalty the MSS meeting demands: a prescribed penalty of the meeting or
    # order (annotation guidelines), unless a punishment that happened states it
    assert any("labor camp" in (i.get("penalty") or "") for i in by_type.get("punishment", [])) or any(
        "labor camp" in (i.get("prescribed_penalty") or "")
        for i in by_type.get("meeting", []) + by_type.get("order", []))


def test_seed_undated_is_stored_analyzed_and_flagged(undated):
    seed = str(undated["seed"])
    warnings = [ln for ln in undated["ingest_err"].splitlines() if ln.startswith("warning:")]
    assert len(warnings) == 1 and seed in warnings[0] and "--published" in warnings[0]
    report, record = undated["view"]["report"], undated["view"]["record"]
    assert report["published"] is None and record["published"] is None
    assert record["published_missing"] is True and record["status"] == "ok"
    assert record["tags"] == SEED_TAGS
    assert "carries no date" in undated["shown"] and "--published" in undated["shown"]
    # nothing is resolved against a date the report does not have
    assert not any(d["value"].startswith("2022") for d in record["dates"])


def test_seed_bad_published_is_one_line_error(tmp_path):
    done = tumen("ingest", str(seed_file()), "--db", str(tmp_path / "x.db"), "--published", "2022-13-45",
                 cwd=tmp_path)
    assert done.returncode != 0
    assert done.stderr.strip().count("\n") == 0 and "2022-13-45" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "x.db").exists()


def test_seed_web_report_page_says_undated(undated, dated):
    from fastapi.testclient import TestClient

    from tumen.web import create_app

    for case, flagged in ((undated, True), (dated, False)):
        with TestClient(create_app(case["db"])) as client:
            page = client.get(f"/reports/{case['id']}")
        assert page.status_code == 200
        assert ('id="undated"' in page.text and "no publication date" in page.text) is flagged
        assert ("2022-01-28" in page.text) is not flagged


def test_analyze_file_published_dates_undated_lines(tmp_path):
    """`tumen analyze FILE --published` dates the lines without a date, not the others."""
    lines = [{"id": "a", "body": "On Thursday, security officers in Hyesan searched homes for phones."},
             {"id": "b", "published": "2021-06-04", "body": "On Thursday, officers in Musan held a meeting."}]
    path = tmp_path / "two.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    done = tumen("analyze", str(path), "--published", "2022-01-28", "--quiet", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    records = {r["id"]: r for r in map(json.loads, done.stdout.splitlines())}
    assert records["a"]["published"] == "2022-01-28" and "published_missing" not in records["a"]
    assert [d["value"] for d in records["a"]["dates"]] == ["2022-01-27"]
    assert records["b"]["published"] == "2021-06-04"
    assert [d["value"] for d in records["b"]["dates"]] == ["2021-06-03"]
    undated = tumen("analyze", str(path), "--quiet", cwd=tmp_path)
    assert json.loads(undated.stdout.splitlines()[0])["published_missing"] is True


def test_seed_ingested_again_with_published_is_dated_and_reanalyzed(undated, tmp_path):
    """The undated seed, ingested again with --published: the stored report takes the
    date (no second copy) and the next analysis resolves its relative dates."""
    import sqlite3

    db = str(tmp_path / "copy.db")
    src, dst = sqlite3.connect(undated["db"]), sqlite3.connect(db)
    src.backup(dst)
    src.close()
    dst.close()
    again = tumen("ingest", str(undated["seed"]), "--db", db, "--published", "2022-01-28", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "dated 1 stored undated report" in again.stderr and "warning" not in again.stderr
    assert tumen("analyze", "--db", db, "--quiet", cwd=tmp_path).returncode == 0
    view = json.loads(tumen("show", undated["id"], "--db", db, "--json", cwd=tmp_path).stdout)
    assert view["report"]["published"] == view["record"]["published"] == "2022-01-28"
    assert "published_missing" not in view["record"]
    assert any(d["value"] == "2022-01-16" for d in view["record"]["dates"])
