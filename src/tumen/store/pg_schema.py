"""The PostgreSQL twins of the schema migrations in ``store/migrations.py``.

``store/migrations.py`` keeps the one ordered list of migrations (name + SQLite SQL);
each one's PostgreSQL SQL is ``Migration.postgres`` when set there, else the entry of
``POSTGRES`` below with the same name (``postgres_sql``).  A migration with neither is
an error when a PostgreSQL store opens, never a silently different schema.

Differences from the SQLite schema, all invisible through the Store API:

* ``reports.seq`` is an identity column; ``reports_fts(seq, tsv)`` holds a ``tsvector``
  per report (title weighted A, body B) with a GIN index, kept by a trigger, in place
  of the FTS5 table + triggers.
* The text search configuration ``tumen`` is ``simple`` (lower-case, no stemming, no
  stop words: what FTS5's unicode61 does) plus ``unaccent`` when the extension can be
  created (FTS5's ``remove_diacritics``); without it, accents are kept.
* ``COLLATE NOCASE`` indexes are ``lower(column)`` indexes; BLOBs are ``bytea``;
  ``reports_published`` is ordered for the newest-first listing (NULLs last).
* The web's INSERT OR IGNORE triggers are PL/pgSQL functions with ON CONFLICT DO NOTHING.
"""

from __future__ import annotations

from tumen.store.schema import POSTGRES_DIALECT as PG
from tumen.store.schema import (ACCOUNT_TABLES, corrections_table, minhash_table, record_tables, reports_table,
                     web_index_tables)

# The text search configuration every tsvector/tsquery of the store uses.
TS_CONFIG = "tumen"
# Characters of a body indexed for full-text search.  A tsvector is limited to 1 MB;
# 1,000,000 characters of prose stay well below it (positions are capped at 16,383 and
# 256 per word), so only a pathological body is indexed partially, never rejected.
TS_MAX_BODY_CHARS = 1_000_000

_TEXT_SEARCH_CONFIG = f"""
DO $$
BEGIN
    CREATE TEXT SEARCH CONFIGURATION {TS_CONFIG} (COPY = pg_catalog.simple);
    BEGIN
        CREATE EXTENSION IF NOT EXISTS unaccent;
        ALTER TEXT SEARCH CONFIGURATION {TS_CONFIG}
            ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple;
    EXCEPTION WHEN OTHERS THEN
        RAISE NOTICE 'unaccent is not available: search keeps diacritics';
    END;
END
$$;
"""

_TSVECTOR = f"""
-- Full-text index: one tsvector per report (title weighted A, body B) in a narrow table
-- kept by a trigger (FTS5's external-content table), stored uncompressed: ranking
-- reads every match's tsvector, which this makes 1.5-2x faster than a generated
-- column in the wide reports rows (benchmarks/store_backends.py).
CREATE TABLE reports_fts (
    seq BIGINT PRIMARY KEY REFERENCES reports(seq) ON DELETE CASCADE,
    tsv tsvector NOT NULL
);
ALTER TABLE reports_fts ALTER COLUMN tsv SET STORAGE EXTERNAL;
CREATE INDEX reports_fts_tsv ON reports_fts USING GIN (tsv);
CREATE FUNCTION reports_fts_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO reports_fts (seq, tsv) VALUES (NEW.seq,
        setweight(to_tsvector('{TS_CONFIG}', coalesce(NEW.title, '')), 'A') ||
        setweight(to_tsvector('{TS_CONFIG}', left(NEW.body, {TS_MAX_BODY_CHARS})), 'B'))
    ON CONFLICT (seq) DO UPDATE SET tsv = EXCLUDED.tsv;
    RETURN NULL;
END $$;
CREATE TRIGGER reports_fts_aiu AFTER INSERT OR UPDATE OF title, body ON reports
    FOR EACH ROW EXECUTE FUNCTION reports_fts_sync();
"""

_0001_REPORTS = _TEXT_SEARCH_CONFIG + reports_table(PG) + _TSVECTOR + minhash_table(PG)

_0002_RECORDS = record_tables(PG) + """
-- iter_records pages in byte order of ids (SQLite's order) whatever the cluster's locale.
CREATE INDEX records_report_bytes ON records(report_id COLLATE "C");
"""

_WEB_0003_INDEX = web_index_tables(PG) + """
CREATE FUNCTION web_dirty_report() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO web_dirty VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END)
        ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE FUNCTION web_dirty_report_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO web_dirty
        VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.report_id ELSE NEW.report_id END)
        ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER web_reports_ai AFTER INSERT ON reports
    FOR EACH ROW EXECUTE FUNCTION web_dirty_report();
CREATE TRIGGER web_reports_au AFTER UPDATE OF title, published, source, duplicate_of ON reports
    FOR EACH ROW EXECUTE FUNCTION web_dirty_report();
CREATE TRIGGER web_reports_ad AFTER DELETE ON reports
    FOR EACH ROW EXECUTE FUNCTION web_dirty_report();
CREATE TRIGGER web_records_aiud AFTER INSERT OR UPDATE OR DELETE ON records
    FOR EACH ROW EXECUTE FUNCTION web_dirty_report_id();
CREATE TRIGGER web_corrections_aid AFTER INSERT OR DELETE ON corrections
    FOR EACH ROW EXECUTE FUNCTION web_dirty_report_id();
INSERT INTO web_dirty SELECT id FROM reports ON CONFLICT DO NOTHING;
"""

# Migration name -> PostgreSQL SQL (run as one script in one transaction).
POSTGRES: dict[str, str] = {
    "0001_reports": _0001_REPORTS,
    "0002_records": _0002_RECORDS,
    "web_0001_accounts": ACCOUNT_TABLES,
    "web_0002_corrections": corrections_table(PG),
    "web_0003_index": _WEB_0003_INDEX,
}


def postgres_sql(migration) -> str | None:
    """The PostgreSQL SQL of a ``migrations.Migration`` (its own, else the twin here)."""
    return getattr(migration, "postgres", None) or POSTGRES.get(migration.name)
