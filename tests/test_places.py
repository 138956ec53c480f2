"""The places component on sentences we wrote, plus offset integrity over real reports."""

from __future__ import annotations

import pytest

from _h4_support import DEVSET, TRAINSET, assert_offsets, run, shared_reports
from tumen.components.places import find_places
from tumen.gazetteer import Gazetteer


def places(body: str, source: str | None = None) -> list[str]:
    doc = run(body, ("places",), source=source)
    assert_offsets(doc)
    return [p.name for p in doc.places]


def test_romanizations_and_suffixes_resolve_to_one_place():
    body = ("Traders from Ryanggang-do said prices in Yanggang had doubled. "
            "In Sinŭiju and Sinuiju-si alike, Ch'ŏngjin buyers waited. "
            "North Hamkyung officials visited Hamgyong-bukto farms near Musan-gun.")
    assert places(body) == ["Yanggang Province", "Sinuiju", "Chongjin",
                            "North Hamgyong Province", "Musan County"]


def test_mentions_are_kept_in_order_with_exact_offsets():
    doc = run("Hyesan is cold. A trader in Hyesan City said Hyesan-si markets closed.", ("places",))
    (hyesan,) = doc.places
    assert [m.text for m in hyesan.mentions] == ["Hyesan", "Hyesan City", "Hyesan-si"]
    assert hyesan.province == "Yanggang Province" and hyesan.province_id == "KP-10"
    assert hyesan.kind == "city" and hyesan.id == "KP-10.hyesan"
    spans = doc.user_data["place_spans"]
    assert [s[:2] for s in spans] == [(m.start, m.end) for m in hyesan.mentions]
    assert spans[0][2:] == ("Hyesan", "city")


def test_longest_match_rajin_sonbong_is_rason_only():
    assert places("Goods moved through Rajin-Sonbong last year.") == ["Rason"]
    assert places("A ship docked at Rajin.") == ["Rajin"]


def test_not_places_outlets_laws_rivers_foreign_namesakes():
    assert places("A source told Tumen River Report that the river froze.",
                  source="Tumen River Report") == []
    assert places("Lectures on the Pyongyang Cultural Language Protection Act began.") == []
    assert places("They crossed the Tumen River and the Yalu River at night.") == []
    assert places("Tourists visited Gangwon Province in South Korea.") == []
    assert places("The Kim Chaek Iron and Steel Complex cut shifts.") == []
    assert places("Workers at a plant in Kimchaek were paid late.") == ["Kimchaek"]
    assert places("The Hwasong-17 was shown on television.") == []
    assert places("He crossed from Changbai in China and Dandong.") == []


def test_hangul_places_with_particles_but_not_inside_words():
    assert places("양강도 혜산시에서 주민들이 모였다.") == ["Yanggang Province", "Hyesan"]
    assert places("사리원과 해주의 학생들") == ["Sariwon", "Haeju"]
    # 위원 (Wiwon) inside 위원회, 중 (Jung) inside 중국, 평양 inside a law name
    assert places("인민위원회가 중국 물건을 단속했다. 평양문화어보호법 강연") == []
    assert places("Residents of 함경북도 said the border was shut.") == ["North Hamgyong Province"]


def test_ambiguity_prefers_city_and_the_province_in_context():
    gaz = Gazetteer.load()
    (nampo,) = find_places("Ships left Nampo on Monday.", gaz)
    assert gaz.places[nampo[0]].kind == "province"
    # two counties called Unsan: the one in the province the report names
    found = [pid for pid, _ in find_places("In North Pyongan Province, Unsan farms flooded.", gaz)]
    assert found[1] == "KP-03.unsan"
    found = [pid for pid, _ in find_places("In South Pyongan Province, Unsan farms flooded.", gaz)]
    assert found[1] == "KP-02.unsan"


def test_lowercase_words_and_names_are_not_places():
    assert places("the anju of the day; musan; jung and chung met toyo") == []
    assert places("Mr. Jung said nothing.") == []


def test_bad_input_does_not_crash():
    assert places("") == []
    assert places("no punctuation at all just hyesan words and Hyesan again") == ["Hyesan"]
    big = ("Market prices rose in Hyesan and Musan County. " * 20000)[:1_000_000]
    doc = run(big, ("places",))
    assert [p.name for p in doc.places] == ["Hyesan", "Musan County"]
    assert len(doc.places[0].mentions) > 10000


@pytest.mark.skipif(not DEVSET.exists(), reason="shared devset not available")
def test_offsets_over_devset_and_trainset_bodies():
    reports = shared_reports([DEVSET, *[p for p in TRAINSET if p.exists()]])
    assert len(reports) >= 30
    for report in reports:
        doc = run(report.body, ("places",), source=report.source)
        assert_offsets(doc)
        assert doc.places, report.id  # every report is about some place


def test_lowercase_tag_line_at_the_top_is_matched():
    body = ("remittance musan county brokers ministry of state security fines\n"
            "FILE PHOTO: A market.\n\nTraders said prices rose.")
    assert places(body) == ["Musan County"]
    doc = run(body, ("organizations",))
    assert [o.name for o in doc.organizations] == ["Ministry of State Security"]
    # an ordinary first sentence is not a tag line
    assert places("traders in musan said prices rose.\nMore text.") == []


def test_hangul_admin_names_glued_to_nouns_and_person_names():
    assert places("신의주세관 앞에서 평안북도당위원회 간부들이") == ["Sinuiju", "North Pyongan Province"]
    assert places("김정숙 동지의 생일") == []
    assert places("김정숙군에서") == ["Kimjongsuk County"]


def test_outlet_names_without_the_source_field():
    assert places("a source told Hyesan Daily on Monday") == []
    assert places("Queues formed at the Hyesan Post Office.") == ["Hyesan"]


def test_south_korean_namesake_a_few_words_before_the_country():
    assert places("The Gangwon Province government of South Korea sent rice.") == []


def test_two_syllable_hangul_county_names_that_are_words():
    # 증산 (Jungsan County) "output", 연탄 (Yontan County) "briquettes", 중 "among"
    assert places("증산을 위해 연탄 값이 올랐다. 이 중 2명은 풀려났다.") == []
    assert places("신천군에서 동원이 시작됐다. 신천 장마당의 쌀값") == ["Sinchon County"]
    assert places("사리원과 해주의 대학생들") == ["Sariwon", "Haeju"]
