"""The Spark engine gives the local engine's records, byte for byte after sorting."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

pytestmark = [pytest.mark.spark, pytest.mark.slow]

pyspark = pytest.importorskip("pyspark")
if shutil.which("java") is None:
    pytest.skip("no Java runtime for Spark", allow_module_level=True)

from tumen.analyze import analyze_file  # noqa: E402
from tumen.engines.spark import analyze_with_spark, iter_parquet_records  # noqa: E402
from tumen.load import load_parquet  # noqa: E402
from tumen.store import open_store  # noqa: E402

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(scope="module")
def reports_file(tmp_path_factory):
    source = SHARED / "data" / "devset" / "reports.jsonl"
    if not source.exists():
        pytest.skip("../shared/data is not beside the repository")
    path = tmp_path_factory.mktemp("spark") / "reports.jsonl"
    # the first 12 devset reports in reverse order: d012 comes before d005, the earlier
    # report of the same event, so its link is found only after its record is made
    lines = source.read_text(encoding="utf-8").splitlines()[:12][::-1]
    # and one report without a publication date (its own month partition, "undated")
    reports = [json.loads(line) for line in lines]
    for report in reports:
        if report["id"] == "d003":
            report.pop("published", None)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in reports), encoding="utf-8")
    return path


PARTITIONS = 6


@pytest.fixture(scope="module")
def spark_run(reports_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("spark-out")
    counts = analyze_with_spark(str(reports_file), str(out), master="local[2]", partitions=PARTITIONS)
    return out, counts


@pytest.fixture(scope="module")
def spark_output(spark_run):
    return spark_run[0]


def test_pipeline_built_once_per_python_worker(spark_run):
    """Six partitions on local[2]: the two reused Python workers build one pipeline each
    (the accumulator counts builds), not one per partition."""
    _, counts = spark_run
    assert counts["reports"] == 12 and counts["failed"] == 0
    assert 1 <= counts["pipelines_built"] <= 2 < PARTITIONS


def test_output_partitioned_by_publication_month(reports_file, spark_output):
    import pyarrow.dataset as ds

    published = {}
    for line in reports_file.read_text(encoding="utf-8").splitlines():
        report = json.loads(line)
        published[report["id"]] = report.get("published")
    expected = {rid: (p[:7] if p else "undated") for rid, p in published.items()}
    assert "undated" in expected.values()
    for table in ("records", "incidents", "mentions"):
        folders = {p.name for p in (spark_output / table).iterdir() if p.is_dir()}
        assert folders and all(name.startswith("month=") for name in folders)
    records = ds.dataset(str(spark_output / "records"), format="parquet", partitioning="hive").to_table()
    months = dict(zip(records.column("id").to_pylist(), records.column("month").to_pylist()))
    assert months == expected


def test_spark_records_equal_local_records(reports_file, spark_output):
    local = io.StringIO()
    analyze_file(reports_file, local, progress=False)
    local_lines = sorted(local.getvalue().splitlines())
    spark_records = [record for record, _ in iter_parquet_records(spark_output)]
    spark_lines = sorted(json.dumps(record, ensure_ascii=False) for record in spark_records)
    assert spark_lines == local_lines
    # duplicate links are part of the analysis on Spark too (the driver's linking pass):
    # the first 12 devset reports hold one pair of outlets' reports on the same event
    assert [(r["id"], r["duplicate_of"]) for r in spark_records if r["duplicate_of"]] == [("d012", "d005")]


def test_spark_writes_nested_and_flat_tables(spark_output):
    import pyarrow.dataset as ds

    records = ds.dataset(str(spark_output / "records"), format="parquet").to_table()
    assert records.num_rows == 12
    assert {"places", "organizations", "laws", "dates", "incidents", "tags"} <= set(records.column_names)
    incidents = ds.dataset(str(spark_output / "incidents"), format="parquet").to_table()
    mentions = ds.dataset(str(spark_output / "mentions"), format="parquet").to_table()
    nested_incidents = sum(len(x or []) for x in records.column("incidents").to_pylist())
    assert incidents.num_rows == nested_incidents
    assert set(mentions.column("kind").to_pylist()) <= {"place", "organization", "law", "date"}
    bodies = dict(zip(records.column("id").to_pylist(), records.column("body").to_pylist()))
    for row in mentions.to_pylist():
        assert bodies[row["report_id"]][row["start"]:row["end"]] == row["text"]


def test_load_spark_output_into_store(spark_output, tmp_path):
    with open_store(tmp_path / "loaded.db") as store:
        summary = load_parquet(store, spark_output)
        assert summary.records == 12 and summary.reports_added == 12 and not summary.failed
        for record, _ in iter_parquet_records(spark_output):
            stored = store.get_record(record["id"])
            assert stored is not None and stored["incidents"] == record["incidents"]
        again = load_parquet(store, spark_output)
        assert again.reports_added == 0 and store.count() == 12
