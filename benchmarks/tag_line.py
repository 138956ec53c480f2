"""The tag line on real reports: how many tags the text supports, and F1@10 (issue 19).

Analyzes ../shared/data/realtrain (or reads records already analyzed, ``--pred``) and
prints, for the English reports, the gold lines and Tumen's:

* **unsupported (editor's measure)**: the share of tags that
  ``tumen.analysis.keyphrase.support.TagSupport`` cannot support from the report's title and
  body: not every content word occurs (Porter stems; "province", "county" etc. are not
  content words), not a gazetteer place, organ or law with a name or variant in the
  text, not a house topic with one of its own cues in the text;
* **unsupported (word match)**: the share without the first kind of support only (every
  content word occurs as a stem);
* the editor's measure for the 64 Korean reports too (word match means little there:
  the tags are English);
* tags F1@10 (recordeval's protocol: kpeval, Porter stems, P@k over k) on all 259
  reports and on the 195 English ones; with ``--devset``, the devset's F1@10 too.

    python benchmarks/tag_line.py [--pred realtrain_pred.jsonl] [--devset]
"""

from __future__ import annotations

import argparse
import collections
import io
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(SHARED / "tools"))

from kpeval import evaluate  # noqa: E402

from tumen.analysis.keyphrase.house import load_vocabulary  # noqa: E402
from tumen.analysis.keyphrase.support import TagSupport, text_stems, words_supported  # noqa: E402


def read(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def analyze(reports: Path) -> list[dict]:
    """Records as ``tumen analyze FILE --format jsonl`` writes them (one process)."""
    from tumen.engines.local import analyze_file

    out = io.StringIO()
    analyze_file(reports, out, processes=1, progress=False)
    return [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]


def f1_at_10(gold: list[dict], pred: dict[str, dict], bodies: dict[str, str], ids: set[str]) -> float:
    scores = evaluate([{"id": g["id"], "text": bodies[g["id"]], "keyphrases": g["tags"]}
                       for g in gold if g["id"] in ids],
                      {rid: p.get("tags") or [] for rid, p in pred.items() if rid in ids})
    return scores["scores"]["all"][10]["F1"]


def support_shares(lines: dict[str, list[str]], reports: dict[str, dict], support: TagSupport):
    total = editor = words = 0
    missing: collections.Counter[str] = collections.Counter()
    for rid, tags in lines.items():
        r = reports[rid]
        text = f"{r.get('title') or ''}\n{r.get('body') or ''}"
        stems = text_stems(text)
        for tag in tags:
            total += 1
            if not words_supported(tag, stems):
                words += 1
            if support.reason(tag, text, stems) is None:
                editor += 1
                missing[tag] += 1
    return total, editor, words, missing


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pred", type=Path, help="records of realtrain already analyzed (JSONL)")
    ap.add_argument("--devset", action="store_true", help="also analyze and score the devset")
    ap.add_argument("--show", type=int, default=15, help="list the most frequent unsupported tags")
    args = ap.parse_args()
    real = SHARED / "data" / "realtrain"
    reports = {r["id"]: r for r in read(real / "reports.jsonl")}
    gold = read(real / "gold.jsonl")
    pred = {p["id"]: p for p in (read(args.pred) if args.pred else analyze(real / "reports.jsonl"))}
    english = {rid for rid, r in reports.items() if r.get("language") == "en"}
    support = TagSupport(load_vocabulary())
    bodies = {rid: r.get("body") or "" for rid, r in reports.items()}
    print(f"realtrain English ({len(english)} reports)")
    for name, lines in (("gold", {g["id"]: g["tags"] for g in gold if g["id"] in english}),
                        ("tumen", {rid: pred[rid].get("tags") or [] for rid in english})):
        total, editor, words, missing = support_shares(lines, reports, support)
        print(f"  {name:5s} {total:5d} tags ({total / len(english):.2f} a line): unsupported "
              f"{editor / total:.1%} (editor's measure), {words / total:.1%} (word match)")
        if args.show:
            print("        most frequent unsupported:", ", ".join(f"{t} {n}" for t, n in missing.most_common(args.show)))
    korean = set(reports) - english
    total, editor, _, _ = support_shares({rid: pred[rid].get("tags") or [] for rid in korean}, reports, support)
    gtotal, geditor, _, _ = support_shares({g["id"]: g["tags"] for g in gold if g["id"] in korean}, reports, support)
    print(f"realtrain Korean ({len(korean)} reports), editor's measure: gold {geditor / gtotal:.1%} "
          f"unsupported, tumen {editor / total:.1%} ({total / len(korean):.2f} tags a line)")
    print(f"tags F1@10 realtrain all {f1_at_10(gold, pred, bodies, set(reports)):.3f}, "
          f"English {f1_at_10(gold, pred, bodies, english):.3f}")
    if args.devset:
        dev = SHARED / "data" / "devset"
        dreports = {r["id"]: r.get("body") or "" for r in read(dev / "reports.jsonl")}
        dpred = {p["id"]: p for p in analyze(dev / "reports.jsonl")}
        print(f"tags F1@10 devset {f1_at_10(read(dev / 'gold.jsonl'), dpred, dreports, set(dreports)):.3f}")


if __name__ == "__main__":
    main()
