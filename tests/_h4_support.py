"""Shared helpers for the places / organizations / laws tests (not a test module)."""

from __future__ import annotations

import json
from pathlib import Path

from tumen.analysis.pipeline import Pipeline
from tumen.record import Report

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
DEVSET = SHARED / "data" / "devset" / "reports.jsonl"
TRAINSET = [SHARED / "data" / "trainset" / f"reports_{part}.jsonl" for part in "ab"]

_PIPES: dict[tuple[str, ...], Pipeline] = {}


def run(body: str, components: tuple[str, ...], source: str | None = None):
    """Run the named components (no spaCy) over one body; returns the Document."""
    if components not in _PIPES:
        _PIPES[components] = Pipeline(components=components, use_spacy=False).initialize()
    return _PIPES[components](Report(id="t", body=body, source=source, published="2024-05-01"))


def shared_reports(paths) -> list[Report]:
    out = []
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    r = json.loads(line)
                    out.append(Report(id=r["id"], body=r["body"], title=r.get("title"),
                                      published=r.get("published"), source=r.get("source")))
    return out


def assert_offsets(doc) -> None:
    body = doc.body
    for group in (doc.places, doc.organizations, doc.laws):
        for entity in group:
            assert entity.mentions, entity
            for m in entity.mentions:
                assert body[m.start:m.end] == m.text, (doc.report.id, entity, m)
