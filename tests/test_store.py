"""The SQLite store: migrations, batches, duplicates, near-duplicates, records."""

from __future__ import annotations

import json
import sqlite3

import pytest

from tumen.ingest import dedup
from tumen.errors import StoreError
from tumen.record import Report
from tumen.store import BATCH_SIZE, open_store
from tumen.store import migrations as migrations_mod
from tumen.store.migrations import MIGRATIONS, Migration


def _report(rid: str, body: str, **kw) -> Report:
    return Report(id=rid, body=body, title=kw.pop("title", f"Title of {rid}"), **kw)


def _words(n: int, seed: int) -> str:
    """A deterministic pseudo-text of n words (no shared data)."""
    import random

    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(5000)]
    return " ".join(rng.choice(vocab) for _ in range(n))


def test_store_open_sets_wal_timeout_and_records_migrations(tmp_path):
    db = tmp_path / "s.db"
    with open_store(db) as store:
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
        names = [name for name, _ in store.migrations()]
        assert names == [m.name for m in MIGRATIONS]
    with open_store(f"sqlite:///{db}") as store:  # reopening applies nothing twice
        assert store.migrate() == []
        assert store.integrity_check() == "ok"


def test_store_adding_a_migration_is_one_append(tmp_path, monkeypatch):
    db = tmp_path / "s.db"
    open_store(db).close()
    extended = MIGRATIONS + [Migration("9999_test_notes",
                                       sqlite="CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT);")]
    monkeypatch.setattr("tumen.store.sqlite.MIGRATIONS", extended)
    with open_store(db) as store:
        assert store.migrations()[-1][0] == "9999_test_notes"
        store.conn.execute("INSERT INTO notes(text) VALUES ('x')")
    assert migrations_mod.MIGRATIONS is MIGRATIONS


def test_store_bad_url_and_bad_file_are_store_errors(tmp_path):
    with pytest.raises(StoreError, match="unknown store URL"):
        open_store("ftp://example.org/x")
    bad = tmp_path / "not-a-db.db"
    bad.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="not-a-db.db"):
        open_store(bad)


def test_store_keeps_everything_about_a_report(empty_store):
    r = _report("a1", "Body text with enough words to shingle properly here.",
                published="2024-01-02", source="Outlet", url="https://example.org/a1",
                language="en", tags=["Markets"], source_path="in.jsonl", locator="line 1",
                format="jsonl", original=b'{"id": "a1"}', extra={"byline": "desk"})
    result = empty_store.add_reports([r])
    assert result.added == 1 and result.added_ids == ["a1"]
    got = empty_store.get_report("a1")
    assert (got.body, got.title, got.published, got.source, got.url, got.language) == \
           (r.body, r.title, r.published, r.source, r.url, r.language)
    assert got.tags == ["Markets"] and got.original == b'{"id": "a1"}'
    assert (got.source_path, got.locator, got.format) == ("in.jsonl", "line 1", "jsonl")
    assert got.extra["byline"] == "desk" and got.extra["status"] == "ingested"
    assert got.extra["ingested_at"] and got.content_hash and got.extra["duplicate_of"] is None
    assert empty_store.get_report("nope") is None


def test_store_exact_duplicates_once_and_taken_ids_suffixed(empty_store):
    body = _words(80, 1)
    first = empty_store.add_reports([_report("x", body), _report("y", body)])
    assert (first.added, first.duplicates) == (1, 1)
    other = _report("x", _words(80, 2))
    second = empty_store.add_reports([other])
    assert second.added == 1 and second.renamed[0][0] == "x"
    stored_as = second.renamed[0][1]
    assert stored_as.startswith("x~") and len(stored_as) == 2 + 8
    assert empty_store.get_report("x").body == body  # never overwritten
    again = empty_store.add_reports([_report("x", body), other])
    assert (again.added, again.duplicates, again.renamed) == (0, 2, [])
    assert empty_store.count() == 2


def test_store_skips_reports_without_body(empty_store):
    result = empty_store.add_reports([_report("e", "   \n ")])
    assert result.skipped == 1 and empty_store.count() == 0


def test_store_interrupted_batch_leaves_nothing_and_rerun_completes(empty_store):
    reports = [_report(f"k{i}", _words(60, 100 + i)) for i in range(BATCH_SIZE + 50)]

    def interrupted():
        for i, r in enumerate(reports):
            if i == BATCH_SIZE + 20:
                raise KeyboardInterrupt
            yield r

    with pytest.raises(KeyboardInterrupt):
        empty_store.add_reports(interrupted())
    assert empty_store.count() == BATCH_SIZE  # the first batch committed, none of the second
    result = empty_store.add_reports(reports)
    assert (result.added, result.duplicates) == (50, BATCH_SIZE)
    assert empty_store.count() == len(reports)
    assert empty_store.integrity_check() == "ok"


def _devset(devset_reports):
    return {d["id"]: d for d in map(json.loads, devset_reports.read_text(encoding="utf-8").splitlines())}


def test_store_near_duplicates_devset_pair_links_and_same_incident_pairs_do_not(empty_store, devset_reports):
    from tumen.ingest.run import ingest

    summary = ingest(empty_store, [str(devset_reports)])
    assert summary.ok
    links = {rid: dup for rid, dup in summary.result.links}
    assert links == {"d029": "d008"}
    for a, b in (("d005", "d012"), ("d014", "d017"), ("d021", "d026")):
        assert empty_store.get_report(a).extra["duplicate_of"] is None
        assert empty_store.get_report(b).extra["duplicate_of"] is None
    assert empty_store.near_duplicates("d008") == ["d029"]


def test_store_near_duplicate_index_survives_reopening(tmp_path, devset_reports):
    docs = _devset(devset_reports)
    db = tmp_path / "s.db"
    with open_store(db) as store:
        store.add_reports([_report("d008", docs["d008"]["body"], published=docs["d008"]["published"])])
    with open_store(db) as store:  # a new process: the LSH is rebuilt from stored signatures
        result = store.add_reports([_report("d029", docs["d029"]["body"], published=docs["d029"]["published"])])
        assert result.links == [("d029", "d008")]


def test_store_near_duplicates_link_to_the_earliest_published(empty_store, devset_reports):
    docs = _devset(devset_reports)
    body = docs["d008"]["body"]
    late = _report("late", body, published="2024-05-02")
    empty_store.add_reports([late])
    # a lightly edited copy published earlier arrives later: it becomes the group's root
    early = _report("early", body.replace("Ryanggang", "Yanggang"), published="2024-05-01")
    result = empty_store.add_reports([early])
    assert result.links == []
    assert empty_store.get_report("late").extra["duplicate_of"] == "early"
    third = _report("third", body + "\n\nAn added attribution line for this copy.", published="2024-06-01")
    assert empty_store.add_reports([third]).links == [("third", "early")]


def test_dedup_threshold_is_calibrated_on_the_devset(devset_reports):
    docs = _devset(devset_reports)
    sh = {rid: dedup.shingles(d["body"]) for rid, d in docs.items()}
    assert dedup.jaccard(sh["d008"], sh["d029"]) >= dedup.NEAR_DUPLICATE_THRESHOLD + 0.15
    ids = sorted(sh)
    worst = max(dedup.jaccard(sh[a], sh[b]) for i, a in enumerate(ids) for b in ids[i + 1:]
                if {a, b} != {"d008", "d029"})
    assert worst < dedup.NEAR_DUPLICATE_THRESHOLD / 4


def test_dedup_signatures_round_trip_bytes():
    m = dedup.minhash(dedup.shingles(_words(50, 3)))
    again = dedup.signature_from_bytes(dedup.signature_bytes(m))
    assert list(again.hashvalues) == list(m.hashvalues)
    assert len(dedup.signature_bytes(m)) == 4 * dedup.NUM_PERM


def _record(rid: str, body: str, n_incidents: int = 1, status: str = "ok") -> dict:
    start = 0
    end = body.index(" ", 10)
    return {
        "id": rid, "title": None, "published": None, "source": None, "url": None,
        "tags": ["border", "markets"],
        "places": [{"id": "KP-10", "name": "Yanggang Province", "kind": "province",
                    "lat": 41.1, "lon": 128.3, "province": "Yanggang Province", "province_id": "KP-10",
                    "mentions": [{"text": body[start:end], "start": start, "end": end}]}],
        "organizations": [{"id": "mss", "name": "Ministry of State Security", "mentions": []}],
        "laws": [{"name": "Criminal Law", "article": None, "mentions": []}],
        "dates": [{"text": "x", "value": "2024-01", "precision": "month", "start": 0, "end": 1}],
        "incidents": [{"type": "arrest", "actor": None, "target": None, "place": "Hyesan",
                       "province": "Yanggang Province", "date": "2024-01", "date_precision": "month",
                       "penalty": None, "evidence": {"text": body[:end], "start": 0, "end": end}}] * n_incidents,
        "duplicate_of": None, "analyzer": "test-1", "status": status,
    }


def test_store_records_replace_atomically_and_feed_analysis_queue(empty_store):
    bodies = {f"r{i}": _words(40, 200 + i) for i in range(3)}
    empty_store.add_reports([_report(rid, b, published=f"2024-0{i + 1}-01")
                             for i, (rid, b) in enumerate(bodies.items())])
    todo = [r.id for r in empty_store.reports_needing_analysis("test-1")]
    assert todo == ["r0", "r1", "r2"]
    assert [r.id for r in empty_store.reports_needing_analysis("test-1", since="2024-02-01")] == ["r1", "r2"]
    assert empty_store.save_records([_record("r0", bodies["r0"], 2), _record("r1", bodies["r1"], status="failed")]) == 2
    assert [r.id for r in empty_store.reports_needing_analysis("test-1")] == ["r2"]
    assert len(list(empty_store.reports_needing_analysis("test-1", reanalyze=True))) == 3
    assert empty_store.get_report("r0").extra["status"] == "analyzed"
    assert empty_store.get_report("r1").extra["status"] == "failed"
    assert len(empty_store.get_record("r0")["incidents"]) == 2
    empty_store.save_records([_record("r0", bodies["r0"], 1)])  # replaces, never appends
    assert len(empty_store.get_record("r0")["incidents"]) == 1
    assert empty_store.query("SELECT count(*) AS n FROM incidents WHERE report_id = 'r0'")[0]["n"] == 1
    assert empty_store.query("SELECT count(*) AS n FROM places WHERE report_id = 'r0'")[0]["n"] == 1
    with pytest.raises(StoreError, match="not stored"):
        empty_store.save_records([_record("r2", bodies["r2"]), _record("ghost", bodies["r2"])])
    assert empty_store.get_record("r2") is None  # the whole batch rolled back
    stats = empty_store.stats()
    assert stats["records"] == 2 and stats["incidents_by_type"] == {"arrest": 2}
    assert stats["top_provinces"] == {"Yanggang Province": 2}


def test_store_iter_reports_streams_in_ingest_order_with_filters(sample_store):
    all_ids = [r.id for r in sample_store.iter_reports()]
    assert len(all_ids) == sample_store.count() == len(set(all_ids)) >= 20
    recent = list(sample_store.iter_reports(since="2024"))
    assert recent and all(r.published >= "2024" for r in recent)
    assert all(r.published <= "2020-12-31" for r in sample_store.iter_reports(until="2020"))


def test_store_stats_counts(sample_store):
    stats = sample_store.stats()
    assert stats["reports"] == sample_store.count()
    assert sum(stats["by_source"].values()) == stats["reports"]
    assert sum(stats["by_month"].values()) == stats["reports"]
    assert stats["by_status"] == {"ingested": stats["reports"]}
    assert stats["near_duplicates"] >= 1  # the bundled syndicated pair


def test_store_foreign_keys_cascade_is_declared(empty_store):
    fks = empty_store.conn.execute("PRAGMA foreign_key_list(places)").fetchall()
    assert fks and fks[0]["table"] == "reports"
    with pytest.raises(sqlite3.IntegrityError):
        empty_store.conn.execute("INSERT INTO places(report_id, name) VALUES ('missing', 'x')")


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=200)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=_text.filter(str.strip), title=st.none() | _text,
       tags=st.none() | st.lists(_text, min_size=1, max_size=3), original=st.binary(max_size=64))
def test_store_round_trips_any_report(empty_store, body, title, tags, original):
    rid = f"h{abs(hash((body, title))) % 10**12}"
    result = empty_store.add_reports([_report(rid, body, title=title, tags=tags, original=original)])
    stored_id = result.added_ids[0] if result.added_ids else None
    if stored_id is None:  # the same body came up before: stored once
        assert result.duplicates == 1
        return
    got = empty_store.get_report(stored_id)
    assert (got.body, got.title, got.tags, got.original) == (body, title, tags, original)


def test_store_concurrent_writers_see_each_others_signatures(tmp_path, devset_reports):
    docs = _devset(devset_reports)
    db = tmp_path / "s.db"
    with open_store(db) as a, open_store(db) as b:
        b.add_reports([_report("other", _words(50, 7))])  # b's index is built now
        a.add_reports([_report("d008", docs["d008"]["body"], published=docs["d008"]["published"])])
        result = b.add_reports([_report("d029", docs["d029"]["body"], published=docs["d029"]["published"])])
        assert result.links == [("d029", "d008")]


# -- near-duplicate LSH bands in the database ---------------------------------------------


def _edited(text: str, every: int, seed: int) -> str:
    """A copy of ``text`` with one word in ``every`` replaced (a light edit)."""
    import random

    rng = random.Random(seed)
    words = text.split()
    for i in range(0, len(words), every):
        words[i] = f"edit{rng.randrange(10**6)}"
    return " ".join(words)


def _bands(store) -> set[tuple]:
    return {tuple(r.values()) for r in store.query("SELECT band, hash, report_id FROM lsh_bands")}


def test_dedup_band_hashes_match_the_stored_signature():
    m = dedup.minhash(dedup.shingles(_words(80, 5)))
    data = dedup.signature_bytes(m)
    keys = dedup.band_hashes(m)
    assert keys == dedup.band_hashes(data)
    assert [b for b, _ in keys] == list(range(dedup.LSH_BANDS))
    assert [h for _, h in keys] == [dedup.band_hash(data, b) for b in range(dedup.LSH_BANDS)]
    assert all(-2**63 <= h < 2**63 for _, h in keys)
    # the bands/rows are datasketch's optimum for the threshold at NUM_PERM
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=dedup.NEAR_DUPLICATE_THRESHOLD, num_perm=dedup.NUM_PERM)
    assert (lsh.b, lsh.r) == (dedup.LSH_BANDS, dedup.LSH_ROWS)


def test_store_near_duplicates_link_within_one_batch(empty_store):
    base = _words(300, 11)
    reports = [_report("a", base, published="2024-01-01"),
               _report("x", _words(300, 12)),
               _report("b", _edited(base, 25, 1), published="2024-01-02"),
               _report("c", _edited(base, 30, 2), published="2024-01-03")]
    result = empty_store.add_reports(reports)  # one batch, one transaction
    assert sorted(result.links) == [("b", "a"), ("c", "a")]
    assert empty_store.get_report("x").extra["duplicate_of"] is None
    # every stored report has its LSH_BANDS rows, written with it
    assert len(_bands(empty_store)) == dedup.LSH_BANDS * 4


def test_store_near_duplicates_link_across_runs_with_bands_from_the_table(tmp_path):
    base = _words(300, 21)
    db = tmp_path / "s.db"
    with open_store(db) as store:
        store.add_reports([_report(f"f{i}", _words(200, 300 + i)) for i in range(30)]
                          + [_report("first", base, published="2023-05-01")])
    with open_store(db) as store:  # a new process: nothing is rebuilt in memory
        result = store.add_reports([_report("copy", _edited(base, 20, 3), published="2023-05-04"),
                                    _report("other", _words(300, 22))])
        assert result.links == [("copy", "first")]
        assert store.near_duplicates("first") == ["copy"]


def test_store_interrupted_batch_leaves_no_bands_and_fts_is_whole(empty_store):
    reports = [_report(f"k{i}", _words(40, 500 + i)) for i in range(BATCH_SIZE + 10)]

    def interrupted():
        for i, r in enumerate(reports):
            if i == BATCH_SIZE + 5:
                raise KeyboardInterrupt
            yield r

    with pytest.raises(KeyboardInterrupt):
        empty_store.add_reports(interrupted())
    ids = {r["report_id"] for r in empty_store.query("SELECT DISTINCT report_id FROM lsh_bands")}
    assert ids == {f"k{i}" for i in range(BATCH_SIZE)}
    # the full-text index is filled per batch, in the batch's transaction
    empty_store.add_reports(reports)
    empty_store.conn.execute("INSERT INTO reports_fts(reports_fts) VALUES ('integrity-check')")
    n_fts = empty_store.conn.execute("SELECT count(*) FROM reports_fts WHERE reports_fts MATCH ?",
                                     (reports[-1].body.split()[0],)).fetchone()[0]
    assert n_fts >= 1
    assert empty_store.conn.execute(
        "SELECT count(*) FROM reports_fts_docsize").fetchone()[0] == len(reports)


def test_store_migration_builds_bands_from_stored_signatures(tmp_path):
    """A store from before the band table: the migration fills it from ``minhash``."""
    base = _words(250, 31)
    db = tmp_path / "old.db"
    with open_store(db) as store:
        store.add_reports([_report(f"o{i}", _words(120, 700 + i)) for i in range(20)]
                          + [_report("orig", base, published="2022-01-01")])
        expected = _bands(store)
        store.conn.execute("DROP TABLE lsh_bands")
        store.conn.execute("DELETE FROM migrations WHERE name = '0003_lsh_bands'")
    with open_store(db) as store:
        assert store.migrations()[-1][0] == "0003_lsh_bands"
        assert _bands(store) == expected
        result = store.add_reports([_report("later", _edited(base, 20, 4), published="2022-02-01")])
        assert result.links == [("later", "orig")]


@pytest.mark.postgres
def test_postgres_bands_equal_the_sqlite_bands(pg_url, tmp_path):
    """PostgreSQL computes the band hashes in SQL (trigger on ``minhash``): the same
    values as ``dedup.band_hashes``, so both backends find the same candidates."""
    reports = [_report(f"p{i}", _words(100, 900 + i)) for i in range(5)]
    with open_store(pg_url) as pg, open_store(tmp_path / "s.db") as lite:
        pg.add_reports(reports)
        lite.add_reports(reports)
        got = {(r["band"], r["hash"], r["report_id"])
               for r in pg.query("SELECT band, hash, report_id FROM lsh_bands")}
        assert got == _bands(lite)


from conftest_pg import pg_url  # noqa: E402,F401  (fixture)


# -- duplicate_of: stored once, in reports.duplicate_of --------------------------------

def test_store_keeps_a_records_duplicate_of_once_in_the_report_row(empty_store):
    """A link the analysis found (same event) is stored in ``reports.duplicate_of`` only:
    the record's JSON keeps the key empty, every reader gives the link."""
    empty_store.add_reports([_report("first", _words(200, 41), published="2024-02-01"),
                             _report("second", _words(200, 42), published="2024-02-03")])
    empty_store.save_records([dict(_record("first", _words(200, 41))),
                              dict(_record("second", _words(200, 42)), duplicate_of="first")])
    row = empty_store.conn.execute("SELECT r.duplicate_of, c.record_json FROM reports r "
                                   "JOIN records c ON c.report_id = r.id WHERE r.id = 'second'").fetchone()
    assert row[0] == "first" and json.loads(row[1])["duplicate_of"] is None
    assert empty_store.get_record("second")["duplicate_of"] == "first"
    assert [r["duplicate_of"] for r in empty_store.iter_records()] == [None, "first"]
    assert empty_store.get_report("second").extra["duplicate_of"] == "first"
    assert empty_store.near_duplicates("first") == ["second"]


def test_store_record_follows_a_near_duplicate_group_that_gets_an_earlier_root(empty_store, devset_reports):
    """An analyzed copy whose group gets an earlier-published root at a later ingest
    names that root in its record too (the link is in one place, so it cannot go stale)."""
    body = _devset(devset_reports)["d008"]["body"]
    empty_store.add_reports([_report("a", body, published="2024-05-02"),
                             _report("b", body + "\n\nA line this copy adds.", published="2024-05-03")])
    empty_store.save_records([_record("a", body), dict(_record("b", body), duplicate_of="a")])
    empty_store.add_reports([_report("root", body.replace("Ryanggang", "Yanggang"), published="2024-05-01")])
    assert [empty_store.get_record(rid)["duplicate_of"] for rid in ("a", "b")] == ["root", "root"]


def test_store_migration_moves_record_links_to_the_report_row(tmp_path):
    """A store from before 0005: links that lived only in the record's JSON move to
    ``reports.duplicate_of`` (the record's value wins, as readers preferred it), and the
    JSON keeps the key, emptied; records without a link or with broken JSON are left."""
    db = tmp_path / "old.db"
    with open_store(db) as store:
        store.add_reports([_report(rid, _words(150, 60 + k)) for k, rid in enumerate("abcd")])
        store.save_records([_record(rid, _words(150, 60 + k)) for k, rid in enumerate("abc")])
        for k, rid, link in ((1, "b", "a"), (2, "c", 'a "quoted" id')):  # the JSON as it used to be
            old = json.dumps(dict(_record(rid, _words(150, 60 + k)), duplicate_of=link), ensure_ascii=False)
            store.conn.execute("UPDATE records SET record_json = ? WHERE report_id = ?", (old, rid))
        store.conn.execute("UPDATE reports SET duplicate_of = 'a' WHERE id = 'c'")
        store.conn.execute("UPDATE records SET record_json = '{broken' WHERE report_id = 'a'")
        store.conn.execute("DELETE FROM migrations WHERE name = '0005_duplicate_of_once'")
    with open_store(db) as store:
        assert store.migrations()[-1][0] == "0005_duplicate_of_once"
        links = dict(store.conn.execute("SELECT id, duplicate_of FROM reports ORDER BY id").fetchall())
        assert links == {"a": None, "b": "a", "c": 'a "quoted" id', "d": None}
        texts = dict(store.conn.execute("SELECT report_id, record_json FROM records").fetchall())
        assert texts["a"] == "{broken"
        assert json.loads(texts["b"])["duplicate_of"] is None and json.loads(texts["c"])["duplicate_of"] is None
        assert list(json.loads(texts["b"])) == list(_record("b", _words(150, 61)))  # the key stays in place
        assert store.get_record("b")["duplicate_of"] == "a"


@pytest.mark.postgres
def test_postgres_migration_moves_record_links_to_the_report_row(pg_url):
    with open_store(pg_url) as store:
        store.add_reports([_report(rid, _words(150, 60 + k)) for k, rid in enumerate("abc")])
        store.save_records([_record(rid, _words(150, 60 + k)) for k, rid in enumerate("abc")])
        for k, rid, link in ((1, "b", "a"), (2, "c", 'a "quoted" id')):  # the JSON as it used to be
            old = json.dumps(dict(_record(rid, _words(150, 60 + k)), duplicate_of=link), ensure_ascii=False)
            store.conn.execute("UPDATE records SET record_json = %s WHERE report_id = %s", (old, rid))
        store.conn.execute("UPDATE records SET record_json = '{broken' WHERE report_id = 'a'")
        store.conn.execute("DELETE FROM migrations WHERE name = '0005_duplicate_of_once'")
        store.conn.commit()
    with open_store(pg_url) as store:
        links = {r["id"]: r["duplicate_of"] for r in store.conn.execute("SELECT id, duplicate_of FROM reports")}
        assert links == {"a": None, "b": "a", "c": 'a "quoted" id'}
        texts = {r["report_id"]: r["record_json"] for r in store.conn.execute(
            "SELECT report_id, record_json FROM records")}
        assert texts["a"] == "{broken"
        assert json.loads(texts["b"])["duplicate_of"] is None and json.loads(texts["c"])["duplicate_of"] is None
        assert store.get_record("c")["duplicate_of"] == 'a "quoted" id'
