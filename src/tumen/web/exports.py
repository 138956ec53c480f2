"""Downloads of the filtered incidents table: CSV, JSON Lines, Parquet.

The rows are exactly those of ``/incidents`` for the same filter and sort, every page.
CSV (through ``export.SafeCSVWriter``: formula-like cells get a leading ``'``) and
JSON Lines stream; Parquet (a columnar file) is written in memory by pyarrow.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

from fastapi.responses import Response, StreamingResponse

from tumen.store.export import SafeCSVWriter
from tumen.web.db import WebDB
from tumen.web.params import State

FORMATS = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson",
           "parquet": "application/vnd.apache.parquet"}
EXPORT_COLUMNS = ("report_id", "key", "type", "date", "date_precision", "place", "province",
                  "actor", "target", "penalty", "evidence_text", "evidence_start",
                  "evidence_end", "corrected", "published", "source", "title")


def export_rows(db: WebDB, state: State) -> Iterator[dict[str, Any]]:
    for row in db.reader.iter_incidents(state.filters, state.sort, state.order == "desc"):
        row["corrected"] = bool(row["corrected"])
        yield {name: row[name] for name in EXPORT_COLUMNS}


def _csv(rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    buf = io.StringIO()
    writer = SafeCSVWriter(buf, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for k, row in enumerate(rows):
        writer.writerow(row)
        if k % 500 == 499:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def _jsonl(rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    for row in rows:
        yield json.dumps(row, ensure_ascii=False) + "\n"


def to_parquet(rows: list[dict[str, Any]]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([(name, pa.bool_() if name == "corrected" else
                         pa.int64() if name in ("evidence_start", "evidence_end") else pa.string())
                        for name in EXPORT_COLUMNS])
    table = pa.Table.from_pylist(rows, schema=schema)
    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue()


def export_response(db: WebDB, state: State, fmt: str) -> Response:
    filename = f"tumen-incidents.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    rows = list(export_rows(db, state))  # read now: errors become a 400, not a broken stream
    if fmt == "csv":
        return StreamingResponse(_csv(iter(rows)), media_type=FORMATS[fmt], headers=headers)
    if fmt == "jsonl":
        return StreamingResponse(_jsonl(iter(rows)), media_type=FORMATS[fmt], headers=headers)
    return Response(to_parquet(rows), media_type=FORMATS[fmt], headers=headers)
