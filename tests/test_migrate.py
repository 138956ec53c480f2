"""``tumen migrate``: a SQLite archive moved into PostgreSQL with nothing lost."""

from __future__ import annotations

import pytest

from conftest_pg import pg_url  # noqa: F401  (fixture)
from test_store_backends import BODIES, make_record, make_reports
from tumen.cli import main
from tumen.errors import StoreError
from tumen.ingest import ingest, sample_paths
from tumen.migrate import migrate, sqlite_path
from tumen.record import Report
from tumen.search import search
from tumen.store import open_store
from tumen.store.sqlite import SQLiteStore

pytestmark = pytest.mark.postgres


@pytest.fixture
def archive(tmp_path) -> str:
    """A SQLite store with reports, a near-duplicate, records, a user and a correction."""
    path = str(tmp_path / "archive.db")
    with open_store(path) as s:
        s.add_reports(make_reports())
        ingest(s, [str(p) for p in sample_paths()])
        s.add_reports([Report(id="r1-copy", body=BODIES["r1"][1] + " Unverified.",
                              published="2024-06-01", original=b"\xff\xfe raw bytes")])
        s.save_records([make_record("r1"), make_record("r3", type="order")])
        from tumen.store import queries as Q

        Q.add_user(s.conn, "editor1", "editor", "$argon2id$fake")
        Q.add_correction(s.conn, "r1", "edit", "k1", {"type": "punishment"}, "editor1")
    return path


def test_migrate_copies_everything_and_verifies(archive, pg_url):  # noqa: F811
    summary = migrate(f"sqlite:{archive}", pg_url)
    with SQLiteStore(archive, readonly=True) as src, open_store(pg_url) as dst:
        assert summary.counts["reports"] == src.count() == dst.count()
        assert summary.reports_verified == src.count()
        assert summary.counts["records"] == 2 and summary.counts["users"] == 1
        assert summary.counts["corrections"] == 1
        for a, b in zip(src.iter_reports(), dst.iter_reports()):
            assert a == b  # every field, ingest order, status, links, ingest time, bytes
        assert dst.get_report("r1-copy").extra["duplicate_of"] == "r1"
        assert dst.get_report("r1-copy").original == b"\xff\xfe raw bytes"
        assert list(src.iter_records()) == list(dst.iter_records())
        assert src.stats() == dst.stats()
        assert {h.id for h in search(src, "sinuiju")} == {h.id for h in search(dst, "sinuiju")}
        users = dst.query("SELECT name, role FROM users")
        assert users == [{"name": "editor1", "role": "editor"}]
        # the target keeps working: new reports continue the ingest order
        added = dst.add_reports([Report(id="after", body="A report added after the move.")])
        assert added.added == 1 and [r.id for r in dst.iter_reports()][-1] == "after"
        fix = dst.query("INSERT INTO corrections (report_id, action, changes_json, author, "
                        "created_at) VALUES ('r1', 'delete', '{}', 'x', 'now') RETURNING id")
        assert fix[0]["id"] == 2
    lines = summary.lines()
    assert lines[0].startswith(f"migrated {summary.counts['reports']} reports")


def test_migrate_refuses_a_target_that_holds_reports(archive, pg_url):  # noqa: F811
    migrate(archive, pg_url)
    with pytest.raises(StoreError, match="already holds"):
        migrate(archive, pg_url)
    with open_store(pg_url) as dst:
        assert dst.count() > 0


def test_migrate_errors_are_one_line(tmp_path, pg_url):  # noqa: F811
    with pytest.raises(StoreError, match="no such store"):
        migrate(f"sqlite:{tmp_path / 'missing.db'}", pg_url)
    with pytest.raises(StoreError, match="postgresql://"):
        migrate(f"sqlite:{tmp_path / 'missing.db'}", str(tmp_path / "x.db"))
    assert sqlite_path("sqlite:///a/b.db") == "a/b.db" and sqlite_path("sqlite:x.db") == "x.db"


def test_migrate_command(archive, pg_url, capsys):  # noqa: F811
    with pytest.raises(SystemExit) as done:  # typer exits 0 on success
        main(["migrate", "--from", f"sqlite:{archive}", "--to", pg_url])
    assert done.value.code == 0
    err = capsys.readouterr().err
    assert "migrated" in err and "verified" in err
    assert main(["migrate", "--from", f"sqlite:{archive}", "--to", pg_url]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and "already holds" in err[0]
