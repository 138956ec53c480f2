"""View functions: each takes the store handle and validated state and returns a dict.

The HTML page renders the dict with a template; the JSON API returns the same dict.
Nothing here knows about HTTP or markup (snippets and report text are returned as
lists of ``{"text", ...}`` segments that templates escape piece by piece).
"""

from __future__ import annotations

import math
import re
from typing import Any

from tumen.errors import QueryError
from tumen.record import INCIDENT_TYPES
from tumen.store import corrections as C
from tumen.store.queries import FACETS, SNIPPET_CLOSE, SNIPPET_OPEN
from tumen.web import charts
from tumen.web.db import WebDB
from tumen.web.params import FACET_LABELS, PAGE_SIZE, TABLE_SIZE, State

FACET_TOP = 12  # values shown per facet (selected values are always shown)
# Above this many matches, results come newest first instead of by BM25 rank: ranking
# reads every match's positions: ~4 ms per 1,000 matches measured on the 2-core machine
# (benchmarks/serve.py, 100,000 KCNA reports), so 5,000 matches ~ 20 ms, what the 150 ms
# p95 budget under 8 clients leaves for it.  The page says so; adding a word or a facet
# brings relevance order back.
RANK_MAX_MATCHES = 5_000
SEGMENT_KINDS = ("place", "org", "law", "date")


_MARKS = re.compile(f"({SNIPPET_OPEN}|{SNIPPET_CLOSE})")


def _segments(snippet: str | None) -> list[dict[str, Any]]:
    """Split a snippet with hit markers into [{text, hit}] pieces."""
    out: list[dict[str, Any]] = []
    hit = False
    for piece in _MARKS.split(snippet or ""):
        if piece == SNIPPET_OPEN:
            hit = True
        elif piece == SNIPPET_CLOSE:
            hit = False
        elif piece:
            out.append({"text": piece, "hit": hit})
    return out


_FTS_TERM = re.compile(r'"((?:[^"]|"")*)"(\*?)')
SNIPPET_CHARS = 240


def text_snippet(body: str, match: str) -> str:
    """A snippet around the first query term in ``body``, hits marked like FTS5's
    snippet() (used where asking FTS5 would cost a second pass over the matches)."""
    alternatives = []
    for text, star in _FTS_TERM.findall(match):
        words = re.findall(r"\w+", text.replace('""', '"'))
        if words:
            alternatives.append(r"\W+".join(map(re.escape, words)) + (r"\w*" if star else r"\b"))
    if not alternatives:
        return body[:SNIPPET_CHARS]
    pattern = re.compile(r"\b(?:" + "|".join(alternatives) + ")", re.IGNORECASE)
    first = pattern.search(body)
    start = 0 if first is None else max(0, first.start() - SNIPPET_CHARS // 3)
    if start:
        space = body.find(" ", start)
        start = space + 1 if 0 <= space < start + 20 else start
    window = body[start:start + SNIPPET_CHARS]
    marked = pattern.sub(lambda m: SNIPPET_OPEN + m.group(0) + SNIPPET_CLOSE, window)
    return ("…" if start else "") + marked + ("…" if start + SNIPPET_CHARS < len(body) else "")


def _facet_lists(rows: list[tuple[str, str, int]], state: State) -> dict[str, Any]:
    grouped: dict[str, list[tuple[str, int]]] = {f: [] for f in FACETS}
    for facet, value, n in rows:
        if facet in grouped:
            grouped[facet].append((value, n))
    out = {}
    for facet, values in grouped.items():
        selected = set(state.facets.get(facet, []))
        if facet == "month":
            values.sort(key=lambda vn: vn[0], reverse=True)
            top = values[:FACET_TOP * 2]
        else:
            values.sort(key=lambda vn: (-vn[1], vn[0]))
            top = values[:FACET_TOP]
        shown = {v for v, _ in top}
        top += [(v, n) for v, n in values if v in selected and v not in shown]
        counts = dict(values)
        top += [(v, 0) for v in selected if v not in counts]
        out[facet] = {
            "label": FACET_LABELS[facet], "total_values": len(values),
            "values": [{"value": v, "count": n, "selected": v in selected} for v, n in top],
        }
    return out


def _report_facets(db: WebDB, state: State) -> tuple[list[tuple[str, str, int]], int, Any]:
    """(facet counts, matching reports, (index, mask) or None): the in-memory index,
    else SQL."""
    def compute():
        fast = db.facets.report_facets(state.filters, exact=state.exact)
        if fast is not None:
            return fast
        return (db.reader.report_facet_counts(state.filters),
                db.reader.count_reports(state.filters), None)

    key = ("reports", state.filters.match, state.exact, tuple(sorted(
        (k, tuple(v)) for k, v in state.facets.items())))
    return db.cached(key, compute)


def _facets(db: WebDB, state: State, scope: str) -> dict[str, Any]:
    if scope == "incidents":
        key = ("incidents", state.filters.match, tuple(sorted(
            (k, tuple(v)) for k, v in state.facets.items())))
        rows = db.cached(key, lambda: db.reader.incident_facet_counts(state.filters))
    else:
        rows = _report_facets(db, state)[0]
    return _facet_lists(rows, state)


def search_view(db: WebDB, state: State) -> dict[str, Any]:
    """Reports matching the query and facets, best first, with facet counts."""
    offset = (state.page - 1) * PAGE_SIZE
    counted = _report_facets(db, state)
    facet_rows, total, selection = counted
    estimated = bool(getattr(counted, "estimated", False))
    order = "relevance" if state.filters.match else "newest"
    if offset >= total:
        rows = []
    elif selection is not None and (not state.filters.match or total > RANK_MAX_MATCHES):
        order = "newest"  # ranking every match of an unselective query costs O(matches)
        index, mask = selection
        rows = db.reader.reports_by_seqs(index.page(mask, offset, PAGE_SIZE))
        for row in rows:
            body = row.pop("body")
            row["snippet"] = (text_snippet(body, state.filters.match) if state.filters.match
                              else body[:SNIPPET_CHARS])
    else:
        rows = db.reader.search_reports(state.filters, PAGE_SIZE, offset)
    results = [{"id": r["id"], "title": r["title"], "published": r["published"],
                "source": r["source"], "url": r["url"], "status": r["status"],
                "duplicate_of": r["duplicate_of"], "snippet": _segments(r["snippet"])}
               for r in rows]
    return {"state": state.to_dict(), "total": total, "estimated": estimated,
            "page": state.page,
            "pages": max(1, math.ceil(total / PAGE_SIZE)), "page_size": PAGE_SIZE,
            "order": order, "results": results, "facets": _facet_lists(facet_rows, state)}


def facets_view(db: WebDB, state: State) -> dict[str, Any]:
    return {"state": state.to_dict(), "scope": state.scope,
            "facets": _facets(db, state, state.scope)}


def incidents_view(db: WebDB, state: State) -> dict[str, Any]:
    offset = (state.page - 1) * TABLE_SIZE
    rows = db.reader.list_incidents(state.filters, state.sort, state.order == "desc",
                            TABLE_SIZE, offset)
    total = db.reader.count_incidents(state.filters)
    return {"state": state.to_dict(), "total": total, "page": state.page,
            "pages": max(1, math.ceil(total / TABLE_SIZE)), "page_size": TABLE_SIZE,
            "incidents": rows, "facets": _facets(db, state, "incidents"),
            "timeline": timeline_view(db, state)["timeline"],
            "map": map_view(db, state)["map"]}


def timeline_view(db: WebDB, state: State) -> dict[str, Any]:
    counts = db.reader.timeline_counts(state.filters)
    return {"state": state.to_dict(), "counts": counts, "timeline": charts.timeline(counts)}


def map_view(db: WebDB, state: State) -> dict[str, Any]:
    provinces = db.reader.province_counts(state.filters)
    places = db.reader.place_counts(state.filters)
    return {"state": state.to_dict(), "provinces": provinces, "places": places,
            "map": charts.province_map(provinces, places)}


# -- one report ----------------------------------------------------------------------
def _text_segments(body: str, record: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The body cut at every mark boundary; each piece lists the marks covering it.

    One sweep over the sorted boundaries, keeping the marks open at each point: time
    grows with the body and the marks (n log n), not with their product."""
    spans: list[tuple[int, int, str, str]] = []  # start, end, class, label
    if record:
        for place in record.get("places") or []:
            for m in place.get("mentions") or []:
                spans.append((m["start"], m["end"], "place", place["name"]))
        for org in record.get("organizations") or []:
            for m in org.get("mentions") or []:
                spans.append((m["start"], m["end"], "org", org["name"]))
        for law in record.get("laws") or []:
            for m in law.get("mentions") or []:
                spans.append((m["start"], m["end"], "law", law["name"]))
        for date in record.get("dates") or []:
            spans.append((date["start"], date["end"], "date", date["value"]))
        for k, inc in enumerate(record.get("incidents") or []):
            ev = inc.get("evidence") or {}
            if ev.get("start") is not None:
                spans.append((ev["start"], ev["end"], f"ev ev-{k}", inc["type"]))
    spans = [s for s in spans if isinstance(s[0], int) and isinstance(s[1], int)
             and 0 <= s[0] < s[1] <= len(body)]
    starts: dict[int, list[int]] = {}
    ends: dict[int, list[int]] = {}
    for i, (a, b, _, _) in enumerate(spans):
        starts.setdefault(a, []).append(i)
        ends.setdefault(b, []).append(i)
    cuts = sorted({0, len(body)} | set(starts) | set(ends))
    out = []
    anchors: set[str] = set()
    open_: set[int] = set()  # indexes into spans of the marks covering the piece
    for a, b in zip(cuts, cuts[1:]):
        open_.difference_update(ends.get(a, ()))
        open_.update(starts.get(a, ()))
        active = [spans[i] for i in sorted(open_)]
        classes = sorted({c for s in active for c in s[2].split()})
        labels = [f"{s[2].split()[0] if s[2].startswith('ev') else s[2]}: {s[3]}"
                  for s in active]
        anchor = None
        for s in active:
            if s[2].startswith("ev") and s[0] == a:
                name = s[2].split()[1]
                if name not in anchors:
                    anchors.add(name)
                    anchor = name
        out.append({"text": body[a:b], "classes": classes, "title": "; ".join(labels),
                    "anchor": anchor})
    return out


def report_view(db: WebDB, report_id: str, *, marked: bool = True) -> dict[str, Any] | None:
    """One report: metadata, corrected record, marked text (unless ``marked`` is False:
    corrections and their form need only the record), near-duplicates."""
    store = db.reader
    report = store.report_row(report_id)
    if report is None:
        return None
    record = store.corrected_record(report_id)
    body = report.pop("body")
    return {
        "report": report, "body": body, "record": record,
        "segments": _text_segments(body, record) if marked else [],
        "duplicates": store.group_of(report_id, report.get("duplicate_of")),
        "corrections": record["corrections"] if record else [],
        "analysis_status": (record or {}).get("status", report.get("status")),
    }


def correction_form_view(db: WebDB, report_id: str, key: str | None) -> dict[str, Any] | None:
    view = report_view(db, report_id, marked=False)
    if view is None:
        return None
    incident = None
    if key:
        for inc in (view["record"] or {}).get("incidents", []):
            if inc["key"] == key:
                incident = inc
        if incident is None:
            raise QueryError(f"report {report_id} has no incident {key!r}")
    return {"report": view["report"], "incident": incident, "types": list(INCIDENT_TYPES),
            "places": sorted(C.place_provinces()), "organizations": list(C.organization_names()),
            "fields": list(C.EDITABLE_FIELDS), "has_record": view["record"] is not None}


def submit_correction(db: WebDB, report_id: str, action: str, target: str | None,
                      changes: dict[str, Any], evidence: str | None, author: str) -> int:
    """Validate and store one correction; returns its id.  Raises CorrectionError."""
    if action not in C.ACTIONS:
        raise C.CorrectionError(f"unknown action {action!r}: use edit, delete, add or tags")
    view = report_view(db, report_id, marked=False)
    if view is None:
        raise C.CorrectionError(f"no report {report_id!r}")
    if view["record"] is None:
        raise C.CorrectionError(f"report {report_id} has no analysis record yet")
    keys = {inc["key"] for inc in view["record"]["incidents"]}
    if action == "tags":
        payload = {"tags": C.clean_tags(changes.get("tags"))}
        if payload["tags"] == (view["record"].get("tags") or []):
            raise C.CorrectionError("nothing to change")
        target = None
    elif action == "add":
        payload = C.new_incident(view["body"], changes, evidence or "")
        target = None
    else:
        if target not in keys:
            raise C.CorrectionError(f"report {report_id} has no incident {target!r}")
        current = next(inc for inc in view["record"]["incidents"] if inc["key"] == target)
        changes = {k: v for k, v in changes.items()
                   if ((v or "").strip() or None) != current.get(k)}
        payload = C.clean_changes(changes) if action == "edit" else {}
        if action == "edit" and not payload:
            raise C.CorrectionError("nothing to change")
    with db.writer() as store:
        correction_id = store.add_correction(report_id, action, target, payload, author)
    db.sync()
    return correction_id


def ingest_and_analyze(db: WebDB, paths: list) -> dict[str, Any]:
    """Uploads go through the CLI's library calls: tumen.ingest.run, then tumen.engines.local."""
    from tumen.engines.local import analyze_store
    from tumen.ingest.run import ingest

    store = db.open_store()
    try:
        summary = ingest(store, paths)
        # only what was uploaded: a backlog left for `tumen analyze` stays there
        analysis = analyze_store(store, processes=1, progress=False,
                                 ids=summary.result.added_ids)
    finally:
        store.close()
    result = summary.result
    return {"added": result.added, "duplicates": result.duplicates,
            "near_duplicates": result.near_duplicates, "skipped": result.skipped,
            "failed": [{"where": w.rsplit("/", 1)[-1], "reason": r} for w, r in result.failed],
            "added_ids": result.added_ids, "analyzed": analysis.analyzed,
            "analysis_failed": analysis.failed}
