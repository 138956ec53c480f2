"""Event linking: how well reports of one event are linked, and what linking costs.

Prints, for the event set (``benchmarks/data/events``: fictional reports written for
it, with gold event groups, translation pairs, follow-ups and look-alike pairs) and for
the duplicate pairs annotated in the devset, the trainset and realtrain (gold
``duplicate_of``):

* pairwise precision, recall and F1 of same-event links between reports: two reports
  are linked when an incident of each shares an ``event`` id; gold pairs are the reports
  of one event group (in the shared sets, the reports joined by ``duplicate_of`` links,
  taken transitively; every other pair of the set is a gold non-link);
* on the shared pairs, incident-level recall too: the gold incidents of a duplicate
  pair that agree on type, province and date (the same event told twice), aligned to
  the analyzed incidents by evidence overlap, and whether those share an event;
* on the event set: the look-alike false-link rate (same type and province, another
  event), translation pairs found (``translation_of``) and follow-ups linked
  (``follows``);
* the cost per report of linking against a store of ``--store-size`` reports (bodies
  from ``../shared/data/corpora`` with fresh ids and dates; their records are the
  analyzed records of the event set and devset, re-dated to the report), against the
  analysis time per report: the median of five passes, each with a fresh linker, over
  the event set's records under fresh ids.

    .venv/bin/python benchmarks/events.py [--shared ../shared] [--store-size 100000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import itertools
import json
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from tumen.engines.local import analyze_file
from tumen.analysis.events import EventLinker, stored_records

HERE = Path(__file__).resolve().parent
EVENT_SET = HERE / "data" / "events"


def analyze(path: Path) -> tuple[list[dict], float]:
    out = io.StringIO()
    summary = analyze_file(path, out, progress=False)
    return [json.loads(line) for line in out.getvalue().splitlines()], summary.seconds


def linked_pairs(records: list[dict]) -> set[frozenset[str]]:
    """Pairs of reports that share an event."""
    members = defaultdict(set)
    for record in records:
        for inc in record.get("incidents") or []:
            if inc.get("event"):
                members[inc["event"]].add(record["id"])
    pairs = set()
    for ids in members.values():
        pairs.update(frozenset(p) for p in itertools.combinations(sorted(ids), 2))
    return pairs


def prf(predicted: set, gold: set) -> dict:
    tp = len(predicted & gold)
    p = tp / len(predicted) if predicted else 1.0
    r = tp / len(gold) if gold else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f, "gold": len(gold), "predicted": len(predicted), "tp": tp}


def score_event_set(records: list[dict], gold: list[dict]) -> dict:
    ids = {r["id"] for r in records}
    gold_pairs = set()
    for g in gold:
        if g["kind"] == "event":
            gold_pairs.update(frozenset(p) for p in itertools.combinations(sorted(g["reports"]), 2))
    predicted = {p for p in linked_pairs(records) if p <= ids}
    out = {"links": prf(predicted, gold_pairs)}
    looks = [frozenset(g["reports"]) for g in gold if g["kind"] == "lookalike"]
    out["lookalikes"] = {"pairs": len(looks), "linked": sum(1 for p in looks if p in predicted)}
    gold_tr = {(g["report"], g["translation_of"]) for g in gold if g["kind"] == "translation"}
    pred_tr = {(r["id"], r["translation_of"]) for r in records if r.get("translation_of")}
    out["translations"] = prf(pred_tr, gold_tr)
    by_id = {r["id"]: r for r in records}
    groups = {g["event"]: set(g["reports"]) for g in gold if g["kind"] == "event"}
    event_reports = defaultdict(set)
    for r in records:
        for inc in r.get("incidents") or []:
            event_reports[inc["event"]].add(r["id"])
    found = 0
    predicted_follows = sum(1 for r in records for inc in r.get("incidents") or [] if inc.get("follows"))
    for g in gold:
        if g["kind"] != "follows":
            continue
        earlier = groups[g["follows"]] - {g["report"]}
        if any(inc.get("follows") and event_reports[inc["follows"]] & earlier
               for inc in by_id[g["report"]].get("incidents") or []):
            found += 1
    out["follows"] = {"gold": sum(1 for g in gold if g["kind"] == "follows"), "found": found,
                      "predicted": predicted_follows}
    return out


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def _gold_span(body: str, evidence) -> tuple[int, int] | None:
    if isinstance(evidence, dict):
        return evidence.get("start"), evidence.get("end")
    if isinstance(evidence, str) and evidence:
        start = body.find(evidence)
        return (start, start + len(evidence)) if start >= 0 else None
    return None


def _same_event(a: dict, b: dict) -> bool:
    if a.get("type") != b.get("type") or not a.get("province") or a.get("province") != b.get("province"):
        return False
    da, db = a.get("date"), b.get("date")
    if not da or not db:
        return False
    n = min(len(da), len(db))
    return n >= 7 and da[:n] == db[:n]


def score_shared(records: list[dict], gold: list[dict], bodies: dict[str, str]) -> dict:
    """Report-level pairwise links against gold ``duplicate_of``, and incident-level
    recall on the duplicate pairs."""
    ids = {r["id"] for r in records}
    # reports linked by ``duplicate_of`` (one link per report) tell one event: every pair
    # of a linked group is a gold pair
    group = {rid: {rid} for rid in ids}
    for g in gold:
        if g.get("duplicate_of") in ids and g["id"] in ids:
            merged = group[g["id"]] | group[g["duplicate_of"]]
            for rid in merged:
                group[rid] = merged
    gold_pairs = {frozenset(p) for members in {id(m): m for m in group.values()}.values()
                  for p in itertools.combinations(sorted(members), 2)}
    out = {"links": prf(linked_pairs(records), gold_pairs)}
    by_id, gold_by_id = {r["id"]: r for r in records}, {g["id"]: g for g in gold}
    found = total = 0
    for pair in gold_pairs:
        a, b = sorted(pair)
        for ga, gb in itertools.product(gold_by_id[a].get("incidents") or [], gold_by_id[b].get("incidents") or []):
            if not _same_event(ga, gb):
                continue
            total += 1
            events = []
            for rid, g in ((a, ga), (b, gb)):
                span = _gold_span(bodies[rid], g.get("evidence"))
                best = max(((_overlap(span, (i["evidence"]["start"], i["evidence"]["end"])), i["event"])
                            for i in by_id[rid].get("incidents") or [] if span), default=(0, None))
                events.append(best[1] if best[0] > 0 else None)
            found += bool(events[0] and events[0] == events[1])
    out["incident_pairs"] = {"gold": total, "linked": found, "recall": found / total if total else 1.0}
    return out


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def shared_sets(shared: Path):
    data = shared / "data"
    yield "devset", [data / "devset" / "reports.jsonl"], [data / "devset" / "gold.jsonl"]
    yield "trainset", [data / "trainset" / "reports_a.jsonl", data / "trainset" / "reports_b.jsonl"], \
        [data / "trainset" / "gold_a.jsonl", data / "trainset" / "gold_b.jsonl"]
    yield "realtrain", [data / "realtrain" / "reports.jsonl"], [data / "realtrain" / "gold.jsonl"]


# -- cost against a large store -------------------------------------------------------------
def _corpus_bodies(shared: Path, n: int):
    files = sorted((shared / "data" / "corpora").glob("*.jsonl"))
    count = 0
    while True:
        for path in files:
            with open(path, encoding="utf-8") as fh:
                for line in fh:
                    obj = json.loads(line)
                    if obj.get("body"):
                        yield obj["body"]
                        count += 1
                        if count >= n:
                            return


def _redated(template: dict, rid: str, published: dt.date) -> dict:
    record = json.loads(json.dumps(template))
    old = dt.date.fromisoformat(template["published"][:10])
    shift = published - old
    record["id"], record["published"], record["duplicate_of"] = rid, published.isoformat(), None
    record.pop("translation_of", None)
    for i, inc in enumerate(record.get("incidents") or []):
        inc["event"], inc["event_link"], inc["follows"] = f"{rid}#{i}", None, None
        date = inc.get("date")
        if date and len(date) >= 7 and inc.get("date_precision") in ("day", "month"):
            day = dt.date.fromisoformat(date[:10] if len(date) >= 10 else date[:7] + "-15") + shift
            inc["date"] = day.isoformat() if len(date) >= 10 else day.isoformat()[:7]
    return record


def build_store(path: Path, shared: Path, size: int, templates: list[dict]) -> float:
    from tumen.record import Report
    from tumen.store import open_store

    rng = random.Random(21)
    start = dt.date(2010, 1, 1)
    started = time.perf_counter()
    with open_store(path) as store:
        batch_reports, batch_records = [], []
        for n, body in enumerate(_corpus_bodies(shared, size)):
            published = start + dt.timedelta(days=rng.randrange(15 * 365))
            rid = f"s{n:06d}"
            batch_reports.append(Report(id=rid, body=body, title=f"stored {n}", published=published.isoformat()))
            batch_records.append(_redated(rng.choice(templates), rid, published))
            if len(batch_reports) >= 2000:
                _save(store, batch_reports, batch_records)
                batch_reports, batch_records = [], []
        if batch_reports:
            _save(store, batch_reports, batch_records)
    return time.perf_counter() - started


def _save(store, reports, records) -> None:
    added = set(store.add_reports(reports).added_ids)  # a body the corpora repeat is stored once
    store.save_records([r for r in records if r["id"] in added])


def link_cost(path: Path, records: list[dict], bodies: dict[str, str]) -> float:
    """Seconds per report to link ``records`` against the store at ``path``."""
    from tumen.store import open_store

    with open_store(path) as store:
        linker = EventLinker(stored=lambda province, months, known=(): [
            r for m in months for r in stored_records(store, province, m, known)],
            stored_record=store.get_record)
        started = time.perf_counter()
        for record in records:
            linker.link(record, bodies.get(record["id"], ""))
            linker.annotations(record["id"])
        linker.changed_stored()
        return (time.perf_counter() - started) / len(records)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=HERE.parent.parent / "shared")
    parser.add_argument("--store-size", type=int, nargs="*", default=[100_000])
    parser.add_argument("--skip-shared", action="store_true", help="only the event set and the cost")
    parser.add_argument("--store-dir", type=Path, help="keep the generated stores here (and reuse them)")
    args = parser.parse_args(argv)

    records, seconds = analyze(EVENT_SET / "reports.jsonl")
    bodies = {r["id"]: r["body"] for r in _read(EVENT_SET / "reports.jsonl")}
    per_report = seconds / len(records)
    result = score_event_set(records, _read(EVENT_SET / "gold.jsonl"))
    links = result["links"]
    print(f"event set ({len(records)} reports): links P {links['precision']:.3f} R {links['recall']:.3f} "
          f"F1 {links['f1']:.3f} (gold {links['gold']}, predicted {links['predicted']})")
    look = result["lookalikes"]
    print(f"  look-alike pairs linked: {look['linked']}/{look['pairs']} ({look['linked'] / look['pairs']:.3f})")
    tr = result["translations"]
    print(f"  translations: P {tr['precision']:.3f} R {tr['recall']:.3f} (gold {tr['gold']}, predicted {tr['predicted']})")
    fo = result["follows"]
    print(f"  follow-ups linked: {fo['found']}/{fo['gold']} (follows set on {fo['predicted']} incidents)")

    templates = list(records)
    if not args.skip_shared:
        for name, report_files, gold_files in shared_sets(args.shared):
            if not all(p.exists() for p in report_files + gold_files):
                print(f"{name}: not found under {args.shared}")
                continue
            with tempfile.NamedTemporaryFile("w", suffix=".jsonl", encoding="utf-8", delete=False) as tmp:
                for p in report_files:
                    tmp.write(p.read_text(encoding="utf-8").rstrip("\n") + "\n")
            recs, _ = analyze(Path(tmp.name))
            Path(tmp.name).unlink()
            gold = [g for p in gold_files for g in _read(p)]
            body = {r["id"]: r["body"] for p in report_files for r in _read(p)}
            res = score_shared(recs, gold, body)
            links, inc = res["links"], res["incident_pairs"]
            print(f"{name} ({len(recs)} reports): duplicate-pair links P {links['precision']:.3f} "
                  f"R {links['recall']:.3f} F1 {links['f1']:.3f} (gold {links['gold']}, predicted "
                  f"{links['predicted']}); same-event incidents of the pairs linked "
                  f"{inc['linked']}/{inc['gold']}")
            if name == "devset":
                templates += recs

    for size in args.store_size:
        with tempfile.TemporaryDirectory() as tmp:
            db = (args.store_dir or Path(tmp)) / f"events-store-{size}.db"
            built = 0.0 if db.exists() else build_store(db, args.shared, size, templates)
            # fresh ids, so that nothing of the set is in the store
            fresh = [dict(r, id=f"new-{r['id']}") for r in records]
            new_bodies = {f"new-{k}": v for k, v in bodies.items()}
            cost = statistics.median(link_cost(db, fresh, new_bodies) for _ in range(5))  # a shared machine
            print(f"store of {size} reports (built in {built:.0f}s): linking {cost * 1000:.1f} ms/report "
                  f"vs analysis {per_report * 1000:.0f} ms/report -> +{cost / per_report:.1%}")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
