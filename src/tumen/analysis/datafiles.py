"""JSON Lines files read whole: one object per non-blank line (training and benchmark
data such as ``shared/data``'s reports, gold records and keyphrase datasets).

Ingest does not use this: ``sources.tabular.read_jsonl`` reads untrusted input line by
line and reports bad lines by file and line number."""

from __future__ import annotations

import json
from pathlib import Path


def read_objects(path: str | Path) -> list[dict]:
    """Every object of a JSON Lines file, in order."""
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def objects_by_id(path: str | Path) -> dict[str, dict]:
    """The objects of a JSON Lines file keyed by their ``id`` (a later line wins)."""
    return {obj["id"]: obj for obj in read_objects(path)}
