"""Keyphrase extraction: noun-phrase candidates, corpus features, a learned ranker.

Usage::

    from tumen.analysis.keyphrase import KeyphraseExtractor
    kx = KeyphraseExtractor()                     # loads the shipped model + background
    kx.extract(text, title="...", top=10)         # [(phrase, score), ...] best first
    kx.extract(body, spacy_doc=doc.spacy)         # reuse a spaCy parse (pipeline)
    KeyphraseExtractor(semantic=True)             # + MiniLM rerank of the top 30 (optional extra)
    KeyphraseExtractor(keywords=True)             # single keywords instead of phrases

Pipeline: ``candidates`` (POS-pattern noun phrases, keyed by Porter stems) ->
``features`` (frequency, position, title/lead, background IDF, length, case, nesting)
-> ``ranker`` (logistic regression, JSON weights in resources) -> optionally ``semantic``
(the top candidates reranked with their sentence-embedding similarity to the document)
-> near-duplicate merge.  Keyword mode ranks single words (nouns, adjectives and verbs)
with its own model, for archives and collections whose tags are single words.
See docs/keyphrase.md for the benchmark figures.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tumen.analysis.keyphrase.background import Background, default_background
from tumen.analysis.keyphrase.candidates import (Candidate, LexiconTagger, address_tokens, extract_candidates, extract_words, phrase_key,
                         stem, tokenize)
from tumen.analysis.keyphrase.features import FEATURES, KEYWORD_FEATURES, featurize, featurize_words
from tumen.analysis.keyphrase.ranker import LinearRanker
from tumen.analysis.keyphrase.semantic import RERANK_TOP, SEMANTIC_FEATURES, SemanticScorer, semantic_rows

__all__ = ["KeyphraseExtractor", "extract_keyphrases", "phrase_key", "merge_near_duplicates",
           "FEATURES", "KEYWORD_FEATURES", "LinearRanker", "Background"]


# Text beyond this many characters is not read for keyphrases (a 1 MB body would cost
# seconds and add nothing: the features favour early, repeated phrases).
MAX_CHARS = 200_000


class KeyphraseExtractor:
    def __init__(self, ranker: LinearRanker | None = None, background: Background | None = None,
                 max_words: int = 4, merge: bool = False, semantic: Any = None,
                 semantic_ranker: LinearRanker | None = None, rerank_top: int | None = None,
                 spacy_ranker: LinearRanker | None = None, keywords: bool = False):
        """Two fast models, one per source of part-of-speech tags, because each is trained
        on candidates tagged the same way: ``ranker`` for text tagged here by the lexicon
        tagger (shipped ``keyphrase_ranker.json``), ``spacy_ranker`` for text that comes
        with a spaCy parse (``spacy_doc``, as in the pipeline; shipped
        ``keyphrase_ranker_spacy.json``).  A ``ranker`` given alone serves both.

        ``semantic``: None/False (fast ranker only), True (the bundled MiniLM) or a
        ``semantic.SemanticScorer``.  With ``semantic``, candidates come from spaCy's
        tagger (text parsed here unless ``spacy_doc`` is given), ranked by
        ``spacy_ranker``, and the top ones reordered by ``semantic_ranker`` (shipped
        ``keyphrase_ranker_semantic.json``).

        ``keywords``: rank single words instead of phrases (``extract_words``), with the
        keyword model (shipped ``keyword_ranker.json``) for either tag source."""
        if keywords and semantic:
            raise ValueError("keyword mode has no semantic rerank; choose one")
        self.background = background or default_background()
        self.keywords = keywords
        if keywords:
            ranker = ranker or _default_ranker("keyword_ranker.json", KEYWORD_FEATURES)
        self.ranker = ranker or _default_ranker()
        self.spacy_ranker = spacy_ranker or ranker or _default_ranker("keyphrase_ranker_spacy.json")
        self.tagger = LexiconTagger(self.background)
        self._nlp: Any = None
        self.max_words = max_words
        self.merge = merge
        self.semantic = SemanticScorer() if semantic is True else (semantic or None)
        self.semantic_ranker = semantic_ranker
        if self.semantic is not None and semantic_ranker is None:
            self.semantic_ranker = LinearRanker.load(features=SEMANTIC_FEATURES,
                                                     resource="keyphrase_ranker_semantic.json")
        self.rerank_top = rerank_top or RERANK_TOP

    # -- steps (also used by training) ---------------------------------------
    def candidates(self, text: str, title: str | None = None, spacy_doc: Any = None
                   ) -> tuple[list[str], np.ndarray, dict[str, Candidate]]:
        """Candidate keys, their feature rows and the candidates themselves."""
        title_tokens = 0
        addresses: set[int] = set()  # keyword mode: tokens inside web/e-mail addresses
        if spacy_doc is not None:
            tokens = tokenize(text, spacy_doc=spacy_doc)
            if title and not text.startswith(title):
                title_toks = tokenize(title, self.tagger)
                for t in tokens:
                    t.sent += 1
                title_tokens = len(title_toks)
                if self.keywords:
                    addresses = address_tokens(title_toks, title)
                    addresses |= address_tokens(tokens, spacy_doc.text, first=title_tokens)
                tokens = title_toks + tokens
            elif self.keywords:
                addresses = address_tokens(tokens, spacy_doc.text)
        else:
            text = with_title(text, title)
            tokens = tokenize(text, self.tagger)
            if self.keywords:
                addresses = address_tokens(tokens, text)
        if title and not title_tokens:
            title_tokens = sum(1 for t in tokens if t.start < len(title))
        if self.keywords:
            cands = extract_words(tokens, title_tokens=title_tokens, skip=addresses)
            keys, rows = featurize_words(cands, tokens, self.background)
        else:
            cands = extract_candidates(tokens, title_tokens=title_tokens, max_words=self.max_words)
            keys, rows = featurize(cands, tokens, self.background)
        return keys, rows, cands

    def extract(self, text: str, title: str | None = None, top: int = 10,
                spacy_doc: Any = None, merge: bool | None = None) -> list[tuple[str, float]]:
        """The ``top`` keyphrases of ``text`` as (lowercased phrase, score), best first."""
        if not text or not text.strip():
            return []
        if len(text) > MAX_CHARS:
            text = text[:MAX_CHARS]
            if spacy_doc is not None and len(spacy_doc.text) > MAX_CHARS:
                spacy_doc = spacy_doc.char_span(0, MAX_CHARS, alignment_mode="contract")
                spacy_doc = spacy_doc.as_doc() if spacy_doc is not None else None
        if self.semantic is not None and spacy_doc is None:
            text = with_title(text, title)
            spacy_doc = self.spacy_tagger()(text)
        keys, rows, cands = self.candidates(text, title, spacy_doc)
        if not keys:
            return []
        scores = (self.ranker if spacy_doc is None else self.spacy_ranker).score(rows)
        order = np.argsort(-scores, kind="stable")
        if self.semantic is not None:
            order, scores = self._rerank(text, keys, rows, cands, scores, order)
        ranked = [(cands[keys[i]].surface, float(scores[i]), keys[i]) for i in order]
        if self.keywords:
            ranked = as_names(ranked, cands)
        if self.merge if merge is None else merge:
            ranked = merge_near_duplicates(ranked)
        return [(surface, score) for surface, score, _ in ranked[:top]]

    def spacy_tagger(self):
        """spaCy's tagger alone (no parser, NER or lemmatizer), loaded on first use."""
        if self._nlp is None:
            self._nlp = spacy_tagger()
        return self._nlp

    def _rerank(self, text, keys, rows, cands, scores, order):
        """Reorder the fast ranker's top candidates by the semantic ranker; the rest
        keep their order below them."""
        top = order[:self.rerank_top]
        sims, attention, drops = self.semantic.features(text, [cands[keys[i]].surface for i in top])
        second = self.semantic_ranker.score(semantic_rows(rows[top], sims, attention, drops))
        scores = scores.astype(float)
        rest = order[self.rerank_top:]
        floor = second.min() - 1.0
        if len(rest):  # keep the rest below the pool, in their fast order
            scores[rest] = floor - (scores[rest[0]] - scores[rest])
        scores[top] = second
        return np.concatenate([top[np.argsort(-second, kind="stable")], rest]), scores


def as_names(ranked: list[tuple[str, float, str]], cands: dict[str, Candidate]
             ) -> list[tuple[str, float, str]]:
    """Keyword mode: a word that nearly always occurs inside one short name is given as
    that name ("francisco" -> "san francisco"); the name appears once, where its
    best-ranked word was."""
    out: list[tuple[str, float, str]] = []
    seen: set[str] = set()
    for surface, score, key in ranked:
        name = cands[key].name
        if name is not None:
            surface, key = name, phrase_key(name)
        if key not in seen:
            seen.add(key)
            out.append((surface, score, key))
    return out


def merge_near_duplicates(ranked: list[tuple[str, float, str]]) -> list[tuple[str, float, str]]:
    """Drop a phrase whose stems nest in (or hold) a better-ranked phrase with the same
    head word: "chinese phones" goes under "chinese-made mobile phones"."""
    kept: list[tuple[str, float, str]] = []
    sets: list[tuple[frozenset[str], str]] = []
    for surface, score, key in ranked:
        stems = key.split()
        s = frozenset(stems)
        head = stems[-1]
        if any(h == head and (s <= other or other <= s) for other, h in sets):
            continue
        kept.append((surface, score, key))
        sets.append((s, head))
    return kept


def with_title(text: str, title: str | None) -> str:
    """The text the extractor reads: the title, a blank line and the body (the title once)."""
    return f"{title}\n\n{text}" if title and not text.startswith(title) else text


def spacy_tagger():
    import spacy

    from tumen.analysis.pipeline import SPACY_MODEL

    nlp = spacy.load(SPACY_MODEL, disable=["parser", "ner", "lemmatizer"])
    nlp.max_length = max(nlp.max_length, 2_000_000)
    return nlp


_DEFAULT: dict[str, Any] = {}


def _default_ranker(resource: str = "keyphrase_ranker.json", features: tuple[str, ...] = FEATURES
                    ) -> LinearRanker:
    """A shipped fast model, loaded once per process."""
    if resource not in _DEFAULT:
        _DEFAULT[resource] = LinearRanker.load(resource=resource, features=features)
    return _DEFAULT[resource]


def default_extractor() -> KeyphraseExtractor:
    if "extractor" not in _DEFAULT:
        _DEFAULT["extractor"] = KeyphraseExtractor()
    return _DEFAULT["extractor"]


def extract_keyphrases(text: str, top: int = 10, title: str | None = None) -> list[str]:
    """The shipped extractor's ``top`` keyphrases of ``text``, best first."""
    return [p for p, _ in default_extractor().extract(text, title=title, top=top)]
