"""Merging restatements: one incident per distinct event.

A candidate is (sentence index, type, arguments).  Two candidates of the same type are
the same event when their arguments do not tell them apart: no conflicting date and
no conflicting place.  Of a group the most specific sentence is kept as evidence (the
most of actor, place and date stated in the sentence itself; the earliest on a tie), as
the annotation guidelines ask.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Candidate:
    index: int  # sentence index in the report
    type: str
    prob: float
    start: int
    end: int
    paragraph: int
    actor: str | None = None
    place: str | None = None
    province: str | None = None
    date: str | None = None
    date_precision: str | None = None
    penalty: str | None = None
    own: set = field(default_factory=set)  # which arguments the sentence itself states

    @property
    def specificity(self) -> int:
        return len(self.own)


# Types for which several sentences of one report usually describe one event unless a
# date or place sets them apart (an ongoing operation described at length).
MERGE_TYPES = {"crackdown", "order", "legislation", "mobilization", "propaganda", "market",
               "smuggling", "remittance", "border_crossing", "other", "arrest", "meeting",
               "punishment", "public_trial"}


def _compatible(a: Candidate, b: Candidate) -> bool:
    if a.type != b.type or a.type not in MERGE_TYPES:
        return False
    if "date" in a.own and "date" in b.own and a.date != b.date:
        return False
    if "place" in a.own and "place" in b.own and a.province != b.province:
        return False
    if "place" in a.own and "place" in b.own and a.place != b.place and a.place != a.province and b.place != b.province:
        return False
    return True


def merge(cands: list[Candidate], lede_paragraphs: int = 1) -> list[Candidate]:
    """Drop a lede candidate (first paragraph(s)) restated by a compatible later one,
    and merge later candidates that are compatible and both undated."""
    keep: list[Candidate] = []
    for cand in sorted(cands, key=lambda c: c.index):
        merged = False
        for i, prev in enumerate(keep):
            if not _compatible(prev, cand):
                continue
            lede = prev.paragraph < lede_paragraphs
            if lede or ("date" not in prev.own and "date" not in cand.own):
                if cand.specificity > prev.specificity:
                    keep[i] = cand
                merged = True
                break
        if not merged:
            keep.append(cand)
    return sorted(keep, key=lambda c: (c.start, c.type))
