"""Operations on whole stores: load (Spark output), backup, check, migrate."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from tumen.cli import app, check_output_file, is_url, store_path


@app.command()
def load(
    path: Path = typer.Argument(..., help="Output folder of `tumen analyze --engine spark` (or its records/ folder)."),
    db: Optional[str] = typer.Option(None, "--db", help="Store to load into (SQLite path or postgresql:// URL)."),
    quiet: bool = typer.Option(False, "--quiet", "-q"),
) -> None:
    """Load Parquet records written by the Spark engine into a store."""
    from tumen.store.load import load_parquet
    from tumen.store import open_store
    from tumen.cli.progress import CountingStore, bar, wanted

    target = store_path(db, must_exist=False)
    if not quiet and not is_url(target) and not Path(target.removeprefix("sqlite:///")).exists():
        typer.echo(f"creating a new store {target}", err=True)
    with open_store(target) as store, bar("loading records", None, wanted(quiet)) as advance:
        summary = load_parquet(CountingStore(store, advance), path)
    if not quiet:
        typer.echo(f"loaded {summary.records} records; reports added {summary.reports_added}, "
                   f"already stored {summary.reports_known}, failed {len(summary.failed)}", err=True)
        for where, reason in summary.failed[:20]:
            typer.echo(f"  failed: {where}: {reason}", err=True)
    if summary.failed:
        raise typer.Exit(1)


@app.command()
def migrate(
    source: str = typer.Option(..., "--from", help="The store to move: sqlite:FILE (or a path), or postgresql://..."),
    target: str = typer.Option(..., "--to", help="An empty PostgreSQL database (postgresql://user@host:port/db), "
                                                "or, from PostgreSQL, a new SQLite file (sqlite:FILE)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary."),
) -> None:
    """Move an archive from SQLite to PostgreSQL or back; every table copied and verified (counts, checksums)."""
    from tumen.store.migrate import migrate as run_migrate
    from tumen.cli.progress import bar, wanted

    with bar("copying", None, wanted(quiet)) as advance:
        done: dict[str, int] = {}

        def on_copy(table: str, copied: int) -> None:  # called with running counts per table
            advance(copied - done.get(table, 0), description=f"copying {table}")
            done[table] = copied

        summary = run_migrate(source, target, progress=on_copy)
    if not quiet:
        for line in summary.lines():
            typer.echo(line, err=True)


@app.command()
def backup(
    target: Path = typer.Argument(..., help="File to write the copy to (must not exist, unless --overwrite)."),
    db: Optional[str] = typer.Option(None, "--db", help="Store to copy (default $TUMEN_DB or ./tumen.db)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace TARGET if it exists."),
    quiet: bool = typer.Option(False, "--quiet", "-q"),
) -> None:
    """A consistent copy of a live SQLite store (SQLite's online backup API), verified."""
    from tumen.store.maintenance import backup as run_backup

    source = store_path(db)
    if not (overwrite and target.is_file()):
        check_output_file(target, "TARGET")
    result = run_backup(source, target, overwrite=overwrite)
    if not quiet:
        typer.echo(result.line(), err=True)


@app.command()
def check(
    db: Optional[str] = typer.Option(None, "--db", help="Store to verify (default $TUMEN_DB or ./tumen.db)."),
    repair: bool = typer.Option(False, "--repair", help="Rebuild the full-text index first (the only repair offered)."),
    as_json: bool = typer.Option(False, "--json", help="The result as one JSON object on stdout."),
) -> None:
    """Verify a store: SQLite integrity, full-text index in sync, no orphan or half-written
    records.  Lists every problem; exit status 1 when there is one."""
    import json

    from tumen.store.maintenance import check_store, repair_fts

    path = store_path(db)
    if repair:
        repair_fts(path)
    result = check_store(path)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False))
    else:
        for line in result.lines():
            typer.echo(line, err=True)
    if not result.ok:
        raise typer.Exit(1)
