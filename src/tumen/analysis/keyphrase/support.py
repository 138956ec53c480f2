"""Is a tag supported by the report's own text? (issue 19)

A tag an editor keeps is supported in one of three ways:

* **words**: every content word of the tag occurs in the title or body, compared as
  Porter stems ("radio-wave detectors" by "detector", "radio" and "wave"); administrative
  words ("province", "county", ...) are not content words;
* **entity**: the tag is a gazetteer place, organ or law one of whose names or variants
  occurs in the text ("yanggang province" by "Ryanggang", "ministry of state security"
  by "MSS" or "보위부");
* **topic**: the tag is a house topic one of whose own cues occurs in the text
  (``house_vocabulary.csv``).  Here a cue matches a whole word, with a plural or verb
  ending; a cue of six letters or more is a stem and matches any word it begins
  ("smuggl" -- "smugglers", "repatriat" -- "repatriated"); a Hangul cue matches
  anywhere ("단속" in "단속에", "밀수" in "밀수꾼").

``TagSupport.reason(tag, text)`` names the first way that holds, or returns ``None``.
The tag line (``components.tags``) takes a house topic only when it is supported, and
``benchmarks/tag_line.py`` measures the share of unsupported tags with it.
"""

from __future__ import annotations

import functools
import re
from typing import Iterable

from tumen.analysis.keyphrase.candidates import stem

_WORD = re.compile(r"\w+")
ADMIN_WORDS = frozenset({"province", "county", "city", "district", "special", "town", "village",
                         "the", "of", "and", "no"})
# Cues shorter than this match whole words (with an ending); longer ones are stems.
STEM_CUE_MIN = 6
_ENDING = r"(?:s|es|ed|d|ing|er|ers)?"


def _cue_pattern(cues: Iterable[str]) -> re.Pattern | None:
    parts = []
    for cue in sorted({c for c in cues if c}, key=len, reverse=True):
        body = re.escape(cue)
        if not cue.isascii():  # Hangul: particles attach and compounds run on
            parts.append(body)
        elif len(cue) >= STEM_CUE_MIN or not cue[-1:].isalnum():
            parts.append(body)
        else:
            parts.append(body + _ENDING + r"(?![\w])")
    if not parts:
        return None
    ascii_parts = [p for p in parts if p.isascii()]
    other = [p for p in parts if not p.isascii()]
    alternatives = []
    if ascii_parts:
        alternatives.append(r"(?<![\w])(?:" + "|".join(ascii_parts) + ")")
    alternatives += other
    return re.compile("|".join(alternatives), re.I)


def text_stems(text: str) -> frozenset[str]:
    return frozenset(stem(w) for w in _WORD.findall(text.lower()))


def words_supported(tag: str, stems: frozenset[str]) -> bool:
    """Every content word of ``tag`` occurs (as a Porter stem) among ``stems``."""
    words = [w for w in _WORD.findall(tag.lower()) if w not in ADMIN_WORDS]
    return bool(words) and all(stem(w) in stems for w in words)


class TagSupport:
    def __init__(self, topics: Iterable = ()):
        self.cues: dict[str, re.Pattern] = {}
        for topic in topics:
            pattern = _cue_pattern((*getattr(topic, "cues", ()), topic.tag))
            if pattern is not None:
                self.cues[topic.tag] = pattern

    def topic(self, tag: str, text: str) -> bool:
        pattern = self.cues.get(tag)
        return bool(pattern and pattern.search(text))

    def entity(self, tag: str, text: str) -> bool:
        names = _entity_names(tag)
        if not names:
            return False
        lower = text.lower()
        for name in names:
            n = name.lower()
            if not n:
                continue
            if not n.isascii():  # Hangul: no word boundaries (particles attach)
                if n in lower:
                    return True
            elif re.search(r"(?<![\w])" + re.escape(n) + r"(?![\w])", lower):
                return True
        return False

    def reason(self, tag: str, text: str, stems: frozenset[str] | None = None) -> str | None:
        if words_supported(tag, stems if stems is not None else text_stems(text)):
            return "words"
        if self.entity(tag, text):
            return "entity"
        if self.topic(tag, text):
            return "topic"
        return None


@functools.lru_cache(maxsize=4096)
def _entity_names(tag: str) -> tuple[str, ...]:
    """Every name and variant of the gazetteer place, organ or law ``tag`` names."""
    from tumen.analysis.gazetteer import Gazetteer

    gaz = Gazetteer.load()
    place = gaz.find_place(tag)
    if place is not None:
        return (place.name, place.display, *place.variants)
    org = gaz.org_by_name(tag)
    if org is not None:
        return (org.name, *org.variants)
    law = gaz.law_by_name(tag)
    if law is not None:
        return (law.name, *law.variants)
    return ()
