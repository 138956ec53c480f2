"""The incidents component: one incident per distinct event the report states.

Steps (parts in ``tumen.analysis.incidents``):

1. every sentence is typed by a learned multi-label classifier (``classify``; one
   logistic regression per incident type over words, Korean character n-grams, cue
   lexicons, the entities/dates the earlier components found in it, the main verb's
   lemma/tense/voice/modality from the spaCy parse, and trigger patterns; place
   mentions are read as one token, ``placename``; trained on
   the training set's gold evidence sentences by ``tumen.analysis.incidents.train``); a trigger
   pattern not preceded by modality or negation ("detained", "held a meeting") also
   guarantees its type a floor probability, and vetoes rule a type out ("meetings
   were held" is no detention);
2. each typed sentence gets its arguments (``args``): place (sentence, then paragraph,
   then the report's lead), date (from the sentence, or an anaphor resolved by the
   dates component), actor (the organization doing the act), penalty (punishment and
   public trial only);
3. restatements of one event are merged (``dedupe``): same type, no conflicting
   date or place; the most specific sentence stays as evidence.

Scores (shared/tools/recordeval.py): see ``tumen.analysis.incidents.train`` and the report of
the incidents work; devset type / type+place / full F1 about 0.84 / 0.83 / 0.82.

Commentary and analysis pieces (title "Commentary:" / "Analysis:") get no incidents.
"""

from __future__ import annotations

import re

import numpy as np

from tumen.analysis.incidents import args as A
from tumen.analysis.incidents.classify import TypeModel, apply_triggers, doc_features
from tumen.analysis.incidents.dedupe import Candidate, merge
from tumen.analysis.pipeline import Document, component
from tumen.record import Evidence, Incident
from tumen.analysis.text import paragraph_spans

COMMENTARY = re.compile(r"\s*(?:commentary|analysis|opinion|editorial)\s*:", re.I)
# A sentence gives a second incident type only when that type's probability is at least
# this much (calibrated on the training set's out-of-fold predictions, grid 0.4-0.75:
# two types in one sentence are rare, 35 of 439 evidence sentences).
SECOND_TYPE_MIN = 0.5
# At most this many sentences are typed per report (a 1 MB body): the rest are skipped.
MAX_SENTENCES = 2000
# A meeting that "told" people to do something is one incident (README section 6: the
# content of a meeting belongs to it); an order it passes on is its own incident only
# when the sentence names one ("ordered", "instructed", "directive").
MEETING_CONTENT_RULE = True
_OWN_ORDER = re.compile(r"\b(?:ordered|instructed|directive|instruction|decree|order)\b|지시|명령", re.I)
# Trigger patterns (resources/incident_cues.json) add types the model missed.
USE_TRIGGERS = True
PENALTY_TYPES = {"punishment", "public_trial"}


@component("incidents")
class IncidentsComponent:
    name = "incidents"
    requires = ("report", "spacy", "sentences", "places", "organizations", "dates",
                "date_mentions", "date_roles", "date_anaphora")
    assigns = ("incidents",)

    def __init__(self, model_path: str | None = None) -> None:
        self.model_path = model_path
        self.model: TypeModel | None = None

    def initialize(self) -> None:
        self.model = TypeModel.load(self.model_path)

    def __call__(self, doc: Document) -> Document:
        if self.model is None:
            self.initialize()
        doc.incidents = extract(doc, self.model)
        return doc


def extract(doc: Document, model: TypeModel) -> list[Incident]:
    title = doc.report.title or ""
    body = doc.body
    if COMMENTARY.match(title) or not body.strip() or not doc.sentences:
        return []
    sentences = doc.sentences[:MAX_SENTENCES]
    paras = paragraph_spans(body)
    para_of = paragraph_index(sentences, paras)
    texts = [body[s:e] for s, e in sentences]
    probs = model.predict_proba(doc_features(doc, sentences, para_of))
    fired = np.zeros(probs.shape, dtype=bool)
    if USE_TRIGGERS:
        probs, fired = apply_triggers(probs, texts, model.types)

    places = A.place_mentions(doc)
    orgs = A.org_mentions(doc)
    lead = A.main_place(doc, places)
    towns = A.crossing_towns(doc)
    cands: list[Candidate] = []
    for k, ((start, end), row, fire) in enumerate(zip(sentences, probs, fired)):
        if A.is_furniture(body, start, end) or A.names_private_person(texts[k]):
            continue
        chosen = _types(row, fire, model)
        if not chosen:
            continue
        if MEETING_CONTENT_RULE and len(chosen) == 2 and chosen[0][0] == "meeting" and chosen[1][0] == "order" \
                and not _OWN_ORDER.search(texts[k]):
            chosen = chosen[:1]  # what a meeting told people belongs to the meeting
        para = paras[para_of[k]] if paras else (start, end)
        place, province = A.place_for(doc, places, start, end, para, lead)
        own = set()
        if A.between(places, start, end):
            own.add("place")
        for t, prob in chosen:
            where = (place, province)
            if t == "punishment" and A.is_banishment(texts[k]):
                where = A.banishment_place(doc, places, start, end, para, lead)
            elif t == "order" and A.is_national_order(doc, places, start, end):
                where = (None, None)
            if t not in A.CROSSING_TYPES and where[0] in towns:
                where = towns[where[0]]
            date, precision = A.date_for(doc, start, end, t)
            actor = A.actor_for(doc, orgs, start, end, t)
            cand = Candidate(index=k, type=t, prob=prob, start=start, end=end, paragraph=para_of[k],
                             actor=actor, place=where[0], province=where[1], date=date,
                             date_precision=precision if date else None,
                             penalty=_penalty(texts, k, t),
                             own=own | ({"actor"} if actor else set()) | ({"date"} if date else set()))
            cands.append(cand)
    return [Incident(type=c.type, evidence=Evidence(body[c.start:c.end], c.start, c.end),
                     actor=c.actor, target=None, place=c.place, province=c.province,
                     date=c.date, date_precision=c.date_precision, penalty=c.penalty,
                     prescribed_penalty=_prescribed(texts, c))
            for c in merge(cands)]


# Incident types whose demanded or threatened penalties are recorded (extra field).
PRESCRIBING_TYPES = {"order", "meeting"}
# Sentences after an order or meeting that tell its content when they open by naming it
# ("In particular, the meeting called on officials to ...").
CONTENT_FOLLOW_SENTENCES = 3
_CONTENT_OF = re.compile(r"^(?:[\w'’-]+(?:\s+[\w'’-]+){0,2},\s+)?(?:the|this|that|these)\s+(?:[\w'’-]+\s+){0,2}?"
                         r"(?:meeting|meetings|session|lecture|order|orders|directive|instruction|decree)\b", re.I)


def _prescribed(texts: list[str], cand: Candidate) -> str | None:
    """Penalties an order or meeting demands, from its sentence and the restatements
    merged into it ("the meeting called on officials to send ... to labor camps")."""
    if cand.type not in PRESCRIBING_TYPES:
        return None
    out: list[str] = []
    follow = [k for k in range(cand.index + 1, min(len(texts), cand.index + 1 + CONTENT_FOLLOW_SENTENCES))
              if _CONTENT_OF.match(texts[k])]
    for k in sorted({cand.index, *cand.merged, *follow}):
        for item in (A.prescribed_penalty_for(texts[k]) or "").split("; "):
            if item and item not in out:
                out.append(item)
    return "; ".join(out) or None


# Sentences after a public trial's evidence that are read for its sentences ("The man
# accused ... was sentenced to 15 years"), unless they are conditional or prescriptive.
TRIAL_FOLLOW_SENTENCES = 3
_PRESCRIPTIVE = re.compile(r"\b(?:would|could|may|might|face|faces|likely|up to|carries|provides)\b", re.I)


def _penalty(texts: list[str], k: int, itype: str) -> str | None:
    if itype not in PENALTY_TYPES:
        return None
    parts = [A.penalty_for(texts[k])]
    if itype == "public_trial":
        for text in texts[k + 1:k + 1 + TRIAL_FOLLOW_SENTENCES]:
            if not _PRESCRIPTIVE.search(text):
                parts.append(A.penalty_for(text))
    out: list[str] = []
    for part in parts:
        for item in (part or "").split("; "):
            if item and item not in out:
                out.append(item)
    return "; ".join(out) or None


def paragraph_index(sentences: list[tuple[int, int]], paras: list[tuple[int, int]]) -> list[int]:
    """The paragraph number of every sentence."""
    out, p = [], 0
    for start, _ in sentences:
        while p + 1 < len(paras) and paras[p][1] <= start:
            p += 1
        out.append(p)
    return out


def _types(row: np.ndarray, fired: np.ndarray, model: TypeModel) -> list[tuple[str, float]]:
    """The sentence's types: the best one above its threshold, and a second one when it
    is also likely (SECOND_TYPE_MIN) or a trigger states it."""
    order = np.argsort(-row)
    out = []
    for rank, k in enumerate(order[:2]):
        if row[k] < model.thresholds[k] or (rank == 1 and row[k] < SECOND_TYPE_MIN and not fired[k]):
            break
        out.append((model.types[k], float(row[k])))
    return out
