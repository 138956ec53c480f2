"""normalize(): the body every offset refers to, the id, the date and the tags."""

from __future__ import annotations

import hashlib
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tumen.errors import InputError
from tumen.ingest.normalize import normalize, normalize_text, parse_published
from tumen.record import RawReport


def test_normalize_text_whitespace_rules():
    text = "  First\tline   here \r\nsecond line\u00a0\u00a0end\r\n\r\n\r\n\n  Next paragraph.  \n \n"
    assert normalize_text(text) == "First line here\nsecond line end\n\nNext paragraph."


def test_normalize_text_unicode_line_breaks_and_nfc():
    assert normalize_text("a\u2028b\u2029\u2029c\x0bd") == "a\nb\n\nc\nd"
    decomposed = "Sinu\u0306iju and \u1112\u1168\u1109\u1161\u11ab"  # combining breve; Hangul jamo
    out = normalize_text(decomposed)
    assert out == "Sin\u016diju and 혜산" and unicodedata.is_normalized("NFC", out)


def test_normalize_text_keeps_quotes_and_case():
    text = "He said \u201cmerciless\u201d \u2014 and \u2018Bowibu\u2019 agents came."
    assert normalize_text(text) == text


def test_normalize_ids_and_hash():
    raw = RawReport(body="  A body\n\n\n\nwith   paragraphs. ", source_path="x.txt")
    report = normalize(raw)
    assert report.body == "A body\n\nwith paragraphs."
    digest = hashlib.sha256(report.body.encode("utf-8")).hexdigest()
    assert report.content_hash == digest and report.id == "r-" + digest[:16]
    given_id = normalize(RawReport(body="Same text.", id=" d001 "))
    assert given_id.id == "d001"
    # the id depends only on the normalized body
    assert normalize(RawReport(body="A body\r\n\r\nwith paragraphs.")).id == report.id


def test_normalize_keeps_metadata_and_lowercases_tags():
    raw = RawReport(body="Text.", title="  A  title\n", tags=[" Market ", "market", "North Hamgyong"],
                    source=" Tumen Test Wire ", url=" https://example.org/a ", language="EN",
                    source_path="f.jsonl", locator="line 3", format="jsonl", original=b"{}",
                    extra={"byline": "desk"})
    report = normalize(raw)
    assert report.title == "A title" and report.tags == ["market", "north hamgyong"]
    assert report.source == "Tumen Test Wire" and report.url == "https://example.org/a"
    assert report.language == "en" and report.locator == "line 3" and report.original == b"{}"
    assert report.extra == {"byline": "desk"}


@pytest.mark.parametrize("value, expected", [
    ("2023-01-20", "2023-01-20"),
    ("2023-1-5", "2023-01-05"),
    ("2024-02-01T07:00:00Z", "2024-02-01"),
    ("Tue, 14 Mar 2023 09:30:00 +0000", "2023-03-14"),
    ("May 22, 2019", "2019-05-22"),
    ("22 May 2019", "2019-05-22"),
    ("2019년 5월 22일", "2019-05-22"),
    ("20230120", "2023-01-20"),
    ("1727654400000", "2024-09-30"),
    ("1727654400", "2024-09-30"),
    ("0000-00-00", None),
    ("00000000", None),
    ("2023-02-30", None),
    ("00/00/0000", None),
    ("2023", None),
    ("not a date", None),
    ("", None),
    (None, None),
])
def test_normalize_parse_published(value, expected):
    assert parse_published(value) == expected


def test_normalize_impossible_date_keeps_raw():
    report = normalize(RawReport(body="Text.", published="0000-00-00"))
    assert report.published is None and report.extra["published_raw"] == "0000-00-00"
    clean = normalize(RawReport(body="Text.", published="2020-06-02"))
    assert clean.published == "2020-06-02" and "published_raw" not in clean.extra


def test_normalize_empty_body_is_input_error():
    with pytest.raises(InputError) as info:
        normalize(RawReport(body=" \n\t\u3000 ", source_path="feed.rss", locator="item 4"))
    assert "feed.rss (item 4)" in str(info.value) and "empty body" in str(info.value)


texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)
spacey = st.lists(st.sampled_from(["a", "é", "e\u0301", " ", "  ", "\t", "\n", "\r\n", "\u00a0",
                                   "\u3000", "\u2028", "\u1112\u1168", "word", "\x0c", "\u2000"]),
                  max_size=60).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(texts, spacey))
def test_normalize_text_properties(text):
    out = normalize_text(text)
    assert normalize_text(out) == out  # idempotent
    assert unicodedata.is_normalized("NFC", out)
    assert "  " not in out and "\t" not in out and "\r" not in out
    assert "\n\n\n" not in out and " \n" not in out and "\n " not in out
    assert out == out.strip()
    assert all(not ch.isspace() or ch in " \n" for ch in out)


@settings(max_examples=100, deadline=None)
@given(spacey.filter(lambda t: t.strip()))
def test_normalize_report_body_round_trip(text):
    report = normalize(RawReport(body=text))
    assert normalize(RawReport(body=report.body)).id == report.id


def test_normalize_tag_line_kept_in_extra():
    raw = RawReport(body="Text.", tag_line="  remittance   ryanggang province border ")
    report = normalize(raw)
    assert report.tag_line == "remittance ryanggang province border"
    assert report.extra["tag_line"] == report.tag_line and report.body == "Text."
    assert normalize(RawReport(body="Text.")).tag_line is None


def test_normalize_given_publication_day_only_for_undated_reports():
    undated = normalize(RawReport(body="Text."), default_published="2022-01-28")
    assert undated.published == "2022-01-28" and undated.extra["published_given"] == "--published"
    dated = normalize(RawReport(body="Text.", published="March 4, 2021"), default_published="2022-01-28")
    assert dated.published == "2021-03-04" and "published_given" not in dated.extra
    unreadable = normalize(RawReport(body="Text.", published="sometime"), default_published="2022-01-28")
    assert unreadable.published == "2022-01-28" and unreadable.extra["published_raw"] == "sometime"


@pytest.mark.parametrize("value", ["2022-13-45", "2022-02-30", "28.01.2022", "2022", "yesterday", ""])
def test_given_day_rejects_what_is_not_a_day(value):
    from tumen.errors import InputError
    from tumen.ingest.normalize import given_day

    with pytest.raises(InputError, match="--published"):
        given_day(value)
    assert given_day(" 2022-01-28 ") == "2022-01-28"
