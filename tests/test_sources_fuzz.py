"""Fuzz: random bytes into every reader give RawReport or InputError items, nothing else.

Each reader gets pure random bytes and random bytes behind its own format's opening
(so the parser goes past the first check), forced and auto-detected, and gzip-packed.
Bounded: ~200 examples per reader.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tumen.errors import InputError
from tumen.ingest.normalize import normalize
from tumen.record import RawReport
from tumen.ingest.sources import FORMATS, Limits, read_bytes

# The first bytes of a plausible file of each format.
PREFIXES = {
    "text": [b"Title line\n\n", b"\xef\xbb\xbfPublished: 2023-01-02\n"],
    "markdown": [b"---\ntitle: x\n---\n# ", b"# Heading\n\n"],
    "html": [b"<!DOCTYPE html><html><body><p>", b"<html lang='ko'><head><meta charset='euc-kr'>"],
    "json": [b'[{"body": "', b'{"id": 1, "body": '],
    "jsonl": [b'{"body": "ok report"}\n{"body": "', b'{"title": "t"}\n'],
    "csv": [b"id,body\n1,", b'title,text\n"a","'],
    "rss": [b'<?xml version="1.0"?><rss version="2.0"><channel><item><description>'],
    "atom": [b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><content type="html">'],
    "warc": [b"WARC/1.0\r\nWARC-Type: response\r\nContent-Length: 40\r\n\r\n",
             b"WARC/1.0\r\nWARC-Type: response\r\nContent-Type: application/http; msgtype=response\r\n"
             b"Content-Length: 60\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<p>"],
}
# Small limits so that the limits' own code paths are fuzzed as well.
SMALL = Limits(max_file_bytes=50_000, max_decompressed_bytes=100_000, max_item_bytes=2_000,
               max_html_depth=50, max_warc_record_bytes=5_000)


def _check(items) -> None:
    for item in items:
        assert isinstance(item, (RawReport, InputError)), type(item)
        if isinstance(item, RawReport):
            assert isinstance(item.body, str) and item.body.strip()
        else:
            assert item.path and item.reason


inputs = st.one_of(
    st.binary(max_size=2000),
    st.text(max_size=500).map(lambda t: t.encode("utf-8")),
)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=inputs, prefix_index=st.integers(min_value=0, max_value=1), packed=st.booleans(),
       forced=st.booleans())
def test_sources_fuzz_reader_yields_only_reports_or_errors(fmt, data, prefix_index, packed, forced):
    prefixes = PREFIXES[fmt]
    payload = prefixes[prefix_index % len(prefixes)] + data
    if packed:
        payload = gzip.compress(payload)[: max(10, len(payload) // 2)] if len(data) % 3 == 0 \
            else gzip.compress(payload)
    _check(read_bytes(payload, path=f"fuzz.{fmt}", format=fmt if forced else None, limits=SMALL))


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=4000), title_line=st.booleans())
def test_sources_fuzz_random_bytes_autodetected(data, title_line):
    _check(read_bytes(data, path="-", title_line=title_line))


FIXTURES = Path(__file__).resolve().parent / "fixtures" / "sources"
FIXTURE_FILES = sorted(p.name for p in FIXTURES.iterdir() if p.is_file())


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(FIXTURE_FILES), cut=st.floats(min_value=0, max_value=1),
       flips=st.lists(st.tuples(st.floats(min_value=0, max_value=1), st.integers(0, 255)), max_size=8),
       packed=st.booleans())
def test_sources_fuzz_mutated_fixtures_then_normalize(name, cut, flips, packed):
    """Real fixtures cut short and with bytes changed: readers and normalize() hold."""
    data = bytearray((FIXTURES / name).read_bytes())
    for where, value in flips:
        if data:
            data[int(where * (len(data) - 1))] = value
    data = bytes(data[: int(len(data) * cut) + 1])
    if packed:
        data = gzip.compress(data)
    items = list(read_bytes(data, path=name + (".gz" if packed else ""), limits=SMALL))
    _check(items)
    for item in items:
        if isinstance(item, RawReport):
            try:
                report = normalize(item)
            except InputError:
                continue
            assert report.body and report.id and report.content_hash
