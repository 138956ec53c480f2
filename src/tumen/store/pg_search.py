"""Search in the PostgreSQL store: the user's query as a tsquery, filters, ranking, snippets.

Query mapping (the user's FTS5-style query, parsed by ``search.parse_query``, to
``to_tsquery`` syntax; see ``to_tsquery_text``):

==========================  ===============================  =========================
user types                  FTS5 (SQLite)                    tsquery (PostgreSQL)
==========================  ===============================  =========================
``kaesong``                 ``"kaesong"``                    ``'kaesong'``
``"labor camp"``            ``"labor camp"``                 ``'labor' <-> 'camp'``
``phon*``                   ``"phon"*``                      ``'phon':*``
``a b`` / ``a AND b``       ``("a" AND "b")``                ``('a' & 'b')``
``a OR b``                  ``("a" OR "b")``                 ``('a' | 'b')``
``a NOT b``                 ``("a" NOT "b")``                ``('a' & !'b')``
``title:x`` / ``body:x``    ``title : "x"``                  ``'x':A`` / ``'x':B``
``"labor ca"*``             last word a prefix               every word a prefix
==========================  ===============================  =========================

Words are split and lower-cased by the ``tumen`` text search configuration as they
are in the index, so "U.S.", "Kim's" or "2,000" never break the syntax.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import psycopg

from tumen.errors import QueryError, StoreError
from tumen.store import SearchFilters
from tumen.store.common import HIT_COLUMNS, filter_sql
from tumen.store.pg_schema import TS_CONFIG
from tumen.store.sqlite_search import HL_CLOSE, HL_OPEN, SNIPPET_TOKENS, _like_escape, _until

# ts_rank weights {D, C, B, A}: title (A) words count ten times body (B) words, the
# same 10:1 as the SQLite backend's bm25 column weights.
RANK_WEIGHTS = "{0, 0, 0.1, 1.0}"

# Search filters (see sqlite_search.FILTERS): name -> (SQL condition, times bound, transform).
FILTERS: dict[str, tuple[str, int, Any]] = {
    "since": ("r.published >= %s", 1, str),
    "until": ("r.published <= %s", 1, _until),
    "source": ("r.source ILIKE '%%' || %s || '%%' ESCAPE '\\'", 1, _like_escape),
    "status": ("r.status = %s", 1, str),
    "place": ("EXISTS (SELECT 1 FROM places p WHERE p.report_id = r.id AND "
              "(lower(p.name) = lower(%s) OR p.place_id = %s))", 2, str),
    "province": ("EXISTS (SELECT 1 FROM places p WHERE p.report_id = r.id AND "
                 "(lower(p.province) = lower(%s) OR p.province_id = %s))", 2, str),
    "org": ("EXISTS (SELECT 1 FROM organizations o WHERE o.report_id = r.id AND "
            "(lower(o.name) = lower(%s) OR o.org_id = %s))", 2, str),
    # incidents of the corrected record (see sqlite_search.FILTERS)
    "type": ("(EXISTS (SELECT 1 FROM incidents i WHERE i.report_id = r.id AND i.type = %s AND NOT "
             "EXISTS (SELECT 1 FROM corrections c WHERE c.report_id = r.id)) OR "
             "EXISTS (SELECT 1 FROM web_incidents w WHERE w.report_id = r.id AND w.type = %s AND "
             "EXISTS (SELECT 1 FROM corrections c WHERE c.report_id = r.id)))", 2, str),
    "tag": ("(EXISTS (SELECT 1 FROM tags t WHERE t.report_id = r.id AND t.tag = lower(%s)) OR "
            "EXISTS (SELECT 1 FROM jsonb_array_elements_text(coalesce(r.tags_json, '[]')::jsonb) v "
            "WHERE lower(v) = lower(%s)))", 2, str),
}

# Column filters as tsquery weight labels (title is indexed with weight A, body B).
_COLUMN_WEIGHT = {"title": "A", "body": "B"}


def to_tsquery_text(query: Any) -> str:
    """A parsed query (``search.Term``/``search.Op``) as ``to_tsquery`` input."""
    if hasattr(query, "items"):
        parts = [to_tsquery_text(item) for item in query.items]
        if query.op == "OR":
            return "(" + " | ".join(parts) + ")"
        if query.op == "NOT":
            return "(" + " & ".join([parts[0]] + ["!" + p for p in parts[1:]]) + ")"
        return "(" + " & ".join(parts) + ")"
    text = query.text.replace("\\", "\\\\").replace("'", "''")
    label = ("*" if query.prefix else "") + _COLUMN_WEIGHT.get(query.column or "", "")
    return f"'{text}'" + (f":{label}" if label else "")


class PgSearchMixin:
    """``search`` and the filter SQL of ``PostgresStore`` (which supplies ``conn``)."""

    conn: psycopg.Connection[dict[str, Any]]
    # the read model's (ReadModel, mixed in beside this class)
    time_limit: Callable[..., AbstractContextManager[None]]
    corrected_report_ids: Callable[[], set[str]]
    fresh_index: Callable[[], None]
    _run: Callable[..., list]

    def _filter_sql(self, filters: SearchFilters) -> tuple[str, tuple]:
        return filter_sql(filters, FILTERS)

    def _ts_page(self, tsquery: str, where: str, params: Any, limit: int, offset: int, *,
                 columns: str, title_hl: bool) -> list[dict[str, Any]]:
        """The one full-text page query: reports matching ``tsquery`` (and ``where``, on
        ``reports r``), best first, ``score`` (lower is better) and a marked ``snippet``
        (and ``title_hl``) computed for the page only.  One cover of the matches (the
        default mode): the fragment mode (MaxFragments=1) cost 1.6x as much per body in
        benchmarks/store_backends.py."""
        options = (f'StartSel="{HL_OPEN}", StopSel="{HL_CLOSE}", MaxWords={SNIPPET_TOKENS}, '
                   f'MinWords={SNIPPET_TOKENS // 2}, ShortWord=0')
        title_options = f'StartSel="{HL_OPEN}", StopSel="{HL_CLOSE}", HighlightAll=true'
        title = (f", ts_headline('{TS_CONFIG}', coalesce(h.title, ''), q.tsq, %s) AS title_hl"
                 if title_hl else "")
        sql = (
            f"WITH q AS (SELECT to_tsquery('{TS_CONFIG}', %s) AS tsq), "
            f"hits AS (SELECT r.seq, {HIT_COLUMNS}, r.body, "
            f"-ts_rank('{RANK_WEIGHTS}', f.tsv, q.tsq) AS score "
            "FROM reports_fts f JOIN reports r ON r.seq = f.seq, q "
            f"WHERE f.tsv @@ q.tsq {'AND ' + where if where else ''} "
            "ORDER BY score, r.seq LIMIT %s OFFSET %s) "
            f"SELECT {columns}, "
            f"ts_headline('{TS_CONFIG}', h.body, q.tsq, %s) AS snippet{title} "
            "FROM hits h, q ORDER BY h.score, h.seq")
        args = (tsquery, *params, limit, offset, options, *((title_options,) if title_hl else ()))
        return list(self.conn.execute(sql, args).fetchall())

    def search(self, query: Any, filters: SearchFilters | None = None, *, limit: int = 20,
               offset: int = 0) -> list[dict]:
        """Ranked hits for a parsed query (``search.Query``, rendered to tsquery) and
        filters; with no query, the filtered reports newest first.  Rows have the SQLite
        backend's shape: id, title, published, source, url, duplicate_of, status, score
        (lower is better), snippet and title_hl (matches between HL_OPEN/HL_CLOSE)."""
        if filters is not None and filters.type and self.corrected_report_ids():
            self.fresh_index()  # corrected incidents: the read model's index
        where, params = self._filter_sql(filters or SearchFilters())
        try:
            if query is None:
                sql = (f"SELECT {HIT_COLUMNS}, NULL::float8 AS score, substr(r.body, 1, 240) AS snippet, "
                       f"r.title AS title_hl FROM reports r {'WHERE ' + where if where else ''} "
                       "ORDER BY r.published DESC NULLS LAST, r.seq DESC LIMIT %s OFFSET %s")
                return list(self.conn.execute(sql, (*params, limit, offset)).fetchall())
            return self._ts_page(to_tsquery_text(query), where, params, limit, offset,
                                 columns="h.id, h.title, h.published, h.source, h.url, "
                                         "h.duplicate_of, h.status, h.score::float8 AS score",
                                 title_hl=True)
        except psycopg.Error as exc:
            raise QueryError(f"the search engine rejected the query ({' '.join(str(exc).split())})") from exc

    # -- the read model's full-text part (see readmodel.py) ---------------------------
    def _match_clause(self, filters: Any) -> tuple[str, Any]:
        return (f"seq IN (SELECT seq FROM reports_fts WHERE tsv @@ to_tsquery('{TS_CONFIG}', ?))",
                filters.tsquery())

    def _ranked_page(self, filters: Any, clauses: list[str], params: list[Any], limit: int,
                     offset: int) -> list[dict[str, Any]]:
        where = " AND ".join("r." + c for c in clauses[1:]).replace("?", "%s")
        try:
            with self.time_limit():
                return self._ts_page(params[0], where, params[1:], limit, offset,
                                     columns="h.seq, h.id, h.title, h.published, h.source, h.url, "
                                             "h.status, h.duplicate_of", title_hl=False)
        except (psycopg.errors.OperationalError, psycopg.errors.UndefinedTable) as exc:
            if isinstance(exc, psycopg.errors.QueryCanceled):
                raise
            raise StoreError(f"the store cannot answer now: {' '.join(str(exc).split())}") from exc
        except psycopg.Error as exc:
            raise QueryError(f"bad search query: {' '.join(str(exc).split())}") from exc

    def match_seq_text(self, filters: Any, limit: int | None = None) -> str:
        clause, param = self._match_clause(filters)
        inner, params = f"SELECT seq FROM reports WHERE {clause}", [param]
        if limit is not None:
            inner += " ORDER BY seq DESC LIMIT ?"
            params.append(limit)
        rows = self._run(f"SELECT string_agg(seq::text, ',') FROM ({inner}) m", params)
        return rows[0][0] or ""


__all__ = ["FILTERS", "PgSearchMixin", "RANK_WEIGHTS", "to_tsquery_text"]
