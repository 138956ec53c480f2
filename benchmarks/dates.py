"""Speed of the dates component (grammar + resolver + roles), against spaCy.

Texts: the 30 devset reports, the 100 trainset reports, the first N bodies of
../shared/data/corpora/kcna_2011_2012.jsonl and one 1 MB body.  Prints milliseconds
per report for the dates component given spaCy's parse (as in the pipeline), and the
same texts through spaCy's full ``en_core_web_sm`` ``nlp.pipe`` for scale: the whole
analysis must stay within 1.3 x spaCy, so the dates component is meant to take a few
percent of it.

    python benchmarks/dates.py [--corpus-docs 500]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT / "src"))

from tumen.components.dates import DatesComponent  # noqa: E402
from tumen.pipeline import SPACY_MODEL, Document, load_spacy, parse_iso_date  # noqa: E402
from tumen.record import Report  # noqa: E402
from tumen.text import sentence_spans  # noqa: E402


def reports(path: Path, limit: int | None = None) -> list[tuple[str, str | None]]:
    out = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if limit is not None and len(out) >= limit:
                break
            obj = json.loads(line)
            out.append((obj.get("body") or obj.get("text") or "", obj.get("published") or obj.get("date")))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus-docs", type=int, default=500)
    args = parser.parse_args()
    sets = {
        "devset": reports(SHARED / "devset" / "reports.jsonl"),
        "trainset": reports(SHARED / "trainset" / "reports_a.jsonl") + reports(SHARED / "trainset" / "reports_b.jsonl"),
        "kcna": reports(SHARED / "corpora" / "kcna_2011_2012.jsonl", args.corpus_docs),
    }
    dev_bodies = " ".join(b for b, _ in sets["devset"])
    sets["1MB body"] = [(((dev_bodies + " ") * 40)[:1_000_000], "2024-01-01")]
    nlp_parse = load_spacy()  # the pipeline's model (no NER)
    import spacy

    nlp_full = spacy.load(SPACY_MODEL)  # spaCy's own full pipeline, for scale
    comp = DatesComponent()
    comp.initialize()
    for name, items in sets.items():
        texts = [b for b, _ in items]
        big = name == "1MB body"
        parsed = [None] * len(texts) if big else list(nlp_parse.pipe(texts, batch_size=32))
        docs = [Document(report=Report(id=str(i), body=b, published=p), spacy=s,
                         published=parse_iso_date(p), sentences=sentence_spans(b))
                for i, ((b, p), s) in enumerate(zip(items, parsed))]
        t = time.perf_counter()
        n_dates = 0
        for doc in docs:
            comp(doc)
            n_dates += len(doc.user_data["date_mentions"])
        took = time.perf_counter() - t
        line = (f"{name:9} {len(texts):5} reports  dates {1000 * took / len(texts):8.2f} ms/report  "
                f"{n_dates / len(texts):6.1f} dates/report")
        if not big:
            t = time.perf_counter()
            for _ in nlp_full.pipe(texts, batch_size=32):
                pass
            sp = time.perf_counter() - t
            line += f"   spaCy full pipe {1000 * sp / len(texts):.2f} ms/report -> share {took / sp:.1%}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
