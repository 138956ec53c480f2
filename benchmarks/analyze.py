"""Analysis speed: Tumen's full pipeline vs spaCy's own en_core_web_sm pipeline.

Texts: the 30 devset reports and the first 2,000 bodies of
../shared/data/corpora/kcna_2011_2012.jsonl.  Prints, for one process:
reports/s and words/s of Tumen's analysis, the same texts through
``spacy.load("en_core_web_sm…").pipe`` alone (all its components), their ratio
(target: Tumen ≤ 1.3 × spaCy), RSS at each quarter of the run (memory must stay flat),
and Tumen on two processes (the store analysis uses every core).

Then the 259 real published reports of ../shared/data/realtrain (bodies of about 250
words, English and Korean): reports per CPU-second (process time, so other work on the
machine does not count) of Tumen's full analysis beside a bare ``en_core_web_sm`` pipe
(target: Tumen ≥ 15 reports per CPU-second).

    python benchmarks/analyze.py [--corpus-docs 2000] [--skip-two] [--realtrain-only]
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT / "src"))

from tumen.engines.local import analyze_reports  # noqa: E402
from tumen.analysis.pipeline import SPACY_MODEL, Pipeline  # noqa: E402
from tumen.record import Report  # noqa: E402


def rss_mb() -> float:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_texts(corpus_docs: int) -> list[Report]:
    reports = []
    with (SHARED / "devset" / "reports.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            o = json.loads(line)
            reports.append(Report(id=o["id"], body=o["body"], title=o.get("title"), published=o.get("published")))
    with (SHARED / "corpora" / "kcna_2011_2012.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            o = json.loads(line)
            if o.get("body"):
                reports.append(Report(id=o["id"], body=o["body"], title=o.get("title"), published=o.get("published")))
                if len(reports) >= 30 + corpus_docs:
                    break
    return reports


def load_realtrain() -> list[Report]:
    reports = []
    with (SHARED / "realtrain" / "reports.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            o = json.loads(line)
            reports.append(Report(id=o["id"], body=o["body"], title=o.get("title"), published=o.get("published"),
                                  source=o.get("source"), url=o.get("url")))
    return reports


def realtrain_cpu_rates() -> None:
    """Reports per CPU-second on the realtrain bodies: a bare spaCy pipe, then Tumen."""
    import spacy

    reports = load_realtrain()
    words = sum(len(r.body.split()) for r in reports)
    print(f"realtrain: {len(reports)} reports ({words:,} words, {words / len(reports):.0f} per report)")
    nlp = spacy.load(SPACY_MODEL)
    list(nlp.pipe(["warm up."]))
    t0 = time.process_time()
    for _ in nlp.pipe((r.body for r in reports), batch_size=32):
        pass
    spacy_cpu = time.process_time() - t0
    del nlp
    pipeline = Pipeline().initialize()
    list(pipeline.pipe([Report(id="w", body="Warm up in Hyesan on Monday.", published="2024-01-01")]))
    t0 = time.process_time()
    for doc in pipeline.pipe(reports, batch_size=32):
        doc.to_record().to_dict()
    tumen_cpu = time.process_time() - t0
    print(f"realtrain reports per CPU-second: Tumen {len(reports) / tumen_cpu:.1f}  "
          f"bare {SPACY_MODEL} pipe {len(reports) / spacy_cpu:.1f}  (target: Tumen >= 15)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus-docs", type=int, default=2000)
    parser.add_argument("--skip-two", action="store_true", help="skip the two-process run")
    parser.add_argument("--realtrain-only", action="store_true", help="only the realtrain CPU-second figures")
    args = parser.parse_args()
    if args.realtrain_only:
        realtrain_cpu_rates()
        return

    reports = load_texts(args.corpus_docs)
    words = sum(len(r.body.split()) for r in reports)
    print(f"texts: {len(reports)} reports ({words:,} words): devset 30 + kcna_2011_2012 {len(reports) - 30}")

    import spacy

    nlp = spacy.load(SPACY_MODEL)
    list(nlp.pipe(["warm up."]))
    t0 = time.perf_counter()
    for _ in nlp.pipe((r.body for r in reports), batch_size=32):
        pass
    spacy_s = time.perf_counter() - t0
    print(f"spaCy {SPACY_MODEL} nlp.pipe (all components): {spacy_s:.1f}s  "
          f"{len(reports) / spacy_s:.1f} reports/s  {words / spacy_s:,.0f} words/s")
    del nlp

    pipeline = Pipeline().initialize()
    list(pipeline.pipe([Report(id="w", body="Warm up in Hyesan on Monday.", published="2024-01-01")]))
    marks = {len(reports) * q // 4 for q in (1, 2, 3, 4)}
    rss = []
    t0 = time.perf_counter()
    for n, doc in enumerate(pipeline.pipe(reports, batch_size=32), 1):
        doc.to_record().to_dict()
        if n in marks:
            rss.append(rss_mb())
    tumen_s = time.perf_counter() - t0
    print(f"Tumen full analysis ({', '.join(pipeline.names)}), 1 process: {tumen_s:.1f}s  "
          f"{len(reports) / tumen_s:.1f} reports/s  {words / tumen_s:,.0f} words/s")
    print(f"ratio Tumen / spaCy: {tumen_s / spacy_s:.2f}  (target <= 1.30)")
    print("RSS at 25/50/75/100%: " + " / ".join(f"{x:.0f} MB" for x in rss))

    if not args.skip_two:
        t0 = time.perf_counter()
        n = sum(1 for _ in analyze_reports(reports, processes=2))
        two_s = time.perf_counter() - t0
        print(f"Tumen, 2 processes: {two_s:.1f}s  {n / two_s:.1f} reports/s  "
              f"(speed-up {tumen_s / two_s:.2f}x, includes starting the workers)")
    realtrain_cpu_rates()


if __name__ == "__main__":
    main()
