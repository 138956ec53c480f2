"""Editors' corrections to analysis records, applied on top of whatever the analyzer wrote.

A correction never edits ``record_json``: it is kept in its own table (who, when, what)
and applied each time a record is read or indexed, so it survives re-analysis.

Incidents are addressed by a stable **key**: ``"<evidence start>-<evidence end>:<type>"``
of the incident as the analyzer wrote it (offsets index the frozen body, so they do not
move between analyzer versions), or ``"c<id>"`` for an incident an editor added.  When a
re-analysis changes the evidence span slightly, a correction still applies to the
incident of the same original type whose evidence overlaps the keyed span; when no
incident matches any more, the correction is reported as ``orphaned`` (never dropped).

Actions: ``edit`` (set type, place, date, actor, target, penalty), ``delete`` (a false
incident), ``add`` (a missed incident with its evidence, found in the body), ``tags``
(the record's whole tag line, as the editor files it; the latest one wins, and
``tumen.engines.tagging.learn_house_tags`` learns from it).
"""

from __future__ import annotations

import copy
import re
from functools import lru_cache
from typing import Any

from tumen.analysis.gazetteer import Gazetteer
from tumen.errors import QueryError
from tumen.record import INCIDENT_TYPES

INDEX_VERSION = 2  # bump when index_rows() changes what it derives (rebuilds the web index)
EDITABLE_FIELDS = ("type", "place", "date", "actor", "target", "penalty")
ACTIONS = ("edit", "delete", "add", "tags")
MAX_TAGS = 20  # tags in a corrected tag line (records carry 3-10)
MAX_TAG_CHARS = 60
MAX_FREE_TEXT = 300  # characters for target / penalty
_DATE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")


class CorrectionError(QueryError):
    """A correction that cannot be accepted (unknown value, evidence not in the text)."""


# -- vocabularies (the analyzer's own gazetteer, so names match what it writes) ------
@lru_cache(maxsize=1)
def place_provinces() -> dict[str, str | None]:
    """Place name as records write it ("Musan County") -> its province ("North Hamgyong
    Province")."""
    gaz = Gazetteer.load()
    out: dict[str, str | None] = {}
    for entry in gaz.places.values():
        province = gaz.province_of(entry.id)
        out.setdefault(entry.display, province.display if province else None)
    return out


def canonical_place(name: str) -> str | None:
    entry = Gazetteer.load().find_place(name)
    return entry.display if entry else None


@lru_cache(maxsize=1)
def organization_names() -> tuple[str, ...]:
    return tuple(sorted({entry.name for entry in Gazetteer.load().orgs.values()}))


def canonical_org(name: str) -> str | None:
    entry = Gazetteer.load().org_by_name(name)
    return entry.name if entry else None


def incident_key(incident: dict[str, Any]) -> str:
    ev = incident.get("evidence") or {}
    return f"{ev.get('start')}-{ev.get('end')}:{incident.get('type')}"


# -- validation --------------------------------------------------------------------
def clean_changes(changes: dict[str, Any]) -> dict[str, Any]:
    """Validated field values: canonical place/actor names, ISO dates, known types.
    An empty string clears a field (sets it to null)."""
    out: dict[str, Any] = {}
    for name, value in changes.items():
        if name not in EDITABLE_FIELDS:
            raise CorrectionError(f"field {name!r} cannot be corrected")
        value = (value or "").strip() if isinstance(value, str) or value is None else value
        if not isinstance(value, str):
            raise CorrectionError(f"{name}: expected text")
        if name == "type":
            if value not in INCIDENT_TYPES:
                raise CorrectionError(f"unknown incident type {value!r}")
        elif name == "place" and value:
            value = canonical_place(value) or ""
            if not value:
                raise CorrectionError(f"unknown place {changes[name]!r}: use a gazetteer name")
        elif name == "actor" and value:
            value = canonical_org(value) or ""
            if not value:
                raise CorrectionError(f"unknown actor {changes[name]!r}: use an organization's"
                                      " name (private persons are never actors)")
        elif name == "date" and value:
            if not _DATE.match(value):
                raise CorrectionError(f"bad date {value!r}: use YYYY, YYYY-MM or YYYY-MM-DD")
        elif len(value) > MAX_FREE_TEXT:
            raise CorrectionError(f"{name}: at most {MAX_FREE_TEXT} characters")
        out[name] = value or None
    return out


def clean_tags(value: Any) -> list[str]:
    """An editor's tag line: a list, or one string of ``;``/``,`` separated tags;
    lowercased, blanks and repeats dropped, order kept."""
    from tumen.ingest.sources.base import split_tags

    if isinstance(value, list) and not all(isinstance(t, str) for t in value):
        raise CorrectionError("tags: expected a list of strings or one string")
    if not isinstance(value, (list, str)) and value is not None:
        raise CorrectionError("tags: expected a list of strings or one string")
    tags: list[str] = []
    for tag in split_tags(value) or []:
        tag = " ".join(tag.lower().split())
        if len(tag) > MAX_TAG_CHARS:
            raise CorrectionError(f"tag {tag[:20]!r}...: at most {MAX_TAG_CHARS} characters")
        if tag and tag not in tags:
            tags.append(tag)
    if not tags:
        raise CorrectionError("a tag line needs at least one tag")
    if len(tags) > MAX_TAGS:
        raise CorrectionError(f"at most {MAX_TAGS} tags")
    return tags


def new_incident(body: str, changes: dict[str, Any], evidence_text: str,
                 evidence_start: int | None = None) -> dict[str, Any]:
    """An incident to add: its evidence must be a passage of the report body."""
    evidence_text = (evidence_text or "").strip()
    if not evidence_text:
        raise CorrectionError("an added incident needs its evidence sentence")
    if evidence_start is not None and body[evidence_start:evidence_start + len(evidence_text)] \
            == evidence_text:
        start = evidence_start
    else:
        start = body.find(evidence_text)
    if start < 0:
        raise CorrectionError("the evidence is not a passage of the report text"
                              " (copy it exactly from the text)")
    fields = clean_changes(changes)
    if not fields.get("type"):
        raise CorrectionError("an added incident needs a type")
    incident = {name: fields.get(name) for name in EDITABLE_FIELDS}
    incident["evidence"] = {"text": evidence_text, "start": start,
                            "end": start + len(evidence_text)}
    return incident


# -- applying ----------------------------------------------------------------------
def _set_fields(incident: dict[str, Any], changes: dict[str, Any]) -> None:
    for name, value in changes.items():
        incident[name] = value
        if name == "place":
            incident["province"] = place_provinces().get(value) if value else None
        if name == "date":
            incident["date_precision"] = (None if not value else
                                          {4: "year", 7: "month", 10: "day"}[len(value)])


def _find(incidents: list[dict[str, Any]], key: str) -> dict[str, Any] | None:
    for incident in incidents:
        if incident["key"] == key:
            return incident
    match = re.match(r"^(-?\d+)-(-?\d+):(.+)$", key)
    if not match:
        return None
    start, end, type_ = int(match[1]), int(match[2]), match[3]
    for incident in incidents:
        ev = incident.get("evidence") or {}
        if (incident.get("original_type") == type_ and ev.get("start") is not None
                and ev["start"] < end and start < ev["end"]):
            return incident
    return None


def apply_corrections(record: dict[str, Any], corrections: list[dict[str, Any]]
                      ) -> dict[str, Any]:
    """The record with ``corrections`` (oldest first) applied.

    Every incident gains ``key``; corrected ones gain ``corrected`` (list of {by, at,
    fields}); deleted ones move to ``deleted_incidents``; the record gains
    ``corrections`` (each with ``status`` applied | orphaned).
    """
    out = copy.deepcopy(record)
    incidents = out.get("incidents") or []
    for incident in incidents:
        incident["key"] = incident_key(incident)
        incident["original_type"] = incident.get("type")
    deleted: list[dict[str, Any]] = []
    log = []
    for fix in corrections:
        entry = {k: fix[k] for k in ("id", "action", "target", "changes", "author", "created_at")}
        stamp = {"by": fix["author"], "at": fix["created_at"], "correction": fix["id"]}
        if fix["action"] == "tags":
            out["analyzer_tags"] = out.get("analyzer_tags", out.get("tags") or [])
            out["tags"] = list(fix["changes"].get("tags") or [])
            out["tags_corrected"] = stamp
            entry["status"] = "applied"
            log.append(entry)
            continue
        if fix["action"] == "add":
            incident = dict(fix["changes"])
            incident.update(key=f"c{fix['id']}", original_type=None, added=True,
                            corrected=[{**stamp, "fields": ["added"]}])
            incident.setdefault("province", place_provinces().get(incident.get("place") or ""))
            incidents.append(incident)
            entry["status"] = "applied"
        else:
            incident = _find(incidents, fix.get("target") or "")
            if incident is None:
                entry["status"] = "orphaned"
            elif fix["action"] == "delete":
                incidents.remove(incident)
                incident.setdefault("corrected", []).append({**stamp, "fields": ["deleted"]})
                deleted.append(incident)
                entry["status"] = "applied"
            else:
                _set_fields(incident, fix["changes"])
                incident.setdefault("corrected", []).append(
                    {**stamp, "fields": sorted(fix["changes"])})
                entry["status"] = "applied"
        log.append(entry)
    incidents.sort(key=lambda i: ((i.get("evidence") or {}).get("start") or 0))
    out["incidents"] = incidents
    out["deleted_incidents"] = deleted
    out["corrections"] = log
    return out


# -- the web index rows ------------------------------------------------------------
SEASON_FIRST_MONTH = {"21": "03", "22": "06", "23": "09", "24": "12"}  # EDTF season codes


def _month(date: str | None) -> str | None:
    """YYYY-MM of a day or month; a season (YYYY-21..24) counts in its first month."""
    if not date or len(date) < 7:
        return None
    month = date[5:7]
    if month in SEASON_FIRST_MONTH:
        return f"{date[:4]}-{SEASON_FIRST_MONTH[month]}"
    return date[:7] if "01" <= month <= "12" else None


def index_rows(report: dict[str, Any], record: dict[str, Any] | None
               ) -> tuple[list[tuple[str, str]], list[dict[str, Any]]]:
    """Facet values and incident rows (dicts named like ``web_incidents``' columns) of
    one report and its **corrected** record (``apply_corrections``'s output), for the
    store's ``sync_index``."""
    facets: set[tuple[str, str]] = set()
    if report.get("source"):
        facets.add(("source", report["source"]))
    if month := _month(report.get("published")):
        facets.add(("month", month))
    rows: list[dict[str, Any]] = []
    if record is None:
        return sorted(facets), rows
    for tag in record.get("tags") or []:
        facets.add(("tag", tag))
    for place in record.get("places") or []:
        if place.get("kind") == "province":
            facets.add(("province", place["name"]))
        else:
            facets.add(("place", place["name"]))
        if place.get("province"):
            facets.add(("province", place["province"]))
    for org in record.get("organizations") or []:
        facets.add(("org", org["name"]))
    for idx, inc in enumerate(record.get("incidents") or []):
        facets.add(("type", inc["type"]))
        if inc.get("place"):
            facets.add(("place", inc["place"]))
        if inc.get("province"):
            facets.add(("province", inc["province"]))
        ev = inc.get("evidence") or {}
        rows.append({
            "seq": report["seq"], "idx": idx, "report_id": report["id"], "key": inc["key"],
            "type": inc["type"], "actor": inc.get("actor"), "target": inc.get("target"),
            "place": inc.get("place"), "province": inc.get("province"), "date": inc.get("date"),
            "date_precision": inc.get("date_precision"),
            "month": _month(inc.get("date")) or _month(report.get("published")),
            "penalty": inc.get("penalty"), "evidence_text": ev.get("text"),
            "evidence_start": ev.get("start"), "evidence_end": ev.get("end"),
            "corrected": 1 if inc.get("corrected") else 0, "published": report.get("published"),
            "source": report.get("source"), "title": report.get("title")})
    return sorted(facets), rows
