"""Rich rendering for the core commands (show, stats, demo): presentation only."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from rich.table import Table
from rich.text import Text

_TOP = 10


def _counts_table(title: str, counts: dict[str, int], limit: int = _TOP) -> Table:
    table = Table(title=title, title_justify="left", show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    for key, value in list(counts.items())[:limit]:
        table.add_row(escape(str(key)), str(value))
    if len(counts) > limit:
        table.add_row(f"[dim]… {len(counts) - limit} more[/dim]", "")
    return table


def print_stats(console: Any, figures: dict[str, Any]) -> None:
    console.print(f"[bold]{figures['reports']}[/] reports, {figures['near_duplicates']} "
                  f"near-duplicates, {figures['records']} analysis records")
    for key, title in (("by_status", "status"), ("by_source", "source"), ("by_month", "month"),
                       ("incidents_by_type", "incidents by type"), ("top_provinces", "top provinces"),
                       ("top_places", "top places"), ("top_organizations", "top organizations")):
        if figures.get(key):
            limit = 24 if key == "by_month" else _TOP
            counts = figures[key]
            if key == "by_month" and len(counts) > limit:
                counts = dict(list(counts.items())[-limit:])
            console.print(_counts_table(title, counts, limit))


def _marked_body(body: str, record: dict | None) -> Text:
    """The body with incident evidence underlined and entity mentions coloured."""
    text = Text(body)
    if not record:
        return text
    for kind, style in (("places", "green"), ("organizations", "magenta"), ("laws", "blue")):
        for item in record.get(kind) or []:
            for m in item.get("mentions") or []:
                if 0 <= m.get("start", -1) < m.get("end", -1) <= len(body):
                    text.stylize(style, m["start"], m["end"])
    for d in record.get("dates") or []:
        if 0 <= d.get("start", -1) < d.get("end", -1) <= len(body):
            text.stylize("cyan", d["start"], d["end"])
    for inc in record.get("incidents") or []:
        ev = inc.get("evidence") or {}
        if 0 <= ev.get("start", -1) < ev.get("end", -1) <= len(body):
            text.stylize("underline", ev["start"], ev["end"])
    return text


# Terminal width from which the record is shown beside the text rather than below it.
SIDE_BY_SIDE_WIDTH = 140


def _record_renderable(record: dict | None) -> Any:
    from rich.console import Group

    if not record:
        return Text("no analysis record yet (run 'tumen analyze')", style="dim")
    parts: list[Any] = [Text.from_markup(
        f"[bold]record[/] [dim]({escape(str(record.get('analyzer')))}, "
        f"{escape(str(record.get('status')))})[/]\n[dim]underlined: incident evidence; green "
        "places, magenta organizations, blue laws, cyan dates[/]")]
    if record.get("error"):
        parts.append(Text.from_markup(f"[red]error:[/] {escape(record['error'])}"))
    if record.get("duplicate_of"):
        parts.append(Text.from_markup(f"[dim]duplicate of:[/] {escape(record['duplicate_of'])}"))
    if record.get("tags"):
        parts.append(Text.from_markup(f"[dim]tags:[/] {escape(', '.join(record['tags']))}"))
    for kind in ("places", "organizations", "laws"):
        names = [i.get("name") for i in record.get(kind) or [] if i.get("name")]
        if names:
            parts.append(Text.from_markup(f"[dim]{kind}:[/] {escape(', '.join(names))}"))
    dates = [f"{d.get('text')} → {d.get('value')}" for d in record.get("dates") or []]
    if dates:
        parts.append(Text.from_markup(f"[dim]dates:[/] {escape('; '.join(dates))}"))
    if not record.get("incidents"):
        parts.append(Text("no incidents", style="dim"))
    return Group(*parts)


# What `tumen show` says of a report that carries no publication date.
NO_DATE = ("none: the report carries no date, so its relative dates (\"on Thursday\", "
           "\"last year\") are unresolved; ingest the file again with --published YYYY-MM-DD, "
           "then tumen analyze")


# Narrowest evidence column of the incidents table; a terminal too narrow for it and
# the short columns (each as wide as its longest word at least) gets one block per incident.
MIN_EVIDENCE_WIDTH = 30
# A short column wraps to this width when its longest word allows (actor names).
SHORT_COLUMN_WIDTH = 16
_FIELDS = ("type", "actor", "target", "place", "date", "penalty")


def _incident_cells(inc: dict) -> list[str]:
    cells = [str(inc.get(c) or "") for c in _FIELDS]
    if inc.get("corrected"):
        cells[0] += " (corrected)"
    return cells + [(inc.get("evidence") or {}).get("text") or ""]


def _incidents_renderable(incidents: list[dict], width: int) -> Any:
    """The incidents across the terminal's whole width, wrapped at word boundaries: a
    table on a wide terminal (the evidence column takes what the short ones leave),
    one block per incident on a narrow one."""
    from rich.cells import cell_len
    from rich.console import Group
    from rich.padding import Padding

    rows = [_incident_cells(inc) for inc in incidents]
    widths = []  # each short column: its longest value, wrapped down to its longest word
    for i, name in enumerate(_FIELDS):
        values = [row[i] for row in rows] + [name]
        longest_word = max(cell_len(w) for v in values for w in (v.split() or [""]))
        widths.append(max(longest_word, min(max(cell_len(v) for v in values), SHORT_COLUMN_WIDTH)))
    shown = [i for i, name in enumerate(_FIELDS)
             if i == 0 or any(row[i] for row in rows)]  # no empty columns
    # borders and padding: 3 cells per column and 1 for the table's left edge
    if sum(widths[i] for i in shown) + 3 * (len(shown) + 1) + 1 + MIN_EVIDENCE_WIDTH <= width:
        table = Table(title="incidents", title_justify="left", expand=True)
        for i in shown:
            table.add_column(_FIELDS[i], width=widths[i], overflow="fold")
        table.add_column("evidence", ratio=1, overflow="fold")
        for row in rows:
            table.add_row(*(escape(row[i]) for i in shown), escape(row[6]))
        return table
    blocks: list[Any] = [Text("incidents", style="bold")]
    for n, row in enumerate(rows, 1):
        head = " · ".join(c for c in row[:6] if c)
        blocks.append(Text.from_markup(f"{n}. [bold]{escape(head)}[/]"))
        blocks.append(Padding(Text(row[6]), (0, 0, 0, 3)))
    return Group(*blocks)


def print_report_view(console: Any, view: dict[str, Any]) -> None:
    r, record = view["report"], view["record"]
    console.print(f"[bold]{escape(r['title'] or '(untitled)')}[/]")
    extra = r.get("extra") or {}
    for key in ("id", "published", "source", "url", "language", "status", "duplicate_of",
                "ingested_at", "source_path", "locator"):
        if key == "published" and not r.get(key):
            console.print(f"  [dim]published:[/] [bold yellow]{NO_DATE}[/]")
        elif r.get(key):
            given = " (given with --published)" if key == "published" and extra.get("published_given") else ""
            console.print(f"  [dim]{key}:[/] {escape(str(r[key]))}{given}")
    if r.get("tags"):
        console.print(f"  [dim]editor tags:[/] {escape(', '.join(r['tags']))}")
    if extra.get("tag_line"):
        console.print(f"  [dim]tag line (the page's):[/] {escape(str(extra['tag_line']))}")
    if view.get("near_duplicates"):
        console.print(f"  [dim]near-duplicates:[/] {escape(', '.join(view['near_duplicates']))}")
    console.print()
    body, side = _marked_body(r["body"], record), _record_renderable(record)
    if console.width >= SIDE_BY_SIDE_WIDTH:
        grid = Table.grid(expand=True, padding=(0, 2))
        grid.add_column(ratio=3)
        grid.add_column(ratio=2)
        grid.add_row(body, side)
        console.print(grid)
    else:
        console.print(body)
        console.print()
        console.print(side)
    if record and record.get("incidents"):
        console.print()
        console.print(_incidents_renderable(record["incidents"], console.width))


def print_demo(console: Any, result: dict[str, Any]) -> None:
    summary, figures, db = result["ingest"], result["stats"], result["db"]
    console.print(f"[bold]Tumen demo[/] — store: {escape(db)}")
    for line in summary.lines():
        console.print("  " + escape(line))
    if result.get("analysis_note"):
        console.print(f"  [yellow]{escape(result['analysis_note'])}[/]")
    elif result.get("analysis") is not None:
        a = result["analysis"]
        console.print(f"  analyzed {a.analyzed} reports ({a.failed} failed) in {a.seconds:.1f} s")
    console.print()
    print_stats(console, figures)
    example = result.get("example_id") or "ID"
    console.print()
    console.print("[bold]Next:[/]")
    for cmd in (f'tumen search "mobile phone*" --db {db}',
                f"tumen search --type arrest --db {db}",
                f"tumen show {example} --db {db}",
                f"tumen stats --db {db}",
                f"tumen export --format jsonl --records --db {db} > records.jsonl",
                f"tumen serve --db {db}"):
        console.print(f"  {escape(cmd)}")
