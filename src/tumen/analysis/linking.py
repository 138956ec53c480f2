"""Link reports on the same incident: ``duplicate_of`` from the later report to the earlier.

Two kinds of link (the devset guidelines, section 7: same event, same place, same dates,
whether from another outlet or syndicated):

* **near-duplicates** — the same article syndicated with light edits: MinHash LSH over
  word shingles (``tumen.ingest.dedup``), confirmed at ``dedup.NEAR_DUPLICATE_THRESHOLD``;
* **same event, other words** — a report from another outlet on the same incident:
  the two records each have an incident in the same province on the same day (day
  precision on both sides; the incident types need not agree, since one outlet's "open-air
  trial" is another's sentencing and the typer can read them apart), the reports were
  published within
  ``SAME_EVENT_MAX_DAYS`` of each other, and their vocabularies overlap at least
  ``SAME_EVENT_MIN_WORD_OVERLAP`` (which keeps two different events that happen to
  share a province and day apart).

``DuplicateLinker`` works in one pass over records in any order of arrival; a link
always points to the earlier-published report (ties: the one seen first).  It keeps a
compact index (signatures and incident keys), never the bodies.

Each link is decided once.  For reports in a store, ingest has already decided the
near-duplicates against the whole archive (``store.add_reports``: LSH bands, exact
Jaccard, the group's earliest copy) and the record arrives with that ``duplicate_of``:
the linker is built with ``near=False`` and decides only the same-event links, which
need the analysis.  For a JSON Lines file (no ingest, no store) it decides both.
"""

from __future__ import annotations

import datetime as _dt
import re
import zlib
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

import numpy as np

from tumen.ingest import dedup

# Calibrated on the devset's three same-incident pairs (published 2–4 days apart) and
# the trainset's two; two weeks leaves room for slower outlets without pairing a
# report with next month's similar event.
SAME_EVENT_MAX_DAYS = 14
# Jaccard of content-word sets.  Same-incident pairs in the devset score 0.20–0.26,
# unrelated reports of the same register 0.05–0.26: alone it cannot decide, so it is
# only a floor under the incident match, set well below the pairs.
SAME_EVENT_MIN_WORD_OVERLAP = 0.10
# Incident types whose (province, day) identifies an event across outlets.  Market
# reports are left out: prices for the same province and day are routinely reported by
# several outlets from different markets.  The key leaves the type out (seventh session):
# in the devset and trainset, 7 report pairs share a (province, day); 6 are the gold
# same-event pairs and the seventh was published 35 days apart.  With the type in the
# key, one gold pair was missed because the two reports' incidents were typed apart.
EVENT_TYPES = frozenset({"order", "meeting", "crackdown", "arrest", "punishment", "public_trial",
                         "legislation", "border_crossing", "smuggling", "remittance",
                         "mobilization", "propaganda", "other"})

_WORD = re.compile(r"[^\W\d_]{3,}")
_STOP = frozenset("the and was were are for with from that this has have had said source told "
                  "after their they his her its not but which who been into also than more "
                  "when where would could about there them other".split())


def _content_words(body: str) -> np.ndarray:
    """The body's content words as sorted distinct crc32 hashes: a few hundred bytes per
    report where a set of strings took about 14 KB (measured on 3,000 KCNA bodies); two
    words sharing a hash would at worst nudge one overlap by one word."""
    words = {w for w in (m.group(0).lower() for m in _WORD.finditer(body)) if w not in _STOP}
    return np.unique(np.fromiter((zlib.crc32(w.encode("utf-8")) for w in words), dtype=np.uint32, count=len(words)))


def _overlap(a: np.ndarray, b: np.ndarray) -> float:
    """Jaccard of two sorted distinct hash arrays."""
    shared = len(np.intersect1d(a, b, assume_unique=True))
    union = len(a) + len(b) - shared
    return shared / union if union else 0.0


def _date(value: str | None) -> _dt.date | None:
    try:
        return _dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


@dataclass
class _Seen:
    id: str
    published: _dt.date | None
    order: int
    words: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint32))


class DuplicateLinker:
    """One pass of linking.  ``stored``, when given, looks up the reports already in an
    archive that have an incident of one of ``EVENT_TYPES`` in a province on a day
    (``Store.reports_with_event``), as dicts with id, published and body;
    they count as published before this pass on a tie, so reports analyzed today link to
    other outlets' reports of the same event analyzed last week.  Pairs where the report
    met first is the *later* one cannot be linked in that report's own record as it is
    written; they are kept in ``relinks`` as (later report, earlier report), the earliest
    such report for each later one, for a caller that can still rewrite the later record
    (``analyze_file`` rewrites its spooled output, ``analyze_store`` the stored record,
    the Spark engine joins them back)."""

    def __init__(self, near_threshold: float = dedup.NEAR_DUPLICATE_THRESHOLD,
                 stored: Callable[[str, str], Iterable[dict]] | None = None, *, near: bool = True):
        # None: near-duplicates were decided at ingest (module doc)
        self.near = dedup.NearDuplicateIndex(threshold=near_threshold) if near else None
        self.threshold = near_threshold
        self.signatures: dict[str, object] = {}
        self.events: dict[tuple[str, str], list[str]] = {}
        self.seen: dict[str, _Seen] = {}
        self.stored = stored
        self.stored_seen: dict[str, _Seen] = {}
        self._relinks: dict[str, _Seen] = {}  # later report id -> earliest report met after it
        self._relinked_to: dict[str, set[str]] = {}  # earlier report id -> later ids relinked to it

    @property
    def relinks(self) -> list[tuple[str, str]]:
        """(later report, earlier report) for each report met before an earlier one."""
        return [(later, earlier.id) for later, earlier in self._relinks.items()]

    def _relink(self, later: _Seen, earlier: _Seen) -> None:
        known = self._relinks.get(later.id)
        if known is None or self._earlier(earlier, known):
            if known is not None:
                self._relinked_to.get(known.id, set()).discard(later.id)
            self._relinks[later.id] = earlier
            self._relinked_to.setdefault(earlier.id, set()).add(later.id)

    def relinked_to(self, rid: str) -> list[str]:
        """The reports met before ``rid`` that are now pointed at it (its later versions)."""
        return sorted(self._relinked_to.get(rid, ()))

    @staticmethod
    def event_keys(record: dict) -> set[tuple[str, str]]:
        keys = set()
        for inc in record.get("incidents") or []:
            if (inc.get("type") in EVENT_TYPES and inc.get("province")
                    and inc.get("date_precision") == "day" and inc.get("date")):
                keys.add((inc["province"], inc["date"]))
        return keys

    def _earlier(self, a: _Seen, b: _Seen) -> bool:
        """Is ``a`` published before ``b`` (or the same day and seen first)?"""
        if a.published and b.published and a.published != b.published:
            return a.published < b.published
        return a.order < b.order

    def link(self, record: dict, body: str) -> str | None:
        """Index ``record`` and return the id of the earlier report it duplicates, if any."""
        rid = str(record["id"])
        me = _Seen(rid, _date(record.get("published")), len(self.seen), _content_words(body))
        best: _Seen | None = None
        if self.near is not None:
            signature = dedup.minhash_of_text(body)
            for other_id in self.near.candidates(signature):
                other = self.seen.get(other_id)
                if other and other_id != rid and signature.jaccard(self.signatures[other_id]) >= self.threshold:
                    if not self._earlier(other, me):
                        self._relink(other, me)
                    elif best is None or self._earlier(other, best):
                        best = other
            self.signatures[rid] = signature
            self.near.add(rid, signature)
        keys = self.event_keys(record)
        if best is None:
            for other in self._same_event(keys, me):
                if not self._earlier(other, me):
                    self._relink(other, me)
                elif best is None or self._earlier(other, best):
                    best = other
        self.seen[rid] = me
        for key in keys:
            self.events.setdefault(key, []).append(rid)
        return best.id if best else None

    def _same_event(self, keys: set[tuple[str, str]], me: _Seen) -> Iterator[_Seen]:
        """The reports met so far, and the archive's, that share an event (province, day)
        of ``keys`` with ``me``, were published within SAME_EVENT_MAX_DAYS and overlap in
        words; each once, however many events they share."""
        others: dict[str, _Seen] = {}
        for key in keys:
            others.update((i, self.seen[i]) for i in self.events.get(key, ()) if i != me.id)
            if self.stored is not None:
                others.update((o.id, o) for o in self._stored_reports(key, me.id))
        for other in others.values():
            if me.published and other.published and \
                    abs((me.published - other.published).days) > SAME_EVENT_MAX_DAYS:
                continue
            if _overlap(me.words, other.words) >= SAME_EVENT_MIN_WORD_OVERLAP:
                yield other

    def _stored_reports(self, key: tuple[str, str], rid: str) -> list[_Seen]:
        found: dict[str, _Seen] = {}
        for row in self.stored(*key):
            oid = str(row["id"])
            if oid == rid or oid in self.seen:
                continue
            if oid not in self.stored_seen:  # order -1: archived before this pass
                self.stored_seen[oid] = _Seen(oid, _date(row.get("published")), -1,
                                              _content_words(row.get("body") or ""))
            found[oid] = self.stored_seen[oid]
        return list(found.values())
