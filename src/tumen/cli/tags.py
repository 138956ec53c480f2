"""`tumen tag`: the keyphrase extractor alone, for benchmarking."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Optional

import typer

from tumen.cli import app


@app.command()
def tag(
    input: Path = typer.Argument(..., help="JSON Lines: objects with 'id' and 'body' (or 'text', as in the benchmark files)."),
    top: int = typer.Option(10, "--top", min=1, max=100, help="Keyphrases per document."),
    tagger: str = typer.Option("lexicon", "--tagger", help="lexicon (fast, default) or spacy (spaCy's tagger)."),
    semantic: bool = typer.Option(False, "--semantic", help="Rerank the top 30 candidates by their MiniLM "
                                  "similarity to the text (slower; needs the 'semantic' extra)."),
    keywords: bool = typer.Option(False, "--keywords", help="Single keywords (nouns, adjectives, verbs) "
                                  "instead of phrases, for collections tagged with single words."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary on standard error."),
) -> None:
    """Write {"id", "keyphrases": [ranked]} per document to standard output."""
    from tumen.analysis.keyphrase.batch import tag_file

    if tagger not in ("lexicon", "spacy"):
        raise typer.BadParameter("choose lexicon or spacy", param_hint="--tagger")
    if keywords and semantic:
        raise typer.BadParameter("keyword mode has no semantic rerank", param_hint="--keywords")
    if str(input) != "-" and not input.is_file():
        from tumen.errors import InputError

        raise InputError(str(input), "no such file")
    start = time.perf_counter()
    n = 0
    stream = sys.stdin if str(input) == "-" else None
    from tumen.cli.progress import bar, wanted

    with bar("tagging", None, wanted(quiet)) as advance:
        for row in tag_file(input, top=top, tagger=tagger, stream=stream, semantic=semantic,
                            keywords=keywords):
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
            advance()
    if not quiet:
        dt = time.perf_counter() - start
        print(f"tagged {n} documents in {dt:.1f}s ({n / dt if dt else 0:.1f}/s)", file=sys.stderr)


@app.command("learn-tags")
def learn_tags(
    db: Optional[str] = typer.Option(None, "--db", help="Store file or URL (default $TUMEN_DB or ./tumen.db)."),
) -> None:
    """Learn the archive's house tags from its editors' tags (ingest tags, web corrections);
    the next `tumen analyze --reanalyze` uses them."""
    from tumen.engines.tagging import fit_house_tags
    from tumen.cli.core import _open

    with _open(db) as store:
        result = fit_house_tags(store)
    print(f"learned from {result.examples} editor-tagged reports -> {result.path}")
    print("archive-fitted tags: " + (", ".join(result.learned) or "none"))
    print("new house tags: " + (", ".join(result.new_tags) or "none"))
    print("apply it to stored records with: tumen analyze --reanalyze")
