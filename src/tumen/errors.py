"""One exception family. Every message names what went wrong in words a user can act on."""

from __future__ import annotations


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


class AnalysisError(TumenError):
    """A report could not be analyzed (the report is kept and marked)."""
