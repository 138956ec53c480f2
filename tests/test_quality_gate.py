"""Regression gate: the devset scores may not fall below the floors in
tests/quality_floors.json.  Raising a floor is a commit; lowering one needs a reason
written next to it.  Scores come from ../shared/tools/recordeval.py, run exactly as
its --help says, on `tumen analyze ../shared/data/devset/reports.jsonl`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
FLOORS = json.loads((ROOT / "tests" / "quality_floors.json").read_text())


@pytest.fixture(scope="module")
def devset_scores(tmp_path_factory):
    reports = SHARED / "data" / "devset" / "reports.jsonl"
    scorer = SHARED / "tools" / "recordeval.py"
    if not reports.exists() or not scorer.exists():
        pytest.skip("../shared (devset and scorer) is not beside the repository")
    out = tmp_path_factory.mktemp("gate") / "records.jsonl"
    with out.open("w") as fh:
        proc = subprocess.run([sys.executable, "-m", "tumen", "analyze", str(reports), "--format", "jsonl", "-q"],
                              stdout=fh, stderr=subprocess.PIPE, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stderr
    scored = subprocess.run([sys.executable, str(scorer), str(reports.with_name("gold.jsonl")), str(out), "--json"],
                            capture_output=True, text=True, timeout=600)
    assert scored.returncode == 0, scored.stderr
    return json.loads(scored.stdout)


def _lookup(scores: dict, dotted: str) -> float:
    value = scores
    for part in dotted.split("."):
        value = value[part]
    return float(value)


@pytest.mark.parametrize("metric", sorted(k for k in FLOORS if not k.startswith("_")))
def test_devset_score_at_or_above_floor(devset_scores, metric):
    floor = FLOORS[metric]
    score = _lookup(devset_scores, metric)
    assert score >= floor - 1e-9, f"{metric} fell to {score:.3f}, below its floor {floor:.3f}"
