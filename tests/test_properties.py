"""Property-based tests (hypothesis): what must hold for every input, not just examples.

* normalization: idempotent, its whitespace rules always hold, the id and hash are
  functions of the body, a publication date is a real day in range or nothing;
* offset integrity: for any body, every mention, date and evidence of the record is
  exactly ``body[start:end]`` (the whole pipeline, spaCy included);
* date resolution: every value is well formed for its precision, in range, and an
  explicit "Month D, YYYY" resolves to that day whatever the publication date;
* store: any batch of bodies (duplicates included) is stored once each, a rerun adds
  nothing, and a record reads back exactly as saved.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tumen.errors import InputError
from tumen.ingest.normalize import MAX_YEAR, MIN_YEAR, normalize, normalize_text, parse_published
from tumen.record import RawReport, Report

# Fragments that make the analysis components fire (fictional sentences written here,
# names from the shipped gazetteer), mixed with arbitrary text and whitespace.
FRAGMENTS = [
    "Officials in Hyesan arrested three traders last month.",
    "The Ministry of State Security (MSS) detained a farmer in Musan County on May 3, 2023.",
    "Under Article 62 of the Criminal Law, he was sentenced to five years.",
    "혜산시에서 지난달 주민 두 명이 체포됐다.",
    "In the spring of 2022, the Workers' Party held a meeting in Pyongyang.",
    "Last Tuesday, guards at the border in North Hamgyong Province fined smugglers.",
    "A public trial was held in Chongjin two weeks ago.",
    "The Socialist Patriotic Youth League mobilized students in late June.",
    "보위부가 2021년 3월 회령에서 단속을 벌였다.",
    "\n\n", "  ", "\t", " — ", "“quoted”", "é", "e\u0301", "\u00a0", "\r\n",
]
bodies = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=40)),
                  min_size=1, max_size=12).map(" ".join)
published = st.one_of(st.none(), st.dates(dt.date(1990, 1, 1), dt.date(2030, 12, 31)))


# -- normalization --------------------------------------------------------------------
@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_normalized_text_is_a_fixed_point_with_its_rules(text):
    once = normalize_text(text)
    assert normalize_text(once) == once
    assert unicodedata.is_normalized("NFC", once)
    assert "  " not in once and " \n" not in once and "\n " not in once
    assert "\n\n\n" not in once and "\r" not in once and "\t" not in once
    assert once == once.strip()


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200), st.one_of(st.none(), st.text(max_size=30)),
       st.one_of(st.none(), st.text(max_size=30)))
def test_normalize_gives_a_report_or_an_input_error(body, title, rid):
    raw = RawReport(body=body, title=title, id=rid, source_path="p.txt")
    try:
        report = normalize(raw)
    except InputError as exc:
        assert "p.txt" in str(exc)
        # an empty body, or an id holding a control character (NUL, ESC...)
        assert not normalize_text(body) or "id contains a control character" in str(exc)
        return
    assert report.body == normalize_text(body) and report.body
    assert report.content_hash == hashlib.sha256(report.body.encode()).hexdigest()
    assert report.id and "\n" not in report.id
    again = normalize(RawReport(body=report.body, title=title, id=rid, source_path="p.txt"))
    assert (again.id, again.body, again.content_hash) == (report.id, report.body, report.content_hash)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=40),
                 st.from_regex(r"\d{4}-\d{2}-\d{2}", fullmatch=True),
                 st.from_regex(r"\d{1,4}[./ -]\d{1,2}[./ -]\d{1,4}", fullmatch=True)))
def test_publication_date_is_a_real_day_in_range_or_none(value):
    out = parse_published(value)
    if out is not None:
        day = dt.date.fromisoformat(out)
        assert MIN_YEAR <= day.year <= MAX_YEAR


@settings(max_examples=200, deadline=None)
@given(st.dates(dt.date(MIN_YEAR, 1, 1), dt.date(MAX_YEAR, 12, 31)))
def test_publication_date_spellings_round_trip(day):
    iso = day.isoformat()
    assert parse_published(iso) == iso
    assert parse_published(iso + "T12:00:00Z") == iso
    assert parse_published(day.strftime("%B %d, %Y")) == iso
    assert parse_published(day.strftime("%Y%m%d")) == iso


# -- offset integrity over the whole pipeline ----------------------------------------
@pytest.fixture(scope="module")
def pipeline():
    from tumen.analysis.pipeline import Pipeline

    return Pipeline().initialize()


def _spans(record: dict):
    for key in ("places", "organizations", "laws"):
        for item in record.get(key) or []:
            for m in item.get("mentions") or []:
                yield key, m
    for d in record.get("dates") or []:
        yield "dates", d
    for inc in record.get("incidents") or []:
        if inc.get("evidence"):
            yield "incidents", inc["evidence"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(bodies, published)
def test_every_offset_indexes_the_body(pipeline, body, pub):
    body = normalize_text(body)
    assume(body)
    report = Report(id="prop-1", body=body, published=pub.isoformat() if pub else None)
    (doc,) = list(pipeline.pipe([report]))
    record = doc.to_record().to_dict()
    assert record["id"] == "prop-1"
    for kind, span in _spans(record):
        start, end = span["start"], span["end"]
        assert 0 <= start < end <= len(body), (kind, span)
        assert body[start:end] == span["text"], (kind, span, body[start:end])


# -- date resolution ------------------------------------------------------------------
_FORMS = {"day": r"\d{4}-\d{2}-\d{2}", "month": r"\d{4}-\d{2}", "year": r"\d{4}"}
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]


@settings(max_examples=200, deadline=None)
@given(bodies, published)
def test_date_values_are_well_formed_for_their_precision(body, pub):
    from tumen.analysis.dates.extract import find_dates

    body = normalize_text(body)
    found, anaphora = find_dates(body, pub)
    for f in [*found, *anaphora]:
        assert body[f.start:f.end] == f.text
        form = _FORMS.get(f.precision)
        if form is not None:
            assert re.fullmatch(form, f.value), (f.precision, f.value)
        if f.precision == "day":
            day = dt.date.fromisoformat(f.value)
            assert 1800 <= day.year <= 2200


@settings(max_examples=200, deadline=None)
@given(st.dates(dt.date(1950, 1, 1), dt.date(2030, 12, 31)), published)
def test_an_explicit_full_date_resolves_to_itself(day, pub):
    from tumen.analysis.dates.extract import find_dates

    text = f"The meeting was held on {MONTHS[day.month - 1]} {day.day}, {day.year} in the county."
    found, _ = find_dates(text, pub)
    days = [f for f in found if f.precision == "day"]
    assert days and days[0].value == day.isoformat(), found


# -- the store: nothing lost, nothing doubled ----------------------------------------
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(FRAGMENTS[:9]) | st.text(min_size=1, max_size=80),
                min_size=1, max_size=30))
def test_ingest_stores_each_distinct_body_once(tmp_path_factory, texts):
    from tumen.store import open_store

    db = tmp_path_factory.mktemp("prop") / "s.db"
    reports = []
    for i, text in enumerate(texts):
        try:
            reports.append(normalize(RawReport(body=text, id=f"p-{i}")))
        except InputError:
            continue
    distinct = {r.body for r in reports}
    with open_store(db) as store:
        first = store.add_reports(reports, batch_size=7)
        assert first.added == len(distinct)
        assert first.added + first.duplicates == len(reports)
        assert store.count() == len(distinct)
        again = store.add_reports(reports, batch_size=7)
        assert again.added == 0 and store.count() == len(distinct)
        assert {r.body for r in store.iter_reports()} == distinct


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.fixed_dictionaries({
    "type": st.sampled_from(["arrest", "execution", "order", "other"]),
    "place": st.one_of(st.none(), st.text(max_size=20)),
    "evidence": st.fixed_dictionaries({"text": st.text(max_size=20), "start": st.integers(0, 50),
                                       "end": st.integers(51, 99)})}), max_size=5),
    st.lists(st.text(min_size=1, max_size=15), max_size=5))
def test_a_record_reads_back_as_saved(tmp_path_factory, incidents, tags):
    from tumen.store.maintenance import check_store
    from tumen.store import open_store

    db = tmp_path_factory.mktemp("rec") / "s.db"
    record = {"id": "rec-1", "analyzer": "test", "status": "ok", "incidents": incidents,
              "tags": tags, "places": [], "organizations": [], "laws": [], "dates": []}
    with open_store(db) as store:
        store.add_reports([Report(id="rec-1", body="A body for the record test.")])
        store.save_records([record])
        assert store.get_record("rec-1") == record
        store.save_records([record])  # saved twice: replaced, not doubled
        assert store.get_record("rec-1") == record
    result = check_store(db)
    assert result.ok, result.problems
