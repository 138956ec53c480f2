"""A PostgreSQL connection shaped like the ``sqlite3`` connection the web queries use.

``store/queries.py`` is written against ``sqlite3``: ``?`` placeholders, rows readable
by position and by name (``sqlite3.Row``), ``execute``/``executemany``/``close``.  This
adapter gives a psycopg 3 connection that surface, so the queries that are the same
SQL on both backends (nearly all of them: upserts are ``INSERT ... ON CONFLICT``,
inserted ids come back with ``RETURNING``) run unchanged; the few that differ (full-
text matching, snippets, the statement time limit, ``BEGIN IMMEDIATE``) branch on
``conn.dialect`` in ``queries.py``.

The connection is in autocommit mode, like the web's SQLite connections
(``isolation_level=None``): ``queries.transaction`` issues ``BEGIN``/``COMMIT`` itself.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Iterable, Iterator

import psycopg

from tumen.errors import StoreError
from tumen.store.postgres import CONNECT_TIMEOUT, _one_line, redact

_PLACEHOLDER = re.compile(r"\?")


@lru_cache(maxsize=512)
def to_pg(sql: str) -> str:
    """``?`` placeholders as ``%s`` (a literal ``%`` doubled).  Our SQL never has a ``?``
    inside a string literal; values always travel as parameters."""
    return _PLACEHOLDER.sub("%s", sql.replace("%", "%%"))


@lru_cache(maxsize=256)
def _row_class(names: tuple[str, ...]) -> type:
    index = {name: k for k, name in enumerate(names)}

    class Row(tuple):
        """A tuple that also answers ``row["name"]`` and ``keys()`` (like sqlite3.Row)."""

        __slots__ = ()

        def __getitem__(self, key: Any) -> Any:  # type: ignore[override]
            if isinstance(key, str):
                return tuple.__getitem__(self, index[key])
            return tuple.__getitem__(self, key)

        def keys(self) -> tuple[str, ...]:
            return names

    return Row


def _row_factory(cursor: psycopg.Cursor):
    if cursor.description is None:
        return tuple
    cls = _row_class(tuple(c.name for c in cursor.description))
    return cls


class PgCursor:
    def __init__(self, cursor: psycopg.Cursor):
        self._cursor = cursor

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    def fetchone(self):
        return self._cursor.fetchone() if self._cursor.description is not None else None

    def fetchall(self) -> list:
        return self._cursor.fetchall() if self._cursor.description is not None else []

    def __iter__(self) -> Iterator:
        if self._cursor.description is None:
            return iter(())
        return iter(self._cursor)


class PgConnection:
    """A web connection to a PostgreSQL store (``dialect == "postgres"``)."""

    dialect = "postgres"

    def __init__(self, url: str):
        self.url = url
        self.path = redact(url)
        try:
            self._conn = psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT)
        except psycopg.Error as exc:
            raise StoreError(f"{self.path}: cannot open the store ({_one_line(exc)})") from exc
        self._conn.row_factory = _row_factory
        self._conn.execute("SET client_min_messages = warning")

    def execute(self, sql: str, params: Iterable[Any] = ()) -> PgCursor:
        return PgCursor(self._conn.execute(to_pg(sql), tuple(params)))

    def executemany(self, sql: str, rows: Iterable[Iterable[Any]]) -> None:
        rows = [tuple(r) for r in rows]
        if rows:
            with self._conn.cursor() as cur:
                cur.executemany(to_pg(sql), rows)

    def stream(self, sql: str, params: Iterable[Any] = ()) -> Iterator:
        """Rows of ``sql`` fetched as they come (no whole result in memory)."""
        with self._conn.cursor() as cur:
            yield from cur.stream(to_pg(sql), tuple(params))

    def close(self) -> None:
        self._conn.close()


__all__ = ["PgConnection", "to_pg"]
