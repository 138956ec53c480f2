"""Load analysis output written by the Spark engine into a store.

``load_parquet(store, path)`` reads ``records/`` Parquet (the report body and the
record exactly as the local engine serializes it), adds the reports that the store
does not hold yet, then saves every record (replacing an older record of the same
report).  Streams in batches: memory does not grow with the archive.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from tumen.errors import InputError
from tumen.record import Report

LOAD_BATCH = 256


@dataclass
class LoadSummary:
    records: int = 0
    reports_added: int = 0
    reports_known: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)


def _report_of(record: dict[str, Any], body: str | None) -> Report:
    body = body or ""
    return Report(id=record["id"], body=body, title=record.get("title"), published=record.get("published"),
                  source=record.get("source"), url=record.get("url"), format="parquet",
                  content_hash=hashlib.sha256(body.encode("utf-8")).hexdigest())


def iter_parquet_records(path: str | Path, batch_size: int = 256) -> Iterator[tuple[dict, str | None]]:
    """(record dict, body) pairs from a ``records/`` Parquet folder written by the Spark
    engine (``tumen.engines.spark``), streamed in batches with pyarrow (no Spark needed to read it back)."""
    import pyarrow.dataset as ds

    root = Path(path)
    folder = root / "records" if (root / "records").is_dir() else root
    dataset = ds.dataset(str(folder), format="parquet")
    for batch in dataset.to_batches(columns=["record_json", "body"], batch_size=batch_size):
        for record_json, body in zip(batch.column(0).to_pylist(), batch.column(1).to_pylist()):
            yield json.loads(record_json), body


def load_parquet(store, path: str | Path) -> LoadSummary:
    root = Path(path)
    if not root.exists():
        raise InputError(str(path), "no such file or folder")
    summary = LoadSummary()
    records: list[dict] = []
    reports: list[Report] = []

    def flush() -> None:
        result = store.add_reports(reports)
        summary.reports_added += result.added
        summary.reports_known += result.duplicates
        summary.failed.extend(result.failed)
        failed_ids = {where.split(" ")[0] for where, _ in result.failed}
        keep = [r for r in records if r["id"] not in failed_ids and store.get_report(r["id"]) is not None]
        summary.records += store.save_records(keep) or 0
        records.clear()
        reports.clear()

    try:
        for record, body in iter_parquet_records(root):
            records.append(record)
            reports.append(_report_of(record, body))
            if len(records) >= LOAD_BATCH:
                flush()
    except (OSError, ValueError) as exc:  # pyarrow raises ArrowInvalid (a ValueError)
        raise InputError(str(path), f"not Tumen records Parquet ({exc})") from exc
    if records:
        flush()
    return summary
