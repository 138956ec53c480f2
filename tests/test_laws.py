"""The laws component on sentences we wrote, plus offset integrity."""

from __future__ import annotations

import pytest
from support.entities import DEVSET, TRAINSET, assert_offsets, run, shared_reports


def laws(body: str) -> list[tuple[str, int | None]]:
    doc = run(body, ("laws",))
    assert_offsets(doc)
    return [(law.name, law.article) for law in doc.laws]


def test_criminal_law_articles():
    assert laws("He faces charges under Article 221 of the Criminal Law.") == [
        ("Criminal Law, Article 221", 221)]
    assert laws("Calls abroad fall under Article 222.") == [("Criminal Law, Article 222", 222)]
    assert laws("They cited Articles 60 and 61 of the Criminal Law.") == [
        ("Criminal Law, Article 60", 60), ("Criminal Law, Article 61", 61)]


def test_criminal_law_without_article_only_when_no_article_is_cited():
    assert laws("They were convicted under the Criminal Law.") == [("Criminal Law of the DPRK", None)]
    assert laws("An article of the Criminal Law was amended; Article 208 now applies.") == [
        ("Criminal Law, Article 208", 208)]
    assert laws("It was a criminal act.") == []


def test_the_offence_of_illegal_international_communications_is_article_222():
    assert laws("He was charged with illegal international communication.") == [
        ("Criminal Law, Article 222", 222)]


def test_named_laws_under_their_other_names():
    rt = "Reactionary Ideology and Culture Rejection Law"
    assert laws("under the Reactionary Thought and Culture Rejection Act") == [(rt, None)]
    assert laws("since the reactionary thought law was adopted") == [(rt, None)]
    assert laws('the new law against "reactionary ideology and culture" bans it') == [(rt, None)]
    assert laws("the Youth Education Guarantee Act and the Pyongyang Cultural Language "
                "Protection Act") == [("Youth Education Guarantee Law", None),
                                      ("Pyongyang Cultural Language Protection Law", None)]
    assert laws("violating the state emergency anti-epidemic law") == [
        ("State Emergency Anti-Epidemic Law", None)]


def test_unknown_titles_become_laws_and_act_is_written_law():
    assert laws("Police enforce the Anti-Narcotics Act strictly.") == [("Anti-Narcotics Law", None)]
    assert laws("the Law on Mobile Telecommunications took effect") == [
        ("Law on Mobile Telecommunications", None)]
    assert laws("Under the law, the city decided.") == []
    assert laws("His Daughter-in-Law visited.") == []
    assert laws("South Korea's National Security Law was cited.") == []


def test_korean_law_names_and_articles():
    assert laws("‘반동사상문화배격법’ 해설 강연회가 열렸다. 비상방역법에 따라 처벌") == [
        ("Reactionary Ideology and Culture Rejection Law", None),
        ("State Emergency Anti-Epidemic Law", None)]
    assert laws("형법 제222조에 따라") == [("Criminal Law, Article 222", 222)]
    assert laws("새로운 방법으로 법을 지켰다") == []


def test_bad_input():
    assert laws("") == []
    assert laws("Article on the 45th") == []


@pytest.mark.skipif(not DEVSET.exists(), reason="shared devset not available")
def test_offsets_over_devset_and_trainset_bodies():
    for report in shared_reports([DEVSET, *[p for p in TRAINSET if p.exists()]]):
        assert_offsets(run(report.body, ("laws",)))


def test_long_names_in_lower_case_short_ones_capitalized():
    assert laws("the youth education guarantee law took effect") == [
        ("Youth Education Guarantee Law", None)]
    assert laws("under north korea's criminal law") == [("Criminal Law of the DPRK", None)]


def test_article_mentions_cover_the_citation_and_other_laws_keep_their_name():
    doc = run("He faces Article 221 of the Criminal Law, the source said.", ("laws",))
    (law,) = doc.laws
    assert [m.text for m in law.mentions] == ["Article 221 of the Criminal Law"]
    assert laws("Article 5 of the Youth Education Guarantee Law obliges parents; the "
                "Youth Education Guarantee Law is new.") == [("Youth Education Guarantee Law", 5)]


def test_two_titles_joined_by_and_stay_two_laws():
    assert laws("He violated the Mobile Telecommunications Act and the Anti-Socialist "
                "Behavior Law.") == [("Mobile Telecommunications Law", None),
                                     ("Anti-Socialist Behavior Law", None)]


# -- names seen in real reporting (issue 17) -------------------------------------------


@pytest.mark.parametrize("body, expected", [
    ("Police are enforcing the Rejection of Reactionary Thought and Culture Act this spring.",
     [("Reactionary Ideology and Culture Rejection Law", None)]),
    ("Lectures taught residents about the law against “reactionary thought” passed last year.",
     [("Reactionary Ideology and Culture Rejection Law", None)]),
    ("Cases once handled under the general criminal law now fall under special laws.",
     [("Criminal Law of the DPRK", None)]),
    ("The traders were charged under the precious metals control act.",
     [("Precious Metals Control Law", None)]),
    ("올해 국가비밀보호법과 적지물처리법이 채택됐다.",
     [("State Secrets Protection Law", None), ("Law on Handling Enemy Objects", None)]),
])
def test_law_names_in_real_reporting(body, expected):
    assert laws(body) == expected


def test_article_of_the_act_belongs_to_the_law_named_before():
    body = ("The new Youth Education Guarantee Act was read out. Article 41 of the Act "
            "sets the penalty for parents.")
    assert laws(body) == [("Youth Education Guarantee Law", 41)]
