"""Background statistics: document frequencies and the unigram POS lexicon.

Loaded once from ``resources/keyphrase_background.tsv.gz`` (regenerate it with
``python -m tumen.analysis.keyphrase.build_df``).  Document frequencies come from ~25,000 real
KCNA/Rodong articles, so inverse document frequency is a corpus statistic rather than
one of the handful of documents being tagged.
"""

from __future__ import annotations

import functools
import gzip
import math
from importlib import resources
from pathlib import Path

# Coarse class of a word in the lexicon: the majority of spaCy's tags over the sample,
# provided it was seen at least this many times (rarer words fall back to rules).
MIN_POS_COUNT = 2


# A word whose majority class holds less than this share of its tags, with a noun/verb
# split of at least AMBIGUOUS_MINOR each way, is marked "NX" and decided from its
# neighbours by ``candidates.LexiconTagger`` (calibrated on DUC-2001 tagging errors:
# "group contends", "hispanics living").
AMBIGUOUS_MAJOR = 0.8
AMBIGUOUS_MINOR = 0.15


def _pos_class(noun: int, adj: int, other: int) -> str:
    total = noun + adj + other
    best = "N" if noun >= adj and noun >= other else "A" if adj >= other else "X"
    share = max(noun, adj, other) / total
    if share < AMBIGUOUS_MAJOR and min(noun + adj, other) / total >= AMBIGUOUS_MINOR:
        major = best if best != "X" else ("N" if noun >= adj else "A")
        return major + "X" if best != "X" else "X" + major
    return best


class Background:
    def __init__(self, n_docs: int, df: dict[str, int], pos: dict[str, str]):
        self.n_docs = max(n_docs, 1)
        self._df = df  # stem -> df
        self._pos = pos  # lowercased word -> N/A/X
        self.max_idf = math.log((self.n_docs + 1) / 1.0)

    def df(self, stem: str) -> int:
        return self._df.get(stem, 0)

    def idf(self, stem: str) -> float:
        return math.log((self.n_docs + 1) / (self._df.get(stem, 0) + 1))

    def pos(self, lower: str) -> str | None:
        return self._pos.get(lower)

    @classmethod
    def load(cls, path: str | Path | None = None) -> "Background":
        from tumen.analysis.keyphrase.candidates import stem

        if path is None:
            ref = resources.files("tumen") / "resources" / "keyphrase_background.tsv.gz"
            raw = ref.read_bytes()
        else:
            raw = Path(path).read_bytes()
        text = gzip.decompress(raw).decode("utf-8")
        n_docs = 1
        df: dict[str, int] = {}
        pos: dict[str, str] = {}
        for line in text.splitlines():
            if line.startswith("#docs\t"):
                n_docs = int(line.split("\t")[1])
                continue
            word, d, noun, adj, other = line.split("\t")
            d, noun, adj, other = int(d), int(noun), int(adj), int(other)
            if d:
                s = stem(word)
                if d > df.get(s, 0):
                    df[s] = d
            total = noun + adj + other
            if total >= MIN_POS_COUNT:
                pos[word] = _pos_class(noun, adj, other)
        return cls(n_docs, df, pos)


@functools.lru_cache(maxsize=1)
def default_background() -> Background:
    return Background.load()
