"""Shared fixtures.

* ``shared_dir``: the read-only shared material (``/work/shared``, found as ``../shared``
  next to the repository); tests that need it skip cleanly when it is absent.
* ``devset_reports``: the devset's ``reports.jsonl`` path (skips without it).
* ``samples_db``: a SQLite store built once per session from the bundled sample reports
  (``src/tumen/samples``), ingested and not analyzed.  Treat it as read-only.
* ``sample_store``: a private copy of ``samples_db``, open, for tests that write.
* ``empty_store``: a fresh, migrated, empty SQLite store.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not (SHARED / "data").is_dir():
        pytest.skip(f"shared material not found at {SHARED}")
    return SHARED


@pytest.fixture(scope="session")
def devset_reports(shared_dir: Path) -> Path:
    path = shared_dir / "data" / "devset" / "reports.jsonl"
    if not path.exists():
        pytest.skip(f"{path} not found")
    return path


@pytest.fixture(scope="session")
def samples_db(tmp_path_factory) -> Path:
    from tumen.ingest.run import ingest, sample_paths
    from tumen.store import open_store

    db = tmp_path_factory.mktemp("samples") / "samples.db"
    with open_store(db) as store:
        summary = ingest(store, [str(p) for p in sample_paths()])
        assert summary.ok, summary.lines()
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return db


@pytest.fixture
def sample_store(samples_db: Path, tmp_path: Path):
    from tumen.store import open_store

    db = tmp_path / "samples.db"
    shutil.copyfile(samples_db, db)
    with open_store(db) as store:
        yield store


@pytest.fixture
def empty_store(tmp_path: Path):
    from tumen.store import open_store

    with open_store(tmp_path / "empty.db") as store:
        yield store


# Property and fuzz tests draw their examples from a fixed seed in CI, so a run is
# reproducible and a red CI always means a real change; locally they explore freely.
try:
    from hypothesis import settings as _hypothesis_settings

    _hypothesis_settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
    _hypothesis_settings.register_profile("dev", deadline=None)
    import os as _os

    _hypothesis_settings.load_profile("ci" if _os.environ.get("CI") else "dev")
except ImportError:  # hypothesis is a test extra
    pass
