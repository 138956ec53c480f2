"""One exception family. Every message names what went wrong in words a user can act on."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class TumenError(Exception):
    """Base class of every error Tumen raises on purpose."""


class InputError(TumenError):
    """A source file (or one item in it) cannot be read as a report.

    ``path`` names the file, ``line`` the line number for line-based formats
    (JSON Lines, CSV), ``reason`` a one-line explanation.
    """

    def __init__(self, path: str, reason: str, line: int | None = None):
        self.path = str(path)
        # always one line, even when it quotes the input (a CSV column name with a newline)
        self.reason = reason.replace("\r", "\\r").replace("\n", "\\n")
        self.line = line
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {self.reason}")


class QueryError(TumenError):
    """A search query or filter that cannot be run (malformed FTS syntax, bad date...)."""


class StoreError(TumenError):
    """The store cannot be opened, migrated or written."""


# Failures kept (and listed) per run; the rest are counted.  A million bad lines must
# not take a million entries of memory nor print a million lines.
MAX_FAILURES_KEPT = 100


class Failures(list[Any]):
    """A list of failures that keeps the first ``MAX_FAILURES_KEPT`` and counts the rest
    (``total``; ``more`` = not kept).  Memory is constant however many fail."""

    def __init__(self, items: Iterable[Any] = (), limit: int = MAX_FAILURES_KEPT):
        super().__init__()
        self.limit = limit
        self.more = 0
        self.extend(items)

    def append(self, item: Any) -> None:
        if len(self) < self.limit:
            super().append(item)
        else:
            self.more += 1

    def extend(self, items: Iterable[Any]) -> None:
        for item in items:
            self.append(item)
        self.more += getattr(items, "more", 0)

    # list's += returns a plain list's type; this one keeps the limit, so it returns Failures
    def __iadd__(self, items: Iterable[Any]) -> Failures:  # type: ignore[misc]
        self.extend(items)
        return self

    @property
    def total(self) -> int:
        return len(self) + self.more

    def more_line(self, what: str = "failures") -> str | None:
        """``… and N more failures (not listed)`` when some were not kept, else None."""
        return f"... and {self.more:,} more {what} (only the first {self.limit} are listed)" if self.more else None
