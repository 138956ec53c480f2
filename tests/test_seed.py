"""The report Tumen started from (../shared/seeds/) must yield its record.

The seed's first line is the site's tag line (not part of the text); it was
published on 2022-01-28 (the issue fixes that date).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tumen.pipeline import Pipeline
from tumen.record import Report

SEEDS = Path(__file__).resolve().parents[1].parent / "shared" / "seeds"


@pytest.fixture(scope="module")
def seed_record():
    files = sorted(SEEDS.glob("000_*.txt")) if SEEDS.exists() else []
    if not files:
        pytest.skip("../shared/seeds is not beside the repository")
    text = files[0].read_text(encoding="utf-8")
    body = text.split("\n", 1)[1].strip()  # the first line is the site's tag line
    report = Report(id="seed", body=body, title="MSS orders crackdown on Chinese-made phones",
                    published="2022-01-28", source="Daily NK")
    return Pipeline()(report).to_record().to_dict(), body


def test_seed_places(seed_record):
    record, _ = seed_record
    names = {p["name"] for p in record["places"]}
    for expected in ("Yanggang Province", "Hyesan", "North Pyongan Province", "Sakju County"):
        assert expected in names, names


def test_seed_organizations_and_law(seed_record):
    record, _ = seed_record
    orgs = {o["name"] for o in record["organizations"]}
    assert "Ministry of State Security" in orgs
    assert any("Central Committee" in name for name in orgs), orgs
    assert any("222" in law["name"] for law in record["laws"]), record["laws"]


def test_seed_dates(seed_record):
    record, _ = seed_record
    values = {(d["text"].lower(), d["value"]) for d in record["dates"]}
    assert any("jan. 16" in text and value == "2022-01-16" for text, value in values), values
    assert any("thursday" in text and value == "2022-01-27" for text, value in values), values


def test_seed_incidents(seed_record):
    record, body = seed_record
    incidents = record["incidents"]
    by_type = {}
    for inc in incidents:
        by_type.setdefault(inc["type"], []).append(inc)
        ev = inc["evidence"]
        assert body[ev["start"]:ev["end"]] == ev["text"]
    # the inminban meetings in Hyesan from 2022-01-16
    assert any(i["place"] == "Hyesan" and i["date"] == "2022-01-16" for i in by_type.get("meeting", [])), incidents
    # the order, and the emergency meeting of the provincial MSS branch
    assert any(i["actor"] == "Ministry of State Security" for i in by_type.get("order", [])), incidents
    assert any(i["actor"] == "Ministry of State Security" and "emergency meeting" in i["evidence"]["text"]
               for i in by_type.get("meeting", [])), incidents
    # the punishment of offenders with labor camps.  The seed states it as what the
    # MSS meeting demands ("send people caught ... to forced labor camps"); by the
    # annotation guidelines a demanded penalty belongs to its meeting or order (it is
    # not a punishment that happened), so the record carries it there, in the extra
    # field `prescribed_penalty`, unless a real punishment incident states it.
    assert any("labor camp" in (i.get("penalty") or "") for i in by_type.get("punishment", [])) or any(
        "labor camp" in (i.get("prescribed_penalty") or "")
        for i in by_type.get("meeting", []) + by_type.get("order", [])), incidents


def test_seed_names_no_private_person_or_source(seed_record):
    record, _ = seed_record
    names = [p["name"] for p in record["places"]] + [o["name"] for o in record["organizations"]]
    assert not any("Daily NK" in n or "source" in n.lower() for n in names)
