"""Sentence features for the incident typer, shared by training and inference.

A sentence becomes a bag of string features:

* ``w:`` lower-cased word unigrams and bigrams (digits folded to 0; ``doc_features`` has
  already replaced every gazetteer place mention by ``placename``);
* ``c:`` character 2–4-grams inside Korean words (their endings carry tense and
  voice: "체포-했"); on English words they only added noise in cross-validation;
* ``f:`` cue features from ``resources/incident_cues.json`` (modality, negation,
  habitual, background, penalty and date words, and per-type trigger lemmas), and
  the sentence's position in the report.

Weights are binary and every row is L2-normalized, so inference is a sparse dot
product with the stored coefficients (no scikit-learn needed at run time).
"""

from __future__ import annotations

import bisect

import json
import re
from functools import lru_cache
from importlib import resources
from typing import Iterable

_WORD = re.compile(r"\w+", re.UNICODE)
_DIGIT = re.compile(r"\d")
_HANGUL = re.compile(r"[\uac00-\ud7a3]")

# Longest sentence (characters) that is featurized in full; the rest of a run-on
# "sentence" (a 1 MB body without punctuation) is ignored.  Real sentences in the
# dev and training sets are under 600 characters.
MAX_SENTENCE_CHARS = 2000


@lru_cache(maxsize=1)
def cues() -> dict:
    """The cue lexicon (trigger words per type, modality, negation ...)."""
    text = resources.files("tumen.resources").joinpath("incident_cues.json").read_text("utf-8")
    data = json.loads(text)
    compiled = {}
    for name, words in data["cues"].items():
        compiled[name] = _compile(words)
    return {"raw": data, "compiled": compiled}


def _compile(words: Iterable[str]) -> re.Pattern:
    english = [w for w in words if not _HANGUL.search(w)]
    korean = [w for w in words if _HANGUL.search(w)]
    parts = []
    if english:
        parts.append(r"\b(?:" + "|".join(sorted((re.escape(w).replace(r"\ ", r"\s+") for w in english),
                                                  key=len, reverse=True)) + r")\b")
    if korean:
        parts.append("(?:" + "|".join(sorted(map(re.escape, korean), key=len, reverse=True)) + ")")
    return re.compile("|".join(parts) if parts else r"(?!x)x", re.I)


def sentence_features(text: str, *, index: int, paragraph: int, n_sentences: int,
                      extra: Iterable[str] = ()) -> list[str]:
    """The features of one sentence; ``index``/``paragraph`` are its positions in the report,
    ``extra`` features from the document's analysis (``context_features``)."""
    text = text[:MAX_SENTENCE_CHARS]
    low = _DIGIT.sub("0", text.lower())
    words = _WORD.findall(low)
    feats = [f"w:{w}" for w in words]
    feats += [f"w:{a}_{b}" for a, b in zip(words, words[1:])]
    for w in words:
        if not _HANGUL.search(w):
            continue  # character n-grams only for Korean words (their endings carry tense)
        padded = f"<{w}>"
        for n in (2, 3, 4):
            feats += [f"c:{padded[i:i + n]}" for i in range(len(padded) - n + 1)]
    for name, pattern in cues()["compiled"].items():
        hits = len(pattern.findall(text))
        if hits:
            feats.append(f"f:{name}")
            if hits > 1:
                feats.append(f"f:{name}>1")
    feats.append(f"f:para={min(paragraph, 4)}")
    if index == 0:
        feats.append("f:first_sentence")
    if n_sentences and index >= n_sentences - 2:
        feats.append("f:last_sentences")
    if text[:1] in "\"“'‘":
        feats.append("f:opens_quote")
    if _HANGUL.search(text):
        feats.append("f:korean")
    feats.extend(extra)
    return feats


_MODALS = {"will", "would", "may", "might", "could", "should", "must", "shall", "can"}


def mention_starts(doc) -> dict[str, list[int]]:
    """The sorted start offsets of the document's organization and place mentions, by
    kind: computed once per document, each sentence then finds its own with a bisect (a
    scan of every mention per sentence made long bodies quadratic)."""
    return {kind: sorted(m.start for item in items for m in item.mentions)
            for kind, items in (("org", doc.organizations), ("place", doc.places))}


def context_features(doc, start: int, end: int, starts: dict[str, list[int]] | None = None) -> list[str]:
    """Features of the sentence ``doc.body[start:end]`` from the earlier components and
    the spaCy parse: which entities it names (and whether one opens the sentence), how
    precise its dates are, and the main verb's lemma, tense, voice, modality and
    negation.  ``starts``: ``mention_starts(doc)``, when the caller features many
    sentences of one document."""
    feats: list[str] = []
    cut = start + max(1, (end - start) // 3)
    starts = mention_starts(doc) if starts is None else starts
    for kind in ("org", "place"):
        i = bisect.bisect_left(starts[kind], start)
        if i < len(starts[kind]) and starts[kind][i] < end:  # the sentence's first mention
            feats.append(f"e:{kind}")
            if starts[kind][i] < cut:
                feats.append(f"e:{kind}_early")
    for d in doc.dates:
        if start <= d.start < end:
            feats.append(f"e:date_{d.precision}")
            if d.start < cut:
                feats.append("e:date_early")
    sdoc = doc.spacy
    if sdoc is not None and end <= len(doc.body):
        span = sdoc.char_span(start, end, alignment_mode="expand")
        if span is not None:
            feats += clause_features(span)
            for tok in span:
                if tok.dep_ != "ROOT" or not tok.pos_ in ("VERB", "AUX"):
                    continue
                feats.append(f"v:{tok.lemma_.lower()}")
                feats.append(f"v:tag={tok.tag_}")
                for child in tok.children:
                    if child.dep_ in ("aux", "auxpass") and child.lower_ in _MODALS:
                        feats.append("v:modal")
                        feats.append(f"v:{child.lower_}_{tok.lemma_.lower()}")
                    elif child.dep_ == "neg":
                        feats.append("v:neg")
                    elif child.dep_ == "nsubjpass":
                        feats.append("v:passive")
                        feats.append(f"v:subj={child.lemma_.lower()}")
                    elif child.dep_ == "nsubj":
                        feats.append(f"v:subj={child.lemma_.lower()}")
                    elif child.dep_ == "agent":
                        feats.append("v:agent")
                    elif child.dep_ == "dobj":
                        feats.append(f"v:obj={child.lemma_.lower()}")
                    elif child.dep_ in ("ccomp", "xcomp"):
                        feats.append(f"v:comp={child.lemma_.lower()}")
    return feats


def clause_features(span) -> list[str]:
    """The verb of every clause, not only the root: its lemma (``l:haul``), whether it is
    passive (``l:haul_pass``), and verb-object pairs (``vo:send_family``).  Real reports
    put the event in a subordinate or relayed clause ("sources said the police have
    hauled off ..."), where the root verb is the reporting one.  Realtrain CV (with the
    wider cue lists) type+place 0.586 -> 0.599, English 0.612 -> 0.630; see docs/analysis.md."""
    feats = []
    for tok in span:
        if tok.pos_ != "VERB":
            continue
        lemma = tok.lemma_.lower()
        feats.append(f"l:{lemma}")
        if any(c.dep_ == "auxpass" for c in tok.children):
            feats.append(f"l:{lemma}_pass")
        for c in tok.children:
            if c.dep_ in ("dobj", "nsubjpass") and c.pos_ in ("NOUN", "PROPN"):
                feats.append(f"vo:{lemma}_{c.lemma_.lower()}")
    return feats


@lru_cache(maxsize=1)
def triggers() -> tuple[dict[str, list[re.Pattern]], re.Pattern, dict[str, list[re.Pattern]]]:
    """High-precision trigger patterns per type, the blocking pattern (modality,
    negation, condition, habit) that must not precede a trigger in its clause, and the
    veto patterns that rule a type out."""
    data = cues()["raw"]
    pats = {t: [re.compile(p, re.I) for p in ps] for t, ps in data.get("triggers", {}).items()}
    vetoes = {t: [re.compile(p, re.I) for p in ps] for t, ps in data.get("vetoes", {}).items()}
    return pats, re.compile(data.get("trigger_block", r"(?!x)x"), re.I), vetoes
