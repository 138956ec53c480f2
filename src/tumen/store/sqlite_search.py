"""Search in the SQLite backend: FTS5 with BM25, snippets, and the filters.

Kept apart from ``sqlite.py`` (which mixes ``SearchMixin`` in); the filters are a table
of SQL conditions on the report and record tables, so a new filter is one entry in
``FILTERS`` plus a field of ``SearchFilters``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
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
    # incidents of the corrected record: the analyzer's for a report nobody corrected,
    # else the web index's (the search brings it up to date first)
    "type": ("(EXISTS (SELECT 1 FROM incidents i WHERE i.report_id = r.id AND i.type = ? AND NOT "
             "EXISTS (SELECT 1 FROM corrections c WHERE c.report_id = r.id)) OR "
             "EXISTS (SELECT 1 FROM web_incidents w WHERE w.report_id = r.id AND w.type = ? AND "
             "EXISTS (SELECT 1 FROM corrections c WHERE c.report_id = r.id)))", 2, str),
    "tag": ("(EXISTS (SELECT 1 FROM tags t WHERE t.report_id = r.id AND t.tag = lower(?)) OR "
            "EXISTS (SELECT 1 FROM json_each(r.tags_json) WHERE lower(json_each.value) = lower(?)))",
            2, str),
}


# The full-text selection, written once: the reports (seqs) the FTS5 index matches,
# for counts and facet selections (as a condition on ``seq``) and the seq lists of the
# web's facet index.  Ranked pages (``_fts_page``, which bm25 needs in the MATCH's own
# SELECT) are the one other full-text query.
MATCH_SQL = "SELECT rowid FROM reports_fts WHERE reports_fts MATCH ?"
# Words of context in a snippet of the web's search page.
WEB_SNIPPET_TOKENS = 32


class SearchMixin:
    """Full-text search and filters over ``self.conn`` (a SQLite connection)."""

    conn: sqlite3.Connection
    # the read model's (ReadModel, mixed in beside this class)
    time_limit: Callable[..., AbstractContextManager[None]]
    corrected_report_ids: Callable[[], set[str]]
    fresh_index: Callable[[], None]
    _read_error: Callable[[sqlite3.OperationalError], Exception]

    def _filter_sql(self, filters: SearchFilters) -> tuple[str, tuple]:
        return filter_sql(filters, FILTERS)

    def _fts_page(self, match: str, where: str, params: Any, limit: int, offset: int, *,
                  rank: str, columns: str, snippet_tokens: int) -> list[tuple[Any, Any]]:
        """One page of matches (``where``: more conditions on ``reports r``), best
        first: (rank, marked row) pairs.  Rank first, mark after: snippet() runs only
        for the page of hits, not for every matching report (common words and prefixes
        were 2-3x slower), each by a MATCH on the hit's rowid, which FTS5 seeks to (a
        second MATCH pass filtered by rowid re-read whole doclists: 38 -> 2 ms for a
        phrase of two common words at 1,000,000 reports)."""
        top = self.conn.execute(
            f"SELECT reports_fts.rowid, {rank} FROM reports_fts JOIN reports r ON r.seq = reports_fts.rowid "
            f"WHERE reports_fts MATCH ? {'AND ' + where if where else ''} "
            "ORDER BY 2, 1 LIMIT ? OFFSET ?", (match, *params, limit, offset)).fetchall()
        mark = (f"SELECT {columns}, snippet(reports_fts, 1, '{HL_OPEN}', '{HL_CLOSE}', '…', "
                f"{snippet_tokens}) AS snippet FROM reports_fts JOIN reports r ON r.seq = reports_fts.rowid "
                "WHERE reports_fts MATCH ? AND reports_fts.rowid = ?")
        return [(score, self.conn.execute(mark, (match, seq)).fetchone()) for seq, score in top]

    # -- the read model's full-text part (see readmodel.py) ---------------------------
    def _match_clause(self, filters: Any) -> tuple[str, Any]:
        return f"seq IN ({MATCH_SQL})", filters.match

    def _ranked_page(self, filters: Any, clauses: list[str], params: list[Any], limit: int,
                     offset: int) -> list[dict[str, Any]]:
        columns = "r.seq, r.id, r.title, r.published, r.source, r.url, r.status, r.duplicate_of"
        try:
            with self.time_limit():
                page = self._fts_page(params[0], " AND ".join("r." + c for c in clauses[1:]),
                                      params[1:], limit, offset, rank="reports_fts.rank",
                                      columns=columns, snippet_tokens=WEB_SNIPPET_TOKENS)
        except sqlite3.OperationalError as exc:
            raise self._read_error(exc) from exc
        return [dict(row) for _, row in page]

    def match_seq_text(self, filters: Any, limit: int | None = None) -> str:
        inner, args = MATCH_SQL, [filters.match]
        if limit is not None:
            inner += " ORDER BY rowid DESC LIMIT ?"
            args.append(limit)
        try:
            with self.time_limit():
                row = self.conn.execute(f"SELECT group_concat(rowid) FROM ({inner})", args).fetchone()
        except sqlite3.OperationalError as exc:
            raise QueryError(f"bad search query: {exc}") from exc
        return row[0] or ""

    def search(self, query: Any, filters: SearchFilters | None = None, *, limit: int = 20,
               offset: int = 0) -> list[dict]:
        """Ranked hits for a parsed query (``search.Query``, rendered to FTS5) and filters;
        with no query, the filtered reports newest first."""
        if filters is not None and filters.type and self.corrected_report_ids():
            self.fresh_index()  # corrected incidents: the read model's index
        where, params = self._filter_sql(filters or SearchFilters())
        cols = HIT_COLUMNS
        if query is None:
            sql = (f"SELECT {cols}, NULL AS score, substr(r.body, 1, 240) AS snippet, "
                   f"r.title AS title_hl FROM reports r {'WHERE ' + where if where else ''} "
                   "ORDER BY r.published DESC, r.seq DESC LIMIT ? OFFSET ?")
            try:
                return [dict(row) for row in self.conn.execute(sql, (*params, limit, offset))]
            except sqlite3.OperationalError as exc:
                raise QueryError(f"the search engine rejected the query ({exc})") from exc
        columns = f"{cols}, highlight(reports_fts, 0, '{HL_OPEN}', '{HL_CLOSE}') AS title_hl"
        try:
            page = self._fts_page(query.to_fts5(), where, params, limit, offset,
                                  rank=f"bm25(reports_fts, {BM25_WEIGHTS[0]}, {BM25_WEIGHTS[1]})",
                                  columns=columns, snippet_tokens=SNIPPET_TOKENS)
        except sqlite3.OperationalError as exc:
            raise QueryError(f"the search engine rejected the query ({exc})") from exc
        # (the CLI's rows: score between the columns and the snippet)
        out = []
        for score, row in page:
            hit = dict(row)
            title_hl, snippet = hit.pop("title_hl"), hit.pop("snippet")
            out.append({**hit, "score": score, "snippet": snippet, "title_hl": title_hl})
        return out
