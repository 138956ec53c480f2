"""Core commands: ingest, search, show, stats, export, demo.  Each calls one library function."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from tumen.cli import app, check_output_file, is_url, store_path

DEMO_DB = "tumen-demo.db"


def _console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def _show(value, as_json: bool, printer: str) -> None:
    """``value`` as indented JSON on stdout, or drawn on the console by ``render.<printer>``
    (imported only then: rich loads lazily)."""
    if as_json:
        sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2) + "\n")
        return
    from tumen.cli import render

    getattr(render, printer)(_console(), value)


def _open(db: str | None, must_exist: bool = True):
    from tumen.store import open_store

    return open_store(store_path(db, must_exist))


@app.command()
def ingest(
    paths: list[Path] = typer.Argument(..., help="Files or folders of reports (text, Markdown, HTML, JSON, JSON Lines, CSV, RSS/Atom, WARC; .gz too)."),
    db: str | None = typer.Option(None, "--db", help="Store file (default $TUMEN_DB or ./tumen.db)."),
    no_title: bool = typer.Option(False, "--no-title", help="Plain text: the first line is body, not the title."),
    map: str | None = typer.Option(None, "--map", help="Field map for JSON/CSV, e.g. title=headline,body=text."),
    format: str | None = typer.Option(None, "--format", help="Force the input format instead of guessing it."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar, summary or warnings (failures are still listed)."),
    published: str | None = typer.Option(None, "--published", metavar="YYYY-MM-DD", help="Publication date of the reports that carry none (a page saved without its date)."),
) -> None:
    """Store reports: original bytes, normalized body, stable id; duplicates once, near-duplicates linked."""
    from tumen.ingest.normalize import given_day
    from tumen.ingest.run import ingest as run_ingest
    from tumen.ingest.run import parse_field_map
    from tumen.ingest.sources import FORMATS

    if format is not None and format not in FORMATS:
        raise typer.BadParameter(f"{format!r}: choose one of {', '.join(FORMATS)}", param_hint="--format")
    field_map = parse_field_map(map)
    day = given_day(published) if published is not None else None
    target = store_path(db, must_exist=False)
    if not quiet and not is_url(target) and not Path(target.removeprefix("sqlite:///")).exists():
        typer.echo(f"creating a new store {target}", err=True)
    with _open(target, must_exist=False) as store:
        summary = run_ingest(store, [str(p) for p in paths], title_line=not no_title,
                             field_map=field_map, format=format, progress=not quiet and sys.stderr.isatty(),
                             published=day)
    lines = summary.lines()
    for line in lines + summary.warnings() if not quiet else lines[1:]:
        typer.echo(line, err=True)
    if not summary.ok:
        raise typer.Exit(1)


@app.command()
def search(
    query: str = typer.Argument("", help='Words, "phrases", prefix*, AND/OR/NOT, (groups), title:word.'),
    db: str | None = typer.Option(None, "--db", help="Store file (default $TUMEN_DB or ./tumen.db)."),
    since: str | None = typer.Option(None, "--since", help="Published on or after (YYYY, YYYY-MM or YYYY-MM-DD)."),
    until: str | None = typer.Option(None, "--until", help="Published on or before (YYYY, YYYY-MM or YYYY-MM-DD)."),
    source: str | None = typer.Option(None, "--source", help="Outlet name contains this (any case)."),
    place: str | None = typer.Option(None, "--place", help="Mentions this place (canonical name or gazetteer id)."),
    province: str | None = typer.Option(None, "--province", help="Mentions a place in this province."),
    org: str | None = typer.Option(None, "--org", help="Mentions this organization (canonical name or id)."),
    type: str | None = typer.Option(None, "--type", help="Has an incident of this type (order, arrest, ...)."),
    tag: str | None = typer.Option(None, "--tag", help="Has this tag (analysis or editor tag)."),
    limit: int = typer.Option(20, "--limit", "-n", help="Most hits to show."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per hit on stdout."),
) -> None:
    """Full-text search (BM25, title weighted above body) with highlighted snippets."""
    from rich.markup import escape

    from tumen.store.search import check_source, search_filters
    from tumen.store.search import search as run_search

    f = search_filters(since=since, until=until, source=source, place=place, province=province,
                       org=org, type=type, tag=tag)
    with _open(db) as store:
        hits = run_search(store, query, since=f.since, until=f.until, source=f.source, place=f.place,
                          province=f.province, org=f.org, type=f.type, tag=f.tag, limit=limit)
        if not hits:
            check_source(store, f.source)
    if as_json:
        for hit in hits:
            sys.stdout.write(json.dumps(hit.to_dict(), ensure_ascii=False) + "\n")
        return
    console = _console()
    if not hits:
        _console(stderr=True).print("no matches")
        return
    for hit in hits:
        meta = " · ".join(x for x in (hit.published, hit.source) if x)
        dup = f"  [dim](near-duplicate of {escape(hit.duplicate_of)})[/dim]" if hit.duplicate_of else ""
        console.print(f"[bold cyan]{escape(hit.id)}[/]  {hit.marked_title('[bold yellow]', '[/]', escape)}"
                      f"  [dim]{escape(meta)}[/dim]{dup}")
        console.print("    " + hit.marked("[bold yellow]", "[/]", escape).replace("\n", " "))


@app.command()
def show(
    report_id: str = typer.Argument(..., metavar="ID", help="Report id."),
    db: str | None = typer.Option(None, "--db", help="Store file (default $TUMEN_DB or ./tumen.db)."),
    as_json: bool = typer.Option(False, "--json", help="The report and its record as JSON on stdout."),
) -> None:
    """A report's metadata and text; with its record, the evidence marked in the text."""
    from tumen.store.search import report_view

    with _open(db) as store:
        view = report_view(store, report_id)
    _show(view, as_json, "print_report_view")


@app.command()
def stats(
    db: str | None = typer.Option(None, "--db", help="Store file (default $TUMEN_DB or ./tumen.db)."),
    as_json: bool = typer.Option(False, "--json", help="The figures as JSON on stdout."),
) -> None:
    """Counts by source, month and status (and, once analyzed, places, organizations, incidents)."""
    with _open(db) as store:
        figures = store.stats()
    _show(figures, as_json, "print_stats")


@app.command()
def export(
    format: str = typer.Option("jsonl", "--format", "-f", help="jsonl, csv or parquet."),
    out: str | None = typer.Option(None, "--out", "-o", help="Output file (default stdout; required for parquet)."),
    records: bool = typer.Option(False, "--records", help="Export the analysis records instead of the reports."),
    db: str | None = typer.Option(None, "--db", help="Store file (default $TUMEN_DB or ./tumen.db)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary."),
) -> None:
    """Export every report (or record), streaming; a report export reads back with ingest.
    Records carry the editors' corrections, applied as the web applies them."""
    from tumen.cli.progress import CountingStore, bar, wanted
    from tumen.store.export import FORMATS
    from tumen.store.export import export as run_export

    if format not in FORMATS:
        raise typer.BadParameter(f"{format!r}: choose one of {', '.join(FORMATS)}", param_hint="--format")
    if out not in (None, "-"):
        check_output_file(out, "--out")
    with _open(db) as store:
        shown = wanted(quiet)
        total = None if not shown else store.count_records() if records else store.count()
        with bar(f"exporting {'records' if records else 'reports'}", total, shown) as advance:
            n = run_export(CountingStore(store, advance), format, out, records=records)
    if out not in (None, "-") and not quiet:
        typer.echo(f"exported {n} {'records' if records else 'reports'} to {out}", err=True)


def _refuse_to_replace_an_archive(db: str) -> None:
    """The demo replaces its store: never one that holds reports other than the samples."""
    from tumen.errors import StoreError
    from tumen.ingest.run import sample_paths
    from tumen.store.sqlite import SQLiteStore

    path = Path(db)
    if path.is_dir():
        raise StoreError(f"--db {db}: is a folder; give the demo a file name")
    if not path.is_file() or path.stat().st_size == 0:
        return
    samples = {p.name for p in sample_paths()}
    import sqlite3

    try:
        store = SQLiteStore(str(path), readonly=True)
        try:
            other = any(Path(r.source_path or "").name not in samples for r in store.iter_reports())
        finally:
            store.close()
    except (StoreError, sqlite3.DatabaseError):  # not a Tumen store (a stale file): replaced
        return
    if other:
        raise StoreError(f"--db {db}: holds reports that are not the bundled samples, and the "
                         "demo replaces its store; give the demo a new file")


@app.command()
def demo(
    db: str = typer.Option(DEMO_DB, "--db", help="Demo store file (replaced)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
) -> None:
    """Ingest the bundled sample reports into a fresh store, analyze them, show what was found."""
    from tumen.ingest.run import run_demo

    _refuse_to_replace_an_archive(db)
    result = run_demo(db, progress=not quiet and sys.stderr.isatty())
    from tumen.cli.render import print_demo

    print_demo(_console(), result)
    if not result["ingest"].ok:
        raise typer.Exit(1)
