"""The dates component: every date expression of a report, resolved against its
publication date (``shared/spec/record.md``, devset guidelines section 5).

``doc.dates`` lists each distinct text once, at its first occurrence, in body order.
Every occurrence is kept in ``doc.user_data["date_mentions"]`` (DateRef list) and the
anaphora ("that day", "the next day", "같은 날") resolved through the nearest preceding
day in ``doc.user_data["date_anaphora"]`` as (start, end, value, precision); they are
not dates of the record.

``date_for_span(doc, start, end)`` gives the incidents component the date of an event
sentence: a date expression inside the span, else an anaphor inside it.
"""

from __future__ import annotations

import re

from ..dates import find_dates, first_occurrences
from ..dates.cues import cues
from ..pipeline import Document, component
from ..record import DateRef

# How far before a date expression a comparison cue may stand ("up from about 4,200
# won in July"): the length of a price phrase; checked on the devset price sentences.
COMPARATIVE_WINDOW = 45
_CLAUSE_BREAK = re.compile(r"[.;:!?]")


@component("dates")
class DatesComponent:
    name = "dates"
    requires = ("spacy", "sentences", "published", "language")
    assigns = ("dates", "user_data")

    def initialize(self) -> None:
        cues()  # load the cue lists once

    def __call__(self, doc: Document) -> Document:
        found, anaphora = find_dates(doc.body, doc.published, doc.spacy, doc.sentences)
        mentions = [DateRef(f.text, f.value, f.precision, f.start, f.end) for f in found]
        doc.user_data["date_mentions"] = mentions
        doc.user_data["date_anaphora"] = [(a.start, a.end, a.value, a.precision) for a in anaphora]
        doc.dates = [DateRef(f.text, f.value, f.precision, f.start, f.end)
                     for f in first_occurrences(found)]
        return doc


def _comparative(body: str, start: int) -> bool:
    window = body[max(0, start - COMPARATIVE_WINDOW):start].lower()
    cut = _CLAUSE_BREAK.split(window)[-1]
    return any(re.search(rf"\b{re.escape(c)}\b", cut) for c in cues()["comparative_before"])


def date_for_span(doc: Document, start: int, end: int) -> DateRef | None:
    """The date of the event stated in body[start:end] (an evidence sentence): the
    first date expression inside it that is not a comparison ("up from ... in July"),
    else an anaphor inside it resolved through the nearest preceding day, else None.
    Needs the dates component to have run on ``doc``."""
    mentions = doc.user_data.get("date_mentions")
    if mentions is None:
        found, anaphora = find_dates(doc.body, doc.published, doc.spacy, doc.sentences)
        mentions = [DateRef(f.text, f.value, f.precision, f.start, f.end) for f in found]
        doc.user_data["date_mentions"] = mentions
        doc.user_data["date_anaphora"] = [(a.start, a.end, a.value, a.precision) for a in anaphora]
    inside = [m for m in mentions if start <= m.start and m.end <= end]
    for m in inside:
        if not _comparative(doc.body, m.start):
            return m
    for a_start, a_end, value, precision in doc.user_data.get("date_anaphora", []):
        if start <= a_start and a_end <= end:
            return DateRef(doc.body[a_start:a_end], value, precision, a_start, a_end)
    return inside[0] if inside else None
