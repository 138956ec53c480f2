"""Command line: thin.  Each command parses options and calls one library function.

Commands live in one module per stage (``cli/core.py``: ingest, search, show, stats,
export, demo; ``cli/analysis.py``: analyze; ``cli/tags.py``: tag; ``cli/web.py``:
serve, user; ``cli/ops.py``: backup, check, migrate, load).  Messages go to standard
error; data (records, search results as JSON, exports to stdout) to standard output.
A front end: may import every package below it; of ``tumen.web`` only ``cli/web.py``
does (to serve the app and manage its accounts) -- tests/test_layout.py.

Every wrong usage ends in ONE line on standard error (``error: ...``) and a non-zero
exit status: 2 for a usage error (unknown option, bad value), 1 for anything else the
command could not do (missing store, unwritable file, ...).  ``main`` turns click's
usage errors and the operating system's file errors into that line; no traceback.
"""

from __future__ import annotations

import os
import sys
from importlib import import_module
from pathlib import Path
from typing import Optional

import typer

try:  # typer vendors its own copy of click from 0.2x on
    from typer._click import exceptions as _cx
except ImportError:  # pragma: no cover - older typer on click
    from click import exceptions as _cx

from tumen.errors import StoreError, TumenError

app = typer.Typer(
    name="tumen",
    help="Turn field reports about North Korea into a searchable, cited record.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DEFAULT_DB = "tumen.db"


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    from tumen import __version__

    try:
        return installed("tumen")
    except PackageNotFoundError:  # run from a source tree without installing
        return __version__


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"tumen {version()}")
        raise typer.Exit()


@app.callback()
def _root(show_version: Optional[bool] = typer.Option(
        None, "--version", callback=_print_version, is_eager=True,
        help="Print Tumen's version and exit.")) -> None:
    """Turn field reports about North Korea into a searchable, cited record."""


def default_db() -> str:
    """The store location: --db, else $TUMEN_DB, else ./tumen.db."""
    return os.environ.get("TUMEN_DB", DEFAULT_DB)


def is_url(target: str) -> bool:
    return "://" in target and not target.startswith("sqlite:///")


def store_path(db: Optional[str], must_exist: bool = True) -> str:
    """The store ``--db`` names (else $TUMEN_DB, else ./tumen.db).  With ``must_exist``, a
    SQLite file that is not there is refused (a mistyped --db must not quietly create an
    empty store); only ``ingest`` and ``load`` create one."""
    target = db or default_db()
    if is_url(target):
        return target
    path = Path(target[len("sqlite:///"):] if target.startswith("sqlite:///") else target)
    if must_exist and not path.exists():
        raise StoreError(f"{target}: no such store (check --db; 'tumen ingest PATH --db {target}' "
                         "creates one)")
    if path.exists() and path.is_dir():
        raise StoreError(f"{target}: is a folder, not a store file (give --db a file path)")
    if must_exist and path.stat().st_size == 0:
        raise StoreError(f"{target}: empty file, not a Tumen store")
    return target


def check_output_file(path: str | Path, option: str) -> None:
    """An output file must go into an existing folder and must not be a folder."""
    target = Path(path)
    if target.is_dir():
        raise TumenError(f"{option} {path}: is a folder; give a file name (e.g. {target / 'out'})")
    parent = target.parent
    if not parent.exists():
        raise TumenError(f"{option} {path}: folder {parent} does not exist")
    if not parent.is_dir():
        raise TumenError(f"{option} {path}: {parent} is not a folder")
    if not os.access(parent, os.W_OK):
        raise TumenError(f"{option} {path}: cannot write in folder {parent}")


for _module in ("core", "analysis", "tags", "web", "ops"):
    try:
        import_module(f"{__name__}.{_module}")
    except ModuleNotFoundError as exc:  # a command group still being written
        if exc.name != f"{__name__}.{_module}":
            raise


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _usage_line(exc: _cx.UsageError) -> str:
    message = _one_line(exc.format_message())
    ctx = exc.ctx
    if ctx is not None:
        message += f" (see '{ctx.command_path} --help')"
    return message


def _os_error_line(exc: OSError) -> str:
    reason = (exc.strerror or str(exc)).rstrip(".")
    reason = reason[:1].lower() + reason[1:]
    if exc.filename is not None:
        return f"{exc.filename}: {reason}"
    return _one_line(reason)


def main(argv: list[str] | None = None) -> int:
    """Run a command.  A command that ran exits through ``SystemExit`` with its status
    (as click's standalone mode does); a usage or runtime error is one line on standard
    error and the returned status (2 usage, 1 otherwise)."""
    try:
        code = app(args=argv, prog_name="tumen", standalone_mode=False)
        raise SystemExit(code if isinstance(code, int) else 0)
    except _cx.NoArgsIsHelpError as exc:  # bare `tumen` or `tumen user`: the help
        text = exc.format_message()  # typer's rich help has printed itself already
        if text.strip():
            typer.echo(text)
        raise SystemExit(0) from None
    except _cx.UsageError as exc:
        print(f"error: {_usage_line(exc)}", file=sys.stderr)
        return 2
    except _cx.ClickException as exc:  # click's own file errors and the like
        print(f"error: {_one_line(exc.format_message())}", file=sys.stderr)
        return exc.exit_code or 1
    except typer.Abort:
        print("aborted", file=sys.stderr)
        return 1
    except TumenError as exc:
        print(f"error: {_one_line(str(exc))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `tumen export | head`: the reader left, nothing to say
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 1
    except OSError as exc:
        print(f"error: {_os_error_line(exc)}", file=sys.stderr)
        return 1
