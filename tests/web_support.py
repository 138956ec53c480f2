"""Shared by the web tests: a store filled from the bundled sample reports, analyzed.

Built once per test session (ingest + analysis of the samples) and copied for each
test module, so tests that write (corrections, users) never see each other's changes.
"""

from __future__ import annotations

import importlib.resources
import sqlite3
from pathlib import Path

SAMPLES = Path(str(importlib.resources.files("tumen") / "samples"))
_BUILT: dict[str, Path] = {}


def analyzed_sample_store(tmp_root: Path) -> Path:
    """Path of a fresh copy of the analyzed sample store."""
    if "db" not in _BUILT:
        from tumen.engines.local import analyze_store
        from tumen.ingest.run import ingest
        from tumen.store import open_store

        path = tmp_root / "samples-master.db"
        store = open_store(path)
        try:
            summary = ingest(store, [SAMPLES])
            assert summary.result.added > 0, summary.result.failed
            analyze_store(store, processes=1, progress=False)
        finally:
            store.close()
        _BUILT["db"] = path
    copy = tmp_root / f"samples-{len(list(tmp_root.glob('samples-*.db')))}.db"
    src = sqlite3.connect(_BUILT["db"])
    dst = sqlite3.connect(copy)
    src.backup(dst)
    src.close()
    dst.close()
    return copy


def add_user(db: Path, name: str, role: str, password: str) -> None:
    from tumen.web.auth import add_user as add

    add(str(db), name, role, password)
