"""The gazetteer: loading, lookups by any name, parent chains, folded phrase search."""

from __future__ import annotations

from tumen.analysis.gazetteer import Gazetteer, PhraseIndex, phrase_key, tokenize


def test_load_is_cached_and_complete():
    gaz = Gazetteer.load()
    assert gaz is Gazetteer.load()
    assert len(gaz.places) > 250 and len(gaz.orgs) > 50 and len(gaz.laws) >= 6


def test_find_place_by_any_variant():
    gaz = Gazetteer.load()
    for name in ("Ryanggang", "Yanggang Province", "Ryanggang-do", "양강도", "RYANGGANG"):
        assert gaz.find_place(name).id == "KP-10", name
    assert gaz.find_place("Sinŭiju").id == gaz.find_place("Sinuiju").id == "KP-03.sinuiju"
    assert gaz.find_place("North Hamkyung").id == "KP-09"
    assert gaz.find_place("Chasong County").id == "KP-04.jasong"
    assert gaz.find_place("Atlantis") is None
    assert gaz.find_place("") is None


def test_place_names_and_province_chain():
    gaz = Gazetteer.load()
    assert gaz.place_by_id("KP-10").display == "Yanggang Province"
    assert gaz.place_by_id("KP-09.musan").display == "Musan County"
    assert gaz.place_by_id("KP-10.hyesan").display == "Hyesan"
    assert gaz.place_by_id("KP-13").display == "Rason"
    assert gaz.province_of("KP-10.hyesan").id == "KP-10"
    assert gaz.province_of("KP-01").display == "Pyongyang"
    # a border crossing hangs under a city: its province comes through the chain
    assert gaz.province_of("bx:sinuiju-dandong").id == "KP-03"
    # a town hangs under a county
    town = next(p for p in gaz.places.values() if p.kind == "town" and p.parent_id)
    assert gaz.province_of(town.id).kind == "province"
    place = gaz.make_place("KP-09.musan")
    assert (place.name, place.kind, place.province, place.province_id) == (
        "Musan County", "county", "North Hamgyong Province", "KP-09")
    assert place.lat and place.lon


def test_org_by_name_through_renamings_and_aliases():
    gaz = Gazetteer.load()
    assert gaz.org_by_name("Bowibu").id == "mss"
    assert gaz.org_by_name("State Security Department").id == "mss"
    assert gaz.org_by_name("국가보위성").id == "mss"
    assert gaz.org_by_name("Ministry of People's Security").id == "mosoc"
    assert gaz.org_by_name("prosecutors").id == "prosecutors"
    assert gaz.org_by_name("nothing like it") is None


def test_tokens_fold_diacritics_apostrophes_and_possessives():
    keys = [t.key for t in tokenize("Ch'ŏngjin’s P'YŎNGYANG Workers' Party")]
    assert keys == ["chongjin", "pyongyang", "workers", "party"]
    text = "Ch'ŏngjin’s market"
    tok = tokenize(text)[0]
    assert text[tok.start:tok.end] == "Ch'ŏngjin"
    assert phrase_key("Hamgyong-bukto") == phrase_key("Hamgyong bukto")


def test_phrase_index_longest_match_wins_over_earlier_shorter():
    index = PhraseIndex()
    index.add("the Party", "wpk", exact_case=True)
    index.add("Party Central Committee", "cc")
    text = "a directive from the Party Central Committee arrived"
    found = [(text[m.start:m.end], m.entries[0].payload) for m in index.search(text)]
    assert found == [("Party Central Committee", "cc")]
    assert [m.entries[0].payload for m in index.search("expelled from the Party.")] == ["wpk"]
    assert list(index.search("they held a party")) == []  # exact case


def test_phrases_do_not_run_across_punctuation():
    index = PhraseIndex()
    index.add("Rajin Sonbong", "rason")
    assert len(index.search("Rajin-Sonbong")) == 1
    assert len(index.search("Rajin Sonbong")) == 1
    assert index.search("Rajin. Sonbong") == []


from hypothesis import given, settings, strategies as st  # noqa: E402

_PIECES = st.sampled_from([
    "Hyesan", "Ryanggang-do", "Musan County", "the Party", "Central Committee of the ",
    "Article 222", " of the Criminal Law", "Law", "Act", "MSS (", ")", "Kim Chaek", "River",
    "Mt. ", "-15", "South Korea's ", "혜산시에서", "보위부", "중국", "‘반동사상문화배격법’",
    "P'yŏngyang", "’s", " ", "\n", ", ", ". ", "-", "\"", "known as ", "Group 109", "court"])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(_PIECES, st.text(max_size=6)), max_size=25))
def test_entity_components_never_crash_and_offsets_hold(pieces):
    from tumen.analysis.components.laws import find_laws
    from tumen.analysis.components.organizations import find_organizations
    from tumen.analysis.components.places import find_places

    text = "".join(pieces)
    gaz = Gazetteer.load()
    groups = [ms for _, ms in find_places(text, gaz, source="River")]
    groups += [ms for _, ms in find_organizations(text, gaz, source="Hyesan")]
    groups += [law.mentions for law in find_laws(text)]
    for mentions in groups:
        for m in mentions:
            assert text[m.start:m.end] == m.text


def test_roman_key_equates_romanizations():
    from tumen.analysis.gazetteer import roman_key, south_spelling

    for a, b in [("hamkyung", "hamgyong"), ("hamgyeong", "hamgyong"), ("hoiryeong", "hoeryong"),
                 ("onsung", "onsong"), ("ryangang", "yanggang"), ("gaechon", "kaechon"),
                 ("haesan", "hyesan"), ("kimjongsook", "kimjongsuk"), ("bukdo", "pukto")]:
        assert roman_key(a) == roman_key(b), (a, b)
    assert roman_key("onsong") != roman_key("musan")
    assert roman_key("9th") == "9th"
    assert south_spelling("로동당") == "노동당" and south_spelling("로농적위대") == "노농적위대"
    assert south_spelling("녀맹") == "여맹" and south_spelling("리원") == "이원"


def test_ministry_forms():
    from tumen.analysis.gazetteer import ministry_forms

    assert ministry_forms(["Ministry of Public Health", "보건성"]) == [
        "Public Health Ministry", "Minister of Public Health", "Public Health Minister"]
