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

from .. import dedup


@dataclass(frozen=True)
class Migration:
    name: str
    sqlite: str
    postgres: str | None = None


_0001_REPORTS = """
CREATE TABLE reports (
    seq          INTEGER PRIMARY KEY,          -- ingest order; also the FTS rowid
    id           TEXT NOT NULL UNIQUE,
    title        TEXT,
    published    TEXT,                         -- ISO YYYY-MM-DD or NULL
    source       TEXT,
    url          TEXT,
    language     TEXT,
    body         TEXT NOT NULL,
    original     BLOB,                         -- the bytes as read, untouched
    source_path  TEXT,
    locator      TEXT,
    format       TEXT,
    content_hash TEXT NOT NULL UNIQUE,         -- sha256 of the normalized body
    ingested_at  TEXT NOT NULL,                -- UTC ISO 8601
    status       TEXT NOT NULL DEFAULT 'ingested',  -- ingested | analyzed | failed
    duplicate_of TEXT,                         -- id of the earliest near-duplicate copy
    tags_json    TEXT,                         -- editor tags (input), JSON list
    extra_json   TEXT                          -- any further input fields, JSON object
);
CREATE INDEX reports_published ON reports(published);
CREATE INDEX reports_source ON reports(source);
CREATE INDEX reports_status ON reports(status);
CREATE INDEX reports_duplicate_of ON reports(duplicate_of);
CREATE INDEX reports_ingested_at ON reports(ingested_at);

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

CREATE TABLE minhash (
    report_id TEXT PRIMARY KEY REFERENCES reports(id) ON DELETE CASCADE,
    num_perm  INTEGER NOT NULL,
    signature BLOB NOT NULL                    -- num_perm little-endian uint32 values
);
"""

_0002_RECORDS = """
CREATE TABLE records (
    report_id   TEXT PRIMARY KEY REFERENCES reports(id) ON DELETE CASCADE,
    analyzer    TEXT,
    analyzed_at TEXT NOT NULL,
    status      TEXT NOT NULL,                 -- ok | failed
    error       TEXT,
    tags_json   TEXT,
    record_json TEXT NOT NULL                  -- the record exactly as record.md shapes it
);
CREATE INDEX records_analyzer ON records(analyzer);

CREATE TABLE places (                          -- one row per place per report
    report_id     TEXT NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    place_id      TEXT,
    name          TEXT NOT NULL,
    kind          TEXT,
    province      TEXT,
    province_id   TEXT,
    lat           REAL,
    lon           REAL,
    n_mentions    INTEGER NOT NULL DEFAULT 0,
    mentions_json TEXT
);
CREATE INDEX places_report ON places(report_id);
CREATE INDEX places_name ON places(name COLLATE NOCASE);
CREATE INDEX places_place_id ON places(place_id);
CREATE INDEX places_province ON places(province COLLATE NOCASE);

CREATE TABLE organizations (
    report_id     TEXT NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    org_id        TEXT,
    name          TEXT NOT NULL,
    n_mentions    INTEGER NOT NULL DEFAULT 0,
    mentions_json TEXT
);
CREATE INDEX organizations_report ON organizations(report_id);
CREATE INDEX organizations_name ON organizations(name COLLATE NOCASE);
CREATE INDEX organizations_org_id ON organizations(org_id);

CREATE TABLE laws (
    report_id     TEXT NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    article       INTEGER,
    mentions_json TEXT
);
CREATE INDEX laws_report ON laws(report_id);

CREATE TABLE dates (
    report_id TEXT NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    seq       INTEGER NOT NULL,
    text      TEXT,
    value     TEXT,
    precision TEXT,
    start     INTEGER,
    "end"     INTEGER
);
CREATE INDEX dates_report ON dates(report_id);
CREATE INDEX dates_value ON dates(value);

CREATE TABLE incidents (
    report_id      TEXT NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    seq            INTEGER NOT NULL,
    type           TEXT NOT NULL,
    actor          TEXT,
    target         TEXT,
    place          TEXT,
    province       TEXT,
    date           TEXT,
    date_precision TEXT,
    penalty        TEXT,
    evidence_text  TEXT,
    evidence_start INTEGER,
    evidence_end   INTEGER,
    PRIMARY KEY (report_id, seq)
);
CREATE INDEX incidents_type ON incidents(type);
CREATE INDEX incidents_province ON incidents(province COLLATE NOCASE);
CREATE INDEX incidents_date ON incidents(date);

CREATE TABLE tags (
    report_id TEXT NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    tag       TEXT NOT NULL,
    rank      INTEGER NOT NULL,
    PRIMARY KEY (report_id, tag)
);
CREATE INDEX tags_tag ON tags(tag);
"""

MIGRATIONS: list[Migration] = [
    Migration("0001_reports", sqlite=_0001_REPORTS),
    Migration("0002_records", sqlite=_0002_RECORDS),
]

# Web (issue 5): users, corrections and the web's derived read index.  The SQL lives
# with the queries that use it in store/queries.py; appended here, after the core ones.
from .queries import WEB_MIGRATIONS_SQL  # noqa: E402

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

_0003_LSH_BANDS = f"""
CREATE TABLE lsh_bands (
    band      INTEGER NOT NULL,                -- 0 .. dedup.LSH_BANDS - 1
    hash      INTEGER NOT NULL,                -- dedup.band_hash: signed 64-bit
    report_id TEXT NOT NULL,                   -- reports.id (stale rows are harmless:
    PRIMARY KEY (band, hash, report_id)        --  every candidate is confirmed)
) WITHOUT ROWID;
INSERT OR IGNORE INTO lsh_bands (band, hash, report_id)
SELECT b.value, {LSH_BAND_FUNCTION}(m.signature, b.value), m.report_id
FROM minhash m CROSS JOIN json_each('{_BANDS_JSON}') b
WHERE m.num_perm = {dedup.NUM_PERM};
"""

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
