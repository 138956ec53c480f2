"""The sentence-level event typer: one logistic regression per incident type.

The model is stored as ``resources/incident_model.npz`` (feature names, coefficients,
intercepts, thresholds); ``tumen.analysis.incidents.train`` rebuilds it from the training set.
Inference is a sparse dot product, no scikit-learn object is unpickled.
"""

from __future__ import annotations

import bisect

from dataclasses import dataclass
from importlib import resources

import numpy as np

from tumen.record import INCIDENT_TYPES
from tumen.analysis.incidents.features import context_features, mention_starts, sentence_features

MODEL_FILE = "incident_model.npz"
# The trigger patterns also enter the model as features ("t:order"), so it learns how
# far to trust each one next to the words of the sentence.
TRIGGER_FEATURES = True


@dataclass
class TypeModel:
    types: list[str]
    vocab: dict[str, int]
    coef: np.ndarray  # (n_types, n_features)
    intercept: np.ndarray  # (n_types,)
    thresholds: np.ndarray  # (n_types,) decision threshold on the probability

    @classmethod
    def load(cls, path=None) -> "TypeModel":
        if path is None:
            ref = resources.files("tumen.resources").joinpath(MODEL_FILE)
            with resources.as_file(ref) as real:
                return cls.load(real)
        with np.load(path, allow_pickle=False) as data:
            names = [str(x) for x in data["features"]]
            return cls(types=[str(t) for t in data["types"]],
                       vocab={n: i for i, n in enumerate(names)},
                       coef=data["coef"].astype(np.float32),
                       intercept=data["intercept"].astype(np.float32),
                       thresholds=data["thresholds"].astype(np.float32))

    def save(self, path) -> None:
        names = sorted(self.vocab, key=self.vocab.get)
        np.savez_compressed(path, types=np.array(self.types), features=np.array(names),
                            coef=self.coef.astype(np.float16), intercept=self.intercept,
                            thresholds=self.thresholds)

    def vectorize(self, feature_lists: list[list[str]]) -> list[tuple[np.ndarray, float]]:
        rows = []
        for feats in feature_lists:
            idx = np.fromiter({self.vocab[f] for f in feats if f in self.vocab}, dtype=np.int64)
            rows.append(idx)
        return rows

    def predict_proba(self, feature_lists: list[list[str]]) -> np.ndarray:
        """(n_sentences, n_types) probabilities; rows are binary L2-normalized."""
        out = np.zeros((len(feature_lists), len(self.types)), dtype=np.float32)
        for k, idx in enumerate(self.vectorize(feature_lists)):
            if len(idx):
                scores = self.coef[:, idx].sum(axis=1) / np.sqrt(len(idx))
            else:
                scores = np.zeros(len(self.types), dtype=np.float32)
            out[k] = 1.0 / (1.0 + np.exp(-(scores + self.intercept)))
        return out


def featurize(texts: list[str], paragraphs: list[int], extras: list[list[str]] | None = None) -> list[list[str]]:
    n = len(texts)
    extras = extras or [[] for _ in texts]
    return [sentence_features(t, index=i, paragraph=p, n_sentences=n, extra=x)
            for i, (t, p, x) in enumerate(zip(texts, paragraphs, extras))]


def doc_features(doc, sentences: list[tuple[int, int]], paragraphs: list[int]) -> list[list[str]]:
    """The features of every sentence of an analyzed document."""
    body = doc.body
    starts = mention_starts(doc)
    extras = [context_features(doc, s, e, starts) for s, e in sentences]
    if TRIGGER_FEATURES:  # the patterns read the sentence as written, as they do in the component
        types = list(INCIDENT_TYPES)
        texts = [body[s:e] for s, e in sentences]
        _, fired = apply_triggers(np.zeros((len(texts), len(types)), np.float32), texts, types)
        for x, row in zip(extras, fired):
            x.extend(f"t:{types[k]}" for k in np.nonzero(row)[0])
    spans = sorted((m.start, m.end) for p in doc.places for m in p.mentions)
    return featurize([_mask_places(body, s, e, spans) for s, e in sentences], paragraphs, extras)


PLACE_TOKEN = "placename"


def _mask_places(body: str, start: int, end: int, all_spans: list[tuple[int, int]]) -> str:
    """``body[start:end]`` with every gazetteer place mention replaced by PLACE_TOKEN:
    which town an event happened in says nothing about what kind of event it was.
    ``all_spans``: the document's (start, end) place mentions, sorted (bisected here)."""
    lo = bisect.bisect_left(all_spans, (start, -1))
    hi = bisect.bisect_left(all_spans, (end, -1), lo)
    spans = [(a, b) for a, b in all_spans[lo:hi] if b <= end]
    if not spans:
        return body[start:end]
    pieces, last = [], start
    for a, b in spans:
        if a < last:
            continue
        pieces += [body[last:a], PLACE_TOKEN]
        last = b
    return "".join(pieces) + body[last:end]


# The probability a trigger pattern guarantees its type (just above the decision
# threshold, so a trigger adds a candidate the model missed but never outranks a
# confident model type).  Checked with the training-set cross-validation and the devset.
TRIGGER_FLOOR = 0.45


def apply_triggers(probs: np.ndarray, texts: list[str], types: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Raise each type whose trigger fires unblocked to at least TRIGGER_FLOOR, and zero a
    vetoed type that no trigger supports.  Returns (new probabilities, triggered mask)."""
    from tumen.analysis.incidents.features import triggers

    patterns, block, vetoes = triggers()
    probs = probs.copy()
    fired = np.zeros(probs.shape, dtype=bool)
    index = {t: k for k, t in enumerate(types)}
    for i, text in enumerate(texts):
        text = text[:2000]
        for itype, pats in patterns.items():
            for pat in pats:
                m = pat.search(text)
                if m is None:
                    continue
                at = m.start("t") if "t" in pat.groupindex else m.start()
                if not block.search(text[max(0, at - 60):at]):
                    fired[i, index[itype]] = True
                    break
        for itype, pats in vetoes.items():
            k = index[itype]
            if not fired[i, k] and any(p.search(text) for p in pats):
                probs[i, k] = 0.0
    probs = np.where(fired, np.maximum(probs, TRIGGER_FLOOR), probs)
    return probs, fired
