"""The data model: raw reports, normalized reports and the analysis record.

``Record.to_dict()`` produces exactly the shape of ``shared/spec/record.md``; extra
fields may be added, the spec's fields are never renamed.  Every offset is a Python
string index into ``Report.body`` (the normalized body).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any


@dataclass
class RawReport:
    """What a source reader yields: text plus metadata, before normalization."""

    body: str
    title: str | None = None
    id: str | None = None
    published: str | None = None  # as found; normalize.py parses it to ISO
    source: str | None = None
    url: str | None = None
    language: str | None = None
    tags: list[str] | None = None  # tags assigned by an archive's editors, if any
    # an outlet's tag line as the page printed it ("remittance ryanggang province border"),
    # kept by normalize in ``Report.extra["tag_line"]``
    tag_line: str | None = None
    source_path: str | None = None  # file the report came from ("-" for stdin)
    locator: str | None = None  # where in that file: "line 12", "item 3", "record 7"
    format: str | None = None  # text, markdown, html, json, jsonl, csv, rss, atom, warc
    original: bytes | None = None  # the original bytes of this report (item or file)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Signature:
    """A body's near-duplicate fingerprint (``tumen.dedup``): its MinHash signature as
    bytes and the hash of each LSH band, ``(band, hash)``."""

    minhash: bytes
    bands: tuple[tuple[int, int], ...]


@dataclass
class Report:
    """A normalized report: the body that every offset refers to is frozen here."""

    id: str
    body: str
    title: str | None = None
    published: str | None = None  # ISO YYYY-MM-DD or None
    source: str | None = None
    url: str | None = None
    language: str | None = None
    tags: list[str] | None = None  # editor-assigned tags (input), not analysis output
    source_path: str | None = None
    locator: str | None = None
    format: str | None = None
    original: bytes | None = None
    content_hash: str | None = None  # sha256 of the normalized body
    extra: dict[str, Any] = field(default_factory=dict)
    # computed ahead of the store (ingest's reader process) so the store need not;
    # None: the store computes it (``dedup.signature_of``)
    signature: Signature | None = None

    @property
    def tag_line(self) -> str | None:
        """The outlet's tag line the page carried (the editor's own tags, one line),
        kept in ``extra`` so every store and export carries it unchanged."""
        value = self.extra.get("tag_line") if self.extra else None
        return value if isinstance(value, str) and value.strip() else None

    def as_input(self) -> dict[str, Any]:
        """The JSON Lines input shape: id, title, published, source, url, body."""
        return {"id": self.id, "title": self.title, "published": self.published,
                "source": self.source, "url": self.url, "body": self.body}


@dataclass
class Mention:
    text: str
    start: int
    end: int


@dataclass
class Place:
    id: str
    name: str
    kind: str
    lat: float | None = None
    lon: float | None = None
    province: str | None = None  # canonical name of the province (itself for a province)
    province_id: str | None = None
    mentions: list[Mention] = field(default_factory=list)


@dataclass
class Organization:
    id: str
    name: str
    mentions: list[Mention] = field(default_factory=list)


@dataclass
class Law:
    name: str
    article: int | None = None
    mentions: list[Mention] = field(default_factory=list)


@dataclass
class DateRef:
    text: str
    value: str
    precision: str  # day, month, year, season
    start: int
    end: int
    range: list[str] | None = None  # optional [first, last] days, e.g. for a week
    # every occurrence of this text in the body (the first is start/end), as places carry
    mentions: list[Mention] = field(default_factory=list)


@dataclass
class Evidence:
    text: str
    start: int
    end: int


@dataclass
class Incident:
    type: str
    evidence: Evidence
    actor: str | None = None
    target: str | None = None
    place: str | None = None
    province: str | None = None
    date: str | None = None
    date_precision: str | None = None
    penalty: str | None = None
    # extra field (spec: "add fields freely"): a penalty an order or meeting demands or
    # threatens ("send offenders to labor camps"), which is no punishment that happened
    prescribed_penalty: str | None = None
    # fields set on the written record after the pipeline (``tumen.events``: event,
    # event_link, follows), kept by ``Record.from_dict`` and written after the others
    extra: dict[str, Any] = field(default_factory=dict)


def _names(kind: type) -> frozenset[str]:
    return frozenset(f.name for f in fields(kind))


def _typed(kind: type, item: dict[str, Any], **typed: Any) -> Any:
    """A ``kind`` dataclass from a dict: its own fields, ``typed`` ones given built."""
    return kind(**{k: v for k, v in item.items() if k in _names(kind) and k not in typed}, **typed)


def _mentions(item: dict[str, Any]) -> list[Mention]:
    return [_typed(Mention, m) for m in item.get("mentions") or []]


INCIDENT_TYPES = (
    "order", "meeting", "crackdown", "arrest", "punishment", "public_trial",
    "legislation", "border_crossing", "smuggling", "remittance", "market",
    "mobilization", "propaganda", "other",
)


@dataclass
class Record:
    """The analysis record of one report (``shared/spec/record.md``)."""

    id: str
    title: str | None = None
    published: str | None = None
    source: str | None = None
    url: str | None = None
    tags: list[str] = field(default_factory=list)
    places: list[Place] = field(default_factory=list)
    organizations: list[Organization] = field(default_factory=list)
    laws: list[Law] = field(default_factory=list)
    dates: list[DateRef] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)
    duplicate_of: str | None = None
    analyzer: str | None = None  # analyzer version that produced the record
    status: str = "ok"  # ok | failed
    error: str | None = None
    # extra field: the report gave no publication date, so relative dates ("on Thursday",
    # "last year") could not be resolved (only written out when true)
    published_missing: bool = False
    # fields set on the written record after the pipeline (``tumen.events``:
    # translation_of), kept by ``Record.from_dict`` and written after the others
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Record:
        """The record of a ``to_dict()`` dict (a stored or exported record), at the edges
        only: ``Record.from_dict(d).to_dict() == d`` for every record the analyzer
        writes (keys that are no field go to ``extra``, and back)."""
        nested = ("places", "organizations", "laws", "dates", "incidents", "extra")
        return cls(
            **{k: v for k, v in data.items() if k in _names(cls) and k not in nested},
            extra={k: v for k, v in data.items() if k not in _names(cls)},
            places=[_typed(Place, p, mentions=_mentions(p)) for p in data.get("places") or []],
            organizations=[_typed(Organization, o, mentions=_mentions(o))
                           for o in data.get("organizations") or []],
            laws=[_typed(Law, x, mentions=_mentions(x)) for x in data.get("laws") or []],
            dates=[_typed(DateRef, d, mentions=_mentions(d)) for d in data.get("dates") or []],
            incidents=[_typed(Incident, i, evidence=_typed(Evidence, i["evidence"]),
                              extra={k: v for k, v in i.items() if k not in _names(Incident)})
                       for i in data.get("incidents") or []],
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for incident in data["incidents"]:
            incident.update(incident.pop("extra"))
        extra = data.pop("extra")
        for date in data["dates"]:
            if date.get("range") is None:
                date.pop("range", None)
        if self.error is None:
            data.pop("error")
        if not self.published_missing:
            data.pop("published_missing")
        data.update(extra)
        return data
