"""Dates against the public benchmark (TempEval-3 TimeBank and AQUAINT), and speed.

Accuracy (default): runs ``tumen analyze`` (this checkout's code) on
``../shared/data/dates/{timebank,aquaint}.reports.jsonl`` and scores the record it writes
with ``../shared/tools/timexeval.py``, scope DATE-spec (the dates Tumen's spec
records: no "now"-type values, no bare weeks).  Two readings of the same record:

* ``record``: the record's ``dates`` as written (each distinct text once);
* ``mentions``: every occurrence the record's ``mentions`` carry, each with its date's
  value (what TimeML gold annotates, and how HeidelTime is scored);
* ``mentions, quarters as Qn``: the same, reading a year whose ``range`` is one calendar
  quarter as TimeML's ``YYYY-Qn`` (the record's spec has no quarter precision, so a
  quarter's value is its year; this line shows what that costs, it is not the score).

Then the ceiling under the spec, computed from the gold files through the same scorer: a
system whose values are all spec values (day, month, year, season) can never match
TimeML's quarters and halves (``1989-Q3``, ``1989-QX``, ``1990-H1``).  "ceiling under the
spec": every other gold date right, each quarter emitted with its year value (what the
spec asks) or not emitted at all.  "perfect spec system": every gold expression with the
value the spec gives it (a quarter its year, "Wednesday night" the day, TimeML's
``1968-XX`` the year: wrong by TimeML's notation; decades, weeks and durations not
emitted): what a record exactly right by the spec scores.

Printed beside HeidelTime 2.2.1's and ``dateparser.search_dates``'s figures on the same
files and scope (from ``../shared/data/dates/README.md``).

Speed (``--speed``): milliseconds per report for the dates component given spaCy's
parse, against spaCy's full ``en_core_web_sm`` pipe, on the devset, the trainset, the
first N KCNA bodies and one 1 MB body.

    python benchmarks/dates.py [--keep DIR] [--speed [--corpus-docs 500]]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DATA = SHARED / "data"
sys.path.insert(0, str(ROOT / "src"))

# value F1 / relaxed span F1 are not published for these; value F1 (DATE-spec) is
REFERENCE = {"HeidelTime 2.2.1": {"timebank": 80.7, "aquaint": 77.1},
             "dateparser.search_dates": {"timebank": 33.3, "aquaint": 50.0}}
CORPORA = ("timebank", "aquaint")


def _timexeval():
    spec = importlib.util.spec_from_file_location("timexeval", SHARED / "tools" / "timexeval.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def analyze(corpus: str, out: Path) -> float:
    """Run ``tumen analyze`` on one corpus, writing JSONL records to ``out``; seconds."""
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    t = time.perf_counter()
    with out.open("w", encoding="utf-8") as handle:
        subprocess.run([sys.executable, "-m", "tumen", "analyze",
                        str(DATA / "dates" / f"{corpus}.reports.jsonl"), "--format", "jsonl"],
                       stdout=handle, stderr=subprocess.DEVNULL, env=env, check=True, cwd=ROOT)
    return time.perf_counter() - t


def _as_timeml_quarter(d: dict) -> dict:
    """A year-precision date whose ``range`` is one calendar quarter, as TimeML writes it
    (YYYY-Qn): the spec has no quarter precision, so this reading is shown apart."""
    rng = d.get("range")
    if d.get("precision") == "year" and rng and len(rng) == 2:
        first, last = rng
        if first[:4] == last[:4] and first[8:] == "01" and first[5:7] in ("01", "04", "07", "10"):
            q = (int(first[5:7]) + 2) // 3
            if int(last[5:7]) == 3 * q:
                return {**d, "value": f"{first[:4]}-Q{q}"}
    return d


def system_dates(records: Path, every_mention: bool, quarters: bool = False) -> dict[str, list[dict]]:
    out = {}
    with records.open(encoding="utf-8") as handle:
        for line in handle:
            rec = json.loads(line)
            dates = []
            for d in rec.get("dates") or []:
                spans = d.get("mentions") if every_mention and d.get("mentions") else [d]
                if quarters:
                    d = _as_timeml_quarter(d)
                dates += [{**d, "text": m["text"], "start": m["start"], "end": m["end"]} for m in spans]
            out[rec["id"]] = dates
    return out


QUARTER = re.compile(r"\d{4}-(?:Q[1-4X]|H[12])")
SPEC_VALUE = re.compile(r"\d{4}(?:-\d\d(?:-\d\d)?|-(?:SP|SU|FA|WI))?")
DAY_TIME = re.compile(r"(\d{4}-\d\d-\d\d)T.*")
YEAR_UNDERSPECIFIED = re.compile(r"(\d{4})-XX(?:-XX)?")


def spec_reading(value: str) -> str | None:
    """The value a spec-conforming record gives the expression TimeML valued ``value``:
    the same when the spec can write it; a quarter or half its year, a part of a day its
    day, ``1968-XX`` its year; None when the spec records no date (decades, weeks,
    durations, vague days)."""
    if SPEC_VALUE.fullmatch(value):
        return value
    if QUARTER.fullmatch(value):
        return value[:4]
    m = DAY_TIME.fullmatch(value) or YEAR_UNDERSPECIFIED.fullmatch(value)
    return m.group(1) if m else None


def ceiling(te, gold: list[dict], quarters_emitted: bool, perfect: bool) -> dict:
    """Value scores of the best spec-conforming system, from the gold itself: each gold
    DATE-spec expression at its gold span, with its gold value (every date the spec can
    write right) or, with ``perfect``, the value the spec gives it (``spec_reading``:
    wrong where TimeML's differs, not emitted where the spec has none); a quarter or half
    emitted with its year (``quarters_emitted``, what the spec asks) or not at all."""
    out = {}
    for doc in gold:
        dates = []
        for g in doc["timexes"]:
            if g["type"] != "DATE":
                continue
            value = g["value"] or ""
            if QUARTER.fullmatch(value):
                if not quarters_emitted:
                    continue
                value = value[:4]
            elif perfect:
                value = spec_reading(value)
                if value is None:
                    continue
            dates.append({"text": g["text"], "start": g["start"], "end": g["end"], "value": value})
        out[doc["id"]] = dates
    return te.score(gold, out, "DATE-spec")["value"]


def accuracy(args) -> None:
    te = _timexeval()
    keep = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="tumen-dates-"))
    keep.mkdir(parents=True, exist_ok=True)
    print("DATE-spec scope (timexeval.py); value F1 = value-correct / (system + gold) x 2")
    print(f"{'system':40} {'corpus':9} {'value P':>8} {'value R':>8} {'value F1':>9} {'span F1':>8}")
    for corpus in CORPORA:
        records = keep / f"{corpus}.records.jsonl"
        took = analyze(corpus, records)
        gold = [json.loads(line) for line in (DATA / "dates" / f"{corpus}.gold.jsonl").open(encoding="utf-8")]
        for reading, every, quarters in (("record", False, False), ("mentions", True, False),
                                         ("mentions, quarters as Qn", True, True)):
            res = te.score(gold, system_dates(records, every, quarters), "DATE-spec")
            v, r = res["value"], res["relaxed"]
            print(f"{'Tumen (' + reading + ')':40} {corpus:9} {100 * v['P']:8.1f} {100 * v['R']:8.1f} "
                  f"{100 * v['F1']:9.1f} {100 * r['F1']:8.1f}")
        for name, figures in REFERENCE.items():
            print(f"{name:40} {corpus:9} {'':>8} {'':>8} {figures[corpus]:9.1f} {'':>8}")
        for perfect in (False, True):
            for emitted in (True, False):
                v = ceiling(te, gold, emitted, perfect)
                name = (("perfect spec system" if perfect else "ceiling under the spec")
                        + (": quarters as year" if emitted else ": no quarters"))
                print(f"{name:40} {corpus:9} {100 * v['P']:8.1f} {100 * v['R']:8.1f} {100 * v['F1']:9.1f} {'':>8}")
        print(f"  ({len(gold)} documents analyzed in {took:.0f} s; records in {records})", flush=True)


def reports(path: Path, limit: int | None = None) -> list[tuple[str, str | None]]:
    out = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if limit is not None and len(out) >= limit:
                break
            obj = json.loads(line)
            out.append((obj.get("body") or obj.get("text") or "", obj.get("published") or obj.get("date")))
    return out


def speed(args) -> None:
    from tumen.analysis.components.dates import DatesComponent
    from tumen.analysis.pipeline import (
        SPACY_MODEL,
        Document,
        load_spacy,
        parse_iso_date,
    )
    from tumen.analysis.text import sentence_spans
    from tumen.record import Report

    sets = {
        "devset": reports(DATA / "devset" / "reports.jsonl"),
        "trainset": reports(DATA / "trainset" / "reports_a.jsonl") + reports(DATA / "trainset" / "reports_b.jsonl"),
        "kcna": reports(DATA / "corpora" / "kcna_2011_2012.jsonl", args.corpus_docs),
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
            n_dates += len(doc.date_mentions)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", help="folder for the records tumen analyze writes (default: a temporary one)")
    parser.add_argument("--speed", action="store_true", help="measure speed instead of accuracy")
    parser.add_argument("--corpus-docs", type=int, default=500, help="KCNA bodies for --speed")
    args = parser.parse_args()
    if args.speed:
        speed(args)
    else:
        accuracy(args)


if __name__ == "__main__":
    main()
