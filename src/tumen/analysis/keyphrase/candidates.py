"""Keyphrase candidates: noun phrases from part-of-speech patterns.

A text is cut into tokens (``\\w`` runs, hyphenated words kept whole) with a coarse
class each: ``N`` noun or proper noun, ``A`` adjective, ``D`` number, ``X`` anything
else (verbs, function words) -- and sentence/punctuation breaks.  The classes come from
spaCy's tagger when a parsed ``spacy.tokens.Doc`` is at hand (inside the pipeline), else
from ``LexiconTagger``: a unigram lexicon built from spaCy's own tags on the background
corpora (``build_df.py``) plus suffix and capitalisation rules for unseen words, ~50x
faster than running the tagger.

A candidate is a contiguous run ``(A|N|D)* N`` inside a sentence, up to
``MAX_WORDS`` words; every such run that starts with ``A`` or ``N`` is a candidate
(the maximal chunk and its sub-phrases, so "illegal aliens" is found inside "illegal
aliens census count").  Candidates are keyed by their Porter-stemmed tokens, the same
normalisation as the scorer, so inflected repetitions count as one phrase.
"""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass, field
from typing import Any, Container, Iterable

from nltk.stem.porter import PorterStemmer

from tumen.analysis.keyphrase.background import Background

MAX_WORDS = 4  # longer gold phrases are < 3% on DUC-2001 / Inspec

# Tokens: words (hyphen/apostrophe joined), numbers; everything else is a separator.
_TOKEN = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*|[.!?;:,()\"“”\[\]{}]|\n\s*\n")
_BREAK = set(".!?;:,()\"“”[]{}")
_SENT_END = set(".!?")

STOPWORDS = frozenset("""
a about above across after afterwards again against all almost alone along already also
although always am among amongst an and another any anyhow anyone anything anyway anywhere
are around as at back be became because become becomes becoming been before beforehand
behind being below beside besides between beyond both but by can cannot could did do does
doing done down due during each either else elsewhere enough etc even ever every everyone
everything everywhere except few for former formerly from further had has have having he
hence her here hereafter hereby herein hers herself him himself his how however i if in
indeed into is it its itself just last latter least less many may me meanwhile might mine
more moreover most mostly much must my myself namely neither never nevertheless next no
nobody none noone nor not nothing now nowhere of off often on once one only onto or other
others otherwise our ours ourselves out over own per perhaps please put rather re same
see seem seemed seeming seems several she should since so some somehow someone something
sometime sometimes somewhere still such than that the their theirs them themselves then
thence there thereafter thereby therefore therein thereupon these they this those though
through throughout thru thus to together too toward towards under until up upon us very
via was we well were what whatever when whence whenever where whereafter whereas whereby
wherein whereupon wherever whether which while whither who whoever whole whom whose why
will with within without would yet you your yours yourself yourselves mr mrs ms dr
said says say told according reportedly also s t don didn doesn isn wasn weren won
""".split())

# Suffixes that mark adjectives among words the lexicon has not seen.
_ADJ_SUFFIX = ("ous", "ful", "ive", "able", "ible", "ical", "less", "ary", "ic", "al", "ish")
_VERBISH_SUFFIX = ("ly",)

_stemmer = PorterStemmer()


@functools.lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    return _stemmer.stem(word)


_SCORER_TOKEN = re.compile(r"\w+")


def phrase_key(phrase: str) -> str:
    """The scorer's normal form: lowercase ``\\w+`` tokens, Porter-stemmed, space-joined."""
    return " ".join(stem(t) for t in _SCORER_TOKEN.findall(phrase.lower()))


def _candidate_key(stems: str, lower: str) -> str:
    """A candidate's key: its stems, space-joined; a word joined by a hyphen or an
    apostrophe is split as the scorer splits it (``phrase_key`` of the surface)."""
    return phrase_key(lower) if ("-" in stems or "'" in stems or "’" in stems) else stems


@dataclass
class Token:
    text: str  # surface form
    lower: str
    cls: str  # N, A, D, X
    start: int  # character offset
    sent: int  # sentence index
    cap: bool  # capitalised and not sentence-initial


@dataclass
class Candidate:
    key: str  # stemmed tokens, space-joined
    words: int
    surfaces: dict[str, int] = field(default_factory=dict)  # lowercased surface -> count
    positions: list[int] = field(default_factory=list)  # token index of each occurrence
    sentences: list[int] = field(default_factory=list)
    caps: int = 0  # occurrences written with every word capitalised
    maximal: int = 0  # occurrences that are a whole chunk (not a sub-phrase)
    in_title: bool = False
    classes: dict[str, int] = field(default_factory=dict)  # keyword mode: token class -> count
    # keyword mode: occurrences by context ("name": inside a multi-word capitalised name,
    # "head"/"modifier": last/other word of a multi-word noun-adjective run) and the
    # names the word occurs in
    contexts: dict[str, int] = field(default_factory=dict)
    names: dict[str, int] = field(default_factory=dict)

    @property
    def surface(self) -> str:
        return max(self.surfaces.items(), key=lambda kv: (kv[1], -len(kv[0])))[0]

    @property
    def tf(self) -> int:
        return len(self.positions)

    @property
    def name(self) -> str | None:
        """Keyword mode: the 2-3-word name this word nearly always belongs to ("san
        francisco" for "francisco"), if any."""
        if not self.names:
            return None
        name, count = max(self.names.items(), key=lambda kv: kv[1])
        return name if count >= NAME_SHARE * self.tf and len(name.split()) <= NAME_MAX_WORDS else None


# Words that are never phrase material although tagged as nouns.
TIME_WORDS = frozenset("""monday tuesday wednesday thursday friday saturday sunday today
yesterday tomorrow january february april june july august september october november
december jan feb mar apr jun jul aug sep sept oct nov dec mon tue wed thu fri sat sun
march winter summer autumn""".split())
DETERMINERS = frozenset("""the a an this that these those his her its their our my your some
any each every no another such both all either neither whose""".split())
PREPOSITIONS = frozenset("""of in on at for with by from into about over under between against
during through after before without within among across along around toward towards upon
than""".split())
PRONOUNS = frozenset("he she they it we i you who which".split())
MODALS = frozenset("will would can could should might must shall to".split())


class LexiconTagger:
    """Coarse part-of-speech classes from the background lexicon plus rules.

    Ambiguous words (``NX``: noun mostly, ``XN``: verb mostly, and the ``A``
    variants) are decided by their neighbours: after a determiner, preposition or
    adjective a noun; after a pronoun, a modal or "to", or between a noun and a
    determiner, a verb ("group contends that")."""

    def __init__(self, background: Background):
        self.bg = background

    def classify(self, word: str, lower: str, sentence_initial: bool, title_case: bool = False) -> str:
        if lower in STOPWORDS or lower in TIME_WORDS:
            return "X"
        if lower[0].isdigit():
            return "D" if lower.isdigit() or re.fullmatch(r"\d+(?:s|th|st|nd|rd)?", lower) else "N"
        capital = word[0].isupper() and not sentence_initial and not title_case
        cls = self.bg.pos(lower)
        if cls is not None:
            if cls[0] == "X" and capital and not word.isupper():
                return "N"  # "Bush", "Will" as names
            return cls
        if capital:
            return "N"
        if "-" in lower:
            last = lower.rsplit("-", 1)[1]
            return "A" if last.endswith(("ed", "ing", "old", "made", "based", "term", "scale")) else "N"
        if lower.endswith(_VERBISH_SUFFIX):
            return "X"
        if lower.endswith(_ADJ_SUFFIX):
            return "A"
        if lower.endswith("ed") and len(lower) > 4:
            return "XA"
        if lower.endswith("ing") and len(lower) > 5:
            return "XN"
        return "N"

    @staticmethod
    def resolve(prev: str | None, prev_cls: str, cls: str, nxt: str | None) -> str:
        """Decide an ambiguous class from the previous word/class and the next word."""
        major, minor = cls[0], cls[1]
        content = major if major != "X" else minor
        if prev is None:
            return major
        if prev in DETERMINERS or prev in PREPOSITIONS or prev_cls in ("A", "D"):
            return content
        if prev in PRONOUNS or prev in MODALS:
            return "X"
        if prev_cls == "N" and nxt is not None and (nxt in DETERMINERS or nxt in PRONOUNS or nxt == "to"):
            return "X"
        return major


_SPACY_CLS = {"NOUN": "N", "PROPN": "N", "ADJ": "A", "NUM": "D"}


def tokenize(text: str, tagger: LexiconTagger | None = None, spacy_doc: Any = None,
             offset: int = 0) -> list[Token]:
    """Tokens with coarse classes; separators become ``X`` tokens that end chunks."""
    tokens: list[Token] = []
    if spacy_doc is not None:
        return _spacy_tokens(spacy_doc, offset)
    raw: list[tuple[str, int]] = []  # (word or separator, offset)
    for m in _TOKEN.finditer(text):
        word = m.group()
        if word.endswith(("'s", "’s")) and len(word) > 2:
            word = word[:-2]
        raw.append((word, m.start()))
    # title-cased sentences (headlines): capitals carry no signal there
    title_case: set[int] = set()
    sent = 0
    words_in_sent: list[str] = []
    for word, _ in raw + [(".", -1)]:
        if word[0] in _SENT_END or word[0] == "\n":
            alpha = [w for w in words_in_sent if w[0].isalpha() and w.lower() not in STOPWORDS]
            if len(alpha) >= 3 and sum(w[0].isupper() for w in alpha) >= 0.75 * len(alpha):
                title_case.add(sent)
            sent += 1
            words_in_sent = []
        elif word[0] not in _BREAK:
            words_in_sent.append(word)
    sent = 0
    initial = True
    for word, start in raw:
        if word[0] in _BREAK or word[0] == "\n":
            tokens.append(Token(word, word, "X", start + offset, sent, False))
            if word[0] in _SENT_END or word[0] == "\n":
                sent += 1
                initial = True
            continue
        lower = word.lower()
        tc = sent in title_case
        cls = tagger.classify(word, lower, initial, tc) if tagger else "N"
        cap = word[0].isupper() and not initial and not tc
        tokens.append(Token(word, lower, cls, start + offset, sent, cap))
        initial = False
    for k, tok in enumerate(tokens):
        if len(tok.cls) == 2:
            prev = tokens[k - 1] if k else None
            nxt = tokens[k + 1].lower if k + 1 < len(tokens) else None
            tok.cls = LexiconTagger.resolve(prev.lower if prev else None, prev.cls if prev else "X",
                                            tok.cls, nxt)
    return tokens


def _spacy_tokens(spacy_doc: Any, offset: int = 0) -> list[Token]:
    """Tokens from a spaCy parse; "radio-wave" (split by spaCy) is joined back."""
    tokens: list[Token] = []
    sent = 0
    toks = list(spacy_doc)
    k = 0
    while k < len(toks):
        tok = toks[k]
        if tok.is_sent_start and tokens:
            sent += 1
        if tok.is_space:
            if "\n\n" in tok.text:
                sent += 1
            k += 1
            continue
        # a hyphenated word: alnum '-' alnum ... with no spaces in between
        end = k
        while (end + 2 < len(toks) and not toks[end].whitespace_ and toks[end + 1].text == "-"
               and not toks[end + 1].whitespace_ and toks[end + 2].text[:1].isalnum()
               and toks[end].text[-1:].isalnum()):
            end += 2
        if end > k:
            text = "".join(t.text for t in toks[k:end + 1])
            lower = text.lower()
            last = toks[end].lower_
            cls = "A" if last.endswith(("ed", "ing", "old", "made", "based", "term", "scale")) \
                else _SPACY_CLS.get(toks[end].pos_, "X")
            if cls == "D":
                cls = "N"
            cap = text[0].isupper() and not tok.is_sent_start
            tokens.append(Token(text, lower, cls, tok.idx + offset, sent, cap))
            k = end + 1
            continue
        if tok.is_punct or not any(ch.isalnum() for ch in tok.text):
            tokens.append(Token(tok.text, tok.text, "X", tok.idx + offset, sent, False))
            k += 1
            continue
        lower = tok.lower_
        if lower.endswith(".") and lower[:-1] in TIME_WORDS:
            lower = lower[:-1]
        if lower in ("'s", "’s") or lower in STOPWORDS or lower in TIME_WORDS:
            cls = "X"
        else:
            cls = _SPACY_CLS.get(tok.pos_, "X")
        if cls == "D" and not tok.text[0].isdigit():
            cls = "X"  # "one", "two": not phrase material
        cap = tok.text[0].isupper() and not tok.is_sent_start
        tokens.append(Token(tok.text, lower, cls, tok.idx + offset, sent, cap))
        k += 1
    return tokens


def extract_candidates(tokens: list[Token], title_tokens: int = 0,
                       max_words: int = MAX_WORDS) -> dict[str, Candidate]:
    """Every ``(A|N|D)* N`` run of up to ``max_words`` words, keyed by stems.

    ``title_tokens``: how many leading tokens are the title (for the in-title flag).
    """
    cands: dict[str, Candidate] = {}
    n = len(tokens)
    i = 0
    while i < n:
        if tokens[i].cls == "X":
            i += 1
            continue
        j = i
        while j < n and tokens[j].cls != "X" and tokens[j].sent == tokens[i].sent:
            j += 1
        _add_chunk(tokens, i, j, cands, title_tokens, max_words)
        i = j
    return cands


def _add_chunk(tokens: list[Token], i: int, j: int, cands: dict[str, Candidate],
               title_tokens: int, max_words: int) -> None:
    # trim trailing non-nouns: a phrase ends with its head noun
    while j > i and tokens[j - 1].cls != "N":
        j -= 1
    if j <= i:
        return
    stems = [stem(t.lower) for t in tokens[i:j]]
    for a in range(i, j):
        if tokens[a].cls == "D":
            continue
        for b in range(a + 1, min(j, a + max_words) + 1):
            if tokens[b - 1].cls != "N":
                continue
            toks = tokens[a:b]
            key = _candidate_key(" ".join(stems[a - i:b - i]), " ".join(t.lower for t in toks))
            cand = cands.get(key)
            if cand is None:
                cand = cands[key] = Candidate(key=key, words=len(key.split()))
            surface = " ".join(t.lower for t in toks)
            cand.surfaces[surface] = cand.surfaces.get(surface, 0) + 1
            cand.positions.append(a)
            cand.sentences.append(toks[0].sent)
            if all(t.text[0].isupper() for t in toks):
                cand.caps += 1
            if a == i and b == j:
                cand.maximal += 1
            if a < title_tokens:
                cand.in_title = True


# A contraction of a pronoun or auxiliary ("don't", "we're", "i'll"): a function word.
_CONTRACTION = re.compile(r"[a-z]+['’](?:t|re|m|ve|ll|d)$")


def extract_words(tokens: list[Token], title_tokens: int = 0, skip: Container[int] = ()
                  ) -> dict[str, Candidate]:
    """Keyword mode: every word of three or more letters that is not a stopword or a time
    word -- nouns, adjectives and verbs alike ("kisses", "traditional") -- keyed by its
    stem (a hyphenated word by its stems, as the scorer splits it), with the contexts of
    its occurrences (``word_contexts``).  Tokens at the indices in ``skip`` (pieces of
    web addresses) are left out."""
    cands: dict[str, Candidate] = {}
    names, roles = word_contexts(tokens)
    for a, t in enumerate(tokens):
        lower = t.lower
        if (len(lower) < 3 or not lower[0].isalpha() or lower in STOPWORDS or lower in TIME_WORDS
                or a in skip or _CONTRACTION.match(lower)):
            continue
        key = _candidate_key(stem(lower), lower)
        if not key:
            continue
        cand = cands.get(key)
        if cand is None:
            cand = cands[key] = Candidate(key=key, words=len(key.split()))
        cand.surfaces[lower] = cand.surfaces.get(lower, 0) + 1
        cand.positions.append(a)
        cand.sentences.append(t.sent)
        cand.classes[t.cls] = cand.classes.get(t.cls, 0) + 1
        cand.caps += t.cap
        cand.maximal += 1
        if a < title_tokens:
            cand.in_title = True
        name = names.get(a)
        if name is not None:
            cand.contexts["name"] = cand.contexts.get("name", 0) + 1
            cand.names[name] = cand.names.get(name, 0) + 1
        role = roles.get(a)
        if role is not None:
            cand.contexts[role] = cand.contexts.get(role, 0) + 1
    return cands


# A keyword is output as the name it belongs to when at least this share of its
# occurrences are inside that name (of at most NAME_MAX_WORDS words).
NAME_SHARE = 0.7
NAME_MAX_WORDS = 3

# Web and e-mail addresses: their pieces ("www", "com", a user name) are not keywords.
_ADDRESS = re.compile(r"(?:https?://|www\.)\S+|[\w.+-]+@[\w-]+\.[\w.]+"
                      r"|\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|gov|edu|info)\b", re.IGNORECASE)


def address_tokens(tokens: list[Token], text: str, first: int = 0) -> set[int]:
    """Indices (counted from ``first``) of the tokens that lie inside a web or e-mail
    address of ``text``, the string the tokens' offsets point into."""
    spans = [m.span() for m in _ADDRESS.finditer(text)]  # in order, not overlapping
    if not spans:
        return set()
    starts = [a for a, _ in spans]
    out = set()
    for i, t in enumerate(tokens):
        k = bisect.bisect_right(starts, t.start) - 1
        if k >= 0 and t.start < spans[k][1]:
            out.add(first + i)
    return out


def word_contexts(tokens: list[Token]) -> tuple[dict[int, str], dict[int, str]]:
    """Two maps over token indices, for keyword mode.

    ``names``: the multi-word capitalised run a token is part of ("Los Angeles",
    "Terrence Malick"), stopwords trimmed from its ends; a name is a unit, and its
    pieces are poor keywords on their own.  ``roles``: ``head`` or ``modifier`` for
    the last or another word of a run of two or more nouns/adjectives ("crack
    cocaine"), whose words are weaker keywords than a word that stands alone."""
    names: dict[int, str] = {}
    roles: dict[int, str] = {}
    for run in _runs(tokens, lambda t: t.text[:1].isupper() and t.text.isalpha()):
        while run and tokens[run[0]].lower in STOPWORDS:
            run.pop(0)
        while run and tokens[run[-1]].lower in STOPWORDS:
            run.pop()
        if len(run) >= 2:
            name = " ".join(tokens[i].lower for i in run)
            names.update(dict.fromkeys(run, name))
    for run in _runs(tokens, lambda t: t.cls in ("N", "A") and t.text[:1].isalnum()):
        if len(run) >= 2:
            roles.update(dict.fromkeys(run[:-1], "modifier"))
            roles[run[-1]] = "head"
    return names, roles


def _runs(tokens: list[Token], member) -> list[list[int]]:
    """Maximal runs of consecutive tokens of one sentence for which ``member`` holds."""
    runs: list[list[int]] = []
    run: list[int] = []
    for i, t in enumerate(tokens):
        if not member(t):
            run = []
            continue
        if not run or tokens[i - 1].sent != t.sent:
            run = []
            runs.append(run)
        run.append(i)
    return runs


def words_of(tokens: Iterable[Token]) -> list[Token]:
    return [t for t in tokens if t.cls != "X" or t.text[:1].isalnum()]
