"""Command line: thin.  Each command parses options and calls one library function.

Commands live in one module per stage (``cli/core.py``: ingest, search, show, stats,
export, demo; ``cli/analysis.py``: analyze; ``cli/tags.py``: tag; ``cli/web.py``:
serve, user; ``cli/ops.py``: backup, check, migrate, load).  Messages go to standard
error; data (records, search results as JSON, exports to stdout) to standard output.
"""

from __future__ import annotations

import os
import sys
from importlib import import_module

import typer

from ..errors import TumenError

app = typer.Typer(
    name="tumen",
    help="Turn field reports about North Korea into a searchable, cited record.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DEFAULT_DB = "tumen.db"


@app.callback()
def _root() -> None:
    """Turn field reports about North Korea into a searchable, cited record."""


def default_db() -> str:
    """The store location: --db, else $TUMEN_DB, else ./tumen.db."""
    return os.environ.get("TUMEN_DB", DEFAULT_DB)


for _module in ("core", "analysis", "tags", "web", "ops"):
    try:
        import_module(f"{__name__}.{_module}")
    except ModuleNotFoundError as exc:  # a command group still being written
        if exc.name != f"{__name__}.{_module}":
            raise


def main(argv: list[str] | None = None) -> int:
    try:
        return app(args=argv, standalone_mode=True) or 0
    except TumenError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
