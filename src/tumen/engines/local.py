"""Run the analysis pipeline over reports: from a JSON Lines file or from the store.

Two entry points, one per use:

* ``analyze_file(path, out)`` — reports from a JSON Lines file (id, title, published,
  source, url, body), records to ``out`` one per line.  No database.  The body is
  analyzed exactly as given, so every offset indexes the input's ``body`` (this is the
  interface the scorers use).
* ``analyze_store(store)`` — the stored reports without a current record (or all of
  them with ``reanalyze``); records saved in batches, each replacing the previous
  record of its report atomically.

Both spread the work over processes (one pipeline per process, never per report)
and keep the input order.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import IO, Any, Iterable, Iterator

from tumen.analysis import events as _events
from tumen.errors import Failures, InputError
from tumen.ingest.sources import special_file
from tumen.ingest.sources.tabular import surrogate_reason
from tumen.analysis.linking import EVENT_TYPES, DuplicateLinker
from tumen.analysis.pipeline import ANALYZER_VERSION, Pipeline
from tumen.record import Report

# Reports handed to a worker process at a time.  Large enough to amortize pickling,
# small enough that the progress bar moves and memory stays flat.
CHUNK_SIZE = 16
# Records written to the store per transaction.
SAVE_BATCH = 64


@dataclass
class AnalysisSummary:
    analyzed: int = 0
    failed: int = 0
    seconds: float = 0.0
    errors: Failures = field(default_factory=Failures)  # the first 100, ``total`` all
    skipped_lines: Failures = field(default_factory=Failures)

    @property
    def rate(self) -> float:
        return self.analyzed / self.seconds if self.seconds else 0.0


def default_processes() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


# -- reading JSON Lines input -------------------------------------------------------
def read_jsonl_reports(path: str | Path, errors: list[str] | None = None,
                       published: str | None = None) -> Iterator[Report]:
    """Reports from a JSON Lines file, bodies verbatim.  A line that is not a JSON
    object with a string body is reported in ``errors`` (file and line) and skipped.
    ``published`` (ISO day) dates the reports whose line carries no date."""
    stream = sys.stdin.buffer if str(path) == "-" else open(path, "rb")
    try:
        for line_no, raw in enumerate(stream, 1):
            try:
                line = raw.decode("utf-8")  # per line: one bad line is one error
            except UnicodeDecodeError as exc:
                err = InputError(str(path), f"not UTF-8 (byte {exc.start + 1} of the line)",
                                 line=line_no)
                if errors is not None:
                    errors.append(str(err))
                continue
            if line_no == 1:
                line = line.removeprefix("\ufeff")
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                if not isinstance(obj, dict):
                    raise ValueError("not a JSON object")
                body = obj.get("body", obj.get("text"))
                if body is None:
                    body = ""
                if not isinstance(body, str):
                    raise ValueError("body is not a string")
                if (reason := surrogate_reason(obj, raw)):
                    raise ValueError(reason)
            except ValueError as exc:
                err = InputError(str(path), f"not a report: {exc}", line=line_no)
                if errors is not None:
                    errors.append(str(err))
                continue
            rid = obj.get("id")
            rid = str(rid) if rid is not None else ""
            yield Report(
                id=rid if rid.strip() else f"line-{line_no}",  # no id or a blank one: the line
                body=body,
                title=_str_or_none(obj.get("title")),
                published=_str_or_none(obj.get("published")) or published,
                source=_str_or_none(obj.get("source")),
                url=_str_or_none(obj.get("url")),
                tags=obj.get("tags") if isinstance(obj.get("tags"), list) else None,
            )
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


# -- running the pipeline in one or more processes ----------------------------------
_WORKER_PIPELINE: Pipeline | None = None


def _worker_init(components: tuple[str, ...] | None, config: dict | None = None,
                 parent: int | None = None) -> None:
    global _WORKER_PIPELINE
    if parent is not None:
        from tumen.engines.procs import die_with_parent

        die_with_parent(parent)  # a killed analysis leaves no worker behind
    _WORKER_PIPELINE = Pipeline(components, config=config).initialize()


def _worker_run(reports: list[Report]) -> list[dict]:
    assert _WORKER_PIPELINE is not None
    return [doc.to_record().to_dict() for doc in _WORKER_PIPELINE.pipe(reports, batch_size=len(reports))]


def _chunks(items: Iterable[Report], size: int) -> Iterator[list[Report]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def analyze_reports(reports: Iterable[Report], *, processes: int = 1,
                    components: Iterable[str] | None = None,
                    config: dict | None = None) -> Iterator[dict]:
    """Records (spec dicts) for ``reports``, in input order; ``config`` is the
    Pipeline's per-component options."""
    components = tuple(components) if components is not None else None
    if processes <= 1:
        pipeline = Pipeline(components, config=config).initialize()
        for doc in pipeline.pipe(reports):
            yield doc.to_record().to_dict()
        return
    ctx = mp.get_context("spawn" if sys.platform == "darwin" else "fork")
    with ctx.Pool(processes, initializer=_worker_init,
                  initargs=(components, config, os.getpid())) as pool:
        for records in pool.imap(_worker_run, _chunks(reports, CHUNK_SIZE)):
            yield from records


def _progress(enabled: bool, total: int | None, description: str):
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                               TimeElapsedColumn, TimeRemainingColumn)
    from rich.console import Console

    columns = [TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[rate]}"),
               TimeElapsedColumn(), TimeRemainingColumn()]
    progress = Progress(*columns, console=Console(stderr=True), disable=not enabled, transient=False)
    task = progress.add_task(description, total=total, rate="")
    return progress, task


class _BodyTap:
    """Remembers each report's body between handing it to the pipeline and getting its
    record back (records arrive in input order, so only the reports in flight are held)."""

    def __init__(self) -> None:
        self._bodies: dict[str, str] = {}

    def tap(self, reports: Iterable[Report]) -> Iterator[Report]:
        for report in reports:
            self._bodies[report.id] = report.body
            yield report

    def pop(self, rid: str) -> str:
        return self._bodies.pop(rid, "")


def _link(linker: DuplicateLinker, record: dict, body: str) -> None:
    """Set ``duplicate_of`` (near-duplicate or same event) unless ingest already did."""
    found = linker.link(record, body)
    if not record.get("duplicate_of") and found:
        record["duplicate_of"] = found


def analyze_file(path: str | Path, out: IO[str], *, processes: int = 1, progress: bool = True,
                 components: Iterable[str] | None = None, published: str | None = None) -> AnalysisSummary:
    """Analyze a JSON Lines file; write one record per line to ``out``.  ``published``
    (ISO day) dates the reports that carry no date."""
    summary = AnalysisSummary()
    started = time.perf_counter()
    total = None
    if str(path) != "-" and (what := special_file(path)):
        raise InputError(str(path), f"not a regular file but {what}; to read a stream, "
                                    "pipe it to standard input and name '-'")
    if progress and str(path) != "-":
        with open(path, "rb") as fh:
            total = sum(1 for line in fh if line.strip())
    reports = read_jsonl_reports(path, summary.skipped_lines, published=published)
    bar, task = _progress(progress, total, "analyzing")
    linker = DuplicateLinker()
    event_linker = _events.EventLinker()
    bodies = _BodyTap()
    # Records are spooled to a temporary file and copied to ``out`` at the end, so that a
    # report met before an earlier one on the same event (input not in date order) can
    # still be pointed at it.  Held in memory: each record's id and whether it is unlinked.
    spooled: list[tuple[str, bool]] = []
    with bar, tempfile.TemporaryFile("w+", encoding="utf-8") as spool:
        for record in analyze_reports(bodies.tap(reports), processes=processes, components=components):
            body = bodies.pop(record["id"])
            _link(linker, record, body)
            event_linker.link(record, body, linker.relinked_to(str(record["id"])))
            spool.write(json.dumps(record, ensure_ascii=False) + "\n")
            spooled.append((str(record["id"]), not record.get("duplicate_of")))
            summary.analyzed += 1
            if record.get("status") == "failed":
                summary.failed += 1
                summary.errors.append(f"{record['id']}: {record.get('error')}")
            elapsed = time.perf_counter() - started
            bar.update(task, advance=1, rate=f"{summary.analyzed / elapsed:.1f} reports/s")
        spool.seek(0)
        _copy_relinked(spool, out, spooled, dict(linker.relinks), event_linker)
    out.flush()
    summary.seconds = time.perf_counter() - started
    return summary


def _copy_relinked(spool: IO[str], out: IO[str], spooled: list[tuple[str, bool]],
                   relinks: dict[str, str], event_linker: "_events.EventLinker") -> None:
    """Copy the spooled records to ``out``, pointing each unlinked record in ``relinks``
    at its earlier report and giving every record its final events (``tumen.analysis.events``)."""
    for (rid, free), line in zip(spooled, spool):
        earlier = relinks.get(rid) if free else None
        record = json.loads(line)
        if earlier:
            record["duplicate_of"] = earlier
        _events.apply(record, event_linker.annotations(rid))
        out.write(json.dumps(record, ensure_ascii=False) + "\n")


def analyze_store(store, *, since: str | None = None, reanalyze: bool = False,
                  processes: int | None = None, progress: bool = True,
                  components: Iterable[str] | None = None,
                  ids: Iterable[str] | None = None) -> AnalysisSummary:
    """Analyze the stored reports that have no current record (or all with
    ``reanalyze``), only those of ``ids`` when given, and save their records; each
    save replaces the old record.  The archive's learned house-topic model
    (``tumen.engines.tagging``) is used when it has one."""
    from tumen.engines.tagging import house_model_config

    processes = default_processes() if processes is None else processes
    summary = AnalysisSummary()
    started = time.perf_counter()
    todo = list(store.reports_needing_analysis(ANALYZER_VERSION, since=since, reanalyze=reanalyze))
    if ids is not None:
        wanted = set(ids)
        todo = [r for r in todo if r.id in wanted]
    bar, task = _progress(progress, len(todo), "analyzing")
    batch: list[dict] = []
    bodies = {r.id: r.body for r in todo}
    in_this_run = set(bodies)

    def archived(province: str, day: str) -> list[dict]:
        # reports of this run are linked as they come, never through their old records
        return [r for r in store.reports_with_event(province, day, types=EVENT_TYPES) if r["id"] not in in_this_run]

    def archived_events(province: str | None, months: list[str], known=()) -> list[dict]:
        return [r for month in months for r in _events.stored_records(store, province, month, known)
                if r["id"] not in in_this_run]

    linker = DuplicateLinker(stored=archived, near=False)  # ingest decided the near-duplicates
    event_linker = _events.EventLinker(
        stored=archived_events, stored_record=lambda rid: None if rid in in_this_run else store.get_record(rid))
    given: dict[str, str] = {}  # each record's events as saved in this run
    with bar:
        for record in analyze_reports(todo, processes=processes if len(todo) > CHUNK_SIZE else 1,
                                      components=components, config=house_model_config(store)):
            body = bodies.pop(record["id"], "")
            _link(linker, record, body)
            event_linker.link(record, body, linker.relinked_to(str(record["id"])))
            annotations = event_linker.annotations(record["id"])
            _events.apply(record, annotations)
            given[record["id"]] = _events.signature(annotations)
            batch.append(record)
            summary.analyzed += 1
            if record.get("status") == "failed":
                summary.failed += 1
                summary.errors.append(f"{record['id']}: {record.get('error')}")
            if len(batch) >= SAVE_BATCH:
                store.save_records(batch)
                batch = []
            elapsed = time.perf_counter() - started
            bar.update(task, advance=1, rate=f"{summary.analyzed / elapsed:.1f} reports/s")
        if batch:
            store.save_records(batch)
    _relink(store, linker.relinks)
    _update_events(store, event_linker, given)
    summary.seconds = time.perf_counter() - started
    return summary


def _update_events(store, event_linker: "_events.EventLinker", given: dict[str, str]) -> None:
    """Rewrite the records whose events changed after they were saved: records of this run
    joined by a later one (or renamed when an earlier report came after them), and records
    of earlier runs whose events now start with a report of this run."""
    todo = [rid for rid, saved in given.items()
            if _events.signature(event_linker.annotations(rid)) != saved]
    todo += event_linker.changed_stored()
    changed = []
    for rid in todo:
        record = store.get_record(rid)
        if record is not None:
            changed.append(_events.apply(record, event_linker.annotations(rid)))
    if changed:
        store.save_records(changed)


def _relink(store, relinks: list[tuple[str, str]]) -> None:
    """Point a report met before an earlier one on the same event (another run, or out of
    date order in this one) at that earlier report, unless it is linked already."""
    changed = []
    for later, earlier in relinks:
        record = store.get_record(later)
        if record is not None and not record.get("duplicate_of"):
            record["duplicate_of"] = earlier
            changed.append(record)
    if changed:
        store.save_records(changed)
