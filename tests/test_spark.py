"""The Spark engine gives the local engine's records, byte for byte after sorting."""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = [pytest.mark.spark, pytest.mark.slow]

pyspark = pytest.importorskip("pyspark")
if shutil.which("java") is None:
    pytest.skip("no Java runtime for Spark", allow_module_level=True)

from tumen.engines.local import analyze_file  # noqa: E402
from tumen.engines.spark import analyze_with_spark  # noqa: E402
from tumen.store.load import iter_parquet_records  # noqa: E402
from tumen.store.load import load_parquet  # noqa: E402
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


@pytest.fixture(scope="module")
def local_lines(reports_file):
    local = io.StringIO()
    analyze_file(reports_file, local, progress=False)
    return sorted(local.getvalue().splitlines())


def test_spark_records_equal_local_records(local_lines, spark_output):
    spark_records = [record for record, _ in iter_parquet_records(spark_output)]
    spark_lines = sorted(json.dumps(record, ensure_ascii=False) for record in spark_records)
    assert spark_lines == local_lines
    # duplicate links are part of the analysis on Spark too (the driver's linking pass):
    # the first 12 devset reports hold one pair of outlets' reports on the same event
    assert [(r["id"], r["duplicate_of"]) for r in spark_records if r["duplicate_of"]] == [("d012", "d005")]
    # and so are the events: the two reports' arrest is one event, named after d005's
    events = {r["id"]: {i["event"] for i in r["incidents"]} for r in spark_records}
    assert events["d005"] & events["d012"]
    assert all(e.startswith("d005#") for e in events["d005"] & events["d012"])


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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _alive_workers(webui: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{webui}/json/", timeout=5) as response:
            state = json.load(response)
    except OSError:
        return 0
    return sum(1 for worker in state.get("workers", []) if worker.get("state") == "ALIVE")


@pytest.fixture
def standalone_cluster(tmp_path):
    """A Spark standalone master and two one-core workers on 127.0.0.1, started from
    pyspark's own ``spark-class``; yields the ``spark://`` URL, stops them after."""
    import tumen

    spark_home = Path(pyspark.__file__).parent
    spark_class = spark_home / "bin" / "spark-class"
    env = dict(os.environ, SPARK_HOME=str(spark_home), SPARK_LOCAL_IP="127.0.0.1",
               SPARK_LOCAL_DIRS=str(tmp_path / "local"), PYSPARK_PYTHON=sys.executable,
               PYTHONPATH=os.pathsep.join(filter(None, [str(Path(tumen.__file__).parents[1]),
                                                         os.environ.get("PYTHONPATH")])))
    port, webui = _free_port(), _free_port()
    url = f"spark://127.0.0.1:{port}"
    processes = []

    def start(name: str, *args: str) -> None:
        log = (tmp_path / f"{name}.log").open("w")
        processes.append(subprocess.Popen([str(spark_class), *args], env=env, stdout=log,
                                          stderr=subprocess.STDOUT, cwd=tmp_path))

    try:
        start("master", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
              "--port", str(port), "--webui-port", str(webui))
        for n in (1, 2):
            (tmp_path / f"work{n}").mkdir()
            start(f"worker{n}", "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1",
                  "--cores", "1", "--memory", "1500m", "--webui-port", str(_free_port()),
                  "--work-dir", str(tmp_path / f"work{n}"), url)
        deadline = time.monotonic() + 300
        while _alive_workers(webui) < 2:
            if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
                logs = "\n".join(f.read_text()[-2000:] for f in sorted(tmp_path.glob("*.log")))
                pytest.fail(f"the standalone cluster did not come up:\n{logs}")
            time.sleep(1)
        yield url
    finally:
        for process in reversed(processes):  # workers first, then the master
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_standalone_cluster_records_equal_local_records(reports_file, local_lines, standalone_cluster,
                                                        tmp_path):
    """The same job on a real standalone cluster (a master and two workers, spark://):
    the same records as the local engine, one pipeline per executor Python worker."""
    out = tmp_path / "cluster-out"
    counts = analyze_with_spark(str(reports_file), str(out), master=standalone_cluster,
                                partitions=PARTITIONS)
    assert counts["reports"] == 12 and counts["failed"] == 0
    assert 1 <= counts["pipelines_built"] <= 2
    cluster_lines = sorted(json.dumps(record, ensure_ascii=False) for record, _ in iter_parquet_records(out))
    assert cluster_lines == local_lines


def test_links_written_into_record_json():
    """The relink sets the record's ``duplicate_of`` and nothing else: ids with quotes,
    backslashes, ``$`` and accents; a quoted ``"duplicate_of": null`` inside a text left
    alone; a record that already names an earlier report keeps it."""
    from tumen.engines.spark import _with_links, spark_session

    records = [{"id": "r1", "title": 'a note reading "duplicate_of": null', "duplicate_of": None},
               {"id": "r2", "title": None, "duplicate_of": "r0"},
               {"id": "r3", "title": "unlinked", "duplicate_of": None}]
    links = {"r1": 'odd $1 "id" \\ é', "r2": "r9"}
    spark = spark_session("local[1]")
    try:
        frame = spark.createDataFrame(
            [(r["id"], r["duplicate_of"], json.dumps(r, ensure_ascii=False)) for r in records],
            "id string, duplicate_of string, record_json string")
        out = {row["id"]: row for row in _with_links(spark, frame, (links, {})).collect()}
    finally:
        spark.stop()
    for record in records:
        expected = dict(record, duplicate_of=record["duplicate_of"] or links.get(record["id"]))
        assert out[record["id"]]["record_json"] == json.dumps(expected, ensure_ascii=False)
    assert out["r1"]["duplicate_of"] == links["r1"] and out["r3"]["duplicate_of"] is None
