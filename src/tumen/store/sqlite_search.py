"""Search in the SQLite backend: FTS5 with BM25, snippets, and the filters.

Kept apart from ``sqlite.py`` (which mixes ``SearchMixin`` in); the filters are a table
of SQL conditions on the report and record tables, so a new filter is one entry in
``FILTERS`` plus a field of ``SearchFilters``.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from tumen.errors import QueryError
from tumen.store import SearchFilters
from tumen.store.common import HIT_COLUMNS, filter_sql

# bm25 column weights (title, body): a word in the title counts as much as ten in
# the body, which puts "the report about X" above "a report mentioning X".
BM25_WEIGHTS = (10.0, 1.0)
# Words of context in a search snippet.
SNIPPET_TOKENS = 24
HL_OPEN, HL_CLOSE = "\x02", "\x03"  # snippet highlight markers (never in normalized text)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _until(value: str) -> str:
    """An ISO prefix as the last possible date it covers (``2024-05`` -> ``2024-05-99``)."""
    return value + "-99-99"[: 10 - len(value)] if len(value) < 10 else value


# Search filters on the report and record tables: name -> (SQL condition, how many
# times the value is bound, value transform).  A new filter is one entry here plus a
# field of SearchFilters.
FILTERS: dict[str, tuple[str, int, Any]] = {
    "since": ("r.published >= ?", 1, str),
    "until": ("r.published <= ?", 1, _until),
    "source": ("r.source LIKE '%' || ? || '%' ESCAPE '\\'", 1, _like_escape),
    "status": ("r.status = ?", 1, str),
    "place": ("EXISTS (SELECT 1 FROM places p WHERE p.report_id = r.id AND "
              "(p.name = ? COLLATE NOCASE OR p.place_id = ?))", 2, str),
    "province": ("EXISTS (SELECT 1 FROM places p WHERE p.report_id = r.id AND "
                 "(p.province = ? COLLATE NOCASE OR p.province_id = ?))", 2, str),
    "org": ("EXISTS (SELECT 1 FROM organizations o WHERE o.report_id = r.id AND "
            "(o.name = ? COLLATE NOCASE OR o.org_id = ?))", 2, str),
    "type": ("EXISTS (SELECT 1 FROM incidents i WHERE i.report_id = r.id AND i.type = ?)",
             1, str),
    "tag": ("(EXISTS (SELECT 1 FROM tags t WHERE t.report_id = r.id AND t.tag = lower(?)) OR "
            "EXISTS (SELECT 1 FROM json_each(r.tags_json) WHERE lower(json_each.value) = lower(?)))",
            2, str),
}


class SearchMixin:
    """Full-text search and filters over ``self.conn`` (a SQLite connection)."""

    conn: sqlite3.Connection

    def _filter_sql(self, filters: SearchFilters) -> tuple[str, tuple]:
        return filter_sql(filters, FILTERS)

    def search(self, query: Any, filters: SearchFilters | None = None, *, limit: int = 20,
               offset: int = 0) -> list[dict]:
        """Ranked hits for a parsed query (``search.Query``, rendered to FTS5) and filters;
        with no query, the filtered reports newest first."""
        where, params = self._filter_sql(filters or SearchFilters())
        cols = HIT_COLUMNS
        if query is None:
            sql = (f"SELECT {cols}, NULL AS score, substr(r.body, 1, 240) AS snippet, "
                   f"r.title AS title_hl FROM reports r {'WHERE ' + where if where else ''} "
                   "ORDER BY r.published DESC, r.seq DESC LIMIT ? OFFSET ?")
            args = (*params, limit, offset)
        else:
            # Rank first, mark after: snippet() and highlight() run only for the page of
            # hits, not for every matching report (common words and prefixes were 2-3x
            # slower), each by a MATCH on the hit's rowid, which FTS5 seeks to (a second
            # MATCH pass filtered by rowid re-read whole doclists: 38 -> 2 ms for a
            # phrase of two common words at 1,000,000 reports).
            match = query.to_fts5()
            sql = (
                f"SELECT reports_fts.rowid, bm25(reports_fts, {BM25_WEIGHTS[0]}, {BM25_WEIGHTS[1]}) "
                "FROM reports_fts JOIN reports r ON r.seq = reports_fts.rowid "
                f"WHERE reports_fts MATCH ? {'AND ' + where if where else ''} "
                "ORDER BY 2, 1 LIMIT ? OFFSET ?")
            mark = (
                f"SELECT {cols}, ? AS score, "
                f"snippet(reports_fts, 1, '{HL_OPEN}', '{HL_CLOSE}', '…', {SNIPPET_TOKENS}) AS snippet, "
                f"highlight(reports_fts, 0, '{HL_OPEN}', '{HL_CLOSE}') AS title_hl "
                "FROM reports_fts JOIN reports r ON r.seq = reports_fts.rowid "
                "WHERE reports_fts MATCH ? AND reports_fts.rowid = ?")
            try:
                top = self.conn.execute(sql, (match, *params, limit, offset)).fetchall()
                return [dict(self.conn.execute(mark, (score, match, seq)).fetchone())
                        for seq, score in top]
            except sqlite3.OperationalError as exc:
                raise QueryError(f"the search engine rejected the query ({exc})") from exc
        try:
            return [dict(row) for row in self.conn.execute(sql, args)]
        except sqlite3.OperationalError as exc:
            raise QueryError(f"the search engine rejected the query ({exc})") from exc
