"""Ingest: read files (any supported format), normalize, store in atomic batches.

``ingest(store, paths)`` streams: reports are read one at a time by the source readers,
normalized, and written ``BATCH_SIZE`` at a time, so memory stays flat however large the
input.  Exact duplicates are skipped, near-duplicates stored and linked (see
``tumen.ingest.dedup``), and every item that cannot be read is listed with its file and reason
while the rest of the batch goes in.

Headline-only items (a title and no body, as in the KCNA headlines corpus) have nothing
to analyze or cite: they are counted as ``skipped``, not stored and not failures.

A report without a publication date is stored all the same (its relative dates cannot
be resolved, which its record flags): the summary warns once per file, and
``published`` (``--published YYYY-MM-DD``) dates the reports that carry no date.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tumen.errors import InputError, TumenError
from tumen.ingest.sources import TITLE_ONLY  # the readers' reason for a title-only item: skipped
from tumen.record import RawReport, Report
from tumen.store import BATCH_SIZE, IngestResult, Store

# Files named one by one in the warnings about undated reports.
MAX_WARNING_LINES = 20


@dataclass
class IngestSummary:
    """Totals of one ingest run, and every failure as ``(where, reason)``."""

    read: int = 0
    result: IngestResult = field(default_factory=IngestResult)
    seconds: float = 0.0
    # file -> how many of its reports carry no publication date
    undated: dict[str, int] = field(default_factory=dict)
    # ids of reports stored undated earlier that this run's --published dated
    dated: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[tuple[str, str]]:
        return self.result.failed

    @property
    def ok(self) -> bool:
        return not self.result.failed

    def rate(self) -> float:
        return self.read / self.seconds if self.seconds > 0 else 0.0

    def lines(self) -> list[str]:
        """The human summary: counts first, then one line per failure."""
        r = self.result
        if r.added == 0 and not r.failed and self.read:
            head = (f"nothing new: all {self.read - r.skipped} reports are already stored"
                    + (f" ({r.skipped} without a body skipped)" if r.skipped else ""))
        else:
            head = (f"added {r.added}, duplicates {r.duplicates}, near-duplicates "
                    f"{r.near_duplicates}, failed {r.failed.total}"
                    + (f", skipped {r.skipped} without a body" if r.skipped else "")
                    + (f", renamed {len(r.renamed)} (id taken by a different body: stored as "
                       f"ID~HASH, e.g. {r.renamed[0][1]})" if r.renamed else ""))
        head += f" ({self.read} read in {self.seconds:.1f} s, {self.rate():.0f}/s)"
        if self.dated:
            head += (f"; dated {len(self.dated)} stored undated report{'s' if len(self.dated) > 1 else ''}"
                     " (run 'tumen analyze' to redo their records)")
        more = r.failed.more_line()
        return ([head] + [f"failed: {_one_line(where)}: {_one_line(reason)}" for where, reason in r.failed]
                + ([more] if more else []))

    def warnings(self, most: int = MAX_WARNING_LINES) -> list[str]:
        """One line per file with reports stored without a publication date (the first
        ``most`` files, then one line counting the rest)."""
        out = []
        for where, n in list(self.undated.items())[:most]:
            what = "no publication date" if n == 1 else f"{n} reports without a publication date"
            out.append(f"warning: {_one_line(where)}: {what}; stored undated, relative dates "
                       "left unresolved (give one with --published YYYY-MM-DD)")
        if len(self.undated) > most:
            rest = list(self.undated.values())[most:]
            out.append(f"warning: {len(rest)} more files with {sum(rest)} reports without a "
                       "publication date")
        return out

    def to_dict(self) -> dict:
        r = self.result
        return {"read": self.read, "added": r.added, "duplicates": r.duplicates,
                "near_duplicates": r.near_duplicates, "skipped": r.skipped,
                "renamed": [{"id": a, "stored_as": b} for a, b in r.renamed],
                "failed": [{"where": w, "reason": why} for w, why in r.failed],
                "undated": dict(self.undated), "dated": list(self.dated),
                "failed_total": r.failed.total,
                "seconds": round(self.seconds, 3)}


# Control characters (a newline in a file name...) shown escaped: one failure, one line.
_CONTROL = {c: f"\\x{c:02x}" for c in (*range(32), 127)} | {10: "\\n", 13: "\\r", 9: "\\t"}


def _one_line(text: str) -> str:
    return text.translate(_CONTROL)


def _where(raw: RawReport | Report) -> str:
    where = raw.source_path or "-"
    return f"{where} ({raw.locator})" if raw.locator else where


def read_reports(paths: Iterable[str | Path], *, title_line: bool = True,
                 field_map: dict[str, str] | None = None, format: str | None = None,
                 published: str | None = None) -> Iterator[Report | InputError | RawReport]:
    """Normalized reports from ``paths``; an ``InputError`` for each unreadable item;
    the ``RawReport`` itself for an item with no body (to be counted as skipped).
    ``published`` dates the reports that carry no date of their own."""
    from tumen.ingest.normalize import normalize
    from tumen.ingest.sources import read_path, shown_path

    for path in paths:
        try:
            for item in read_path(path, title_line=title_line, field_map=field_map, format=format):
                if isinstance(item, InputError):
                    yield item
                elif not (item.body or "").strip():
                    yield item
                else:
                    try:
                        yield normalize(item, default_published=published)
                    except TumenError as exc:  # the place once: normalize names it too
                        yield InputError(_where(item), exc.reason if isinstance(exc, InputError) else str(exc))
        except InputError as exc:
            yield exc
        except OSError as exc:
            yield InputError(shown_path(path), exc.strerror or str(exc))


def parse_field_map(text: str | None) -> dict[str, str] | None:
    """``--map title=headline,body=text`` -> ``{"title": "headline", "body": "text"}``."""
    if not text:
        return None
    mapping = {}
    for part in text.split(","):
        if "=" not in part:
            raise InputError("--map", f"{part!r} is not field=column (e.g. title=headline)")
        key, value = (s.strip() for s in part.split("=", 1))
        if not key or not value:
            raise InputError("--map", f"{part!r} is not field=column (e.g. title=headline)")
        mapping[key] = value
    return mapping


def _progress():
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    return Progress(SpinnerColumn(), TextColumn("{task.description}"),
                    TextColumn("{task.completed} read"),
                    TextColumn("{task.fields[rate]:.0f}/s"), TimeElapsedColumn(),
                    console=Console(stderr=True), transient=False)


# Batches the reader process may run ahead of the writer (bounds memory: each batch is
# BATCH_SIZE reports with their bytes and fingerprints, a few MB).
QUEUE_BATCHES = 4
# Seconds between checks that the other side of the pipeline is still alive.
_POLL = 0.5


def _put(queue, message, parent: int) -> None:
    """Put, but give up when the writer is gone (killed): never block an orphan."""
    import queue as queue_mod

    while True:
        try:
            queue.put(message, timeout=_POLL)
            return
        except queue_mod.Full:
            if os.getppid() != parent:
                os._exit(1)


def _reader_process(paths, title_line, field_map, format, published, batch_size, queue, parent) -> None:
    """Read, normalize and fingerprint in a second process; send batches of
    ("report", Report with its ``signature``) / ("error", where, reason) / ("skip",)."""
    from tumen.engines.procs import die_with_parent

    die_with_parent(parent)
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the writer handles Ctrl-C
        for batch in _messages_serial(paths, title_line, field_map, format, published, batch_size,
                                      sign=True):
            _put(queue, batch, parent)
        _put(queue, None, parent)
    except BaseException as exc:  # reported to the writer, then re-raised there
        _put(queue, ("fatal", f"{type(exc).__name__}: {exc}"), parent)


def _error_message(item: InputError) -> tuple:
    if item.reason.endswith(TITLE_ONLY):
        return ("skip",)
    where = f"{item.path}:{item.line}" if item.line is not None else item.path
    return ("error", where, item.reason)


def _messages_parallel(paths, title_line, field_map, format, published, batch_size) -> Iterator[list[tuple]]:
    import multiprocessing
    import queue as queue_mod

    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue(maxsize=QUEUE_BATCHES)
    proc = ctx.Process(target=_reader_process, daemon=True,
                       args=(list(map(str, paths)), title_line, field_map, format, published, batch_size,
                             queue, os.getpid()))
    proc.start()
    try:
        while True:
            try:
                message = queue.get(timeout=_POLL)
            except queue_mod.Empty:
                if not proc.is_alive():
                    raise TumenError("the reader process stopped unexpectedly") from None
                continue
            if message is None:
                return
            if isinstance(message, tuple) and message[0] == "fatal":
                raise TumenError(f"reading failed: {message[1]}")
            yield message
    finally:
        if proc.is_alive():
            proc.terminate()
        proc.join(timeout=5)
        queue.close()


def _messages_serial(paths, title_line, field_map, format, published, batch_size, *,
                     sign: bool = False) -> Iterator[list[tuple]]:
    """Batches of messages read in this process; ``sign``: each report carries its
    MinHash ``signature`` (the reader process computes them, off the writer's core)."""
    from tumen.ingest import dedup

    batch: list[tuple] = []
    for item in read_reports(paths, title_line=title_line, field_map=field_map, format=format,
                             published=published):
        if isinstance(item, Report):
            if sign:
                item.signature = dedup.sign(item.body)
            batch.append(("report", item))
        elif isinstance(item, InputError):
            batch.append(_error_message(item))
        else:
            batch.append(("skip",))
        if len(batch) >= batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


def ingest(store: Store, paths: Iterable[str | Path], *, title_line: bool = True,
           field_map: dict[str, str] | None = None, format: str | None = None,
           progress: bool = False, batch_size: int = BATCH_SIZE,
           parallel: bool | None = None, published: str | None = None) -> IngestSummary:
    """Read, normalize and store every report under ``paths``; returns the summary.
    ``published`` (ISO day) dates the reports that carry no publication date.
    Each batch of ``batch_size`` reports is one transaction.  With ``parallel`` (the
    default on a machine with 2+ cores) reading, normalizing and fingerprinting run in a
    second process while this one writes."""
    paths = list(paths)
    if parallel is None:
        parallel = (os.cpu_count() or 1) > 1
    if any(str(p) == "-" for p in paths):
        parallel = False  # standard input belongs to this process
    summary = IngestSummary()
    started = time.perf_counter()
    source = _messages_parallel if parallel else _messages_serial
    messages = source(paths, title_line, field_map, format, published, batch_size)
    bar = _progress() if progress else None
    task = bar.add_task("ingesting", total=None, rate=0.0) if bar else None
    try:
        if bar is not None:
            bar.start()
        for batch in messages:
            reports = []
            for message in batch:
                summary.read += 1
                if message[0] == "report":
                    reports.append(message[1])
                    if not message[1].published:
                        where = message[1].source_path or "-"
                        summary.undated[where] = summary.undated.get(where, 0) + 1
                elif message[0] == "error":
                    summary.result.failed.append((message[1], message[2]))
                else:
                    summary.result.skipped += 1
            if reports:
                summary.result.merge(store.add_reports(reports, batch_size=batch_size))
                if published:  # an undated report stored before, ingested again with a date
                    summary.dated += store.date_undated(
                        [r.id for r in reports if r.extra.get("published_given")], published)
            if bar is not None:
                elapsed = time.perf_counter() - started
                r = summary.result
                bar.update(task, completed=summary.read, rate=summary.read / elapsed if elapsed else 0,
                           description=f"added {r.added} · duplicates {r.duplicates} · "
                                       f"near {r.near_duplicates} · failed {r.failed.total}")
    finally:
        close = getattr(messages, "close", None)
        if close is not None:
            close()
        if bar is not None:
            bar.stop()
        summary.seconds = time.perf_counter() - started
    return summary


SAMPLES_DIR = Path(__file__).resolve().parents[1] / "samples"


def sample_paths() -> list[Path]:
    """The bundled sample reports (plain text with Published:/Source:/URL: headers)."""
    return sorted(p for p in SAMPLES_DIR.glob("*.txt") if p.is_file())


def run_demo(db: str | Path, *, progress: bool = False) -> dict:
    """``tumen demo``: a fresh store at ``db`` (replaced) with the bundled samples,
    analyzed when the analysis is installed; returns what the demo prints."""
    from tumen.store import open_store

    db = Path(db)
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    out: dict = {"db": str(db), "analysis": None, "analysis_note": None}
    with open_store(db) as store:
        out["ingest"] = ingest(store, [str(p) for p in sample_paths()], progress=progress)
        try:
            from tumen.engines.local import analyze_store
        except ImportError as exc:
            out["analysis_note"] = f"analysis skipped: {exc}"
        else:
            out["analysis"] = analyze_store(store, progress=progress)
        out["stats"] = store.stats()
        first = next(iter(store.iter_reports()), None)
        out["example_id"] = first.id if first else None
    return out
