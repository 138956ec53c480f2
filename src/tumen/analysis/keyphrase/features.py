"""Features of a keyphrase candidate within its document.

One numeric row per candidate; the ranker (``ranker.py``) weighs them.  The features
are the ones that the keyphrase literature found to carry over between collections:
frequency, first position and lead/title occurrence, background inverse document
frequency, phrase length, capitalisation, and how the phrase sits among the others
(sub-phrase of a frequent longer phrase, or head of several).
"""

from __future__ import annotations

import math

import numpy as np

from tumen.analysis.keyphrase.background import Background
from tumen.analysis.keyphrase.candidates import Candidate, Token

FEATURES = (
    "log_tf", "first_pos", "log_first", "in_title", "in_lead", "w1", "w2", "w3", "w4",
    "idf_mean", "idf_min", "idf_max", "idf_head", "tfidf", "spread", "caps", "maximal",
    "super_tf", "sub_tf", "word_tf", "sent_frac", "unseen", "log_len",
    "pr_sum", "pr_mean", "pr_max",
)

# Keyword mode (single-word candidates, ``candidates.extract_words``): the same features
# plus the word's part-of-speech mix and its length -- the strongest extra signal
# (without the length, DUC-2001 -> KPCrowd F1@10 falls from 20.3 to 18.5) -- and the
# contexts of its occurrences (``candidates.word_contexts``): the share inside a
# multi-word name, and as head or modifier of a multi-word noun run.  A word that
# stands alone makes a better keyword than a piece of a name or a compound.  With the
# names given whole and web-address pieces dropped (``candidates``), keyword-mode F1@10
# cross-dataset (benchmarks/keyphrase.py): KPCrowd 19.9 -> 21.5 (trained on DUC-2001),
# Inspec 5.8 -> 7.3 (from DUC-2001 + trainset), DUC-2001 7.5 -> 9.6 (from Inspec +
# trainset); the field-report trainset, from DUC-2001, 16.4 -> 16.4.
KEYWORD_FEATURES = FEATURES + ("noun_share", "adj_share", "other_share", "chars", "log_chars",
                               "name_share", "head_share", "modifier_share")

# PositionRank (Florescu & Caragea 2017) over content words: co-occurrence window in
# content tokens, damping, iterations -- the paper's settings.
PR_WINDOW = 4
PR_DAMPING = 0.85
PR_ITERATIONS = 30
# The graph is dense (n x n over distinct words); only the first PR_MAX_TOKENS content
# words build it, which covers every benchmark document (DUC-2001 max ~2,600) and keeps
# a 1 MB body at a few MB of memory.
PR_MAX_TOKENS = 4000

LEAD_SENTENCES = 3  # title + first two sentences count as the lead


def featurize(cands: dict[str, Candidate], tokens: list[Token], bg: Background) -> tuple[list[str], np.ndarray]:
    keys = list(cands)
    n_tok = max(len(tokens), 1)
    n_sent = max((tokens[-1].sent + 1) if tokens else 1, 1)
    # unigram frequencies over candidate words (by stem)
    uni: dict[str, int] = {}
    for key, c in cands.items():
        if c.words == 1:
            uni[key] = c.tf
    # super/sub-phrase relations among candidates (by token containment)
    super_tf = dict.fromkeys(keys, 0)
    sub_tf = dict.fromkeys(keys, 0)
    multi = [k for k in keys if cands[k].words > 1]
    for long_key in multi:
        lt = cands[long_key].tf
        for part in _subphrases(long_key):
            if part in cands:
                super_tf[part] += lt
                sub_tf[long_key] += cands[part].tf
    pr = position_rank(tokens)
    pr_top = max(pr.values()) if pr else 1.0
    max_idf = bg.max_idf
    log_len = math.log(n_tok)
    info: dict[str, tuple[float, bool, int, float]] = {}  # stem -> idf, unseen, tf, pr
    out = []
    for key in keys:
        c = cands[key]
        stems = key.split()
        vals = []
        for s in stems:
            v = info.get(s)
            if v is None:
                df = bg.df(s)
                v = info[s] = (bg.idf(s) / max_idf, df == 0, uni.get(s, 0), pr.get(s, 0.0) / pr_top)
            vals.append(v)
        n = len(stems)
        idfs = [v[0] for v in vals]
        prs = [v[3] for v in vals]
        first = c.positions[0]
        tf = len(c.positions)
        idf_mean = sum(idfs) / n
        ltf = math.log1p(tf)
        words = c.words
        out.append((
            ltf, first / n_tok, math.log1p(first), 1.0 if c.in_title else 0.0,
            1.0 if c.sentences[0] < LEAD_SENTENCES else 0.0,
            words == 1, words == 2, words == 3, words >= 4,
            idf_mean, min(idfs), max(idfs), idfs[-1], ltf * idf_mean,
            (c.positions[-1] - first) / n_tok, c.caps / tf, c.maximal / tf,
            math.log1p(super_tf[key]), math.log1p(sub_tf[key]),
            math.log1p(sum(v[2] for v in vals) / n),
            len(set(c.sentences)) / n_sent, any(v[1] for v in vals), log_len,
            sum(prs), sum(prs) / n, max(prs),
        ))
    rows = np.array(out, dtype=np.float64) if out else np.zeros((0, len(FEATURES)))
    return keys, rows


def featurize_words(cands: dict[str, Candidate], tokens: list[Token], bg: Background
                    ) -> tuple[list[str], np.ndarray]:
    """``KEYWORD_FEATURES`` rows of single-word candidates."""
    keys, rows = featurize(cands, tokens, bg)
    if not keys:
        return keys, np.zeros((0, len(KEYWORD_FEATURES)))
    extra = []
    for key in keys:
        c = cands[key]
        tf = len(c.positions)
        chars = len(c.surface)
        ctx = c.contexts
        extra.append((c.classes.get("N", 0) / tf, c.classes.get("A", 0) / tf,
                      1.0 - (c.classes.get("N", 0) + c.classes.get("A", 0)) / tf, chars, math.log(chars),
                      ctx.get("name", 0) / tf, ctx.get("head", 0) / tf, ctx.get("modifier", 0) / tf))
    return keys, np.hstack([rows, np.array(extra, dtype=np.float64)])


def _subphrases(key: str):
    words = key.split()
    n = len(words)
    for a in range(n):
        for b in range(a + 1, n + 1):
            if b - a < n:
                yield " ".join(words[a:b])


def position_rank(tokens: list[Token]) -> dict[str, float]:
    """Word scores by PageRank on the co-occurrence graph of nouns and adjectives,
    biased towards words that occur early (PositionRank)."""
    from tumen.analysis.keyphrase.candidates import stem

    seq: list[tuple[str, int]] = []  # (stem, sentence) of content words
    for t in tokens:
        if t.cls in ("N", "A"):
            seq.append((stem(t.lower), t.sent))
            if len(seq) >= PR_MAX_TOKENS:
                break
    if not seq:
        return {}
    index: dict[str, int] = {}
    bias: list[float] = []
    for pos, (s, _) in enumerate(seq):
        if s not in index:
            index[s] = len(index)
            bias.append(0.0)
        bias[index[s]] += 1.0 / (pos + 1)
    n = len(index)
    ids = np.fromiter((index[s] for s, _ in seq), dtype=np.int64, count=len(seq))
    w = np.zeros((n, n))
    for k in range(1, PR_WINDOW):
        a, b = ids[:-k], ids[k:]
        keep = a != b
        np.add.at(w, (a[keep], b[keep]), 1.0)
        np.add.at(w, (b[keep], a[keep]), 1.0)
    out = w.sum(axis=1)
    out[out == 0] = 1.0
    trans = (w / out[:, None]).T
    p = np.asarray(bias)
    p /= p.sum()
    score = np.full(n, 1.0 / n)
    for _ in range(PR_ITERATIONS):
        score = (1 - PR_DAMPING) * p + PR_DAMPING * (trans @ score)
    return {s: float(score[i]) for s, i in index.items()}
