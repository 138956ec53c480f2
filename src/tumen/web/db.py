"""The web's handle on the store: many readers, one writer (Datasette's habit).

Each worker thread reads through its own ``Store`` (on SQLite, WAL lets readers run
beside the writer); every write -- corrections, users, index sync, uploads -- goes
through one ``Store`` under a lock.  ``path`` is a SQLite file (or ``sqlite:///``) or a
``postgresql://`` URL; ``open_store`` creates and migrates either, web tables included,
once at start-up.  Before answering, a request brings the derived web index up to date
(``sync``), which is one indexed lookup when nothing changed.  No SQL here: the store's
read model (``store/readmodel.py``) answers everything.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, cast

from tumen.errors import StoreError
from tumen.store import open_store
from tumen.store.corrections import INDEX_VERSION
from tumen.store.readmodel import ReadModel
from tumen.web.facetindex import FacetIndexHolder

CACHE_SIZE = 256  # memoized facet results per generation of the index
WARN_EVERY = 60  # seconds between two log lines about a store that cannot be written
log = logging.getLogger("tumen.web")


class WebDB:
    def __init__(self, path: str):
        self.path = path
        self._warned_at = 0.0
        try:
            open_store(path).close()  # creates and migrates (including the web migrations)
        except StoreError as exc:
            # a store that exists but cannot be written (a full disk) is still served,
            # read-only; one that cannot be opened at all is an error
            try:
                probe = self.connect()
                try:
                    probe.max_seq()
                finally:
                    probe.close()
            except Exception:
                raise exc from None
            self._warn(exc)
        self._local = threading.local()
        self._write_lock = threading.Lock()
        self._writer = self.connect()
        self._cache: OrderedDict[tuple, Any] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._cache_generation = -1
        self.facets = FacetIndexHolder(self)
        try:
            with self.writer() as store:
                store.ensure_index_version(INDEX_VERSION)
            with self.writer() as store:  # stores made before the key moved out of them
                store.delete_setting("session_secret")
        except StoreError as exc:
            self._warn(exc)
        self.sync()
        self.facets.build_now()

    def connect(self) -> ReadModel:
        """A store handle on the (already migrated) store, usable from any thread (every
        backend is a ``ReadModel``: the web needs nothing else)."""
        return cast(ReadModel, open_store(self.path, migrate=False, check_same_thread=False))

    @property
    def reader(self) -> ReadModel:
        """This thread's store handle (for reads)."""
        store = getattr(self._local, "store", None)
        if store is None:
            store = self._local.store = self.connect()
        return store

    @contextmanager
    def writer(self) -> Iterator[ReadModel]:
        """The one writing store handle.  A write that fails (a full disk, a read-only
        file) is a ``StoreError`` naming the store: the app answers 503, reads go on."""
        with self._write_lock:
            try:
                yield self._writer
            except self._writer.DatabaseError as exc:
                raise StoreError(f"{self.path}: the store cannot be written now ({exc}); "
                                 "reading still works: free space and try again") from exc

    def sync(self) -> int:
        """Rebuild the web index rows of changed reports (cheap when none changed).
        When the store cannot be written, pages are served from the index as it is
        (the changed reports show up once a write succeeds again)."""
        if self.reader.index_is_current():
            return 0
        try:
            with self.writer() as store:
                return store.sync_index()
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
        generation = self.reader.generation()
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
