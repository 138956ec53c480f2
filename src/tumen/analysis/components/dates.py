"""The dates component: every date expression of a report, resolved against its
publication date (``shared/spec/record.md``, devset guidelines section 5).

``doc.dates`` lists each distinct text once, at its first occurrence, in body order,
each with the offsets of every occurrence of its text (``mentions``, as places have).
For the components that follow, it also assigns:

* ``doc.date_mentions``: every occurrence (DateRef), in body order;
* ``doc.date_roles``: for each occurrence, what it does in its sentence: ``"event"``,
  ``"deadline"``, ``"comparison"`` or ``"report"`` (see ``tumen.analysis.dates.roles``);
* ``doc.date_anaphora``: ``Anaphor(start, end, value, precision)`` of "that day", "the
  next day", "같은 날" ..., resolved through the nearest preceding day.  They are not
  dates of the record.

``date_for_span(doc, start, end)`` gives the incidents component the date of an event
sentence.
"""

from __future__ import annotations

from tumen.analysis.dates import Found, find_dates, first_occurrences
from tumen.analysis.dates.anchors import rebase_on_speaking_day, take_parenthetical
from tumen.analysis.dates.cues import cues
from tumen.analysis.dates.extract import parsed_length, resolve_anaphora
from tumen.analysis.dates.roles import COMPARISON, EVENT, REPORT, date_role
from tumen.analysis.pipeline import Anaphor, Document, component
from tumen.record import DateRef, Mention


@component("dates")
class DatesComponent:
    name = "dates"
    requires = ("report", "spacy", "sentences", "published")
    assigns = ("dates", "date_mentions", "date_roles", "date_anaphora")

    def initialize(self) -> None:
        cues()  # load the cue lists once

    def __call__(self, doc: Document) -> Document:
        doc.dates = record_dates(annotate(doc))
        return doc


def record_dates(found: list[Found]) -> list[DateRef]:
    """The record's ``dates``: each distinct text once, at its first occurrence, with
    the offsets of every occurrence of that text in ``mentions`` (body order)."""
    occurrences: dict[str, list[Mention]] = {}
    for f in found:
        occurrences.setdefault(f.text, []).append(Mention(f.text, f.start, f.end))
    return [DateRef(f.text, f.value, f.precision, f.start, f.end, range=f.range, mentions=occurrences[f.text])
            for f in first_occurrences(found)]


def annotate(doc: Document) -> list[Found]:
    """Find every date of ``doc``, fill ``date_mentions``, ``date_roles`` and
    ``date_anaphora`` (see module doc) and return what was found."""
    found, _ = find_dates(doc.body, doc.published, doc.spacy, doc.sentences)
    parsed = parsed_length(doc.spacy) if doc.spacy is not None else 0
    roles = [date_role(doc.body, f, doc.spacy, parsed) for f in found]
    bracketed = take_parenthetical(doc.body, found)
    rebase_on_speaking_day(doc.body, doc.published, found, roles, REPORT, skip=bracketed)
    # the day a source spoke or a comparison point is never an anaphor's antecedent
    anaphora = resolve_anaphora(doc.body, found, [r not in (REPORT, COMPARISON) for r in roles])
    doc.date_mentions = [DateRef(f.text, f.value, f.precision, f.start, f.end) for f in found]
    doc.date_roles = roles
    doc.date_anaphora = [Anaphor(a.start, a.end, a.value, a.precision) for a in anaphora]
    return found


def dates_in_span(doc: Document, start: int, end: int) -> list[tuple[DateRef, str]]:
    """Every date expression inside body[start:end] with its role ("event",
    "deadline", "comparison", "report"), then the anaphora inside it (role
    "anaphor"), in body order.  For callers that choose the date nearest an event
    word themselves."""
    if not doc.date_mentions:
        annotate(doc)
    out = [(ref, role) for ref, role in zip(doc.date_mentions, doc.date_roles)
           if start <= ref.start and ref.end <= end]
    out += [(DateRef(doc.body[a:b], value, precision, a, b), "anaphor")
            for a, b, value, precision in doc.date_anaphora if start <= a and b <= end]
    return sorted(out, key=lambda pair: pair[0].start)


def date_for_span(doc: Document, start: int, end: int) -> DateRef | None:
    """The date of the event stated in body[start:end] (an evidence sentence): the
    first date expression inside it that dates an event (not a deadline, a
    comparison or the day a source spoke), else an anaphor inside it ("the next
    day") resolved through the nearest preceding day, else None.  Runs the date
    grammar on ``doc`` first if the dates component found nothing (or has not run)."""
    if not doc.date_mentions:
        annotate(doc)
    for ref, role in zip(doc.date_mentions, doc.date_roles):
        if start <= ref.start and ref.end <= end and role == EVENT:
            return ref
    for a_start, a_end, value, precision in doc.date_anaphora:
        if start <= a_start and a_end <= end:
            return DateRef(doc.body[a_start:a_end], value, precision, a_start, a_end)
    return None
