"""Speed of the places, organizations and laws components (gazetteer matching).

Texts: the 30 devset reports, the first N bodies of
../shared/data/corpora/kcna_2011_2012.jsonl and one 1 MB body.  Prints, per
component, milliseconds per report and characters per second, and the same texts
through spaCy's ``en_core_web_sm`` ``nlp.pipe`` for scale (the full analysis must stay
within 1.3 x spaCy; these three components are meant to take a small share of that).

    python benchmarks/entities.py [--corpus-docs 2000]
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

from tumen.analysis.components.laws import find_laws, law_index  # noqa: E402
from tumen.analysis.components.organizations import find_organizations  # noqa: E402
from tumen.analysis.components.places import find_places  # noqa: E402
from tumen.analysis.gazetteer import Gazetteer  # noqa: E402
from tumen.analysis.pipeline import SPACY_MODEL  # noqa: E402


def bodies(path: Path, limit: int | None = None) -> list[str]:
    out = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if limit is not None and len(out) >= limit:
                break
            out.append(json.loads(line)["body"])
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus-docs", type=int, default=2000)
    parser.add_argument("--skip-spacy", action="store_true")
    args = parser.parse_args()
    t = time.perf_counter()
    gaz = Gazetteer.load()
    law_index()
    print(f"gazetteer load: {time.perf_counter() - t:.2f}s "
          f"({len(gaz.place_index.table)} place keys, {len(gaz.org_index.table)} org keys)")
    sets = {"devset": bodies(SHARED / "devset" / "reports.jsonl"),
            "kcna": bodies(SHARED / "corpora" / "kcna_2011_2012.jsonl", args.corpus_docs)}
    sets["1MB body"] = [(" ".join(sets["devset"]) * 40)[:1_000_000]]
    comps = {"places": lambda b: find_places(b, gaz), "organizations": lambda b: find_organizations(b, gaz),
             "laws": find_laws}
    nlp = None
    if not args.skip_spacy:
        import spacy
        nlp = spacy.load(SPACY_MODEL)
    for name, texts in sets.items():
        texts = [t + " " for t in texts]  # fresh strings: no token cache carried over
        chars = sum(map(len, texts))
        total = 0.0
        for cname, fn in comps.items():
            t = time.perf_counter()
            for text in texts:
                fn(text)
            dt = time.perf_counter() - t
            total += dt
            print(f"{name:9} {cname:13} {1000 * dt / len(texts):8.2f} ms/report  "
                  f"{chars / dt / 1000:8.0f} kchars/s")
        line = f"{name:9} {'all three':13} {1000 * total / len(texts):8.2f} ms/report"
        if nlp is not None and name != "1MB body":
            t = time.perf_counter()
            for _ in nlp.pipe(texts, batch_size=32):
                pass
            sp = time.perf_counter() - t
            line += f"   spaCy pipe {1000 * sp / len(texts):.2f} ms/report -> share {total / sp:.1%}"
        print(line)


if __name__ == "__main__":
    main()
