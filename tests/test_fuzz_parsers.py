"""Fuzz targets (hypothesis) for every input parser, bounded for CI.

Each parser gets arbitrary and mutated input and must answer with its result or its
own named error, never anything else:

* file readers (tumen.ingest.sources), *mutated* valid files of every format (bit flips,
  cuts, insertions, duplicated spans) -- tests/test_sources_fuzz.py adds random bytes;
* the encoding sniffer and decoder;
* the search query language, parsed and then run against a real store (FTS5 syntax
  must never reach SQLite unescaped);
* the search date filters, the ``--map`` field map, the publication date parser;
* ``tumen analyze``'s JSON Lines reader;
* the web's query-string parser.

``TUMEN_FUZZ_EXAMPLES`` raises the number of examples per target (default 150; CI runs
the default, a longer local run is ``TUMEN_FUZZ_EXAMPLES=20000 pytest tests/test_fuzz_parsers.py``).
"""

from __future__ import annotations

import gzip
import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tumen.errors import InputError, QueryError, TumenError
from tumen.record import RawReport
from tumen.ingest.sources import FORMATS, Limits, read_bytes

EXAMPLES = int(os.environ.get("TUMEN_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
SMALL = Limits(max_file_bytes=60_000, max_decompressed_bytes=120_000, max_item_bytes=4_000,
               max_html_depth=40, max_warc_record_bytes=8_000)

BODY = "Officials in the county held a meeting on the spring planting campaign."


def _warc(html: str) -> bytes:
    payload = ("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n" + html).encode()
    return (f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: https://example.org/x\r\n"
            f"WARC-Date: 2024-01-01T00:00:00Z\r\nContent-Type: application/http; msgtype=response\r\n"
            f"Content-Length: {len(payload)}\r\n\r\n").encode() + payload + b"\r\n\r\n"


# One valid seed per format, written here; the fuzzer mutates them.
SEEDS: dict[str, bytes] = {
    "text": f"A title\n\nPublished: 2023-04-05\n\n{BODY}\n".encode(),
    "markdown": f"---\ntitle: A title\ndate: 2023-04-05\n---\n# A title\n\n{BODY}\n".encode(),
    "html": (f"<!DOCTYPE html><html><head><title>T</title><meta name='date' content='2023-04-05'>"
             f"</head><body><article><h1>T</h1><p>{BODY}</p><p>{BODY}</p></article></body></html>").encode(),
    "json": json.dumps([{"id": "a", "title": "T", "published": "2023-04-05", "body": BODY}]).encode(),
    "jsonl": (json.dumps({"id": "a", "body": BODY}) + "\n" + json.dumps({"id": "b", "body": BODY + " Two."})
              + "\n").encode(),
    "csv": f'id,title,published,body\na,T,2023-04-05,"{BODY}"\nb,U,2023-04-06,"{BODY} Two."\n'.encode(),
    "rss": (f'<?xml version="1.0"?><rss version="2.0"><channel><title>C</title><item><title>T</title>'
            f"<pubDate>Wed, 05 Apr 2023 00:00:00 GMT</pubDate><description>{BODY}</description>"
            f"</item></channel></rss>").encode(),
    "atom": (f'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>C</title><entry>'
             f"<title>T</title><updated>2023-04-05T00:00:00Z</updated><content>{BODY}</content>"
             f"</entry></feed>").encode(),
    "warc": _warc(f"<html><body><article><p>{BODY}</p><p>{BODY}</p></article></body></html>"),
}


@st.composite
def mutated(draw, seed: bytes) -> bytes:
    """A seed after a few random edits: flips, cuts, inserted and repeated spans."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 6))):
        if not data:
            break
        op = draw(st.sampled_from(["flip", "cut", "insert", "repeat", "truncate", "delete"]))
        i = draw(st.integers(0, len(data) - 1))
        if op == "flip":
            data[i] ^= 1 << draw(st.integers(0, 7))
        elif op == "cut":
            del data[i:i + draw(st.integers(1, 40))]
        elif op == "insert":
            data[i:i] = draw(st.sampled_from([b"\x00", b"\xff\xfe", b"<", b"\"", b"\n", b",", b"{",
                                              b"\r\n\r\n", b"&amp;", b"<div>" * 50, b"\xed\xa0\x80"]))
        elif op == "repeat":
            j = min(len(data), i + draw(st.integers(1, 200)))
            data[i:i] = data[i:j] * draw(st.integers(1, 30))
        elif op == "truncate":
            del data[i:]
        else:
            del data[i:i + 1]
    return bytes(data)


def _check_items(items, path: str) -> None:
    for item in items:
        assert isinstance(item, (RawReport, InputError)), type(item)
        if isinstance(item, InputError):
            assert item.path.startswith(path) and item.reason
            assert "\n" not in item.reason
        else:
            assert isinstance(item.body, str) and item.body.strip()


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@FUZZ
@given(data=st.data(), packed=st.booleans(), forced=st.booleans())
def test_fuzz_reader_on_mutated_files(fmt, data, packed, forced):
    payload = data.draw(mutated(SEEDS[fmt]))
    if packed:
        payload = gzip.compress(payload)
        if data.draw(st.booleans()):
            payload = data.draw(mutated(payload))
    path = f"fuzz.{ {'text': 'txt', 'markdown': 'md'}.get(fmt, fmt) }"
    _check_items(read_bytes(payload, path=path, format=fmt if forced else None, limits=SMALL), path)


def test_every_seed_is_read_as_a_report():
    """The seeds themselves are valid (so the mutations start from real files)."""
    for fmt, seed in SEEDS.items():
        items = list(read_bytes(seed, path=f"seed.{fmt}", format=fmt))
        assert any(isinstance(i, RawReport) for i in items), (fmt, items)


@FUZZ
@given(st.binary(max_size=3000), st.booleans())
def test_fuzz_encoding_sniff_and_decode(data, complete):
    from tumen.ingest.sources.encoding import decode, sniff

    try:
        encoding = sniff(data, "f.txt", complete=complete)
        text = decode(data, "f.txt", encoding)
    except InputError as exc:
        assert exc.path == "f.txt" and exc.reason and "\n" not in exc.reason
        return
    assert isinstance(text, str)


# -- the search query language, through to SQLite -------------------------------------
@pytest.fixture(scope="module")
def search_store(tmp_path_factory):
    from tumen.ingest.run import ingest
    from tumen.store import open_store

    folder = tmp_path_factory.mktemp("fuzzstore")
    for i, text in enumerate([BODY, "Hyesan market prices rose in May 2023.",
                              "보위부가 회령에서 단속을 벌였다.", "title:x OR NOT (y AND \"z\")"]):
        (folder / f"r{i}.txt").write_text(f"Report {i}\n\n{text}\n")
    store = open_store(folder / "s.db")
    ingest(store, [folder], parallel=False)
    yield store
    store.close()


QUERY_ALPHABET = st.sampled_from(list('abc xyz"*()-+:^,.;\'\\/&|{}[]<>=~!@#$%') +
                                 ["AND", "OR", "NOT", "NEAR", "title:", "body:", "혜산", " "])
queries = st.one_of(st.text(max_size=60), st.lists(QUERY_ALPHABET, max_size=25).map("".join))


@FUZZ
@given(query=queries)
def test_fuzz_search_query_never_reaches_sqlite_malformed(search_store, query):
    from tumen.store.search import search

    try:
        hits = search(search_store, query, limit=5)
    except QueryError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert isinstance(hits, list)


@FUZZ
@given(st.text(max_size=20), st.text(max_size=20))
def test_fuzz_search_date_filters(since, until):
    from tumen.store.search import check_date

    for value, name in ((since, "since"), (until, "until")):
        try:
            assert check_date(value, name) in (None, value)
        except QueryError as exc:
            assert name in str(exc)


@FUZZ
@given(st.text(max_size=60))
def test_fuzz_field_map(text):
    from tumen.ingest.run import parse_field_map

    try:
        mapping = parse_field_map(text)
    except InputError as exc:
        assert exc.path == "--map"
        return
    assert mapping is None or all(k and v for k, v in mapping.items())


@FUZZ
@given(st.text(max_size=60))
def test_fuzz_publication_date(value):
    from tumen.ingest.normalize import parse_published

    out = parse_published(value)
    assert out is None or len(out) == 10


# -- tumen analyze's JSON Lines reader ------------------------------------------------
@FUZZ
@given(data=st.data())
def test_fuzz_analysis_jsonl_reader(tmp_path_factory, data):
    from tumen.engines.local import read_jsonl_reports

    seed = SEEDS["jsonl"] + b'{"id": 3, "body": 5}\n[1, 2]\n'
    payload = data.draw(st.one_of(mutated(seed), st.binary(max_size=400)))
    path = tmp_path_factory.mktemp("aj") / "in.jsonl"
    path.write_bytes(payload)
    errors: list[str] = []
    try:
        reports = list(read_jsonl_reports(path, errors))
    except UnicodeDecodeError:
        pytest.fail("invalid UTF-8 in analyze input must be a named line error, not a crash")
    for report in reports:
        assert isinstance(report.body, str) and report.id
    for err in errors:
        assert str(path) in err and "\n" not in err


# -- the web's query-string parser ----------------------------------------------------
@FUZZ
@given(st.lists(st.tuples(st.sampled_from(["q", "since", "until", "type", "place", "province",
                                           "org", "tag", "sort", "page", "order", "source",
                                           "x", ""]), st.text(max_size=20)), max_size=10),
       st.sampled_from(["search", "incidents", "facets", "export"]))
def test_fuzz_web_query_parameters(pairs, kind):
    from tumen.web.params import parse_state

    try:
        state = parse_state(pairs, kind)
    except TumenError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert state is not None
