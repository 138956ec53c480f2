"""What the gazetteer components (places, organizations) share: the gazetteer, loaded
once, and the grouping of their matches into entities with mentions."""

from __future__ import annotations

import re
from typing import Iterable

from tumen.analysis.gazetteer import Gazetteer
from tumen.record import Mention


class GazetteerComponent:
    """A component that looks names up in the gazetteer: it loads it in ``initialize``
    (or for the first report, when the pipeline did not initialize it)."""

    requires: tuple[str, ...] = ("report",)

    def __init__(self) -> None:
        self.gaz: Gazetteer | None = None

    def initialize(self) -> None:
        self.gaz = Gazetteer.load()

    def gazetteer(self) -> Gazetteer:
        if self.gaz is None:
            self.initialize()
        return self.gaz


def outlet_spans(body: str, source: str | None) -> list[tuple[int, int]]:
    """Where the report's outlet names itself in the body ("Tumen River Report"): no
    entity is found inside those spans."""
    if not source or len(source) < 3:
        return []
    return [(m.start(), m.end()) for m in re.finditer(re.escape(source), body)]


def group_mentions(body: str, hits: Iterable[tuple[int, int, str]]
                   ) -> list[tuple[str, list[Mention]]]:
    """(id, mentions) per id of the sorted ``(start, end, id)`` hits, in order of first
    mention."""
    order: dict[str, list[Mention]] = {}
    for start, end, key in hits:
        order.setdefault(key, []).append(Mention(body[start:end], start, end))
    return list(order.items())
