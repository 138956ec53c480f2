"""Page furniture: photo captions and credits, bylines, share and newsletter lines,
"Read in Korean", closing boilerplate and a wire dateline glued to the lede ("SEOUL,
July 5 (UPI) -- "), dropped by the text, Markdown and HTML readers.  They stay in the
report's original bytes; the body every offset refers to is the text without them.
The line rules are data (``resources/furniture.tsv``)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

RULES_FILE = Path(__file__).resolve().parents[2] / "resources" / "furniture.tsv"

# How many lines at the end of a report are examined for closing boilerplate.
TAIL_LINES = 6
# An image's own label above its caption ("labor camp"): a short lowercase line.
LABEL_MAX_WORDS = 5
_LABEL = re.compile(r"[a-z0-9][a-z0-9 '’&/-]*")
# A news agency's dateline (and an optional byline) glued to the first paragraph:
# "SEOUL, July 5 (UPI) -- ", "By Kim Min-ji SEOUL (Reuters) - ", "(Yonhap) -- ".
WIRES = ("Reuters", "AP", "AFP", "UPI", "Yonhap", "Kyodo", "Xinhua", "Bloomberg", "NK News",
         "Daily NK", "KCNA", "Newsis", "News1", "dpa", "EFE", "RFA")
_WIRE_DATELINE = re.compile(
    r"^(?:By [A-Z][\w'’.-]*(?: [A-Z][\w'’.-]*){0,3}\s+)?"            # a byline
    r"(?:[A-Z][A-Z.'’ -]{1,30}(?:,\s*[A-Z][A-Za-z .'’-]{1,30})?"      # SEOUL / SEOUL, South Korea
    r"(?:,\s*(?:[A-Z][a-z]{2,8}\.?\s+\d{1,2}|\d{1,2}\s+[A-Z][a-z]{2,8}\.?)(?:,\s*\d{4})?)?\s*)?"  # , July 5
    r"\((?:" + "|".join(re.escape(w) for w in WIRES) + r")\)\s*(?:--|[-–—])\s+(?=\S)")


@lru_cache(maxsize=1)
def rules() -> dict[str, tuple[re.Pattern[str], ...]]:
    """{"caption": ..., "line": ..., "dateline": ..., "tail": ...} compiled from the data file."""
    found: dict[str, list[re.Pattern[str]]] = {"caption": [], "line": [], "dateline": [], "tail": []}
    for raw in RULES_FILE.read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        where, _, pattern = raw.partition("\t")
        found[where.strip()].append(re.compile(pattern.strip()))
    return {k: tuple(v) for k, v in found.items()}


def _matches(patterns: tuple[re.Pattern[str], ...], line: str) -> bool:
    return any(r.match(line) for r in patterns)


def is_furniture_line(line: str) -> bool:
    """Whether one line, wherever it stands, is a caption, credit, byline or share line."""
    r = rules()
    stripped = line.strip()
    return bool(stripped) and any(_matches(r[kind], stripped) for kind in ("caption", "line", "dateline"))


def is_caption_label(line: str, below: str) -> bool:
    """Whether ``line`` is an image's own label ("labor camp") above the caption ``below``."""
    above = line.strip()
    return (bool(above) and bool(_LABEL.fullmatch(above)) and len(above.split()) <= LABEL_MAX_WORDS
            and _matches(rules()["caption"], below.strip()))


def dateline_date(line: str) -> str | None:
    """The date of a dateline standing alone ("2021.03.04 14:22", "Posted May 3, 2022"),
    as written; None for any other line."""
    for rule in rules()["dateline"]:
        if (m := rule.match(line.strip())):
            return m.group("date")
    return None


def strip_wire_dateline(text: str) -> str:
    """``text`` without a wire dateline opening its first paragraph."""
    start = len(text) - len(text.lstrip())
    m = _WIRE_DATELINE.match(text, start)
    return text[:start] + text[m.end():] if m else text


def drop_furniture(text: str) -> str:
    """``text`` without furniture lines, closing boilerplate and a glued wire dateline."""
    r = rules()
    lines = text.splitlines()
    drop = [False] * len(lines)
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        if _matches(r["caption"], stripped):
            drop[i] = True
            if i and is_caption_label(lines[i - 1], stripped):
                drop[i - 1] = True
        elif _matches(r["line"], stripped) or _matches(r["dateline"], stripped):
            drop[i] = True
    kept = [ln for ln, gone in zip(lines, drop) if not gone]
    # closing boilerplate: drop matching lines (and blank lines) from the end
    end = len(kept)
    examined = 0
    while end > 0 and examined < TAIL_LINES:
        stripped = kept[end - 1].strip()
        if stripped and not _matches(r["tail"], stripped):
            break
        if stripped:
            examined += 1
        end -= 1
    return strip_wire_dateline("\n".join(kept[:end]))
