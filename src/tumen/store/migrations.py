"""Schema migrations, as data.

Each migration is a name and the SQL that applies it, per backend.  They are applied in
list order when a store opens, each in its own transaction, and recorded in the
``migrations`` table of the database (name, applied_at), so a database always knows
which schema it has.  Adding a migration is a one-line append at the end of
``MIGRATIONS`` (never edit or reorder one that has shipped)::

    MIGRATIONS.append(Migration("0003_users", sqlite=\"\"\"CREATE TABLE users (...);\"\"\"))

``sqlite`` holds SQLite SQL; ``postgres`` will hold the PostgreSQL twin when that
backend lands (a migration without it is skipped there with an error at open).
"""

from __future__ import annotations

from dataclasses import dataclass

from tumen.ingest import dedup
from tumen.store.schema import POSTGRES_DIALECT as POSTGRES
from tumen.store.schema import SQLITE_DIALECT as SQLITE
from tumen.store.schema import login_failures_table, minhash_table, record_tables, reports_table


@dataclass(frozen=True)
class Migration:
    name: str
    sqlite: str
    postgres: str | None = None


_FTS5 = """
CREATE VIRTUAL TABLE reports_fts USING fts5(
    title, body, content='reports', content_rowid='seq',
    tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER reports_ai AFTER INSERT ON reports BEGIN
    INSERT INTO reports_fts(rowid, title, body) VALUES (new.seq, new.title, new.body);
END;
CREATE TRIGGER reports_ad AFTER DELETE ON reports BEGIN
    INSERT INTO reports_fts(reports_fts, rowid, title, body)
    VALUES ('delete', old.seq, old.title, old.body);
END;
CREATE TRIGGER reports_au AFTER UPDATE OF title, body ON reports BEGIN
    INSERT INTO reports_fts(reports_fts, rowid, title, body)
    VALUES ('delete', old.seq, old.title, old.body);
    INSERT INTO reports_fts(rowid, title, body) VALUES (new.seq, new.title, new.body);
END;
"""

# The tables are in schema.py (shared with the PostgreSQL twins); the FTS5 index is SQLite's.
_0001_REPORTS = reports_table(SQLITE) + _FTS5 + minhash_table(SQLITE)
_0002_RECORDS = record_tables(SQLITE)

MIGRATIONS: list[Migration] = [
    Migration("0001_reports", sqlite=_0001_REPORTS),
    Migration("0002_records", sqlite=_0002_RECORDS),
]

# Web (issue 5): users, corrections and the web's derived read index.  The SQL lives
# in store/queries.py (read by store/readmodel.py); appended here, after the core ones.
from tumen.store.queries import WEB_MIGRATIONS_SQL  # noqa: E402

MIGRATIONS.extend(Migration(name, sqlite=sql) for name, sql in WEB_MIGRATIONS_SQL)


# Near-duplicate LSH bands (issue 2 follow-up): one row per band of each stored
# signature, written in the report's transaction; candidates are found by indexed
# lookups, so ingest memory no longer grows with the store.  This migration fills the
# table once from the signatures already stored.  SQLite computes the band hash with
# the function ``tumen_lsh_band`` (``dedup.band_hash``) that ``SQLiteStore`` registers
# on its connection; PostgreSQL computes the same value in SQL, and a trigger on
# ``minhash`` keeps the table filled for every signature the backend stores.
_BANDS_JSON = "[" + ",".join(str(b) for b in range(dedup.LSH_BANDS)) + "]"
LSH_BAND_FUNCTION = "tumen_lsh_band"

# The bands of every stored signature (also after ``tumen migrate`` into SQLite).
LSH_BANDS_FILL_SQL = f"""INSERT OR IGNORE INTO lsh_bands (band, hash, report_id)
SELECT b.value, {LSH_BAND_FUNCTION}(m.signature, b.value), m.report_id
FROM minhash m CROSS JOIN json_each('{_BANDS_JSON}') b
WHERE m.num_perm = {dedup.NUM_PERM};
"""

_0003_LSH_BANDS = """
CREATE TABLE lsh_bands (
    band      INTEGER NOT NULL,                -- 0 .. dedup.LSH_BANDS - 1
    hash      INTEGER NOT NULL,                -- dedup.band_hash: signed 64-bit
    report_id TEXT NOT NULL,                   -- reports.id (stale rows are harmless:
    PRIMARY KEY (band, hash, report_id)        --  every candidate is confirmed)
) WITHOUT ROWID;
""" + LSH_BANDS_FILL_SQL

_PG_BAND_HASH = "('x' || substr(md5(substring(sig from 1 + {width} * b for {width})), 1, 16))::bit(64)::bigint"

_0003_LSH_BANDS_PG = f"""
CREATE TABLE lsh_bands (
    band      INTEGER NOT NULL,
    hash      BIGINT NOT NULL,
    report_id TEXT NOT NULL,
    PRIMARY KEY (band, hash, report_id)
);
CREATE FUNCTION tumen_lsh_band(sig bytea, b integer) RETURNS bigint
    LANGUAGE sql IMMUTABLE STRICT
    AS $$ SELECT {_PG_BAND_HASH.format(width=4 * dedup.LSH_ROWS)} $$;
CREATE FUNCTION minhash_lsh_bands() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.num_perm = {dedup.NUM_PERM} THEN
        INSERT INTO lsh_bands (band, hash, report_id)
        SELECT b, tumen_lsh_band(NEW.signature, b), NEW.report_id
        FROM generate_series(0, {dedup.LSH_BANDS - 1}) b
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER minhash_lsh_bands AFTER INSERT ON minhash
    FOR EACH ROW EXECUTE FUNCTION minhash_lsh_bands();
INSERT INTO lsh_bands (band, hash, report_id)
SELECT b, tumen_lsh_band(m.signature, b), m.report_id
FROM minhash m CROSS JOIN generate_series(0, {dedup.LSH_BANDS - 1}) b
WHERE m.num_perm = {dedup.NUM_PERM}
ON CONFLICT DO NOTHING;
"""

MIGRATIONS.append(Migration("0003_lsh_bands", sqlite=_0003_LSH_BANDS, postgres=_0003_LSH_BANDS_PG))

# Ingest speed: SQLiteStore.add_reports fills reports_fts for a whole batch with one
# INSERT ... SELECT in the batch's transaction, which costs half of the per-row trigger
# (measured on 3,900 Rodong Sinmun reports: 380-520 -> 183 us per report).  The update
# and delete triggers stay.  PostgreSQL keeps its own trigger: nothing to do there.
MIGRATIONS.append(Migration("0004_reports_fts_batch_insert",
                            sqlite="DROP TRIGGER IF EXISTS reports_ai;",
                            postgres="SELECT 1;"))

# Failed logins in the store (web): a server with several worker processes counts every
# failure once for all of them, instead of once per process.
MIGRATIONS.append(Migration("web_0004_login_failures", sqlite=login_failures_table(SQLITE),
                            postgres=login_failures_table(POSTGRES)))

# ``duplicate_of`` stored once (issue 20): ``reports.duplicate_of`` is the truth, the
# record's JSON keeps the key empty and readers fill it from the column.  Before, a
# link the analysis found (another outlet's report of the same event) lived only in the
# record's JSON and was read in preference to the column: each such link moves to the
# column, and the JSON's copy is emptied (the key kept, in place).
_0005_DUPLICATE_OF_ONCE = """
UPDATE reports SET duplicate_of = (
    SELECT json_extract(c.record_json, '$.duplicate_of') FROM records c WHERE c.report_id = reports.id)
WHERE id IN (SELECT report_id FROM records
             WHERE json_valid(record_json) AND json_type(record_json, '$.duplicate_of') = 'text');
UPDATE records SET record_json = replace(record_json,
    '"duplicate_of": ' || json_quote(json_extract(record_json, '$.duplicate_of')), '"duplicate_of": null')
WHERE json_valid(record_json) AND json_type(record_json, '$.duplicate_of') = 'text';
"""
# (the JSON text is read with a pattern, not parsed whole: a broken record stays as it
# is for ``tumen check`` to report)
_0005_DUPLICATE_OF_ONCE_PG = r"""
UPDATE reports r SET duplicate_of = m.link
FROM (SELECT report_id,
             substring(record_json from '"duplicate_of": ("(?:[^"\\]|\\.)*")')::json #>> '{}' AS link
      FROM records WHERE record_json LIKE '%"duplicate_of": "%') m
WHERE m.report_id = r.id AND m.link IS NOT NULL;
UPDATE records SET record_json = regexp_replace(record_json, '"duplicate_of": "(?:[^"\\]|\\.)*"',
                                                '"duplicate_of": null')
WHERE record_json LIKE '%"duplicate_of": "%';
"""

MIGRATIONS.append(Migration("0005_duplicate_of_once", sqlite=_0005_DUPLICATE_OF_ONCE,
                            postgres=_0005_DUPLICATE_OF_ONCE_PG))
