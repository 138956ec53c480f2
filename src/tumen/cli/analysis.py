"""`tumen analyze`: from a JSON Lines file to stdout, or over the store."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from . import app, default_db


@app.command()
def analyze(
    input: Optional[Path] = typer.Argument(None, help="JSON Lines reports (id, title, published, source, url, body); '-' for stdin. Omit to analyze the store."),
    format: str = typer.Option("jsonl", "--format", help="Output format for file input (jsonl)."),
    db: Optional[str] = typer.Option(None, "--db", help="Store to analyze (default $TUMEN_DB or ./tumen.db)."),
    since: Optional[str] = typer.Option(None, "--since", help="Only reports published on or after this date (YYYY-MM-DD)."),
    reanalyze: bool = typer.Option(False, "--reanalyze", help="Analyze every report again, not only those without a current record."),
    processes: Optional[int] = typer.Option(None, "--processes", "-j", help="Worker processes (default: all cores for the store, 1 for a file)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary."),
) -> None:
    """Analyze reports into records: places, organizations, laws, dates, incidents, tags."""
    from ..analyze import analyze_file, analyze_store

    if input is not None:
        if format != "jsonl":
            raise typer.BadParameter("only --format jsonl is supported for file input", param_hint="--format")
        if str(input) != "-" and not input.exists():
            typer.echo(f"error: {input}: no such file", err=True)
            raise typer.Exit(2)
        summary = analyze_file(input, sys.stdout, processes=processes or 1, progress=not quiet)
    else:
        from ..store import open_store

        with open_store(db or default_db()) as store:
            summary = analyze_store(store, since=since, reanalyze=reanalyze,
                                    processes=processes, progress=not quiet)
    for line in summary.skipped_lines:
        typer.echo(f"skipped {line}", err=True)
    if not quiet:
        typer.echo(f"analyzed {summary.analyzed} reports in {summary.seconds:.1f}s "
                   f"({summary.rate:.1f}/s); failed {summary.failed}", err=True)
        for err in summary.errors[:20]:
            typer.echo(f"  failed: {err}", err=True)
    if summary.failed or summary.skipped_lines:
        raise typer.Exit(1)
