"""The web's handle on the store: many readers, one writer (Datasette's habit).

Each worker thread reads through its own connection (on SQLite, WAL lets readers run
beside the writer); every write -- corrections, users, index sync, uploads -- goes
through one connection under a lock.  ``path`` is a SQLite file (or ``sqlite:///``) or a
``postgresql://`` URL: ``queries.connect`` opens either (the PostgreSQL one through
``store/pg_web.py``), and ``open_store`` creates and migrates both, web tables included.  Before answering, a request brings the derived
web index up to date (``sync``), which is one indexed lookup when nothing changed.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections import OrderedDict
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from tumen.store.corrections import INDEX_VERSION, index_rows
from tumen.errors import StoreError
from tumen.web.facetindex import FacetIndexHolder
from tumen.store import open_store
from tumen.store import queries as Q

CACHE_SIZE = 256  # memoized facet results per generation of the index
WARN_EVERY = 60  # seconds between two log lines about a store that cannot be written
log = logging.getLogger("tumen.web")


class WebDB:
    def __init__(self, path: str):
        self.path = path
        self._warned_at = 0.0
        try:
            store = open_store(path)  # creates and migrates (including the web migrations)
            store.close()
        except StoreError as exc:
            # a store that exists but cannot be written (a full disk) is still served,
            # read-only; one that cannot be opened at all is an error
            try:
                probe = Q.connect(path)
                try:
                    probe.execute("SELECT 1 FROM reports LIMIT 1").fetchall()
                finally:
                    probe.close()
            except (sqlite3.Error, StoreError):
                raise exc from None
            self._warn(exc)
        self._local = threading.local()
        self._write_lock = threading.Lock()
        self._writer = Q.connect(path)
        self._cache: OrderedDict[tuple, Any] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._cache_generation = -1
        self.facets = FacetIndexHolder(self)
        try:
            with self.writer() as conn:
                Q.ensure_index_version(conn, INDEX_VERSION)
            with self.writer() as conn:  # stores made before the key moved out of them
                Q.delete_setting(conn, "session_secret")
        except StoreError as exc:
            self._warn(exc)
        self.sync()
        self.facets.build_now()

    @property
    def reader(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = Q.connect(self.path)
        return conn

    @contextmanager
    def writer(self) -> Iterator[sqlite3.Connection]:
        """The one writing connection.  A write that fails (a full disk, a read-only
        file) is a ``StoreError`` naming the store: the app answers 503, reads go on."""
        with self._write_lock:
            try:
                yield self._writer
            except sqlite3.Error as exc:
                if getattr(self._writer, "in_transaction", False):
                    try:
                        self._writer.execute("ROLLBACK")
                    except sqlite3.Error:
                        pass
                raise StoreError(f"{self.path}: the store cannot be written now ({exc}); "
                                 "reading still works: free space and try again") from exc

    def sync(self) -> int:
        """Rebuild the web index rows of changed reports (cheap when none changed).
        When the store cannot be written, pages are served from the index as it is
        (the changed reports show up once a write succeeds again)."""
        if not self.reader.execute("SELECT 1 FROM web_dirty LIMIT 1").fetchone():
            return 0
        try:
            with self.writer() as conn:
                return Q.sync_index(conn, index_rows)
        except StoreError as exc:
            self._warn(exc)
            return 0

    def _warn(self, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._warned_at >= WARN_EVERY or not self._warned_at:
            self._warned_at = now
            log.warning("serving read-only: %s", exc)

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
