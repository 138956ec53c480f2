"""The CLI never surprises (issue 19): wrong usage is one line and a non-zero exit, a
mistyped --db creates nothing, filters check their values and take any spelling of a
place or organ, --version, tables that use the terminal's width, progress bars on a
terminal only, and `show`/`export` give the record the web gives (corrections applied)."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest_pg import pg_url  # noqa: F401
from cli_support import run
from tumen.ingest.run import sample_paths

ROOT = Path(__file__).resolve().parents[1]
ENV = {"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin", "HOME": "/tmp"}


def one_line_error(err: str) -> bool:
    return err.startswith("error: ") and err.strip().count("\n") == 0 and "Traceback" not in err


@pytest.fixture
def db(samples_db, tmp_path) -> str:
    path = tmp_path / "cli.db"
    shutil.copyfile(samples_db, path)
    return str(path)


SAMPLES_ANALYZED = ("17-kimhyongjik-phone-arrests.txt", "15-pochon-potato-harvest.txt",
                    "21-hyesan-smuggling-crackdown-ko.txt", "07-hamhung-rice-prices.txt")


@pytest.fixture(scope="module")
def analyzed_db(tmp_path_factory) -> str:
    """A store of four bundled samples with their analysis records."""
    from tumen.engines.local import analyze_store
    from tumen.ingest.run import ingest
    from tumen.store import open_store

    path = tmp_path_factory.mktemp("analyzed") / "analyzed.db"
    paths = [str(p) for p in sample_paths() if p.name in SAMPLES_ANALYZED]
    assert len(paths) == len(SAMPLES_ANALYZED)
    with open_store(path) as store:
        assert ingest(store, paths).ok
        summary = analyze_store(store, processes=1, progress=False)
        assert summary.analyzed == len(paths) and not summary.failed
    return str(path)


# -- wrong usage: one line, non-zero ------------------------------------------------
USAGE_CASES = [
    (["export", "--out", "{tmp}/missing/x.jsonl"], 1, "folder {tmp}/missing does not exist"),
    (["export", "--out", "{tmp}"], 1, "is a folder"),
    (["export", "--format", "xml"], 2, "--format"),
    (["serve", "--port", "99999"], 2, "--port"),
    (["serve", "--port", "0"], 2, "--port"),
    (["search", "rice", "--limit", "many"], 2, "--limit"),
    (["search", "rice", "--no-such-option"], 2, "--no-such-option"),
    (["show"], 2, "ID"),
    (["no-such-command"], 2, "no-such-command"),
    (["backup", "{tmp}/missing/copy.db"], 1, "does not exist"),
    (["backup", "{tmp}"], 1, "is a folder"),
    (["ingest", "{tmp}/none.txt", "--map", "title"], 1, "field=column"),
    (["ingest", "{tmp}/none.txt", "--format", "docx"], 2, "--format"),
    (["analyze", "--engine", "hadoop"], 2, "--engine"),
    (["tag", "{tmp}/none.jsonl", "--top", "0"], 2, "--top"),
    (["user", "add", "bo", "--role", "root", "--password", "pw-long-enough-1"], 1, "unknown role"),
]


@pytest.mark.parametrize("argv,code,message", USAGE_CASES,
                         ids=[" ".join(a) for a, _, _ in USAGE_CASES])
def test_wrong_usage_is_one_line_and_non_zero(db, tmp_path, capsys, argv, code, message):
    (tmp_path / "sub").mkdir()
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    got, out, err = run(capsys, *argv, *(["--db", db] if argv[0] != "tag" else []))
    assert got == code, err
    assert one_line_error(err), err
    assert message.replace("{tmp}", str(tmp_path)) in err
    assert out == ""
    assert not (tmp_path / "missing").exists()


def test_wrong_usage_in_a_real_process_has_no_traceback(db, tmp_path):
    for argv in (["serve", "--port", "99999", "--db", db],
                 ["export", "--out", str(tmp_path / "nowhere" / "x.csv"), "--db", db],
                 ["export", "--out", str(tmp_path), "--db", db]):
        proc = subprocess.run([sys.executable, "-m", "tumen", *argv], capture_output=True,
                              text=True, timeout=120, env=ENV)
        assert proc.returncode != 0 and one_line_error(proc.stderr), proc.stderr


def test_version(capsys):
    from tumen import __version__

    code, out, err = run(capsys, "--version")
    assert code == 0 and out.strip() == f"tumen {__version__}" and err == ""


# -- a mistyped --db creates nothing ------------------------------------------------
MISSING_STORE_COMMANDS = [
    ["analyze"], ["serve"], ["backup", "{tmp}/copy.db"], ["check"], ["stats"],
    ["search", "rice"], ["show", "r-0"], ["export"], ["user", "list"], ["learn-tags"],
    ["user", "add", "ana", "--password", "pw-long-enough-1"],
]


@pytest.mark.parametrize("argv", MISSING_STORE_COMMANDS, ids=[a[0] if a[0] != "user" else " ".join(a[:2])
                                                            for a in MISSING_STORE_COMMANDS])
def test_commands_refuse_a_store_that_does_not_exist(tmp_path, capsys, argv):
    missing = tmp_path / "typo.db"
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    code, out, err = run(capsys, *argv, "--db", str(missing))
    assert code == 1 and one_line_error(err) and "no such store" in err, err
    assert not missing.exists() and not (tmp_path / "copy.db").exists()


def test_ingest_creates_a_store_and_says_so(tmp_path, capsys):
    new = tmp_path / "new.db"
    code, _, err = run(capsys, "ingest", str(sample_paths()[0]), "--db", str(new))
    assert code == 0 and f"creating a new store {new}" in err and new.is_file()
    code, _, err = run(capsys, "ingest", str(sample_paths()[1]), "--db", str(new))
    assert code == 0 and "creating" not in err
    quiet = tmp_path / "quiet.db"  # --quiet: failures only
    code, _, err = run(capsys, "ingest", str(sample_paths()[0]), "--db", str(quiet), "-q")
    assert code == 0 and err == "" and quiet.is_file()


def test_demo_never_replaces_an_archive(db, capsys):
    before = Path(db).read_bytes()
    code, _, err = run(capsys, "ingest", str(ROOT / "README.md"), "--db", db, "-q")
    assert code == 0
    before = Path(db).stat().st_size
    code, out, err = run(capsys, "demo", "--db", db, "-q")
    assert code == 1 and one_line_error(err) and "not the bundled samples" in err
    assert Path(db).stat().st_size == before


# -- filters ------------------------------------------------------------------------
BAD_FILTERS = [
    (["--since", "2022-13-45"], "no such date"),
    (["--until", "2023-02-30"], "no such date"),
    (["--since", "March 2022"], "YYYY-MM-DD"),
    (["--since", "2024", "--until", "2023-06"], "after --until"),
    (["--type", "arrestt"], "did you mean 'arrest'"),
    (["--type", "riot"], "public_trial"),
    (["--source", "No Such Outlet"], "no stored report comes from a source"),
    (["--province", "Hyesan"], "not a province"),
    (["--province", "Atlantis"], "no such place"),
    (["--place", "Atlantis"], "no such place"),
    (["--org", "Ministry of Silly Walks"], "no such organization"),
]


@pytest.mark.parametrize("argv,message", BAD_FILTERS, ids=[" ".join(a) for a, _ in BAD_FILTERS])
def test_filters_check_their_values(db, capsys, argv, message):
    code, out, err = run(capsys, "search", *argv, "--db", db)
    assert code == 1 and out == "" and one_line_error(err) and message in err, err


def _ids(capsys, db: str, *argv: str) -> set[str]:
    code, out, err = run(capsys, "search", *argv, "--db", db, "--json", "--limit", "100")
    assert code == 0, err
    return {json.loads(line)["id"] for line in out.splitlines()}


def _id_of(db: str, sample: str) -> str:
    from tumen.store import open_store

    with open_store(db) as store:
        return next(r.id for r in store.iter_reports() if Path(r.source_path).name == sample)


def test_places_and_organs_match_any_variant_of_their_name(analyzed_db, capsys):
    kimhyongjik = _id_of(analyzed_db, "17-kimhyongjik-phone-arrests.txt")
    hamhung = _id_of(analyzed_db, "07-hamhung-rice-prices.txt")
    yanggang = _ids(capsys, analyzed_db, "--province", "Yanggang Province")
    assert kimhyongjik in yanggang and hamhung not in yanggang
    for variant in ("Ryanggang", "ryanggang province", "Yanggang-do", "양강도", "KP-10"):
        assert _ids(capsys, analyzed_db, "--province", variant) == yanggang, variant
    county = _ids(capsys, analyzed_db, "--place", "Kimhyongjik County")
    assert kimhyongjik in county
    assert _ids(capsys, analyzed_db, "--place", "김형직군") == county
    mss = _ids(capsys, analyzed_db, "--org", "Ministry of State Security")
    assert kimhyongjik in mss
    for variant in ("MSS", "bowibu", "State Security Department"):
        assert _ids(capsys, analyzed_db, "--org", variant) == mss, variant
    assert _ids(capsys, analyzed_db, "--type", "ARREST") == _ids(capsys, analyzed_db, "--type", "arrest")
    assert kimhyongjik in _ids(capsys, analyzed_db, "--type", "arrest")


# -- tables -------------------------------------------------------------------------
def _words(text: str) -> set[str]:
    return set(re.findall(r"[\w'-]+", text))


@pytest.mark.parametrize("width", [60, 80, 100, 132, 160, 200])
def test_show_uses_the_terminal_width_and_wraps_at_word_boundaries(analyzed_db, capsys,
                                                                   monkeypatch, width):
    rid = _id_of(analyzed_db, "17-kimhyongjik-phone-arrests.txt")
    code, out, _ = run(capsys, "show", rid, "--db", analyzed_db, "--json")
    incidents = json.loads(out)["record"]["incidents"]
    assert incidents
    monkeypatch.setenv("COLUMNS", str(width))
    code, out, _ = run(capsys, "show", rid, "--db", analyzed_db)
    assert code == 0
    lines = out.splitlines()
    assert max(len(line.rstrip()) for line in lines) <= width
    shown = _words(out)
    for inc in incidents:  # no word of an incident is broken across lines
        for value in (inc["type"], inc.get("actor"), inc.get("place"), inc["evidence"]["text"]):
            assert _words(value or "") <= shown, (width, value, _words(value or "") - shown)
    if width >= 132:  # the incidents use the whole width, not ~80 columns
        table = out[out.index("incidents"):]
        assert max(len(line.rstrip()) for line in table.splitlines()) > width - 5


# -- progress bars ------------------------------------------------------------------
def test_progress_bars_on_a_terminal_only(db, tmp_path):
    out = tmp_path / "reports.jsonl"
    argv = [sys.executable, "-m", "tumen", "export", "--out", str(out), "--db", db]
    piped = subprocess.run(argv, capture_output=True, text=True, timeout=120, env=ENV)
    assert piped.returncode == 0
    assert piped.stderr.strip() == f"exported {len(sample_paths())} reports to {out}"
    code, text = _on_a_terminal(argv)
    assert code == 0
    assert "exporting reports" in text and f"{len(sample_paths())}/{len(sample_paths())}" in text


def _on_a_terminal(argv: list[str]) -> tuple[int, str]:
    """Run ``argv`` with its standard error on a pseudo-terminal; its exit status and
    what it drew there."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=slave, env=ENV)
    os.close(slave)
    seen = b""
    while True:
        ready, _, _ = select.select([master], [], [], 120)
        if not ready:
            break
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    code = proc.wait(timeout=120)
    os.close(master)
    return code, seen.decode("utf-8", "replace")


@pytest.mark.postgres
def test_migrate_shows_its_progress_on_a_terminal(db, pg_url):  # noqa: F811
    code, text = _on_a_terminal([sys.executable, "-m", "tumen", "migrate", "--from", f"sqlite:{db}",
                                 "--to", pg_url])
    assert code == 0, text
    assert "copying" in text and "verified" in text  # the bar names each table only while it is drawn


def test_no_progress_bar_in_a_log(analyzed_db, tmp_path):
    """`tumen analyze 2>log`: the summary line, never bar frames."""
    db = tmp_path / "again.db"
    shutil.copyfile(analyzed_db, db)
    proc = subprocess.run([sys.executable, "-m", "tumen", "analyze", "--reanalyze", "--db", str(db)],
                          capture_output=True, text=True, timeout=600, env=ENV)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines()[-1].startswith(f"analyzed {len(SAMPLES_ANALYZED)} reports")
    assert "━" not in proc.stderr and "analyzing" not in proc.stderr


# -- corrections: the record the web gives ------------------------------------------
def test_show_and_export_apply_the_editors_corrections_as_the_web_does(analyzed_db, tmp_path,
                                                                       capsys):
    from tumen.web import views
    from tumen.web.db import WebDB

    db = str(tmp_path / "corrected.db")
    shutil.copyfile(analyzed_db, db)
    rid = _id_of(db, "17-kimhyongjik-phone-arrests.txt")
    web = WebDB(db)
    try:
        record = views.report_view(web, rid)["record"]
        first = record["incidents"][0]
        views.submit_correction(web, rid, "edit", first["key"], {"type": "crackdown"}, None, "ed")
        views.submit_correction(web, rid, "tags", None, {"tags": "phones; border; arrests"}, None, "ed")
        web_record = views.report_view(web, rid)["record"]
    finally:
        web.close()
    assert web_record["tags"] == ["phones", "border", "arrests"]
    code, out, _ = run(capsys, "show", rid, "--db", db, "--json")
    assert code == 0 and json.loads(out)["record"] == web_record
    code, out, _ = run(capsys, "show", rid, "--db", db)
    assert "phones, border, arrests" in out and "crackdown (corrected)" in out
    code, out, _ = run(capsys, "export", "--records", "--db", db)
    exported = {r["id"]: r for r in map(json.loads, out.splitlines())}
    assert exported[rid] == web_record
    corrected = [i for i in exported[rid]["incidents"] if i.get("corrected")]
    assert [i["type"] for i in corrected] == ["crackdown"]
    other = next(r for r in exported.values() if r["id"] != rid)
    assert "corrections" not in other  # an uncorrected record stays the analyzer's
    target = tmp_path / "records.csv"
    code, _, _ = run(capsys, "export", "--records", "--format", "csv", "--out", str(target), "--db", db)
    import csv

    with open(target, encoding="utf-8", newline="") as fh:
        row = next(r for r in csv.DictReader(fh) if r["id"] == rid)
    assert row["tags"] == "phones; border; arrests" and "crackdown" in row["incident_types"]
