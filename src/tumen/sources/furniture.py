"""Page furniture: photo captions and closing boilerplate, dropped by the text,
Markdown and HTML readers.  The rules are data (``resources/furniture.tsv``)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

RULES_FILE = Path(__file__).resolve().parents[1] / "resources" / "furniture.tsv"

# How many lines at the end of a report are examined for closing boilerplate.
TAIL_LINES = 6


@lru_cache(maxsize=1)
def rules() -> tuple[tuple[re.Pattern[str], ...], tuple[re.Pattern[str], ...]]:
    """(line rules, tail rules) compiled from the data file."""
    line_rules: list[re.Pattern[str]] = []
    tail_rules: list[re.Pattern[str]] = []
    for raw in RULES_FILE.read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        where, _, pattern = raw.partition("\t")
        target = {"line": line_rules, "tail": tail_rules}[where.strip()]
        target.append(re.compile(pattern.strip()))
    return tuple(line_rules), tuple(tail_rules)


def drop_furniture(text: str) -> str:
    """``text`` without caption lines and closing boilerplate lines."""
    line_rules, tail_rules = rules()
    lines = text.splitlines()
    kept = [ln for ln in lines if not any(r.match(ln.strip()) for r in line_rules)]
    # closing boilerplate: drop matching lines (and blank lines) from the end
    end = len(kept)
    examined = 0
    while end > 0 and examined < TAIL_LINES:
        stripped = kept[end - 1].strip()
        if stripped and not any(r.match(stripped) for r in tail_rules):
            break
        if stripped:
            examined += 1
        end -= 1
    return "\n".join(kept[:end])
