"""The read model's SQL on psycopg: ``?`` placeholders and ``sqlite3.Row``-like rows.

``store/readmodel.py`` is written once for both backends: ``?`` placeholders, rows
readable by position and by name.  ``PostgresStore._x`` runs it through ``to_pg`` and a
cursor with ``row_factory``, so the SQL that is the same on both backends (nearly all
of it: upserts are ``INSERT ... ON CONFLICT``, inserted ids come back with
``RETURNING``) runs unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import psycopg

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

        def __getitem__(self, key: Any) -> Any:
            if isinstance(key, str):
                return tuple.__getitem__(self, index[key])
            return tuple.__getitem__(self, key)

        def keys(self) -> tuple[str, ...]:
            return names

    return Row


def row_factory(cursor: psycopg.Cursor):
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


__all__ = ["PgCursor", "row_factory", "to_pg"]
