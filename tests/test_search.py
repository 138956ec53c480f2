"""Search: the query language, its errors, ranking, snippets and filters (bundled samples)."""

from __future__ import annotations

import pytest

from tumen.errors import QueryError
from tumen.store.search import MAX_QUERY_CHARS, parse_query, report_view, search


def _ids(hits):
    return [h.id for h in hits]


def _titles(store):
    return {r.id: (r.title or "") for r in store.iter_reports()}


def _bodies(store):
    return {r.id: r.body for r in store.iter_reports()}


def test_search_word_finds_reports_containing_it(sample_store):
    hits = search(sample_store, "smuggling", limit=100)
    bodies = _bodies(sample_store)
    titles = _titles(sample_store)
    expected = {rid for rid, body in bodies.items()
                if "smuggling" in body.lower() or "smuggling" in titles[rid].lower()}
    assert set(_ids(hits)) == expected and expected


def test_search_phrase_is_stricter_than_words(sample_store):
    words = set(_ids(search(sample_store, "labor camp", limit=100)))
    phrase = set(_ids(search(sample_store, '"labor camp"', limit=100)))
    assert phrase and phrase <= words
    bodies = _bodies(sample_store)
    assert all("labor camp" in bodies[rid].lower() or "labor camps" in bodies[rid].lower() for rid in phrase)


def test_search_prefix_matches_word_starts(sample_store):
    prefix = set(_ids(search(sample_store, "smuggl*", limit=100)))
    assert set(_ids(search(sample_store, "smugglers", limit=100))) <= prefix
    assert set(_ids(search(sample_store, "smuggling", limit=100))) <= prefix


def test_search_boolean_operators(sample_store):
    a = set(_ids(search(sample_store, "rice", limit=100)))
    b = set(_ids(search(sample_store, "yuan", limit=100)))
    assert set(_ids(search(sample_store, "rice AND yuan", limit=100))) == a & b
    assert set(_ids(search(sample_store, "rice yuan", limit=100))) == a & b  # implicit AND
    assert set(_ids(search(sample_store, "rice OR yuan", limit=100))) == a | b
    assert set(_ids(search(sample_store, "rice NOT yuan", limit=100))) == a - b
    assert set(_ids(search(sample_store, "(rice OR yuan) NOT yuan", limit=100))) == a - b


def test_search_lower_case_operators_are_words(sample_store):
    assert parse_query("rice and yuan").to_fts5() == '("rice" AND "and" AND "yuan")'


def test_search_column_filter_title(sample_store):
    titles = _titles(sample_store)
    hits = search(sample_store, "title:rason", limit=100)
    assert hits and all("rason" in titles[h.id].lower() for h in hits)
    body_only = {rid for rid, b in _bodies(sample_store).items()
                 if "rason" in b.lower() and "rason" not in titles[rid].lower()}
    assert not body_only & set(_ids(hits))
    assert search(sample_store, 'title:"fuel smuggling"', limit=5) is not None


def test_search_title_ranks_above_body(sample_store):
    hits = search(sample_store, "mobilization", limit=100)
    titles = _titles(sample_store)
    in_title = [i for i, h in enumerate(hits) if "mobiliz" in titles[h.id].lower()]
    not_title = [i for i, h in enumerate(hits) if "mobiliz" not in titles[h.id].lower()]
    if in_title and not_title:
        assert max(in_title) < min(not_title) or hits[in_title[0]].score >= hits[not_title[0]].score


def test_search_snippets_mark_the_matches(sample_store):
    hits = search(sample_store, "yuan", limit=5)
    assert hits
    for hit in hits:
        for start, end in hit.highlights:
            assert hit.snippet[start:end].lower().startswith("yuan")
        assert "\x02" not in hit.snippet and "\x03" not in hit.snippet
    marked = hits[0].marked("<b>", "</b>")
    assert "<b>" in marked and "</b>" in marked


def test_search_punctuation_and_diacritics_do_not_break(sample_store):
    for query in ("U.S.", "Kim's", "2,000", "Sinŭiju", "ch'ŏngjin", "co-op", "yuan -- won", "a & b"):
        search(sample_store, query)  # no exception
    with_breve = {rid for rid, b in _bodies(sample_store).items() if "Ch'ŏngjin" in b}
    assert with_breve <= set(_ids(search(sample_store, "Ch'ŏngjin", limit=100)))
    # diacritics are folded: the plain spelling finds the accented one too
    assert with_breve <= set(_ids(search(sample_store, '"Ch\'ongjin"', limit=100)))


@pytest.mark.parametrize("bad, why", [
    ('"labor camp', "unbalanced quote"),
    ("AND rice", "AND needs a word before"),
    ("rice OR", "OR at the end"),
    ("NOT rice", "NOT needs a word before"),
    ("rice AND OR yuan", "OR needs a word before"),
    ("(rice OR yuan", "unbalanced parenthesis"),
    ("rice)", "unbalanced parenthesis"),
    ("()", "empty parentheses"),
    ('""', "empty phrase"),
    ("author:kim", "unknown field"),
    ("title:", "needs a word"),
    ("", "empty query"),
    ("   ", "empty query"),
    ("x " * (MAX_QUERY_CHARS // 2 + 1), "limit is"),
    (" ".join(f"w{i}" for i in range(100)), "more than"),
])
def test_search_malformed_queries_are_one_line_errors(sample_store, bad, why):
    with pytest.raises(QueryError) as info:
        search(sample_store, bad)
    message = str(info.value)
    assert why in message and "\n" not in message


def test_search_long_but_valid_query(sample_store):
    query = " OR ".join(["rice", "yuan", "won", "market", "border"] * 6)
    assert len(search(sample_store, query, limit=50)) > 0


def test_search_date_and_source_filters(sample_store):
    hits = search(sample_store, "market", since="2024", until="2024-12", limit=100)
    assert hits and all("2024-01-01" <= h.published <= "2024-12-31" for h in hits)
    some_source = next(iter(sample_store.stats()["by_source"]))
    hits = search(sample_store, "", source=some_source.lower(), limit=100)
    assert hits and all(h.source == some_source for h in hits)
    with pytest.raises(QueryError, match="--since"):
        search(sample_store, "market", since="last year")


def test_search_filters_on_record_tables(sample_store):
    rid = next(iter(sample_store.iter_reports())).id
    body = sample_store.get_report(rid).body
    sample_store.save_records([{
        "id": rid, "tags": ["border control"],
        "places": [{"id": "KP-10", "name": "Yanggang Province", "kind": "province",
                    "province": "Yanggang Province", "province_id": "KP-10", "mentions": []}],
        "organizations": [{"id": "mss", "name": "Ministry of State Security", "mentions": []}],
        "laws": [], "dates": [],
        "incidents": [{"type": "arrest", "evidence": {"text": body[:10], "start": 0, "end": 10}}],
        "analyzer": "t", "status": "ok"}])
    for kw in ({"place": "yanggang province"}, {"place": "KP-10"}, {"province": "Yanggang Province"},
               {"org": "mss"}, {"org": "ministry of state security"}, {"type": "arrest"},
               {"tag": "Border Control"}):
        assert _ids(search(sample_store, "", **kw)) == [rid], kw
    assert search(sample_store, "", type="punishment") == []
    word = body.split()[0].strip(".,\"'")
    assert rid in _ids(search(sample_store, word, type="arrest"))


def test_search_paging_and_limit(sample_store):
    everything = _ids(search(sample_store, "the", limit=100))
    assert _ids(search(sample_store, "the", limit=3)) == everything[:3]
    assert _ids(search(sample_store, "the", limit=3, offset=3)) == everything[3:6]
    with pytest.raises(QueryError):
        search(sample_store, "the", limit=0)


def test_report_view_has_report_record_and_links(sample_store):
    dup = next(r for r in sample_store.iter_reports() if r.extra.get("duplicate_of"))
    view = report_view(sample_store, dup.id)
    assert view["report"]["body"] == dup.body and view["record"] is None
    assert view["near_duplicates"] == [dup.extra["duplicate_of"]]
    with pytest.raises(QueryError, match="no report"):
        report_view(sample_store, "missing-id")


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_QUERY_ALPHABET = st.sampled_from(list('abc yuan rice "()*:-.\'' ) + ["AND", "OR", "NOT", "title:", "body:", "ŭ", "혜산"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(_QUERY_ALPHABET, max_size=12), raw=st.text(max_size=40))
def test_search_any_input_gives_hits_or_one_line_query_error(sample_store, parts, raw):
    for query in (" ".join(parts), "".join(parts), raw):
        try:
            hits = search(sample_store, query, limit=5)
        except QueryError as exc:
            assert "\n" not in str(exc)
        else:
            assert isinstance(hits, list)
