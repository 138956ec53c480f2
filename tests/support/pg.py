"""Fixtures for the store tests that run against both backends.

``store_url`` is parametrized over ``sqlite`` (a file in ``tmp_path``) and ``postgres``
(a fresh database, copied from a migrated template, on a throw-away cluster that
``scripts/pg-test-cluster.sh`` starts once per test session and stops at exit).
Set ``TUMEN_TEST_PG_URL`` to a server URL to use that server instead.  Without
PostgreSQL binaries or psycopg, the postgres cases skip and say why.

Loaded for every test module by ``pytest_plugins`` in ``tests/conftest.py``: a test names
the fixture as an argument.
"""

from __future__ import annotations

import atexit
import itertools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "pg-test-cluster.sh"
TEMPLATE_DB = "tumen_test_template"

_state: dict[str, object] = {}
_counter = itertools.count(1)


def _stop(directory: str) -> None:
    subprocess.run(["bash", str(SCRIPT), "stop", directory], capture_output=True, timeout=120)
    shutil.rmtree(directory, ignore_errors=True)


def pg_server_url() -> str:
    """The URL of the session's PostgreSQL server (started on first use); skips the
    calling test when none can be had."""
    if "skip" in _state:
        pytest.skip(str(_state["skip"]))
    if "url" in _state:
        return str(_state["url"])
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _state["skip"] = "psycopg is not installed (pip install 'tumen[postgres]')"
        pytest.skip(str(_state["skip"]))
    url = os.environ.get("TUMEN_TEST_PG_URL")
    if not url:
        directory = tempfile.mkdtemp(prefix="tumen-pg-")
        env = dict(os.environ, PG_TEST_OPTS="-c fsync=off -c synchronous_commit=off "
                                            "-c full_page_writes=off")
        proc = subprocess.run(["bash", str(SCRIPT), "start", directory], capture_output=True,
                              text=True, env=env, timeout=180)
        if proc.returncode != 0:
            shutil.rmtree(directory, ignore_errors=True)
            reason = (proc.stderr.strip().splitlines() or ["unknown error"])[-1]
            _state["skip"] = f"no PostgreSQL test cluster: {reason}"
            pytest.skip(str(_state["skip"]))
        atexit.register(_stop, directory)
        # A watchdog outside pytest's process group stops the cluster if pytest dies
        # without running atexit (killed by a timeout, SIGKILL).
        subprocess.Popen(["bash", "-c", 'while kill -0 "$0" 2>/dev/null; do sleep 2; done; '
                          'bash "$1" stop "$2"; rm -rf "$2"', str(os.getpid()), str(SCRIPT),
                          directory], start_new_session=True, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = proc.stdout.strip().splitlines()[-1]
    _state["url"] = url
    return url


def _db_url(server_url: str, name: str) -> str:
    base, _, rest = server_url.rpartition("/")
    query = ("?" + rest.split("?", 1)[1]) if "?" in rest else ""
    return f"{base}/{name}{query}"


def fresh_pg_database() -> str:
    """A new, migrated, empty database on the session's server; returns its URL."""
    import psycopg

    from tumen.store import open_store

    server = pg_server_url()
    with psycopg.connect(server, autocommit=True) as conn:
        if "template" not in _state:
            conn.execute(f"DROP DATABASE IF EXISTS {TEMPLATE_DB} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {TEMPLATE_DB}")
            open_store(_db_url(server, TEMPLATE_DB)).close()
            _state["template"] = True
        name = f"tumen_test_{os.getpid()}_{next(_counter)}"
        try:  # FILE_COPY (PostgreSQL 15+) is the faster copy on a cluster without fsync
            conn.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE_DB} STRATEGY FILE_COPY")
        except psycopg.errors.SyntaxError:
            conn.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE_DB}")
    return _db_url(server, name)


def drop_pg_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1].split("?", 1)[0]
    with psycopg.connect(pg_server_url(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request, tmp_path) -> str:
    """A fresh, empty store location: a SQLite file path or a postgresql:// URL."""
    if request.param == "sqlite":
        yield str(tmp_path / "store.db")
        return
    url = fresh_pg_database()
    yield url
    drop_pg_database(url)


@pytest.fixture
def pg_url() -> str:
    """A fresh PostgreSQL database (postgres-only tests)."""
    url = fresh_pg_database()
    yield url
    drop_pg_database(url)
