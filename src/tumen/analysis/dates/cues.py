"""The cue-word lists of the date grammar, read once from resources/date_cues.json."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any


@lru_cache(maxsize=1)
def cues() -> dict[str, Any]:
    text = resources.files("tumen").joinpath("resources/date_cues.json").read_text(encoding="utf-8")
    return json.loads(text)


@lru_cache(maxsize=None)
def cue_set(name: str) -> frozenset[str]:
    return frozenset(w.lower() for w in cues()[name])
