"""The web's handle on the store: many readers, one writer (Datasette's habit).

Each worker thread reads through its own connection (on SQLite, WAL lets readers run
beside the writer); every write -- corrections, users, index sync, uploads -- goes
through one connection under a lock.  ``path`` is a SQLite file (or ``sqlite:///``) or a
``postgresql://`` URL: ``queries.connect`` opens either (the PostgreSQL one through
``store/pg_web.py``), and ``open_store`` creates and migrates both, web tables included.  Before answering, a request brings the derived
web index up to date (``sync``), which is one indexed lookup when nothing changed.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from ..corrections import INDEX_VERSION, index_rows
from .facetindex import FacetIndexHolder
from ..store import open_store
from ..store import queries as Q

CACHE_SIZE = 256  # memoized facet results per generation of the index


class WebDB:
    def __init__(self, path: str):
        self.path = path
        store = open_store(path)  # creates and migrates (including the web migrations)
        store.close()
        self._local = threading.local()
        self._write_lock = threading.Lock()
        self._writer = Q.connect(path)
        self._cache: OrderedDict[tuple, Any] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._cache_generation = -1
        self.facets = FacetIndexHolder(self)
        with self.writer() as conn:
            Q.ensure_index_version(conn, INDEX_VERSION)
        self.sync()
        self.facets.build_now()
        with self.writer() as conn:  # stores made before the key moved out of them
            Q.delete_setting(conn, "session_secret")

    @property
    def reader(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = Q.connect(self.path)
        return conn

    @contextmanager
    def writer(self) -> Iterator[sqlite3.Connection]:
        with self._write_lock:
            yield self._writer

    def sync(self) -> int:
        """Rebuild the web index rows of changed reports (cheap when none changed)."""
        if not self.reader.execute("SELECT 1 FROM web_dirty LIMIT 1").fetchone():
            return 0
        with self.writer() as conn:
            return Q.sync_index(conn, index_rows)

    def cached(self, key: tuple, compute: Callable[[], Any]) -> Any:
        """``compute()`` memoized per index generation (facet counts of popular filters)."""
        generation = Q.generation(self.reader)
        with self._cache_lock:
            if generation != self._cache_generation:
                self._cache.clear()
                self._cache_generation = generation
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        value = compute()
        with self._cache_lock:
            if generation == self._cache_generation:
                self._cache[key] = value
                while len(self._cache) > CACHE_SIZE:
                    self._cache.popitem(last=False)
        return value

    def open_store(self):
        """A store object for library calls that write reports (ingest, analyze)."""
        return open_store(self.path)

    def close(self) -> None:
        self._writer.close()
