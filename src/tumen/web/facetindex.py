"""An in-memory facet index: report facet counts for any filter in milliseconds.

Grouping every (report, facet value) row of a large result in SQL costs ~1 µs a row:
a common word at 100,000 reports selects ~50,000 reports and ~400,000 facet rows.
Here the ``web_facets`` rows live in two numpy arrays in primary-key order (facet,
value, seq), so each value's reports are one contiguous slice: a filter is a boolean
mask over report seqs, and counting every value under it is one gather plus one
``np.add.reduceat``.  The arrays are rebuilt when the index generation changes
(small stores at once; large ones in a background thread, SQL answering meanwhile).

A selection far smaller than the index (a rare word, a word plus a facet) is counted
from the transposed arrays instead -- each report's facet codes, in seq order -- with
one ``np.bincount`` over just its rows, so its cost follows the selection, not the
archive.  A word matching more than ``MATCH_BOUND`` reports is counted over its newest
``MATCH_BOUND`` matches (FTS5 reads them in rowid order and stops) and scaled to the
whole archive: the result says ``estimated`` and the page shows "about 120,000";
``exact=True`` (``?exact=1``) counts every match.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from tumen.store.queries import Filters

SYNC_BUILD_REPORTS = 20_000  # below this many reports, rebuild inline (~0.2 s at 20k)
MATCH_BOUND = 20_000  # matches of one word counted exactly; beyond, an estimate


class FacetCounts(tuple):
    """(facet counts, matching reports, (index, mask)) plus ``estimated``: True when
    the counts were scaled from the newest ``MATCH_BOUND`` matches."""

    estimated: bool = False

    def __new__(cls, counts, total, selection, estimated: bool = False):
        self = super().__new__(cls, (counts, total, selection))
        self.estimated = estimated
        return self


class FacetIndex:
    """The facet rows of one read snapshot of the store.  Build it with ``build`` (which
    opens that snapshot); the constructor reads through ``store`` as it is."""

    def __init__(self, store, generation: int):
        self.generation = generation
        groups = store.facet_groups()
        self.values = [(f, v) for f, v, _ in groups]
        sizes = np.fromiter((n for _, _, n in groups), dtype=np.int64, count=len(groups))
        self.starts = np.zeros(len(groups), dtype=np.int64)
        if len(groups):
            self.starts[1:] = np.cumsum(sizes)[:-1]
        self.sizes = sizes
        total = int(sizes.sum())
        self.seqs = np.fromiter(store.facet_seqs(), dtype=np.int32, count=total)
        stored = np.fromiter(store.report_seqs(), dtype=np.int64)
        self.newest = np.fromiter(store.newest_seqs(), dtype=np.int64)  # date order
        # Every seq read is inside the masks, even when the tables disagree (the facet
        # rows of a deleted report linger until the next sync).
        self.size = 1 + max(store.max_seq(), int(self.seqs.max(initial=0)),
                            int(stored.max(initial=0)), int(self.newest.max(initial=0)))
        self.present = np.zeros(self.size, dtype=bool)  # seqs of stored reports
        self.present[stored] = True
        self.code = {fv: k for k, fv in enumerate(self.values)}
        # The transpose: the facet codes of each report, reports in seq order.
        codes = np.repeat(np.arange(len(groups), dtype=np.int32), sizes)
        self.codes_by_seq = codes[np.argsort(self.seqs, kind="stable")]
        self.seq_starts = np.zeros(self.size + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.seqs, minlength=self.size), out=self.seq_starts[1:])
        self.present_upto = np.cumsum(self.present)  # stored reports with seq <= s

    @classmethod
    def build(cls, store) -> FacetIndex:
        """The index as ONE read snapshot of the store sees it, generation included, so
        a batch committed meanwhile is either wholly in it or wholly out of it."""
        with store.snapshot():
            return cls(store, store.generation())

    def mask_for(self, facet: str, value: str) -> np.ndarray:
        mask = np.zeros(self.size, dtype=bool)
        k = self.code.get((facet, value))
        if k is not None:
            start = self.starts[k]
            mask[self.seqs[start:start + self.sizes[k]]] = True
        return mask

    def page(self, mask: np.ndarray, offset: int, limit: int) -> list[int]:
        """Seqs of one page of the selected reports, newest first."""
        chosen = self.newest[mask[self.newest]]
        return [int(s) for s in chosen[offset:offset + limit]]

    def counts(self, mask: np.ndarray, scale: float = 1.0) -> list[tuple[str, str, int]]:
        if not len(self.values):
            return []
        chosen = np.flatnonzero(mask)
        starts, ends = self.seq_starts[chosen], self.seq_starts[chosen + 1]
        lens = ends - starts
        rows = int(lens.sum())
        if rows * 4 < len(self.seqs):  # a small selection: count its own rows only
            offsets = np.repeat(starts - np.cumsum(lens) + lens, lens) + np.arange(rows)
            per_value = np.bincount(self.codes_by_seq[offsets], minlength=len(self.values))
        else:  # a large one: one pass over every row
            per_value = np.add.reduceat(mask[self.seqs].astype(np.int32), self.starts)
        nonzero = np.nonzero(per_value)[0]
        if scale != 1.0:
            return [(*self.values[k], max(1, round(int(per_value[k]) * scale))) for k in nonzero]
        return [(*self.values[k], int(per_value[k])) for k in nonzero]

    def match_mask(self, seqs: np.ndarray, bounded: bool) -> tuple[np.ndarray, float]:
        """The mask of matching seqs (newest first, as FTS5 gave them) and the factor that
        scales counts over them to the archive (1.0 unless ``bounded`` cut them)."""
        seqs = seqs[seqs < self.size]
        mask = np.zeros(self.size, dtype=bool)
        mask[seqs] = True
        if not bounded or not len(seqs):
            return mask, 1.0
        lowest = int(seqs.min())
        stored = int(self.present_upto[-1])
        in_range = stored - (int(self.present_upto[lowest - 1]) if lowest > 0 else 0)
        return mask, max(1.0, stored / max(1, in_range))


class FacetIndexHolder:
    """The current FacetIndex of a WebDB, rebuilt when the store's generation moves."""

    def __init__(self, db: Any):
        self.db = db
        self.index: FacetIndex | None = None
        self._building = False
        self._lock = threading.Lock()

    def current(self) -> FacetIndex | None:
        generation = self.db.reader.generation()
        index = self.index
        if index is not None and index.generation == generation:
            return index
        if self.db.reader.max_seq() < SYNC_BUILD_REPORTS:
            self.index = FacetIndex.build(self.db.reader)
            return self.index
        with self._lock:
            if not self._building:
                self._building = True
                threading.Thread(target=self._build, daemon=True).start()
        return None

    def build_now(self) -> None:
        """Build the index in this thread (at start-up, so the first requests are fast)."""
        self._build()

    def _build(self) -> None:
        try:
            store = self.db.connect()
            try:
                self.index = FacetIndex.build(store)
            finally:
                store.close()
        finally:
            with self._lock:
                self._building = False

    def report_facets(self, filters: Filters, exact: bool = False) -> FacetCounts | None:
        """(facet counts, matching reports, (index, mask)) for ``filters``, or None
        while the index is being rebuilt.  Unless ``exact``, a query matching more than
        ``MATCH_BOUND`` reports is counted over its newest matches and scaled
        (``.estimated`` is then True)."""
        index = self.current()
        if index is None:
            return None
        scale = 1.0
        if filters.match:
            limit = None if exact else MATCH_BOUND + 1
            text = self.db.reader.match_seq_text(filters, limit=limit)
            seqs = np.array(text.split(","), dtype=np.int64) if text else np.zeros(0, np.int64)
            bounded = limit is not None and len(seqs) >= limit
            if bounded:
                seqs = np.sort(seqs)[::-1]
            mask, scale = index.match_mask(seqs[:MATCH_BOUND] if bounded else seqs, bounded)
        else:
            mask = index.present.copy()
        for facet, values in filters.facets.items():
            for value in values:
                mask &= index.mask_for(facet, value)
        total = int(mask.sum())
        if scale != 1.0:
            total = max(total, round(total * scale))
        return FacetCounts(index.counts(mask, scale), total, (index, mask), scale != 1.0)
