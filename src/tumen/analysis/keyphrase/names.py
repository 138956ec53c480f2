"""Personal names in a report, so that no tag is a name or contains one (issue 19).

Tumen never identifies or profiles a private person, and a tag line is no place for a
public one either.  ``name_words(text, spacy_doc, exempt)`` gathers the lowercase words
that ``text`` uses as (part of) a person's name:

* a Korean family name (``KOREAN_FAMILY_NAMES``, every common romanization) written
  with a capital inside a sentence ("detained a woman surnamed Choe", "Kim Jong Un"),
  unless the text also uses the word in lower case ("won" the currency, "song");
* with it, the capitalized words that run on from it ("Pak Song-chol": "pak", "song-chol");
* the word after a title or a naming phrase ("Mr. Hwang", "a trader named Sun", "surnamed Ri");
* the words of spaCy's PERSON entities, when a parse is given, except those that are
  a gazetteer place or organ the pipeline found there (``exempt``: character spans).

``is_name_tag(tag, words)`` is true when any word of the tag (or any part of a
hyphenated word) is one of them.
"""

from __future__ import annotations

import re
from typing import Iterable

# Korean family names, in the romanizations reports use (McCune-Reischauer, Revised,
# and the usual spellings).  Checked only where the text writes them capitalized.
KOREAN_FAMILY_NAMES = frozenset("""
kim gim lee yi rhee ri rhie park pak bak choi choe jung jeong chung chong joung kang gang
cho jo yoon yun jang chang lim im rim han oh seo suh shin sin kwon gwon hwang ahn an song
jeon jun chon ryu yoo yu hong ko koh go mun moon yang ryang son sohn bae pae baek paek paik
heo hur ho nam sim shim noh roh ro kwak sung seong cha joo ju chu woo koo ku min jin chin
ji chi eom um chae won cheon chun bang pang kong hyun hyon ham byun byon pyon yeom yom yeo
choo seok sok seol sol gil kil yeon yon wi pyo myung myong ki ban pan wang geum kum yuk
maeng tak kook guk doh to
""".split())
# Family names that are also everyday English words: a name only right before another
# capitalized word ("Do Myong-hak"), never alone at a sentence start.
_AMBIGUOUS = frozenset({"an", "go", "ho", "im", "in", "to", "won", "ban", "pan", "sin", "son",
                        "song", "moon", "chin", "gang", "bang", "um", "ki", "ji", "jun"})
_CAP_WORD = r"[A-Z][\w'’]*(?:-[A-Za-z][\w'’]*)*"
_TITLE = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mister|Madam|Dr|surnamed|named|nicknamed|alias)\.?\s+"
                    r"(" + _CAP_WORD + r"(?:\s+" + _CAP_WORD + r"){0,2})")
_RUN = re.compile(_CAP_WORD + r"(?:\s+" + _CAP_WORD + r")*")
_WORD = re.compile(r"[\w'’]+")


def _parts(word: str) -> list[str]:
    word = word.lower().replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    return [word, *[p for p in word.split("-") if p]]


def name_words(text: str, spacy_doc=None, exempt: Iterable[tuple[int, int]] = ()) -> set[str]:
    """Lowercase words (and hyphen parts) that ``text`` uses in a person's name."""
    words: set[str] = set()
    lower_used = {w for w in _WORD.findall(text) if w.islower()}
    for m in _TITLE.finditer(text):
        for w in m.group(1).split():
            words.update(_parts(w))
    for m in _RUN.finditer(text):
        run = m.group(0).split()
        at_start = m.start() == 0 or re.search(r"[.!?\"“”:]\s*$|\n\s*$", text[max(0, m.start() - 3):m.start()])
        for i, w in enumerate(run):
            key = _parts(w)[0]
            first = key.split("-")[0]
            if first not in KOREAN_FAMILY_NAMES or key in lower_used or first in lower_used:
                continue
            followed = i + 1 < len(run)
            if first in _AMBIGUOUS and not followed:
                continue
            if i == 0 and at_start and not followed:
                continue  # "Kang" opening a sentence alone: too little to go on
            for rest in run[i:i + 3]:
                words.update(_parts(rest))
            break
    if spacy_doc is not None:
        spans = list(exempt)
        for ent in spacy_doc.ents:
            if ent.label_ != "PERSON":
                continue
            if any(s < ent.end_char and ent.start_char < e for s, e in spans):
                continue
            for tok in ent:
                if tok.text[:1].isupper():
                    words.update(_parts(tok.text))
    return words


def is_name_tag(tag: str, words: set[str]) -> bool:
    """Does ``tag`` name a person or contain a word of a person's name?"""
    for w in tag.lower().split():
        parts = _parts(w)
        if w.endswith("s") and len(w) > 3:
            parts.append(w[:-1])  # a possessive written without its apostrophe ("jangs")
        if any(p in words for p in parts):
            return True
    return False


def person_entities(nlp, spacy_doc):
    """Run spaCy's NER (disabled in the pipeline) over ``spacy_doc`` and return its
    entities, leaving the doc's own ``ents`` as they were."""
    if spacy_doc is None or "ner" not in nlp.component_names:
        return None
    saved = spacy_doc.ents
    try:
        nlp.get_pipe("ner")(spacy_doc)
        ents = list(spacy_doc.ents)
    finally:
        spacy_doc.ents = saved
    return _Ents(ents)


class _Ents:
    def __init__(self, ents):
        self.ents = ents
