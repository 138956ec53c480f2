"""Writing analysis records into the record tables (SQL shared by the backends' writers).

One record (``Record.to_dict()`` shape) becomes a row in ``records`` (the whole record as
JSON, what ``get_record`` returns) plus one row per place, organization, law, date,
incident and tag, which is what makes facets and search filters cheap.
"""

from __future__ import annotations

import json
from typing import Any

_TABLES = ("places", "organizations", "laws", "dates", "incidents", "tags")


def _mentions(item: dict) -> tuple[int, str | None]:
    mentions = item.get("mentions") or []
    return len(mentions), json.dumps(mentions, ensure_ascii=False) if mentions else None


def record_rows_delete(cur: Any, report_id: str) -> None:
    for table in _TABLES:
        cur.execute(f"DELETE FROM {table} WHERE report_id = ?", (report_id,))
    cur.execute("DELETE FROM records WHERE report_id = ?", (report_id,))


class RecordWriter:
    """Inserts records through a DB-API cursor inside the caller's transaction."""

    def __init__(self, cur: Any, analyzed_at: str, placeholder: str = "?"):
        self.cur = cur
        self.analyzed_at = analyzed_at
        self.ph = placeholder

    def _insert(self, table: str, columns: tuple[str, ...], values: tuple) -> None:
        cols = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join([self.ph] * len(columns))
        self.cur.execute(f"INSERT INTO {table} ({cols}) VALUES ({marks})", values)

    def write(self, record: dict) -> None:
        rid = record["id"]
        status = record.get("status") or "ok"
        tags = [t for t in (record.get("tags") or []) if t]
        # ``duplicate_of`` is stored once, in ``reports.duplicate_of`` (set below; the
        # readers put it back): the record's JSON keeps the key, empty.
        link = record.get("duplicate_of")
        kept = dict(record, duplicate_of=None) if "duplicate_of" in record else record
        self._insert("records", ("report_id", "analyzer", "analyzed_at", "status", "error",
                                 "tags_json", "record_json"),
                     (rid, record.get("analyzer"), self.analyzed_at, status, record.get("error"),
                      json.dumps(tags, ensure_ascii=False),
                      json.dumps(kept, ensure_ascii=False, default=str)))
        for p in record.get("places") or []:
            n, mentions = _mentions(p)
            self._insert("places", ("report_id", "place_id", "name", "kind", "province",
                                    "province_id", "lat", "lon", "n_mentions", "mentions_json"),
                         (rid, p.get("id"), p.get("name") or "", p.get("kind"), p.get("province"),
                          p.get("province_id"), p.get("lat"), p.get("lon"), n, mentions))
        for o in record.get("organizations") or []:
            n, mentions = _mentions(o)
            self._insert("organizations", ("report_id", "org_id", "name", "n_mentions", "mentions_json"),
                         (rid, o.get("id"), o.get("name") or "", n, mentions))
        for law in record.get("laws") or []:
            _, mentions = _mentions(law)
            self._insert("laws", ("report_id", "name", "article", "mentions_json"),
                         (rid, law.get("name") or "", law.get("article"), mentions))
        for seq, d in enumerate(record.get("dates") or []):
            self._insert("dates", ("report_id", "seq", "text", "value", "precision", "start", "end"),
                         (rid, seq, d.get("text"), d.get("value"), d.get("precision"),
                          d.get("start"), d.get("end")))
        for seq, i in enumerate(record.get("incidents") or []):
            ev = i.get("evidence") or {}
            self._insert("incidents", ("report_id", "seq", "type", "actor", "target", "place",
                                       "province", "date", "date_precision", "penalty",
                                       "evidence_text", "evidence_start", "evidence_end"),
                         (rid, seq, i.get("type") or "other", i.get("actor"), i.get("target"),
                          i.get("place"), i.get("province"), i.get("date"), i.get("date_precision"),
                          i.get("penalty"), ev.get("text"), ev.get("start"), ev.get("end")))
        seen: set[str] = set()
        for rank, tag in enumerate(tags):
            tag = str(tag).lower()
            if tag not in seen:
                seen.add(tag)
                self._insert("tags", ("report_id", "tag", "rank"), (rid, tag, rank))
        new_status = "failed" if status == "failed" else "analyzed"
        if link:  # a link the analysis decided (same event), or ingest's passed through
            self.cur.execute(f"UPDATE reports SET status = {self.ph}, duplicate_of = {self.ph} "
                             f"WHERE id = {self.ph}", (new_status, link, rid))
        else:
            self.cur.execute(f"UPDATE reports SET status = {self.ph} WHERE id = {self.ph}",
                             (new_status, rid))
