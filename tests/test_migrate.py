"""``tumen migrate``: a SQLite archive moved into PostgreSQL with nothing lost."""

from __future__ import annotations

import pytest
from test_store_backends import BODIES, make_record, make_reports

from tumen.cli import main
from tumen.errors import StoreError
from tumen.ingest.run import ingest, sample_paths
from tumen.record import Report
from tumen.store import open_store
from tumen.store.migrate import migrate, sqlite_path
from tumen.store.search import search
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
        s.add_user("editor1", "editor", "$argon2id$fake")
        s.add_correction("r1", "edit", "k1", {"type": "punishment"}, "editor1")
    return path


def test_migrate_copies_everything_and_verifies(archive, pg_url):
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


def test_migrate_refuses_a_target_that_holds_reports(archive, pg_url):
    migrate(archive, pg_url)
    with pytest.raises(StoreError, match="already holds"):
        migrate(archive, pg_url)
    with open_store(pg_url) as dst:
        assert dst.count() > 0


def test_migrate_errors_are_one_line(tmp_path, pg_url):
    with pytest.raises(StoreError, match="no such store"):
        migrate(f"sqlite:{tmp_path / 'missing.db'}", pg_url)
    with pytest.raises(StoreError, match="postgresql://"):
        migrate(f"sqlite:{tmp_path / 'missing.db'}", str(tmp_path / "x.db"))
    assert sqlite_path("sqlite:///a/b.db") == "a/b.db" and sqlite_path("sqlite:x.db") == "x.db"


def test_migrate_command(archive, pg_url, capsys):
    with pytest.raises(SystemExit) as done:  # typer exits 0 on success
        main(["migrate", "--from", f"sqlite:{archive}", "--to", pg_url])
    assert done.value.code == 0
    err = capsys.readouterr().err
    assert "migrated" in err and "verified" in err
    assert main(["migrate", "--from", f"sqlite:{archive}", "--to", pg_url]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and "already holds" in err[0]


def test_migrate_back_from_postgres_to_a_new_sqlite_file(archive, pg_url, tmp_path):
    """SQLite -> PostgreSQL -> a new SQLite file: the same archive, a sound store, and one
    that keeps working (search, near-duplicate links, corrections' ids)."""
    from tumen.store.maintenance import check_store

    migrate(archive, pg_url)
    back = tmp_path / "back" / "copy.db"
    summary = migrate(pg_url, f"sqlite:{back}")
    assert summary.counts["reports"] == summary.reports_verified > 0
    assert summary.counts["records"] == 2 and summary.counts["corrections"] == 1
    with SQLiteStore(archive, readonly=True) as src, SQLiteStore(back) as dst:
        assert [r for r in src.iter_reports()] == [r for r in dst.iter_reports()]
        assert list(src.iter_records()) == list(dst.iter_records())
        assert src.stats() == dst.stats()
        assert [h.id for h in search(src, "sinuiju")] == [h.id for h in search(dst, "sinuiju")]
        assert dst.query("SELECT name, role FROM users") == [{"name": "editor1", "role": "editor"}]
        # the near-duplicate index came along: a new copy of r1 links to it
        copy = BODIES["r1"][1].replace("Tuesday", "Wednesday") + " Could not be verified."
        res = dst.add_reports([Report(id="r1-again", body=copy, published="2024-06-02")])
        assert res.links == [("r1-again", "r1")]
        fix = dst.query("INSERT INTO corrections (report_id, action, changes_json, author, "
                        "created_at) VALUES ('r1', 'delete', '{}', 'x', 'now') RETURNING id")
        assert fix[0]["id"] == 2
    checked = check_store(back)
    assert checked.ok, checked.problems
    # never over an existing file; a failed copy leaves no file behind
    with pytest.raises(StoreError, match="already exists"):
        migrate(pg_url, str(back))
    with pytest.raises(StoreError, match="sqlite:FILE"):
        migrate(pg_url, pg_url)


def test_migrate_back_removes_the_file_when_the_copy_fails(archive, pg_url, tmp_path, monkeypatch):
    from tumen.store import pg_copy

    migrate(archive, pg_url)

    def broken(source, target, **kw):
        target.execute("BEGIN IMMEDIATE")
        target.execute("ROLLBACK")
        raise StoreError("copy.db: table reports differs after the copy; rolled back")

    monkeypatch.setattr(pg_copy, "copy_postgres_to_sqlite", broken)
    target = tmp_path / "copy.db"
    with pytest.raises(StoreError, match="rolled back"):
        migrate(pg_url, str(target))
    assert not target.exists() and not (tmp_path / "copy.db-wal").exists()


def test_migrate_back_command(archive, pg_url, tmp_path, capsys):
    migrate(archive, pg_url)
    with pytest.raises(SystemExit) as done:
        main(["migrate", "--from", pg_url, "--to", f"sqlite:{tmp_path / 'laptop.db'}"])
    assert done.value.code == 0
    err = capsys.readouterr().err
    assert "migrated" in err and "laptop.db" in err and "verified" in err
