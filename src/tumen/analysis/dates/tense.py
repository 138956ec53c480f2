"""Which way a date expression points: to a past event, or to a present / coming one.

Deadlines, plans and predictions take the coming month or season ("by the end of
March", "will open properly in the spring", "to finish the hotels before the summer");
reported events take the most recent one.  English reads the governing verb in
spaCy's parse (tag + auxiliaries); Korean reads the particles and the sentence ending.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from tumen.analysis.dates.cues import cues

PAST, PRESENT, FUTURE = "past", "present", "future"

# Prepositions that open a period running from a past point ("since March").
BACKWARD_PREPS = frozenset({"since", "from", "as of", "starting"})
# Prepositions that close a period; they point forward unless the verb is past.
FORWARD_PREPS = frozenset({"by", "until", "till", "through", "throughout", "before", "into"})

_HANGUL_RIEUL_FUTURE = re.compile(r"[\uac00-\ud7a3] 것|겠|예정|계획")


@lru_cache(maxsize=1)
def _future_aux() -> frozenset[str]:
    return frozenset(cues()["future_auxiliaries"])


INFINITIVE = "infinitive"


def _governing_verb(sdoc: Any, start: int, end: int) -> Any:
    """The verb (or auxiliary) over the characters [start, end): the span's root, or
    its nearest verb up the parse (at most 8 steps); None when there is none."""
    span = sdoc.char_span(start, end, alignment_mode="expand")
    if span is None or len(span) == 0:
        return None
    tok = span.root
    steps = 0
    while tok.pos_ not in ("VERB", "AUX") and tok.head is not tok and steps < 8:
        tok = tok.head
        steps += 1
    return tok if tok.pos_ in ("VERB", "AUX") else None


def verb_tense(sdoc: Any, start: int, end: int, infinitive_future: bool = True) -> str | None:
    """The tense of the verb that governs the characters [start, end) in a spaCy Doc,
    or None when there is no parse or no governing verb.  A to-infinitive ("ordered
    to finish by June 5") counts as future unless ``infinitive_future`` is False
    (then its own tense is unknown: "trying to reach the river on Aug. 8")."""
    if sdoc is None:  # callers check that [start, end) lies within the parsed text
        return None
    tok = _governing_verb(sdoc, start, end)
    if tok is None:
        return None
    tense = _classify(tok)
    if tense == INFINITIVE:
        return FUTURE if infinitive_future else None
    # A present-tense verb in a clause under a future one ("must finish ... before
    # the rainy season begins in July") shares its future.
    hops = 0
    while tense == PRESENT and tok.dep_ in ("advcl", "ccomp", "xcomp", "conj", "relcl") and hops < 3:
        tok = tok.head
        hops += 1
        if tok.pos_ in ("VERB", "AUX"):
            head_tense = _classify(tok)
            if head_tense == FUTURE or (head_tense == INFINITIVE and infinitive_future):
                return FUTURE
    return tense


@lru_cache(maxsize=1)
def _future_verbs() -> frozenset[str]:
    return frozenset(cues()["future_verbs"])


def _classify(verb: Any) -> str | None:
    if verb.lemma_.lower() in _future_verbs() and verb.tag_ in ("VBZ", "VBP", "VB"):
        return FUTURE  # "traders expect further rises over the winter"
    auxes = [c for c in verb.children if c.dep_ in ("aux", "auxpass")]
    words = {a.lower_ for a in auxes}
    if verb.tag_ == "VBN" and "have" in words and (words & _PAST_MODALS or "to" in words):
        return PAST  # "may have been", "is said to have fled": a past event
    if verb.tag_ == "VBN" and "to" in words:
        return INFINITIVE  # "guidelines to be published in early November"
    if (verb.tag_ == "VBN" and verb.lemma_.lower() in _future_verbs()
            and words & {"is", "are", "am", "'s", "'re"}):
        return FUTURE  # "the closing is expected in December", "talks are planned for May"
    if words & _future_aux() or any(a.tag_ == "MD" for a in auxes):
        return FUTURE
    if verb.tag_ == "VB":
        if "to" in words or any(c.dep_ == "aux" and c.lower_ == "to" for c in verb.children):
            return INFINITIVE
        if words & {"did"}:
            return PAST
        return PRESENT
    if verb.tag_ == "VBD" or any(a.tag_ == "VBD" for a in auxes):
        return PAST
    if verb.tag_ == "VBN":
        # present perfect ("has set", "have been mobilized"): the event has happened
        if words & {"has", "have", "had"}:
            return PAST
        if words & {"is", "are", "am", "be"}:
            return PRESENT
        return None
    if verb.tag_ in ("VBZ", "VBP"):
        return PRESENT
    if verb.tag_ == "VBG" and words & {"is", "are", "am", "be"}:
        return PRESENT
    if verb.tag_ == "VBG" and words & {"was", "were"}:
        return PAST
    return None


# Modals that with "have" speak of the past ("may have been", "could have fled").
_PAST_MODALS = frozenset({"may", "might", "could", "must", "should", "would", "can"})


@lru_cache(maxsize=1)
def _plan_verbs() -> frozenset[str]:
    return frozenset(cues()["plan_verbs"])


def governed_by_plan(sdoc: Any, start: int, end: int) -> bool:
    """True when the verb over [start, end), or a verb it depends on through a
    to-infinitive, plans or defers something ("planned a rally on Saturday", "were
    planning to march on Monday", "postponed the hearing until Tuesday"): the date is
    the coming one, whatever the tense.  Not when the date comes before the plan verb
    ("On Friday, the council planned to ...": the day of the planning), nor for a
    participle naming a noun ("a service planned for Saturday was cancelled")."""
    if sdoc is None:
        return False
    tok = _governing_verb(sdoc, start, end)
    hops = 0
    while tok is not None and hops < 3:
        if tok.lemma_.lower() in _plan_verbs():
            return tok.idx < start and tok.dep_ != "acl"
        if tok.dep_ not in ("xcomp", "ccomp") or tok.head is tok or _classify(tok) != INFINITIVE:
            return False
        tok = tok.head
        hops += 1
    return False


# Verbs whose present tense tells, not schedules ("officials say Monday ...", "it is Monday").
_TELLING_LEMMAS = frozenset({"say", "tell", "report", "add", "confirm", "claim", "note", "be", "have",
                             "remain", "stay", "continue", "appear", "seem"})


def scheduled_present(sdoc: Any, start: int, end: int) -> bool:
    """True when the verb over [start, end) is in the present tense and schedules
    rather than tells: news copy's present for a coming event ("the two leaders meet
    Monday", "the court rules on Friday")."""
    if sdoc is None:
        return False
    tok = _governing_verb(sdoc, start, end)
    return (tok is not None and tok.idx < start and _classify(tok) == PRESENT
            and tok.lemma_.lower() not in _TELLING_LEMMAS)


def planned_before(body: str, start: int) -> bool:
    """A plan named just before ``start`` in its clause ("scheduled for", "set to resume")."""
    return bool(_PLANNED_BEFORE.search(body, max(0, start - 60), start))


def governing_tense(sdoc: Any, start: int, end: int) -> str | None:
    """As ``verb_tense``, but a to-infinitive takes the tense of the verb it depends on
    ("gathered in the square to mark the anniversary on Friday" is past)."""
    tok = _governing_verb(sdoc, start, end)
    if tok is None:
        return None
    tense = _classify(tok)
    hops = 0
    while tense == INFINITIVE and tok.head is not tok and hops < 3:
        tok = tok.head
        hops += 1
        if tok.pos_ in ("VERB", "AUX"):
            tense = _classify(tok)
    if tense == INFINITIVE:
        return FUTURE
    return tense if tense != PRESENT else verb_tense(sdoc, start, end)


def english_tense(sdoc: Any, body: str, start: int, end: int,
                  sentence: tuple[int, int] | None = None, infinitive_head: bool = False) -> str | None:
    """The tense governing [start, end): the parse's verb, else (past spaCy's limit)
    the words of the clause before it.  ``infinitive_head``: see ``governing_tense``."""
    if sdoc is not None:
        return governing_tense(sdoc, start, end) if infinitive_head else verb_tense(sdoc, start, end)
    if sentence is not None:
        return lexical_tense(body[sentence[0]:start])
    return None


def english_forward(sdoc: Any, body: str, start: int, end: int, prep: str | None,
                    sentence: tuple[int, int] | None = None) -> bool:
    """True when the expression at [start, end) is a deadline, plan or prediction."""
    prep = (prep or "").lower()
    if planned_before(body, start):
        return True  # "was planned for early March", "a summit scheduled for April"
    tense = english_tense(sdoc, body, start, end, sentence)
    if prep in BACKWARD_PREPS:
        # "since March" looks back; "from March 30" in a future clause looks ahead
        return prep != "since" and tense == FUTURE
    if prep in FORWARD_PREPS and tense != PAST:
        return True
    if tense == FUTURE:
        return True
    if sentence is not None:
        text = body[sentence[0]:sentence[1]].lower()
        if any(w in text for w in cues()["deadline_words"]):
            return True
    return False


# a plan named just before the date, in the same clause
_PLANNED_BEFORE = re.compile(r"(?i)\b(?:planned|scheduled|slated|set|due|timed)\s+(?:for|to\s+\w+)\b[^.;:!?]{0,35}$")
_LEXICAL_FUTURE = re.compile(r"(?i)\b(?:will|shall|won't|is\s+to|are\s+to|to\s+be|plans?\s+to|"
                             r"scheduled|expected\s+to|going\s+to|must)\b|'ll\b")
_LEXICAL_PAST = re.compile(r"(?i)\b(?:was|were|had|did)\b|\b\w+ed\b")


def lexical_tense(clause: str) -> str | None:
    """Without a parse (text past spaCy's limit): future words in the clause before
    the date, else a past form, else unknown."""
    if _LEXICAL_FUTURE.search(clause):
        return FUTURE
    if _LEXICAL_PAST.search(clause):
        return PAST
    return None


def korean_forward(body: str, start: int, end: int, sentence: tuple[int, int] | None) -> bool:
    """Korean: a closing particle or a future ending in the sentence points forward."""
    token = body[start:end]
    if any(c in token for c in ("까지", "앞두고", "내내")):
        return True
    if sentence is None:
        return False  # "3월부터" looks back unless a future ending follows it
    text = body[end:sentence[1]]
    return bool(_HANGUL_RIEUL_FUTURE.search(text) and _has_rieul_future(text))


def _has_rieul_future(text: str) -> bool:
    """A syllable ending in ㄹ followed by " 것" (이어질 것), or 겠/예정/계획."""
    for m in _HANGUL_RIEUL_FUTURE.finditer(text):
        frag = m.group(0)
        if frag.endswith(" 것"):
            if (ord(frag[0]) - 0xAC00) % 28 == 8:
                return True
        else:
            return True
    return False
