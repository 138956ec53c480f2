"""Every command of README.md's "Using it" section, run as written (in a shell, from a
folder holding the inputs it names) against the demo store (`tumen demo` builds it as
archive.db), and checked for what the README says it gives.  A README line that no
check here covers fails the test, so the README cannot promise a command nobody ran."""

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

from tumen.ingest.run import sample_paths

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow

SHOWN_ID = "r-0f619456c250a549"  # the README's `tumen show` example: a bundled sample


def readme_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Using it", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    return [line.strip() for line in block.splitlines() if line.strip().startswith("tumen ")]


def _write_inputs(folder: Path) -> None:
    """The files the README's commands name, with text of our own."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    (folder / "reports").mkdir()
    (folder / "reports" / "kanggye-curfew.txt").write_text(
        "Curfew set for Kanggye factory districts\n\n"
        "Published: 2025-02-03\n\n"
        "The city security department in Kanggye, Chagang Province, has ordered a night "
        "curfew in the factory districts since Jan. 20, a source in the province said.\n",
        encoding="utf-8")
    (folder / "feed.xml").write_text(
        """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Border notes</title><link>https://example.org/</link>
<description>notes</description>
<item><title>Hoeryong traders fined at the market</title><link>https://example.org/n/1</link>
<pubDate>Tue, 04 Feb 2025 09:00:00 +0000</pubDate>
<description>Market managers in Hoeryong fined several traders this week for selling grain
outside the state shops, a source in North Hamgyong Province said.</description></item>
</channel></rss>""", encoding="utf-8")
    page = ("<html lang='en'><head><title>Wonsan brigades sent to the farms</title></head><body>"
            "<article><h1>Wonsan brigades sent to the farms</h1><p>Office workers in Wonsan, "
            "Kangwon Province, were sent to cooperative farms for the rice transplanting this "
            "month, residents said.</p><p>The mobilization is to last until the end of May, "
            "and absence is punished with extra labor.</p></article></body></html>").encode()
    with open(folder / "crawl.warc.gz", "wb") as out:
        writer = WARCWriter(out, gzip=True)
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")],
                                   protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(
            "https://example.org/w/wonsan", "response", payload=io.BytesIO(page),
            http_headers=headers))
    samples = sample_paths()[:2]
    with open(folder / "reports.jsonl", "w", encoding="utf-8") as fh, \
            open(folder / "docs.jsonl", "w", encoding="utf-8") as docs:
        for path in samples:
            title, _, body = path.read_text(encoding="utf-8").partition("\n")
            fh.write(json.dumps({"id": path.stem, "title": title, "body": body.strip()}) + "\n")
            docs.write(json.dumps({"id": path.stem, "body": body.strip()}) + "\n")


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("readme")
    bin_dir = folder / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "tumen"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m tumen "$@"\n')
    wrapper.chmod(0o755)
    _write_inputs(folder)
    proc = _sh(folder, "tumen demo --db archive.db --quiet")
    assert proc.returncode == 0, proc.stderr
    return folder


def _env(folder: Path) -> dict[str, str]:
    return {"PATH": f"{folder / 'bin'}:/usr/bin:/bin", "PYTHONPATH": str(ROOT / "src"),
            "HOME": str(folder), "COLUMNS": "120", "TUMEN_PASSWORD": "readme-example-pw"}


def _sh(folder: Path, line: str, timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", line], cwd=folder, env=_env(folder), text=True,
                          capture_output=True, timeout=timeout)


def _ok(folder: Path, line: str) -> subprocess.CompletedProcess:
    proc = _sh(folder, line)
    assert proc.returncode == 0, f"{line}\n{proc.stderr}"
    assert "Traceback" not in proc.stderr
    return proc


def _store(folder: Path):
    from tumen.store import open_store

    return open_store(folder / "archive.db")


def _hits(out: str) -> list[str]:
    return [line.split()[0] for line in out.splitlines() if line.startswith("r-")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_readme_usage_commands_run_on_the_demo_store(workdir):
    covered: set[str] = set()
    lines = readme_commands()

    def line(start: str) -> str:
        found = [x for x in lines if x.startswith(start)]
        assert len(found) == 1, f"README usage: expected one line starting {start!r}"
        covered.add(found[0])
        return found[0]

    with _store(workdir) as store:
        demo_reports = store.count()
        assert demo_reports == len(sample_paths())

    proc = _ok(workdir, line("tumen ingest reports/ feed.xml crawl.warc.gz"))
    assert "added 3," in proc.stderr
    proc = _ok(workdir, line("tumen analyze --db archive.db"))
    assert "analyzed 3 reports" in proc.stderr and "failed 0" in proc.stderr

    proc = _ok(workdir, line("tumen search 'smuggl* AND hyesan'"))
    assert SHOWN_ID in _hits(proc.stdout)
    proc = _ok(workdir, line("tumen search --type arrest"))
    hits = _hits(proc.stdout)
    assert hits and SHOWN_ID in hits

    proc = _ok(workdir, line(f"tumen show {SHOWN_ID}"))
    assert "incidents" in proc.stdout and "arrest" in proc.stdout and "Kimhyongjik" in proc.stdout

    proc = _ok(workdir, line("tumen stats"))
    assert f"{demo_reports + 3} reports" in proc.stdout and "incidents by type" in proc.stdout

    _ok(workdir, line("tumen export --format parquet --out archive.parquet"))
    from tumen.store.export import read_parquet

    assert len(list(read_parquet(workdir / "archive.parquet"))) == demo_reports + 3
    _ok(workdir, line("tumen export --records"))
    records = [json.loads(x) for x in (workdir / "records.jsonl").read_text().splitlines()]
    assert len(records) == demo_reports + 3 and all("incidents" in r for r in records)

    serve = line("tumen serve --db archive.db")
    port = _free_port()
    server = subprocess.Popen(["bash", "-c", f"exec {serve.split('#')[0]} --port {port}"],
                              cwd=workdir, env=_env(workdir), stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/reports/{SHOWN_ID}",
                                            timeout=5) as response:
                    page = json.loads(response.read())
                break
            except OSError:
                assert server.poll() is None, server.stderr.read()
                time.sleep(0.5)
        else:
            pytest.fail("tumen serve did not answer")
        assert page["report"]["id"] == SHOWN_ID and page["record"]["incidents"]
    finally:
        server.terminate()
        server.wait(timeout=30)

    os.remove(workdir / "records.jsonl")
    _ok(workdir, line("tumen analyze reports.jsonl --format jsonl"))
    records = [json.loads(x) for x in (workdir / "records.jsonl").read_text().splitlines()]
    assert [r["id"] for r in records] == [p.stem for p in sample_paths()[:2]]
    assert all(r["places"] and "incidents" in r for r in records)

    tag = line("tumen tag docs.jsonl --top 10 [--semantic | --keywords]").split("#")[0]
    variants = [tag.replace(" [--semantic | --keywords]", ""),
                tag.replace("[--semantic | --keywords]", "--keywords")]
    try:
        import sentence_transformers  # noqa: F401
        variants.append(tag.replace("[--semantic | --keywords]", "--semantic"))
    except ImportError:  # the 'semantic' extra is not installed here
        pass
    for variant in variants:
        rows = [json.loads(x) for x in _ok(workdir, variant).stdout.splitlines()]
        assert len(rows) == 2 and all(0 < len(r["keyphrases"]) <= 10 for r in rows), variant

    proc = _ok(workdir, line("tumen user add alice --role editor"))
    assert "added alice (editor)" in proc.stderr
    proc = _ok(workdir, line("tumen backup archive-copy.db"))
    assert (workdir / "archive-copy.db").is_file()
    with _store(workdir) as store:
        count = store.count()
    from tumen.store import open_store

    with open_store(workdir / "archive-copy.db") as copy:
        assert copy.count() == count
    proc = _ok(workdir, line("tumen check --db archive.db"))

    proc = _ok(workdir, line("tumen --version"))
    assert proc.stdout.startswith("tumen ")

    # migrate, spark and load run in the tests below (they need PostgreSQL / Spark)
    covered.update(x for x in lines if x.startswith(("tumen migrate", "tumen load",
                                                     "tumen analyze --engine spark")))
    assert covered == set(lines), f"README lines no test runs: {set(lines) - covered}"


@pytest.mark.postgres
def test_readme_migrate_to_postgres(workdir, tmp_path):
    from conftest_pg import drop_pg_database, fresh_pg_database

    url = fresh_pg_database()
    try:
        (line,) = [x for x in readme_commands() if x.startswith("tumen migrate")]
        folder = tmp_path / "m"
        shutil.copytree(workdir, folder)
        proc = _ok(folder, line.replace("postgresql://localhost/tumen", url))
        assert "migrated" in proc.stderr and "verified" in proc.stderr
    finally:
        drop_pg_database(url)


@pytest.mark.spark
def test_readme_spark_analysis_and_load(workdir, tmp_path):
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("no java for Spark")
    spark = next(x for x in readme_commands() if x.startswith("tumen analyze --engine spark"))
    load = next(x for x in readme_commands() if x.startswith("tumen load"))
    folder = tmp_path / "s"
    shutil.copytree(workdir, folder)
    proc = _ok(folder, spark)
    assert "analyzed 2 reports on Spark" in proc.stderr
    proc = _ok(folder, load)
    assert "loaded 2 records" in proc.stderr
