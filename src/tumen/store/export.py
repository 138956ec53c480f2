"""Export the store as JSON Lines, CSV or Parquet, streaming.

Reports are read from the store in pages and written as they come (Parquet through a
``ParquetWriter`` in row groups of ``PARQUET_BATCH``), so memory does not grow with the
store.  A report export reads back with ``tumen ingest`` (JSON Lines, CSV: the columns
are the input fields ``id, title, published, source, url, language, tags, body``) and
gives the same reports; ``--records`` exports the analysis records instead (JSON Lines:
exactly the ``shared/spec/record.md`` shape; CSV/Parquet: one flat row per record with
the full record as ``record_json``).

Every CSV file Tumen writes (``tumen export --format csv`` and the web's
``/api/export.csv``) goes through ``SafeCSVWriter``: a text cell that a spreadsheet
would run as a formula (it starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return) gets a leading ``'`` (OWASP's CSV-injection rule), so such a cell reads back
with that quote; JSON Lines and Parquet keep every value as it is.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from tumen.errors import TumenError
from tumen.store import Store

FORMATS = ("jsonl", "csv", "parquet")
# Rows per Parquet row group: large enough for good compression, small enough that
# a batch of long reports stays a few MB in memory.
PARQUET_BATCH = 1000

REPORT_FIELDS = ("id", "title", "published", "source", "url", "language", "tags", "body",
                 "duplicate_of", "status", "ingested_at", "source_path", "locator", "format",
                 "content_hash")
RECORD_FIELDS = ("id", "title", "published", "source", "url", "tags", "places",
                 "organizations", "laws", "incident_types", "duplicate_of", "analyzer",
                 "status", "record_json")
_LIST_FIELDS = ("tags", "places", "organizations", "laws", "incident_types")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """``value`` made inert for spreadsheets: text starting like a formula gets a ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeCSVWriter(csv.DictWriter):
    """``csv.DictWriter`` that passes every cell through ``csv_cell``."""

    def writerow(self, rowdict: Any) -> Any:
        return super().writerow({k: csv_cell(v) for k, v in rowdict.items()})

    def writerows(self, rowdicts: Any) -> None:
        for row in rowdicts:
            self.writerow(row)


def _report_row(report: Any) -> dict[str, Any]:
    extra = report.extra or {}
    return {"id": report.id, "title": report.title, "published": report.published,
            "source": report.source, "url": report.url, "language": report.language,
            "tags": list(report.tags or []), "body": report.body,
            "duplicate_of": extra.get("duplicate_of"), "status": extra.get("status"),
            "ingested_at": extra.get("ingested_at"), "source_path": report.source_path,
            "locator": report.locator, "format": report.format,
            "content_hash": report.content_hash}


def _record_row(record: dict) -> dict[str, Any]:
    return {"id": record.get("id"), "title": record.get("title"),
            "published": record.get("published"), "source": record.get("source"),
            "url": record.get("url"), "tags": list(record.get("tags") or []),
            "places": [p.get("name") for p in record.get("places") or []],
            "organizations": [o.get("name") for o in record.get("organizations") or []],
            "laws": [x.get("name") for x in record.get("laws") or []],
            "incident_types": [i.get("type") for i in record.get("incidents") or []],
            "duplicate_of": record.get("duplicate_of"), "analyzer": record.get("analyzer"),
            "status": record.get("status"),
            "record_json": json.dumps(record, ensure_ascii=False)}


def corrected_records(store: Store) -> Iterator[dict]:
    """Every stored record with its editors' corrections applied exactly as the web
    applies them (``corrections.apply_corrections``); a record nobody corrected is
    exported as the analyzer wrote it."""
    return store.corrected_records()


def _rows(store: Store, records: bool) -> Iterator[dict[str, Any]]:
    if records:
        for record in corrected_records(store):
            yield _record_row(record)
    else:
        for report in store.iter_reports():
            yield _report_row(report)


@contextmanager
def _text_out(out: str | Path | IO[str] | None) -> Iterator[IO[str]]:
    if out is None or out == "-":
        yield sys.stdout
    elif isinstance(out, (str, Path)):
        with open(out, "w", encoding="utf-8", newline="") as fh:
            yield fh
    else:
        yield out


def _write_jsonl(store: Store, fh: IO[str], records: bool) -> int:
    n = 0
    if records:
        for record in corrected_records(store):
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
            n += 1
        return n
    for row in _rows(store, False):
        fh.write(json.dumps({k: v for k, v in row.items() if v not in (None, [])},
                            ensure_ascii=False) + "\n")
        n += 1
    return n


def _write_csv(store: Store, fh: IO[str], records: bool) -> int:
    fields = RECORD_FIELDS if records else REPORT_FIELDS
    writer = SafeCSVWriter(fh, fieldnames=fields)
    writer.writeheader()
    n = 0
    for row in _rows(store, records):
        for key in _LIST_FIELDS:
            if key in row:
                row[key] = "; ".join(row[key])
        writer.writerow(row)
        n += 1
    return n


def parquet_schema(records: bool):
    import pyarrow as pa

    fields = RECORD_FIELDS if records else REPORT_FIELDS
    return pa.schema([(f, pa.list_(pa.string()) if f in _LIST_FIELDS else pa.string())
                      for f in fields])


def _write_parquet(store: Store, out: str | Path | IO[bytes], records: bool) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = parquet_schema(records)
    names = schema.names
    n = 0
    with pq.ParquetWriter(out, schema, compression="zstd") as writer:
        batch: list[dict[str, Any]] = []

        def flush() -> None:
            if batch:
                columns = {name: [row.get(name) for row in batch] for name in names}
                writer.write_table(pa.table(columns, schema=schema))
                batch.clear()

        for row in _rows(store, records):
            batch.append(row)
            n += 1
            if len(batch) >= PARQUET_BATCH:
                flush()
        flush()
    return n


def export(store: Store, format: str = "jsonl", out: str | Path | IO | None = None, *,
           records: bool = False) -> int:
    """Write every report (or record) to ``out`` (a path, a file object, or stdout for
    ``None``/``-``); returns how many rows were written."""
    if format not in FORMATS:
        raise TumenError(f"--format {format!r}: choose one of {', '.join(FORMATS)}")
    if format == "parquet":
        if out is None or out == "-":
            raise TumenError("Parquet is binary: give --out FILE.parquet")
        if isinstance(out, Path):
            out = str(out)
        return _write_parquet(store, out, records)
    with _text_out(out) as fh:
        if format == "jsonl":
            return _write_jsonl(store, fh, records)
        return _write_csv(store, fh, records)


def read_parquet(path: str | Path, batch_size: int = PARQUET_BATCH) -> Iterator[dict[str, Any]]:
    """Rows of a Parquet export, streamed batch by batch (for checks and round trips)."""
    import pyarrow.parquet as pq

    with pq.ParquetFile(str(path)) as pf:
        for batch in pf.iter_batches(batch_size=batch_size):
            yield from batch.to_pylist()


__all__ = ["FORMATS", "export", "read_parquet", "parquet_schema"]
