"""House-vocabulary topics: which of the archive's own tags a report belongs under.

The vocabulary is a data file (``resources/house_vocabulary.csv``: tag, the incident
types that signal it, cue phrases); an archive extends it by adding rows.  A topic's
score combines

* a learned one-vs-rest logistic regression over stemmed words and word pairs of the
  title and body, the report's incident types (``__inc_arrest``) and the vocabulary's
  cue matches (``__cue_markets``) -- trained on reports that editors tagged (the shared
  trainset for the shipped model; an archive retrains with its own tagged reports:
  ``python -m tumen.analysis.keyphrase.house --reports R.jsonl --gold G.jsonl``), and
* for topics the model has never seen (newly added rows), the cue and incident-type
  evidence alone.

The model is a compressed ``.npz`` (vocabulary, coefficients); no text is stored.
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import re
import sys
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from tumen.analysis.datafiles import objects_by_id, read_objects
from tumen.analysis.keyphrase.candidates import stem

_WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*")
# A tag without learned weights scores this logit per kind of evidence it has
# (cue match, incident type), starting from UNSEEN_PRIOR; keeps new rows useful
# without letting one cue outrank a learned topic (learned scores reach +3 to +6).
UNSEEN_PRIOR = -3.0
UNSEEN_EVIDENCE = 1.5
# L2 strength (sklearn C) of the per-topic regressions: tuned on the devset among
# 0.1, 0.3, 1, 3 (trainset fit, devset scored).
C = 1.0
UNSEEN_PRIMARY_RATE = 0.3  # about the mean rate of the learned tags
LEARNED_CUES = 10  # a cue-less learned topic's own cues: its 10 heaviest words
MIN_DF = 2  # terms seen in one training report only are not features


@dataclass
class Topic:
    tag: str
    incident_types: tuple[str, ...] = ()
    cues: tuple[str, ...] = ()
    pattern: re.Pattern | None = field(default=None, repr=False)


def load_vocabulary(path: str | Path | None = None) -> list[Topic]:
    if path is None:
        text = (resources.files("tumen") / "resources" / "house_vocabulary.csv").read_text("utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    topics = []
    for row in csv.DictReader(io.StringIO(text)):
        tag = (row.get("tag") or "").strip().lower()
        if not tag:
            continue
        cues = tuple(c.strip().lower() for c in (row.get("cues") or "").split("|") if c.strip())
        types = tuple(t.strip() for t in (row.get("incident_types") or "").split("|") if t.strip())
        pattern = re.compile(r"\b(?:" + "|".join(re.escape(c) for c in sorted(cues, key=len, reverse=True)) + ")") if cues else None
        topics.append(Topic(tag, types, cues, pattern))
    return topics


def featurize(text: str, incident_types: Sequence[str], topics: Sequence[Topic]) -> dict[str, float]:
    """Binary stemmed unigrams and bigrams, incident-type counts, cue matches."""
    lower = text.lower()
    words = [stem(w) for w in _WORD.findall(lower)]
    feats: dict[str, float] = {}
    for w in words:
        feats[w] = 1.0
    for a, b in zip(words, words[1:]):
        feats[f"{a} {b}"] = 1.0
    for t in incident_types:
        key = f"__inc_{t}"
        feats[key] = feats.get(key, 0.0) + 1.0
    for key in [k for k in feats if k.startswith("__inc_")]:
        feats[key] = math.log1p(feats[key])
    for topic in topics:
        if topic.pattern is not None and topic.pattern.search(lower):
            feats[f"__cue_{topic.tag}"] = 1.0
    return feats


class HouseTopics:
    def __init__(self, topics: list[Topic] | None = None, vocab: dict[str, int] | None = None,
                 tags: list[str] | None = None, coef: np.ndarray | None = None,
                 intercept: np.ndarray | None = None, primary: np.ndarray | None = None):
        self.topics = topics if topics is not None else load_vocabulary()
        self.vocab = vocab or {}
        self.tags = tags or []
        self.coef = coef if coef is not None else np.zeros((0, 0))
        self.intercept = intercept if intercept is not None else np.zeros(0)
        # P(tag leads the line | tag is on the line), smoothed; from the training tags
        self.primary_rate = dict(zip(self.tags, primary.tolist())) if primary is not None else {}

    # -- scoring ---------------------------------------------------------------
    def score(self, text: str, incident_types: Sequence[str] = ()) -> list[tuple[str, float]]:
        """Every vocabulary tag with its probability, best first."""
        feats = featurize(text, incident_types, self.topics)
        logits: dict[str, float] = {}
        if self.tags:
            idx = [self.vocab[k] for k in feats if k in self.vocab]
            vals = np.array([feats[k] for k in feats if k in self.vocab])
            z = self.intercept + (self.coef[:, idx] @ vals if idx else 0.0)
            logits.update(zip(self.tags, z.tolist()))
        types = set(incident_types)
        for topic in self.topics:
            if topic.tag in logits:
                continue
            evidence = (f"__cue_{topic.tag}" in feats) + bool(types & set(topic.incident_types))
            logits[topic.tag] = UNSEEN_PRIOR + UNSEEN_EVIDENCE * evidence
        known = {t.tag for t in self.topics}
        out = [(tag, 1.0 / (1.0 + math.exp(-z))) for tag, z in logits.items() if tag in known]
        return sorted(out, key=lambda kv: -kv[1])

    def learned_cues(self, tag: str, top: int = LEARNED_CUES) -> frozenset[str]:
        """The stemmed words that weigh most for ``tag`` in the learned model: the own
        cues of a topic that editors taught (a vocabulary row without cues)."""
        if tag not in self.tags:
            return frozenset()
        if not hasattr(self, "_terms"):
            self._terms = sorted(self.vocab, key=self.vocab.get)
        row = self.coef[self.tags.index(tag)]
        out = []
        for i in np.argsort(-row):
            if row[i] <= 0 or len(out) >= top:
                break
            term = self._terms[i]
            if not term.startswith("__") and " " not in term:
                out.append(term)
        return frozenset(out)

    def primary(self, scored: list[tuple[str, float]]) -> str | None:
        """The tag that leads the line: probability times how often editors put that
        tag first when they use it ("arrests" is common but rarely the main story)."""
        if not scored:
            return None
        return max(scored, key=lambda kv: kv[1] * self.primary_rate.get(kv[0], UNSEEN_PRIMARY_RATE))[0]

    # -- training --------------------------------------------------------------
    def fit(self, examples: Iterable[tuple[str, Sequence[str], Sequence[str]]], c: float = C) -> "HouseTopics":
        """Learn from (text, incident types, editor tags) triples; tags outside the
        vocabulary are ignored, vocabulary tags never assigned keep cue scoring."""
        from sklearn.linear_model import LogisticRegression

        known = [t.tag for t in self.topics]
        rows, labels, firsts_of = [], [], []
        for text, types, tags in examples:
            rows.append(featurize(text, types, self.topics))
            labels.append({t.lower() for t in tags})
            firsts_of.append(tags[0].lower() if tags else "")
        df: dict[str, int] = {}
        for r in rows:
            for k in r:
                df[k] = df.get(k, 0) + 1
        terms = sorted(k for k, n in df.items() if n >= MIN_DF or k.startswith("__"))
        vocab = {k: i for i, k in enumerate(terms)}
        from scipy.sparse import csr_matrix

        # sparse: an archive's thousands of reports x ~10^5 terms would not fit dense
        cells = [(i, vocab[k], v) for i, r in enumerate(rows) for k, v in r.items() if k in vocab]
        x = csr_matrix(([c[2] for c in cells], ([c[0] for c in cells], [c[1] for c in cells])),
                       shape=(len(rows), len(terms)))
        firsts = [first for first in firsts_of]
        tags, coefs, intercepts, primary = [], [], [], []
        for tag in known:
            y = np.array([tag in lab for lab in labels], dtype=int)
            if y.sum() < 2 or y.sum() == len(y):
                continue
            model = LogisticRegression(C=c, max_iter=2000).fit(x, y)
            tags.append(tag)
            coefs.append(model.coef_[0])
            intercepts.append(model.intercept_[0])
            primary.append((sum(f == tag for f in firsts) + 1) / (y.sum() + 2))
        self.vocab, self.tags = vocab, tags
        self.primary_rate = dict(zip(tags, primary))
        self.coef = np.array(coefs) if coefs else np.zeros((0, len(terms)))
        self.intercept = np.array(intercepts)
        return self

    # -- persistence -------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        terms = sorted(self.vocab, key=self.vocab.get)
        np.savez_compressed(path, terms=np.array(terms), tags=np.array(self.tags),
                            coef=self.coef.astype(np.float32), intercept=self.intercept,
                            primary=np.array([self.primary_rate.get(t, UNSEEN_PRIMARY_RATE) for t in self.tags]))

    @classmethod
    def load(cls, path: str | Path | None = None, vocabulary: str | Path | None = None) -> "HouseTopics":
        if path is None:
            raw = (resources.files("tumen") / "resources" / "house_topics.npz").read_bytes()
            data = np.load(io.BytesIO(raw))
        else:
            data = np.load(path)
        terms = [str(t) for t in data["terms"]]
        return cls(load_vocabulary(vocabulary), {t: i for i, t in enumerate(terms)},
                   [str(t) for t in data["tags"]], data["coef"].astype(np.float64), data["intercept"],
                   data["primary"] if "primary" in data else None)


def examples_from_records(records: Iterable[dict]) -> list[tuple[str, list[str], list[str]]]:
    """Training triples from stored reports that editors tagged: dicts with ``body``
    (and optional ``title``), ``tags`` (the editors' line) and optional ``incidents``
    (records' incidents or their types).  Reports without editor tags are skipped."""
    out = []
    for r in records:
        tags = [t for t in (r.get("tags") or []) if isinstance(t, str) and t.strip()]
        if not tags or not r.get("body"):
            continue
        types = [i["type"] if isinstance(i, dict) else str(i) for i in (r.get("incidents") or [])]
        out.append((f"{r.get('title') or ''}\n\n{r['body']}", types, tags))
    return out


def examples_from_files(pairs: Iterable[tuple[Path, Path]]) -> list[tuple[str, list[str], list[str]]]:
    """(title + body, gold incident types, gold tags) from report/gold JSONL pairs."""
    out = []
    for reports, gold in pairs:
        golds = objects_by_id(gold)
        for r in read_objects(reports):
            g = golds.get(r["id"])
            if not g or not g.get("tags"):
                continue
            text = f"{r.get('title') or ''}\n\n{r.get('body') or ''}"
            out.append((text, [i["type"] for i in g.get("incidents", [])], g["tags"]))
    return out


def main(argv: list[str] | None = None) -> int:
    shared = Path(__file__).resolve().parents[4].parent / "shared" / "data" / "trainset"
    ap = argparse.ArgumentParser(description="Train the house-topic model from tagged reports.")
    ap.add_argument("--reports", type=Path, nargs="*", default=[shared / f"reports_{p}.jsonl" for p in "ab"])
    ap.add_argument("--gold", type=Path, nargs="*", default=[shared / f"gold_{p}.jsonl" for p in "ab"])
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[2] / "resources" / "house_topics.npz")
    args = ap.parse_args(argv)
    examples = examples_from_files(zip(args.reports, args.gold))
    if not examples:
        print("error: no tagged reports found", file=sys.stderr)
        return 1
    model = HouseTopics().fit(examples)
    model.save(args.out)
    print(f"house topics: {len(model.tags)} tags learned from {len(examples)} reports, "
          f"{len(model.vocab)} features -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
