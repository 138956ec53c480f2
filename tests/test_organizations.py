"""The organizations component on sentences we wrote, plus offset integrity."""

from __future__ import annotations

import pytest

from _h4_support import DEVSET, TRAINSET, assert_offsets, run, shared_reports


def orgs(body: str, source: str | None = None) -> list[str]:
    doc = run(body, ("organizations",), source=source)
    assert_offsets(doc)
    return [o.name for o in doc.organizations]


MSS = "Ministry of State Security"
MOSOC = "Ministry of Social Security"


def test_names_renamings_and_branches_map_to_the_national_organ():
    assert orgs("Bowibu agents and the State Security Department searched homes.") == [MSS]
    assert orgs("The MSS provincial bureau and the city's state security department met.") == [MSS]
    assert orgs("The Ministry of People's Security and Anjeonbu officers patrolled.") == [MOSOC]
    assert orgs("The Ministry of Social Security's Manpo branch fined them.") == [MOSOC]


def test_personnel_phrases_count_but_generic_agents_do_not():
    assert orgs("Prosecutors and border guards questioned inminban heads.") == [
        "Central Public Prosecutors Office", "Border Guard General Bureau", "inminban"]
    assert orgs("Youth League members and neighborhood unit heads were told.") == [
        "Socialist Patriotic Youth League", "inminban"]
    assert orgs("The authorities, officials, inspectors, soldiers and guards waited.") == []


def test_longest_match_party_and_central_committee():
    assert orgs("A directive from the Party Central Committee arrived.") == [
        "Central Committee of the Workers' Party of Korea"]
    assert orgs("He was expelled from the Party.") == ["Workers' Party of Korea"]
    assert orgs("They held a birthday party.") == []
    assert orgs("The Central Committee of the Socialist Patriotic Youth League met.") == [
        "Socialist Patriotic Youth League"]


def test_full_names_without_their_closing_of_korea():
    assert orgs("Members of the Union of Agricultural Workers and the General Federation of Trade "
                "Unions were mobilized.") == ["Union of Agricultural Workers of Korea",
                                               "General Federation of Trade Unions of Korea"]
    assert orgs("The Bank of Korea said prices rose.") == []


def test_local_party_committees_are_one_generic_entry():
    assert orgs("The Hyesan City Party Committee and the county Party committee met.") == [
        "provincial Party committee"]
    assert orgs("The provincial people's committee ordered it.") == ["People's Committee"]


def test_apposition_keeps_only_the_named_group():
    assert orgs("Inspection teams known as Group 109 searched homes.") == ["Group 109"]
    assert orgs("An inspection group sent by the provincial Party committee arrived.") == [
        "grouppa (inspection group)", "provincial Party committee"]


def test_foreign_bodies_detention_facilities_and_outlets_are_not_organizations():
    assert orgs("Chinese police handed them to Chinese border guards.") == []
    assert orgs("She was sent to a labor camp and he to a labor brigade.") == []
    assert orgs("KCNA and Rodong Sinmun reported it.") == []
    assert orgs("A source told Border Watch.", source="Border Watch") == []


def test_court_only_when_it_acts():
    assert orgs("A court in the city sentenced two women.") == ["Central Court"]
    assert orgs("Property was seized without a court ruling.") == []


def test_korean_organs_with_particles():
    found = orgs("혜산시 보위부는 단속을 벌였다. 보위원들에게 붙잡혔다. 인민반장 회의가 열렸다.")
    assert found == [MSS, "inminban"]
    assert orgs("양강도 보위국은 지시를 내렸다.") == [MSS]
    assert orgs("시당위원회 주관으로 109상무에 적발됐다.") == ["provincial Party committee", "Group 109"]


def test_mentions_and_bad_input():
    doc = run("Bowibu agents came. Later the Bowibu left.", ("organizations",))
    (mss,) = doc.organizations
    assert mss.name == MSS and [(m.start, m.end) for m in mss.mentions] == [(0, 6), (30, 36)]
    assert orgs("") == []
    assert orgs("no sentence punctuation bowibu and Bowibu") == [MSS]


@pytest.mark.skipif(not DEVSET.exists(), reason="shared devset not available")
def test_offsets_over_devset_and_trainset_bodies():
    for report in shared_reports([DEVSET, *[p for p in TRAINSET if p.exists()]]):
        assert_offsets(run(report.body, ("organizations",), source=report.source))


def test_plural_and_lowercase_forms():
    assert orgs("Non-Socialist Inspection Groups and the secret police arrived.") == [
        "grouppa (inspection group)", MSS]


def test_romanized_names_in_any_case_english_words_only_capitalized():
    assert orgs("the bowibu and anjeonbu came") == [MSS, MOSOC]
    assert orgs("a kitchen cabinet") == []
    assert orgs("The Cabinet met.") == ["Cabinet of the DPRK"]


def test_acronym_defined_in_the_report_follows_its_definition():
    body = "The Ministry of Social Security (MSS) fined traders. MSS officers returned."
    assert orgs(body) == [MOSOC]
    assert orgs("MSS officers returned.") == [MSS]


# -- the names outlets use (issue 17) --------------------------------------------------


@pytest.mark.parametrize("body, expected", [
    ("The police raided two houses.", [MOSOC]),
    ("Police in the city issued a decree.", [MOSOC]),
    ("Police in North Korea issued a decree near the border with China.", [MOSOC]),
    ("The North Korean equivalent of the police crossed into Changbai, China.", [MOSOC]),
    ("Two Peoples Safety Ministry agents were sent back.", [MOSOC]),
    ("The Ministry of Peoples Security took over the case.", [MOSOC]),
    ("The city social security department searched the market.", [MOSOC]),
    ("National Security Agency officers gave the lecture.", [MSS]),
    ("A team from the NSA arrived.", [MSS]),
    ("He was questioned by the provincial security department.", [MSS]),
    ("He was arrested by the defense security command.", ["Military Security Command"]),
    ("Officials from the Central Party came down.", ["Central Committee of the Workers' Party of Korea"]),
    ("Party cadres were the first to be questioned.", ["Workers' Party of Korea"]),
    ("The vice chairman of the Central Military Commission flew in.", ["Central Military Commission of the WPK"]),
    ("A vice chairman of the National Planning Commission was dismissed.", ["State Planning Commission"]),
    ("Officials of the Education Ministry were punished.", ["Ministry of Education"]),
    ("The Minister of Public Health resigned.", ["Ministry of Public Health"]),
    ("The lecturers spoke to neighbourhood watch groups.", ["inminban"]),
    ("The Central Procurator's Office sent a team.", ["Central Public Prosecutors Office"]),
])
def test_names_outlets_use_resolve_to_the_organ(body, expected):
    assert orgs(body) == expected


@pytest.mark.parametrize("body, expected", [
    ("The Political Bureau of the Workers' Party met.", ["Political Bureau of the WPK Central Committee"]),
    ("The Central Committee (of the Korean Workers' Party) gave the order.",
     ["Central Committee of the Workers' Party of Korea"]),
    ("Inspection teams from the Central Party were dispatched.",
     ["Central Committee of the Workers' Party of Korea"]),
    ("A lawmaker of the Saenuri Party said so.", []),
    ("His crimes were called anti-Party factionalism.", []),
    ("Supplies loosened after Party Foundation Day.", []),
    ("Notebooks were checked by their Party secretaries.", []),
    ("Local police in Yanji arrested three women.", []),
    ("Chinese police broke up the ring. Later, police found the brokers' ledgers.", []),
    ("Seoul's Ministry of Foreign Affairs declined to comment.", []),
    ("It is the task force that polices foreign films.", []),
])
def test_what_the_names_do_not_make(body, expected):
    assert orgs(body) == expected


@pytest.mark.parametrize("body, expected", [
    ("우리 당은 기회를 줬다.", ["Workers' Party of Korea"]),
    ("당 정책을 선전하는 강연회", ["Workers' Party of Korea"]),
    ("당시 주민들은 당국의 지시를 따랐다.", []),  # 당시 "then", 당국 "the authorities"
    ("중앙당의 지시가 내려왔다.", ["Central Committee of the Workers' Party of Korea"]),
    ("당 중앙위원회 전원회의를 앞두고", ["Central Committee of the Workers' Party of Korea"]),
    ("청년동맹 중앙위원회가 지시문을 내려보냈다.", ["Socialist Patriotic Youth League"]),
    ("노농적위대와 붉은청년근위대를 동원해", ["Worker-Peasant Red Guards", "Red Youth Guards"]),
    ("여맹학습에 참가한 여맹원은 80명이다.", ["Socialist Women's Union of Korea"]),
    ("인민반별로 보위원 2명씩을 파견해", ["inminban", MSS]),
    ("병사들은 해당 군부대 보위부로 넘겨진다.", ["Military Security Command"]),
    ("군 보위국이 사건을 맡았다.", ["Military Security Command"]),
    ("도보위국에 신고하는 바람에 보위당국에 비상이 걸렸다.", [MSS]),
])
def test_korean_organ_forms(body, expected):
    assert orgs(body) == expected
