"""`tumen analyze`: from a JSON Lines file to stdout, or over the store."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from tumen.cli import app, store_path


@app.command()
def analyze(
    input: Optional[Path] = typer.Argument(None, help="JSON Lines reports (id, title, published, source, url, body); '-' for stdin. Omit to analyze the store."),
    format: str = typer.Option("jsonl", "--format", help="Output format for file input (jsonl)."),
    db: Optional[str] = typer.Option(None, "--db", help="Store to analyze (default $TUMEN_DB or ./tumen.db)."),
    since: Optional[str] = typer.Option(None, "--since", help="Only reports published on or after this date (YYYY-MM-DD)."),
    reanalyze: bool = typer.Option(False, "--reanalyze", help="Analyze every report again, not only those without a current record."),
    processes: Optional[int] = typer.Option(None, "--processes", "-j", help="Worker processes (default: all cores for the store, 1 for a file)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary."),
    engine: str = typer.Option("local", "--engine", help="local (this machine's cores) or spark."),
    spark_input: Optional[str] = typer.Option(None, "--input", help="With --engine spark: JSON Lines or Parquet reports (a path Spark can read)."),
    spark_output: Optional[str] = typer.Option(None, "--output", help="With --engine spark: folder for the Parquet records/, incidents/, mentions/."),
    master: Optional[str] = typer.Option(None, "--master", help="With --engine spark: Spark master (default $SPARK_MASTER or local[*])."),
    partitions: Optional[int] = typer.Option(None, "--partitions", help="With --engine spark: repartition the input."),
    published: Optional[str] = typer.Option(None, "--published", metavar="YYYY-MM-DD", help="File input: publication date of the reports that carry none."),
) -> None:
    """Analyze reports into records: places, organizations, laws, dates, incidents, tags."""
    from tumen.engines.local import analyze_file, analyze_store
    from tumen.ingest.normalize import given_day

    day = given_day(published) if published is not None else None
    if day is not None and (input is None or engine != "local"):
        raise typer.BadParameter("dates the reports of a JSON Lines file; stored reports take "
                                 "theirs at ingest (tumen ingest PATH --published YYYY-MM-DD)",
                                 param_hint="--published")
    from tumen.cli.progress import wanted

    if engine not in ("local", "spark"):
        raise typer.BadParameter("choose local or spark", param_hint="--engine")
    if engine == "spark":
        if not spark_input or not spark_output:
            raise typer.BadParameter("--engine spark needs --input and --output", param_hint="--input/--output")
        from tumen.engines.spark import analyze_with_spark

        counts = analyze_with_spark(spark_input, spark_output, master=master, partitions=partitions)
        if not quiet:
            typer.echo(f"analyzed {counts['reports']} reports on Spark; failed {counts['failed']}; "
                       f"records in {spark_output}/records", err=True)
        if counts["failed"]:
            raise typer.Exit(1)
        return
    if input is not None:
        if format != "jsonl":
            raise typer.BadParameter("only --format jsonl is supported for file input", param_hint="--format")
        if str(input) != "-" and not input.exists():
            typer.echo(f"error: {input}: no such file", err=True)
            raise typer.Exit(2)
        summary = analyze_file(input, sys.stdout, processes=processes or 1, progress=wanted(quiet),
                               published=day)
    else:
        from tumen.store import open_store

        with open_store(store_path(db)) as store:
            summary = analyze_store(store, since=since, reanalyze=reanalyze,
                                    processes=processes, progress=wanted(quiet))
    for line in summary.skipped_lines:
        typer.echo(f"skipped {line}", err=True)
    if summary.skipped_lines.more:
        typer.echo(summary.skipped_lines.more_line("lines skipped"), err=True)
    if not quiet:
        typer.echo(f"analyzed {summary.analyzed} reports in {summary.seconds:.1f}s "
                   f"({summary.rate:.1f}/s); failed {summary.failed}", err=True)
        for err in summary.errors[:20]:
            typer.echo(f"  failed: {err}", err=True)
    if summary.failed or summary.skipped_lines:
        raise typer.Exit(1)
