"""Export: JSON Lines, CSV and Parquet, streamed; report exports read back with ingest."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tumen.errors import TumenError
from tumen.store.export import PARQUET_BATCH, export, read_parquet
from tumen.ingest.run import ingest
from tumen.store import open_store

FIELDS = ("id", "title", "published", "source", "url", "body")


def _snapshot(store):
    return {r.id: tuple(getattr(r, f) for f in FIELDS) + (tuple(r.tags or ()),)
            for r in store.iter_reports()}


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_export_then_ingest_gives_the_same_reports(sample_store, tmp_path, fmt):
    out = tmp_path / f"reports.{fmt}"
    n = export(sample_store, fmt, out)
    assert n == sample_store.count()
    with open_store(tmp_path / "again.db") as again:
        summary = ingest(again, [str(out)])
        assert summary.ok, summary.lines()
        assert _snapshot(again) == _snapshot(sample_store)
        # near-duplicate links are recomputed the same way
        links = {r.id: r.extra["duplicate_of"] for r in again.iter_reports()}
        assert links == {r.id: r.extra["duplicate_of"] for r in sample_store.iter_reports()}


def test_export_parquet_reads_back_equal_to_the_store(sample_store, tmp_path):
    out = tmp_path / "reports.parquet"
    assert export(sample_store, "parquet", out) == sample_store.count()
    rows = {row["id"]: row for row in read_parquet(out)}
    for report in sample_store.iter_reports():
        row = rows[report.id]
        assert tuple(row[f] for f in FIELDS) == tuple(getattr(report, f) for f in FIELDS)
        assert row["tags"] == list(report.tags or [])
        assert row["content_hash"] == report.content_hash


def test_export_parquet_writes_row_groups_in_batches(empty_store, tmp_path):
    import pyarrow.parquet as pq

    from tumen.record import Report

    n = PARQUET_BATCH * 2 + 7
    empty_store.add_reports(Report(id=f"p{i}", body=f"body number {i} " + "x " * (i % 7), title=str(i))
                            for i in range(n))
    out = tmp_path / "many.parquet"
    assert export(empty_store, "parquet", out) == n
    meta = pq.ParquetFile(out).metadata
    assert meta.num_rows == n and meta.num_row_groups == 3


def test_export_records_jsonl_is_the_spec_shape(sample_store, tmp_path):
    rid = next(iter(sample_store.iter_reports())).id
    record = {"id": rid, "title": "t", "published": None, "source": None, "url": None,
              "tags": ["a"], "places": [], "organizations": [], "laws": [], "dates": [],
              "incidents": [], "duplicate_of": None, "analyzer": "x", "status": "ok"}
    sample_store.save_records([record])
    buf = io.StringIO()
    assert export(sample_store, "jsonl", buf, records=True) == 1
    assert json.loads(buf.getvalue()) == record
    buf = io.StringIO()
    export(sample_store, "csv", buf, records=True)
    row = next(csv.DictReader(io.StringIO(buf.getvalue())))
    assert row["id"] == rid and json.loads(row["record_json"]) == record
    out = tmp_path / "records.parquet"
    assert export(sample_store, "parquet", out, records=True) == 1
    assert next(read_parquet(out))["tags"] == ["a"]


def test_export_bad_format_and_parquet_to_stdout_are_errors(sample_store):
    with pytest.raises(TumenError, match="choose one of"):
        export(sample_store, "xml")
    with pytest.raises(TumenError, match="--out"):
        export(sample_store, "parquet", None)


def test_export_reingest_does_not_carry_store_fields_into_extra(sample_store, tmp_path):
    out = tmp_path / "r.jsonl"
    export(sample_store, "jsonl", out)
    with open_store(tmp_path / "again.db") as again:
        ingest(again, [str(out)])
        for report in again.iter_reports():
            assert report.source_path == str(out)
            assert not {"content_hash", "source_path", "locator", "format"} & set(report.extra)
