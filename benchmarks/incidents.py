"""Incident figures on real reporting: report-level cross-validation on realtrain.

    python benchmarks/incidents.py [--folds 5] [--no-cache] [--skip-transfer]

1. 5-fold cross-validation on ../shared/data/realtrain, folds by report, every duplicate
   pair (``duplicate_of``) in one fold: the typer of each fold is trained on the trainset
   plus the other four folds, and the whole incident component (typer, triggers,
   arguments, merging) analyzes the held-out reports.
2. Transfer: the typer trained on the trainset alone analyzes all of realtrain.

Every figure is shared/tools/recordeval.py's (run on records in the spec's shape, with
the gold's reports.jsonl beside the gold file): incidents type, type+place, full F1 and
evidence overlap, for all reports, English and Korean separately; then per incident type
the precision and recall under the "type" rule, scored by recordeval on the gold and the
predictions cut to that type (a gold incident counts for a type when it is its type or
one of its ``alt_types``).  ``published_approx`` reports keep their incidents but their
incident dates are not scored (the "full" rule then only asks type and place), as the
realtrain README asks.

The other components' analysis (spaCy parse, places, organizations, dates) does not
depend on the typer, so it is cached in benchmarks/results/.incidents_cache.pkl, keyed by
the source of every module but the incident ones; ``--no-cache`` redoes it.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import pickle
import sys
import tempfile
from contextlib import redirect_stdout
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(SHARED / "tools"))

from tumen.analysis.incidents import train as T  # noqa: E402
from tumen.analysis.datafiles import read_objects  # noqa: E402
from tumen.record import INCIDENT_TYPES  # noqa: E402

CACHE = ROOT / "benchmarks" / "results" / ".incidents_cache.pkl"


def source_key() -> str:
    """A hash of the code the cached analysis depends on (all of tumen but incidents)."""
    h = hashlib.sha256()
    for path in sorted((ROOT / "src" / "tumen").rglob("*")):
        rel = path.relative_to(ROOT / "src" / "tumen").as_posix()
        if not path.is_file() or rel.startswith(("incidents/", "components/incidents.py")) \
                or "__pycache__" in rel or rel.startswith("resources/incident_"):
            continue
        h.update(rel.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def load(use_cache: bool):
    train_dir = SHARED / "data" / "trainset"
    real_dir = SHARED / "data" / "realtrain"
    t_reports = read_objects(train_dir / "reports_a.jsonl") + read_objects(train_dir / "reports_b.jsonl")
    t_golds = read_objects(train_dir / "gold_a.jsonl") + read_objects(train_dir / "gold_b.jsonl")
    r_reports = read_objects(real_dir / "reports.jsonl")
    r_golds = read_objects(real_dir / "gold.jsonl")
    key = source_key()
    if use_cache and CACHE.exists():
        try:
            with CACHE.open("rb") as fh:
                stored = pickle.load(fh)
            if stored["key"] == key:
                return t_reports, t_golds, stored["train"], r_reports, r_golds, stored["real"]
        except Exception:  # a stale or broken cache is redone
            pass
    t_docs, r_docs = T.analyze(t_reports), T.analyze(r_reports)
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    with CACHE.open("wb") as fh:
        pickle.dump({"key": key, "train": t_docs, "real": r_docs}, fh)
    return t_reports, t_golds, t_docs, r_reports, r_golds, r_docs


def duplicate_folds(golds: list[dict], folds: int) -> list[int]:
    """The fold of every report: reports linked by duplicate_of share one fold; the
    groups are dealt round-robin in file order."""
    index = {g["id"]: i for i, g in enumerate(golds)}
    parent = list(range(len(golds)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, g in enumerate(golds):
        if g.get("duplicate_of") in index:
            parent[find(i)] = find(index[g["duplicate_of"]])
    roots: dict[int, int] = {}
    out = []
    for i in range(len(golds)):
        r = find(i)
        if r not in roots:
            roots[r] = len(roots) % folds
        out.append(roots[r])
    return out


def recordeval(golds: list[dict], reports: list[dict], preds: list[dict]) -> dict:
    """recordeval.py's scores (its main, --json) of ``preds`` against ``golds``."""
    import recordeval as R

    def lines(rows):
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "gold.jsonl").write_text(lines(golds), "utf-8")
        (tmp / "reports.jsonl").write_text(lines(reports), "utf-8")
        (tmp / "pred.jsonl").write_text(lines(preds), "utf-8")
        out = io.StringIO()
        with redirect_stdout(out):
            R.main([str(tmp / "gold.jsonl"), str(tmp / "pred.jsonl"), "--json"])
    return json.loads(out.getvalue())


def scorable(golds: list[dict], reports: list[dict]) -> list[dict]:
    """The gold records as scored: incident dates of published_approx reports cleared."""
    out = []
    for g, r in zip(golds, reports):
        g = {"id": g["id"], "incidents": g.get("incidents") or [], "duplicate_of": None}
        if r.get("published_approx"):
            g["incidents"] = [dict(i, date=None, date_precision=None) for i in g["incidents"]]
        out.append(g)
    return out


def summary(golds, reports, preds) -> str:
    s = recordeval(golds, reports, preds)
    inc = s["incidents"]
    return ("type P/R/F1 %.3f/%.3f/%.3f  type+place F1 %.3f  full F1 %.3f (R %.3f)  evidence %.3f"
            % (inc["type"]["p"], inc["type"]["r"], inc["type"]["f1"], inc["type+place"]["f1"],
               inc["full"]["f1"], inc["full"]["r"], s["evidence_overlap"]))


def per_type(golds, reports, preds) -> list[str]:
    rows = []
    for t in INCIDENT_TYPES:
        g_t = [dict(g, incidents=[i for i in g["incidents"] if t in [i["type"], *(i.get("alt_types") or [])]])
               for g in golds]
        n = sum(1 for g in g_t for i in g["incidents"] if not i.get("optional"))
        p_t = [dict(p, incidents=[i for i in p["incidents"] if i["type"] == t]) for p in preds]
        m = sum(len(p["incidents"]) for p in p_t)
        if not n and not m:
            continue
        inc = recordeval(g_t, reports, p_t)["incidents"]["type"]
        rows.append(f"  {t:16s} gold {n:4d}  pred {m:4d}  P {inc['p']:.2f}  R {inc['r']:.2f}  F1 {inc['f1']:.2f}")
    return rows


def predict(docs, model) -> list[dict]:
    from tumen.analysis.components.incidents import extract

    return [{"id": d.report.id, "incidents": [asdict(x) for x in extract(d, model)]} for d in docs]


def report(title: str, golds, reports, preds) -> None:
    print(title)
    for lang, name in ((None, "all"), ("en", "English"), ("ko", "Korean")):
        keep = [i for i, r in enumerate(reports) if lang is None or (r.get("language") or "en") == lang]
        if not keep:
            continue
        print(f" {name:8s}({len(keep):3d}) " + summary([golds[i] for i in keep], [reports[i] for i in keep],
                                                       [preds[i] for i in keep]))
    print(" per type (all reports, 'type' rule):")
    print("\n".join(per_type(golds, reports, preds)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--no-cache", action="store_true")
    parser.add_argument("--skip-transfer", action="store_true")
    args = parser.parse_args()
    t_reports, t_golds, t_docs, r_reports, r_golds, r_docs = load(not args.no_cache)
    tf, tl, _, _ = T.examples(t_docs, t_golds)
    rf, rl, rg, _ = T.examples(r_docs, r_golds)
    golds = scorable(r_golds, r_reports)
    fold_of = duplicate_folds(r_golds, args.folds)
    preds: list[dict | None] = [None] * len(r_docs)
    for f in range(args.folds):
        train = [i for i, g in enumerate(rg) if fold_of[g] != f]
        model = T.fit(tf + [rf[i] for i in train], tl + [rl[i] for i in train])
        held = [i for i in range(len(r_docs)) if fold_of[i] == f]
        for i, p in zip(held, predict([r_docs[i] for i in held], model)):
            preds[i] = p
    report(f"realtrain, {args.folds}-fold CV (trained on trainset + other folds):", golds, r_reports, preds)
    if not args.skip_transfer:
        model = T.fit(tf, tl)
        report("realtrain, transfer (trained on the trainset only):", golds, r_reports, predict(r_docs, model))


if __name__ == "__main__":
    main()
