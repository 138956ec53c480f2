"""Train the keyphrase ranker and write it as JSON.

    python -m tumen.analysis.keyphrase.train [--kp DATASET.jsonl ...] [--reports R.jsonl --gold G.jsonl ...]
                                    [--out src/tumen/resources/keyphrase_ranker.json]

``--kp``: keyphrase benchmark files (``id``, ``text``, ``keyphrases``).
``--reports/--gold``: annotated field reports (the shared trainset); their gold ``tags``
that occur in the body are the positive candidates.

``--keywords``: train the keyword mode's model instead (``keyword_ranker.json`` next to
``--out``) on the ``--kp`` files alone: a word is positive when it is a one-word gold
keyphrase.  (Measured DUC-2001 -> 500N-KPCrowd F1@10: DUC-2001 alone 20.4, with the
trainset 20.0, with Inspec 18.2 -- the trainset's tags and Inspec's technical terms are
other kinds of words.)

``--semantic``: train the semantic mode's two models instead (``semantic.py``; needs
the extra ``semantic``), on spaCy-tagged candidates: ``keyphrase_ranker_spacy.json`` (the
fast ranker that picks the pool) and ``keyphrase_ranker_semantic.json`` (the reranker),
written next to ``--out``.

The shipped models (``resources/keyphrase_ranker.json``, ``keyphrase_ranker_spacy.json``
and ``keyphrase_ranker_semantic.json``) are trained on DUC-2001 and the shared trainset
(``ta*``/``tb*``) with the defaults below, ``keyword_ranker.json`` on DUC-2001 alone; benchmark figures for DUC-2001 therefore never
use them (benchmarks/keyphrase.py trains cross-dataset models itself).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from tumen.analysis.datafiles import objects_by_id, read_objects
from tumen.analysis.keyphrase import KeyphraseExtractor, phrase_key, with_title
from tumen.analysis.keyphrase.features import FEATURES, KEYWORD_FEATURES
from tumen.analysis.keyphrase.ranker import LinearRanker, train
from tumen.analysis.keyphrase.semantic import SEMANTIC_FEATURES, TRAIN_TOP, SemanticScorer, pool, semantic_rows

SHARED = Path(__file__).resolve().parents[4].parent / "shared" / "data"
DEFAULT_KP = (SHARED / "keyphrase" / "duc2001.jsonl",)
DEFAULT_REPORTS = tuple((SHARED / "trainset" / f"reports_{p}.jsonl", SHARED / "trainset" / f"gold_{p}.jsonl")
                        for p in "ab")


def _untrained_extractor(keywords: bool = False) -> KeyphraseExtractor:
    features = KEYWORD_FEATURES if keywords else FEATURES
    zeros = np.zeros(len(features))
    return KeyphraseExtractor(ranker=LinearRanker(features, zeros, np.ones(len(features)), zeros, 0.0),
                              keywords=keywords)


def train_keywords(docs: list[dict], trained_on: str = "") -> LinearRanker:
    """The keyword mode's ranker (single-word candidates, ``KEYWORD_FEATURES``)."""
    return train(examples(docs, extractor=_untrained_extractor(keywords=True)), trained_on=trained_on,
                 features=KEYWORD_FEATURES)


def load_kp(path: str | Path, ids: set[str] | None = None) -> list[dict]:
    return [d for d in read_objects(path) if ids is None or str(d["id"]) in ids]


def load_reports(reports: str | Path, gold: str | Path, english_only: bool = True) -> list[dict]:
    """Annotated reports as keyphrase documents: text = title + body, keyphrases = tags."""
    golds = objects_by_id(gold)
    docs = []
    for r in read_objects(reports):
        body = r.get("body") or ""
        if english_only and sum("\uac00" <= ch <= "\ud7a3" for ch in body[:2000]) > 20:
            continue
        title = r.get("title") or ""
        docs.append({"id": r["id"], "title": title, "text": f"{title}\n\n{body}" if title else body,
                     "keyphrases": golds.get(r["id"], {}).get("tags", [])})
    return docs


def load_title_silver(path: str | Path = SHARED / "corpora" / "kcna_2011_2012.jsonl", n: int = 1500,
                      every: int = 7, min_chars: int = 800) -> list[dict]:
    """Distant supervision from a news corpus without keyphrases: the body is the text
    and the noun phrases of the headline are its "keyphrases" (title left out of the
    text, so the ranker learns which body phrases an editor would headline).  Every
    ``every``-th article of at least ``min_chars``, up to ``n``."""
    kx = _untrained_extractor()
    docs = []
    with open(path, encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if i % every:
                continue
            d = json.loads(line)
            body, title = d.get("body") or "", d.get("title") or ""
            if len(body) < min_chars or not title:
                continue
            _, _, cands = kx.candidates(title)
            if not cands:
                continue
            docs.append({"id": d["id"], "text": body, "keyphrases": [c.surface for c in cands.values()]})
            if len(docs) >= n:
                break
    return docs


def candidates_of(docs: Iterable[dict], spacy: bool = False, extractor: KeyphraseExtractor | None = None
                  ) -> Iterator[tuple[dict, list[str], np.ndarray, dict]]:
    """(document, candidate keys, feature rows, candidates) per document, tagged by the
    lexicon tagger or, with ``spacy``, by spaCy's tagger (batched)."""
    kx = extractor or _untrained_extractor()
    if not spacy:
        for d in docs:
            yield (d, *kx.candidates(d["text"], d.get("title")))
        return
    docs = list(docs)
    texts = [with_title(d["text"], d.get("title")) for d in docs]
    for d, text, sdoc in zip(docs, texts, kx.spacy_tagger().pipe(texts, batch_size=32)):
        yield (d, *kx.candidates(text, d.get("title"), spacy_doc=sdoc))


def _labels(d: dict, keys: list[str]) -> np.ndarray:
    gold = {phrase_key(g) for g in d.get("keyphrases", [])}
    return np.array([k in gold for k in keys], dtype=int)


def examples(docs: Iterable[dict], extractor: KeyphraseExtractor | None = None, spacy: bool = False
             ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(feature rows, labels) per document; a candidate is positive when its stemmed
    key equals a gold phrase's."""
    for d, keys, rows, _ in candidates_of(docs, spacy, extractor):
        yield rows, _labels(d, keys)


def semantic_examples(tagged: Iterable[tuple[dict, list[str], np.ndarray, dict]], fast: LinearRanker,
                      scorer, top: int | None = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(semantic feature rows, labels) over the ``fast`` ranker's top candidates per
    document (``candidates_of`` output) -- the pool the semantic ranker reorders."""
    for d, keys, rows, cands in tagged:
        if not keys:
            continue
        idx = pool(fast.score(rows), top or TRAIN_TOP)
        text = with_title(d["text"], d.get("title"))
        sims, attention, drops = scorer.features(text, [cands[keys[i]].surface for i in idx])
        yield semantic_rows(rows[idx], sims, attention, drops), _labels(d, [keys[i] for i in idx])


def train_semantic(docs: list[dict], scorer=None, trained_on: str = "") -> tuple[LinearRanker, LinearRanker]:
    """The semantic mode's two models, both on spaCy-tagged candidates: the fast ranker
    that picks the pool, and the semantic ranker that reorders it.  (Measured
    cross-dataset, Inspec + trainset -> DUC-2001: spaCy tags for both 30.0 F1@10; lexicon
    fast ranker + spaCy-tag semantic ranker 28.4; lexicon tags throughout 27.8.)"""
    tagged = list(candidates_of(docs, spacy=True))
    fast = train(((rows, _labels(d, keys)) for d, keys, rows, _ in tagged), trained_on=trained_on)
    second = train(semantic_examples(tagged, fast, scorer or SemanticScorer()), trained_on=trained_on,
                   features=SEMANTIC_FEATURES)
    return fast, second


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Train the keyphrase ranker.")
    ap.add_argument("--kp", type=Path, nargs="*", default=list(DEFAULT_KP))
    ap.add_argument("--reports", type=Path, nargs="*", default=[r for r, _ in DEFAULT_REPORTS])
    ap.add_argument("--gold", type=Path, nargs="*", default=[g for _, g in DEFAULT_REPORTS])
    ap.add_argument("--out", type=Path,
                    default=Path(__file__).resolve().parents[2] / "resources" / "keyphrase_ranker.json")
    ap.add_argument("--semantic", action="store_true",
                    help="train the semantic mode's models instead (keyphrase_ranker_spacy.json and "
                         "keyphrase_ranker_semantic.json next to --out)")
    ap.add_argument("--keywords", action="store_true",
                    help="train the keyword mode's model instead (keyword_ranker.json next to --out), "
                         "on the --kp files alone")
    args = ap.parse_args(argv)
    if args.keywords:
        args.reports, args.gold = [], []
    docs: list[dict] = []
    names = []
    for path in args.kp:
        docs += load_kp(path)
        names.append(path.name)
    for rep, gold in zip(args.reports, args.gold):
        docs += load_reports(rep, gold)
        names.append(rep.name)
    if not docs:
        print("error: no training documents", file=sys.stderr)
        return 1
    if args.keywords:
        out = args.out.with_name("keyword_ranker.json")
        train_keywords(docs, trained_on=", ".join(names)).save(out)
        print(f"trained on {len(docs)} documents ({', '.join(names)}) -> {out}", file=sys.stderr)
        return 0
    if args.semantic:
        fast, second = train_semantic(docs, trained_on=", ".join(names))
        for model, name in ((fast, "keyphrase_ranker_spacy.json"), (second, "keyphrase_ranker_semantic.json")):
            model.save(args.out.with_name(name))
            print(f"trained on {len(docs)} documents ({', '.join(names)}) -> {args.out.with_name(name)}",
                  file=sys.stderr)
        return 0
    model = train(examples(docs), trained_on=", ".join(names))
    model.save(args.out)
    print(f"trained on {len(docs)} documents ({', '.join(names)}) -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
