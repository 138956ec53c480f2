"""The dates component: grammar, resolver, anaphora, robustness.

Every sentence here is written for these tests.  The devset/trainset tests only check
offsets and formats (never gold values) and skip when ../shared is absent.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tumen.analysis.components.dates import date_for_span
from tumen.analysis.dates import find_dates, first_occurrences
from tumen.analysis.dates import resolve as R
from tumen.analysis.pipeline import Pipeline, load_spacy, parse_iso_date
from tumen.record import Report
from tumen.analysis.text import sentence_spans

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
FORMATS = {
    "day": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    "month": re.compile(r"^\d{4}-(0[1-9]|1[0-2])$"),
    "year": re.compile(r"^\d{4}$"),
    "season": re.compile(r"^\d{4}-2[1-4]$"),
}


def valid(value: str, precision: str) -> bool:
    if not FORMATS[precision].match(value):
        return False
    if precision == "day":
        dt.date.fromisoformat(value)
    return True


@pytest.fixture(scope="module")
def nlp():
    return load_spacy()


def dates(body: str, published: str | None, nlp=None) -> dict[str, tuple[str, str]]:
    sdoc = nlp(body) if nlp is not None else None
    found, _ = find_dates(body, parse_iso_date(published), sdoc, sentence_spans(body))
    for f in found:
        assert body[f.start:f.end] == f.text
        assert valid(f.value, f.precision)
    return {f.text: (f.value, f.precision) for f in found}


# -- English ------------------------------------------------------------------------
def test_weekdays_are_on_or_before_publication(nlp):
    # 2023-03-16 is a Thursday: a story of that day names the day itself "Thursday"
    got = dates("Agents raided the market on Monday. On Thursday, two traders were fined. "
                "Last Friday a meeting was held.", "2023-03-16", nlp)
    assert got["on Monday"] == ("2023-03-13", "day")
    assert got["On Thursday"] == ("2023-03-16", "day")
    assert got["Last Friday"] == ("2023-03-10", "day")
    got = dates("Officials said Thursday the gate was shut. Last Thursday it was open.", "2023-03-16", nlp)
    assert got["Thursday"] == ("2023-03-16", "day")
    assert got["Last Thursday"] == ("2023-03-09", "day")
    # a weekday of a named calendar week (Monday to Sunday)
    got = dates("He was released on Monday last week and questioned again on Tuesday of this "
                "week.", "2023-03-16", nlp)
    assert got["on Monday last week"] == ("2023-03-06", "day")
    assert got["on Tuesday of this week"] == ("2023-03-14", "day")


def test_month_day_year_rules(nlp):
    got = dates("Two guides were detained on Dec. 30 near the river. The committee has set "
                "March 1 as the deadline. The order was issued on January 16, 2019.", "2022-01-05", nlp)
    assert got["on Dec. 30"] == ("2021-12-30", "day")  # a past event cannot follow publication
    assert got["March 1"] == ("2022-03-01", "day")  # a deadline keeps the year
    assert got["on January 16, 2019"] == ("2019-01-16", "day")


def test_iso_dates(nlp):
    got = dates("The notice dated 2019-01-16 was read out on 2019-01-18. Report no. 12-2019-01-30 "
                "and the invalid 2019-02-30 are not dates.", "2019-01-25", nlp)
    assert got == {"2019-01-16": ("2019-01-16", "day"), "on 2019-01-18": ("2019-01-18", "day")}


def test_spans_take_prepositions_and_modifiers(nlp):
    body = ("Patrols have searched homes since early August. Smugglers crossed on the night of "
            "Aug. 3, and residents must report by the end of the month. Since late last year, "
            "more detectors have arrived.")
    got = dates(body, "2019-08-22", nlp)
    assert got["since early August"] == ("2019-08", "month")
    assert got["on the night of Aug. 3"] == ("2019-08-03", "day")
    assert got["by the end of the month"] == ("2019-08", "month")
    assert got["Since late last year"] == ("2018", "year")


def test_bare_months_and_deadlines(nlp):
    got = dates("Rice cost about the same as in December. Every unit was told to finish "
                "the work by the end of March.", "2021-01-20", nlp)
    assert got["in December"] == ("2020-12", "month")
    assert got["by the end of March"] == ("2021-03", "month")
    got = dates("Households were told to hand in coal before the end of October.", "2017-11-02", nlp)
    assert got["before the end of October"] == ("2017-10", "month")


def test_the_end_of_a_range_follows_its_start(nlp):
    got = dates("The campaign runs from March 1 to April 30. The earlier one ran from Nov. 1 to "
                "Feb. 28. Between Dec. 28 and Jan. 3, agents searched homes.", "2024-03-14", nlp)
    assert got["April 30"] == ("2024-04-30", "day")
    assert got["from Nov. 1"] == ("2023-11-01", "day") and got["Feb. 28"] == ("2024-02-28", "day")
    assert got["Dec. 28"] == ("2023-12-28", "day") and got["Jan. 3"] == ("2024-01-03", "day")


def test_a_period_set_in_the_past_may_end_ahead(nlp):
    """"until / through" under a past verb: the end nearest publication, past or coming."""
    got = dates("The ministry has ordered tighter patrols through the end of March. Trading in "
                "the market was banned until the end of January. The campaign ran from October "
                "through December. The ban was extended until March 5.", "2025-02-20", nlp)
    assert got["through the end of March"] == ("2025-03", "month")
    assert got["until the end of January"] == ("2025-01", "month")
    assert got["through December"] == ("2024-12", "month")
    assert got["until March 5"] == ("2025-03-05", "day")


def test_relative_months_and_years(nlp):
    body = ("Prices doubled last month. Inspections began earlier this month and will run "
            "through the end of the year. The fence was built at the end of last year, "
            "late last year the patrols began, and a similar campaign ran two years ago and "
            "a decade ago. Checks have continued since the start of this year.")
    got = dates(body, "2024-05-09", nlp)
    assert got["last month"] == ("2024-04", "month")
    assert got["earlier this month"] == ("2024-05", "month")
    assert got["through the end of the year"] == ("2024", "year")
    assert got["at the end of last year"] == ("2023-12", "month")
    assert got["late last year"] == ("2023", "year")
    assert got["two years ago"] == ("2022", "year")
    assert got["a decade ago"] == ("2014", "year")
    assert got["since the start of this year"] == ("2024", "year")


def test_seasons_follow_tense(nlp):
    got = dates("Rice sold well above last autumn's prices. Brokers worked openly in the spring.",
                "2019-10-10", nlp)
    assert got["last autumn"] == ("2018-23", "season")
    assert got["in the spring"] == ("2019-21", "season")
    got = dates("If the closure lasts through the spring, families will go hungry.", "2020-02-20", nlp)
    assert got["through the spring"] == ("2020-21", "season")
    got = dates("Workers are being mobilized through the winter. Coal costs twice the price of "
                "last winter.", "2026-01-22", nlp)
    assert got["through the winter"] == ("2025-24", "season")
    assert got["last winter"] == ("2024-24", "season")
    got = dates("The last such case took place in the autumn of 2017.", "2019-03-01", nlp)
    assert got["in the autumn of 2017"] == ("2017-23", "season")


def test_event_anchored_and_vague_phrases_are_not_dates(nlp):
    body = ("Farmers were sent to the autumn harvest and to help with spring planting. "
            "Recently, prices rose. Last week officials met. In recent months brokers vanished. "
            "That day, guards patrolled. He served for two years. The Day of the Sun passed. "
            "A kilogram cost 2,000 won and 1999 won for corn. We met at 3 p.m.")
    assert dates(body, "2022-05-01", nlp) == {}


def test_ordinal_days(nlp):
    got = dates("A source said on the 4th that a trial was held on the 30th of last month. "
                "Students were criticized on the 3rd. The 8th Party Congress was mentioned.",
                "2020-12-05", nlp)
    assert got["on the 4th"] == ("2020-12-04", "day")
    assert got["on the 30th of last month"] == ("2020-11-30", "day")
    assert got["on the 3rd"] == ("2020-12-03", "day")
    assert len(got) == 3


def test_juche_years_and_seasons_of_relative_years(nlp):
    got = dates("One day in November Juche 103 (2014), he visited the farm. The campaign began "
                "in the autumn of last year and ends by year-end.", "2024-08-06", nlp)
    assert got["in November Juche 103 (2014)"] == ("2014-11", "month")
    assert got["in the autumn of last year"] == ("2023-23", "season")
    assert got["by year-end"] == ("2024", "year")


def test_ordinal_modifying_a_noun_is_not_a_date(nlp):
    got = dates("After the news on the 22nd emergency meeting, agents came on the 2nd and left.",
                "2024-08-06", nlp)
    assert got == {"on the 2nd": ("2024-08-02", "day")}


def test_without_publication_only_dates_with_their_own_year():
    got = dates("On Monday agents came. The law of December 2020 and the rules of 2015 apply "
                "since last year.", None)
    assert got == {"December 2020": ("2020-12", "month"), "2015": ("2015", "year")}


# -- expression kinds of news copy (issue 18) ------------------------------------------
def found(body: str, published: str, nlp=None) -> dict[str, object]:
    sdoc = nlp(body) if nlp is not None else None
    out, _ = find_dates(body, parse_iso_date(published), sdoc, sentence_spans(body))
    for f in out:
        assert body[f.start:f.end] == f.text and valid(f.value, f.precision)
    return {f.text: f for f in out}


def test_weekdays_in_future_or_planned_clauses_are_the_coming_ones(nlp):
    # 2024-03-13 is a Wednesday
    got = dates("The border talks are set to resume Monday. Officials will visit the county on "
                "Friday. The market stays shut until Saturday. The guards came back Tuesday.",
                "2024-03-13", nlp)
    assert got["Monday"] == ("2024-03-18", "day")
    assert got["on Friday"] == ("2024-03-15", "day")
    assert got["until Saturday"] == ("2024-03-16", "day")
    assert got["Tuesday"] == ("2024-03-12", "day")
    # a to-infinitive takes the tense of the verb it hangs on
    got = dates("Crowds gathered in the square to mark the anniversary on Tuesday. A briefing "
                "is scheduled for Friday.", "2024-03-13", nlp)
    assert got["on Tuesday"] == ("2024-03-12", "day")
    assert got["Friday"] == ("2024-03-15", "day")
    # a possessive weekday names a day that has passed, even under "would"
    got = dates("Relatives said they would challenge Monday's verdict.", "2024-03-13", nlp)
    assert got["Monday"] == ("2024-03-11", "day")
    # a weekday with its date: the year in which that day falls on that weekday
    got = dates("The paper wrote in a column on Saturday, March 16: the rules were harsh.", "2024-03-15", nlp)
    assert got["on Saturday, March 16"] == ("2024-03-16", "day")


def test_plans_and_deferrals_point_forward_whatever_the_tense(nlp):
    # 2024-03-15 is a Friday: a weekday something is planned for, or put off until, is
    # the coming one even under a past verb
    got = dates("Farmers planned a protest outside the county office on Saturday and were planning "
                "to march to the station on Monday. The court postponed until Tuesday any ruling "
                "on the appeal. The ministry has scheduled a briefing Thursday. Guards searched "
                "the train on Wednesday.", "2024-03-15", nlp)
    assert got["on Saturday"] == ("2024-03-16", "day")
    assert got["on Monday"] == ("2024-03-18", "day")
    assert got["until Tuesday"] == ("2024-03-19", "day")
    assert got["Thursday"] == ("2024-03-21", "day")
    assert got["on Wednesday"] == ("2024-03-13", "day")
    # news copy's present schedules ("meet Monday"); a present that tells does not
    got = dates("The two envoys meet separately Monday with the mediator. Officials say Tuesday "
                "was calm. The bridge stays shut since Wednesday.", "2024-03-15", nlp)
    assert got["Monday"] == ("2024-03-18", "day")
    assert got["Tuesday"] == ("2024-03-12", "day")
    assert got["since Wednesday"] == ("2024-03-13", "day")
    # the day the planning was done, and a plan that was called off, lie behind
    got = dates("On Tuesday, the county committee planned to send brigades to the farms. A rally "
                "planned in the square for Wednesday was called off.", "2024-03-15", nlp)
    assert got["On Tuesday"] == ("2024-03-12", "day")
    assert got["Wednesday"] == ("2024-03-13", "day")
    # "is expected in", a passive to-infinitive: ahead; "may have been": behind
    got = dates("The handover is expected in December. New rules to be published in early "
                "November will set the quota. The fire may have been started on Tuesday.",
                "2023-10-30", nlp)
    assert got["in December"] == ("2023-12", "month")
    assert got["in early November"] == ("2023-11", "month")
    assert got["on Tuesday"] == ("2023-10-24", "day")
    # the current (fiscal) year is the publication year; "the fiscal year" alone is not a date
    got = dates("Output in the current fiscal year will fall, and the current year is hard. "
                "Last fiscal year was better. The fiscal year ends in June.", "2023-10-30", nlp)
    assert got["in the current fiscal year"] == ("2023", "year")
    assert got["the current year"] == ("2023", "year")
    assert got["Last fiscal year"] == ("2022", "year")
    assert not any("fiscal year ends" in text for text in got)
    # Korean: a plan (예정) or a postponement (연기) to a day is the coming day
    got = dates("당국은 다음 주 월요일에 회의를 열 예정이다. 장마당 단속은 오는 20일까지 연기됐다.",
                "2024-03-15", nlp)
    assert got["다음 주 월요일에"] == ("2024-03-18", "day")
    assert got["오는 20일까지"] == ("2024-03-20", "day")


def test_today_tonight_tomorrow(nlp):
    got = dates("Officials said today that the bridge reopens tomorrow; a rally is planned tonight.",
                "2024-03-13", nlp)
    assert got["today"] == ("2024-03-13", "day")
    assert got["tomorrow"] == ("2024-03-14", "day")
    assert got["tonight"] == ("2024-03-13", "day")
    # generic or title uses are not dates
    assert dates("The youth of tomorrow listen to Radio Free Today.", "2024-03-13", nlp) == {}
    # a possessive dates an event or an edition ("tomorrow's vote"), not an age ("today's youth")
    got = dates("The county council called tomorrow's vote a formality, as today's papers noted. "
                "Today's youth think otherwise.", "2024-03-13", nlp)
    assert got == {"tomorrow": ("2024-03-14", "day"), "today": ("2024-03-13", "day")}


def test_years_counted_from_another_date(nlp):
    got = dates("Output fell 8% from a year ago. Sales were flat compared with a year earlier. "
                "The plant opened in 2015. The following year it doubled its staff, and that year "
                "it exported coal.", "2024-03-13", nlp)
    assert got["from a year ago"] == ("2023", "year")
    assert got["a year earlier"] == ("2023", "year")
    assert got["The following year"] == ("2016", "year")
    assert got["that year"] == ("2016", "year")
    # "a year earlier" counts from a date of its own sentence when there is one
    got = dates("In 2019 the mine closed; a year earlier it had been raided.", "2024-03-13", nlp)
    assert got["a year earlier"] == ("2018", "year")


def test_quarters_and_fiscal_years(nlp):
    got = found("Exports in the third quarter fell, third-quarter prices rose, and the fourth "
                "quarter of 2022 was worse. Next year's first quarter looks better. In fiscal 2021 "
                "the firm lost money.", "2023-11-02", nlp)
    q3 = got["in the third quarter"]
    assert (q3.value, q3.precision, q3.range) == ("2023", "year", ["2023-07-01", "2023-09-30"])
    assert got["third-quarter"].value == "2023"
    q4 = got["the fourth quarter of 2022"]
    assert (q4.value, q4.range) == ("2022", ["2022-10-01", "2022-12-31"])
    q1 = got["Next year's first quarter"]
    assert (q1.value, q1.range) == ("2024", ["2024-01-01", "2024-03-31"])
    assert (got["In fiscal 2021"].value, got["In fiscal 2021"].precision) == ("2021", "year")
    # a quarter that starts after publication, in a past clause, is last year's
    got = found("Exports fell sharply in the fourth quarter.", "2024-02-10", nlp)
    assert got["in the fourth quarter"].value == "2023"


def test_spelled_out_years_and_year_ranges(nlp):
    got = found("Prices peaked in nineteen ninety-four and again in the year two thousand. The "
                "1957-58 famine and the 1998-2000 crisis are remembered.", "2005-06-01", nlp)
    assert got["in nineteen ninety-four"].value == "1994"
    assert got["in the year two thousand"].value == "2000"
    r = got["1957-58"]
    assert (r.value, r.precision, r.range) == ("1957", "year", ["1957-01-01", "1958-12-31"])
    assert got["1998-2000"].range == ["1998-01-01", "2000-12-31"]
    # a spelled number before a noun is a count
    assert dates("About two thousand troops and nineteen hundred people came.", "2005-06-01", nlp) == {}
    # a century and two digits is a year without a preposition too, even before a noun;
    # "the year two thousand" before a verb is a year
    got = dates("Pyongyang, nineteen ninety-six: a famine year. A nineteen ninety-seven decree "
                "followed. The goal of doubling output by the year two thousand has been dropped. "
                "The rations were cut in nineteen ninety-five on an order from above.", "2005-06-01", nlp)
    assert got["nineteen ninety-six"] == ("1996", "year")
    assert got["nineteen ninety-seven"] == ("1997", "year")
    assert got["by the year two thousand"] == ("2000", "year")
    assert got["in nineteen ninety-five"] == ("1995", "year")


def test_month_days_by_tense(nlp):
    # early November: a present-tense plan takes the coming date, a past event the last one
    got = dates("The dividend is payable Jan. 2. The new rules take effect Nov. 21. Police "
                "raided the market on Nov. 20.", "2023-11-02", nlp)
    assert got["Jan. 2"] == ("2024-01-02", "day")
    assert got["Nov. 21"] == ("2023-11-21", "day")
    assert got["on Nov. 20"] == ("2022-11-20", "day")
    got = dates("Flights will run from March 30. He was shot last Oct. 23.", "2024-02-13", nlp)
    assert got["from March 30"] == ("2024-03-30", "day")
    assert got["last Oct. 23"] == ("2023-10-23", "day")
    got = dates("The summit was planned for early April.", "2024-02-13", nlp)
    assert got["early April"] == ("2024-04", "month")
    # when something applies, falls due or runs out: the date nearest publication, even
    # under a past verb
    got = dates("The board declared a bonus payable Dec. 7. The ministry issued a decree going "
                "into effect Jan. 1.", "2023-10-27", nlp)
    assert got["Dec. 7"] == ("2023-12-07", "day")
    assert got["Jan. 1"] == ("2024-01-01", "day")


def test_weekends_and_names_that_are_not_months(nlp):
    got = found("Guards were doubled last weekend and will be again next weekend.", "2024-03-13", nlp)
    last = got["last weekend"]
    assert (last.value, last.precision, last.range) == ("2024-03-09", "day", ["2024-03-09", "2024-03-10"])
    assert got["next weekend"].range == ["2024-03-23", "2024-03-24"]
    assert dates("Jan Novak marched at the annual March for Peace.", "2024-03-13", nlp) == {}
    assert dates('Women led the "March of the Mothers" past the embassy.', "2024-03-13", nlp) == {}


# -- Korean -------------------------------------------------------------------------
def test_korean_forms():
    body = ("소식통은 13일 전했다. 지난 11일 장마당에서 쌀값이 올랐고 지난 20일에는 단속이 있었다. "
            "한 달 전과 비교하면 비싸다. 지난달 말부터 단속하고 있다. 올해 여름부터 밀수가 끊겼다. "
            "겨울을 앞두고 땔감 값이 올랐다. 지난해 이맘때보다 두 배다. 이달 초 지시가 내려왔다. "
            "지난해 12월 법이 채택됐다. 지난달 22일 체포됐다.")
    got = dates(body, "2024-11-14")
    assert got["13일"] == ("2024-11-13", "day")
    assert got["지난 11일"] == ("2024-11-11", "day")
    assert got["지난 20일에는"] == ("2024-10-20", "day")  # after the publication day
    assert got["한 달 전과"] == ("2024-10", "month")
    assert got["지난달 말부터"] == ("2024-10", "month")
    assert got["올해 여름부터"] == ("2024-22", "season")
    assert got["겨울을 앞두고"] == ("2024-24", "season")
    assert got["지난해 이맘때보다"] == ("2023-11", "month")
    assert got["이달 초"] == ("2024-11", "month")
    assert got["지난해 12월"] == ("2023-12", "month")
    assert got["지난달 22일"] == ("2024-10-22", "day")
    # "지난 / 오는" before a month and day: the last one, the coming one
    got = dates("지난 1월 16일부터 회의가 진행됐다. 지난 12월 28일 체포됐다. 오는 3월 5일까지 제출하라는 "
                "지시가 내려왔다.", "2024-03-14")
    assert got == {"지난 1월 16일부터": ("2024-01-16", "day"), "지난 12월 28일": ("2023-12-28", "day"),
                   "오는 3월 5일까지": ("2025-03-05", "day")}


def test_days_ago_and_yesterday():
    got = dates("Agents raided the market three days ago and yesterday fined traders. "
                "소식통은 5일 전 단속이 있었다고 전했다. 이틀 전에는 회의가 열렸다. 어제 지시가 내려왔다. "
                "소식통은 13일 전했다.", "2024-11-14")
    assert got["three days ago"] == ("2024-11-11", "day")
    assert got["yesterday"] == ("2024-11-13", "day")
    assert got["5일 전"] == ("2024-11-09", "day")
    assert got["이틀 전에는"] == ("2024-11-12", "day")
    assert got["어제"] == ("2024-11-13", "day")
    assert got["13일"] == ("2024-11-13", "day")  # "전했다" is a verb, not "ago"


def test_korean_today_tomorrow_weekend_next_month():
    # 2024-03-13 is a Wednesday
    got = found("오늘 장마당이 닫혔다. 내일부터 단속이 시작된다. 모레 회의가 있다. 지난 주말 강연회가 "
                "열렸고 다음 주말에도 열린다. 다음 달 검열이 있다.", "2024-03-13")
    assert got["오늘"].value == "2024-03-13"
    assert got["내일부터"].value == "2024-03-14"
    assert got["모레"].value == "2024-03-15"
    weekend = got["지난 주말"]
    assert (weekend.value, weekend.precision, weekend.range) == ("2024-03-09", "day", ["2024-03-09", "2024-03-10"])
    assert got["다음 주말에도"].range == ["2024-03-23", "2024-03-24"]
    assert (got["다음 달"].value, got["다음 달"].precision) == ("2024-04", "month")
    # 오늘날 (nowadays) and 오늘의 (today's, as in a title) are not dates
    assert dates("오늘날 주민들은 `오늘의 소식`을 듣는다.", "2024-03-13") == {}


def test_korean_quarters_and_years_counted_from_another():
    got = found("올해 3분기 수출이 줄었다. 2019년 상반기에 공사가 끝났다. 4/4분기까지 모두 회수하라. "
                "2015년에 공장이 세워졌고 이듬해 문을 닫았다. 그해 가을 다시 열었다.", "2024-11-02")
    q3 = got["올해 3분기"]
    assert (q3.value, q3.precision, q3.range) == ("2024", "year", ["2024-07-01", "2024-09-30"])
    assert got["2019년 상반기에"].range == ["2019-01-01", "2019-06-30"]
    assert got["4/4분기까지"].range == ["2024-10-01", "2024-12-31"]
    assert got["이듬해"].value == "2016"
    assert got["그해"].value == "2016"


def test_korean_non_dates():
    body = "가을걷이에 동원됐다. 30일 동안 격리했다. 해마다 가을이면 겨울을 나곤 했다. 지시를 전달하는 회의."
    assert dates(body, "2024-11-14") == {}


def test_korean_prices_durations_plans_and_year_end():
    # numbers glued to a unit are prices or counts, never years; "N일 만인" is a duration
    body = "쌀값이 kg당 1900∼2000원으로 올랐고 옥수수는 1800원이다. 탈북한 지 3일 만인 19일 체포됐다."
    assert dates(body, "2023-05-06") == {"19일": ("2023-04-19", "day")}
    # a plan from a day after publication is this month's; a date days ahead of publication
    # is this year's even in a past clause
    got = dates("주민 이주작업은 21일부터 시작될 예정이다. 명절(4월 15일)을 앞두고 경비가 강화됐다.", "2023-04-11")
    assert got["21일부터"] == ("2023-04-21", "day")
    assert got["4월 15일"] == ("2023-04-15", "day")
    # 연말 as a point is December; bounding a period ("연말까지") it is the year
    got = dates("연말을 맞아 검열이 시작됐다. 연말까지 끝내라는 지시다.", "2023-11-20")
    assert got["연말을"] == ("2023-12", "month")
    assert got["연말까지"] == ("2023", "year")


def test_days_written_in_figures(nlp):
    got = dates("2016/Sept/18 Border guards were rotated (Sources: a news site, 21/05/2014). "
                "The order of 2023.10.01 and the raid of 9/21/2016 were reported.", "2016-09-20", nlp)
    assert got["2016/Sept/18"] == ("2016-09-18", "day")
    assert got["21/05/2014"] == ("2014-05-21", "day")
    assert got["2023.10.01"] == ("2023-10-01", "day")
    assert got["9/21/2016"] == ("2016-09-21", "day")
    # which figure is the month is not written: no day; a link's path is no date
    got = dates("It happened on 05/06/2014. See https://example.com/2018/11/08/raids for more.", "2016-09-20", nlp)
    assert got == {"2014": ("2014", "year")}
    # Korean copy writes days with dots too
    assert dates("보위부는 2023.10.1 검열을 시작했다.", "2023-10-05") == {"2023.10.1": ("2023-10-01", "day")}


def test_years_far_ahead_after_a_preposition(nlp):
    got = dates("The bonds can be redeemed in 2029; the forestry plan runs through 2035. Exports "
                "rose by 2040 tons, and the counter hit 2090.", "2020-05-01", nlp)
    assert got == {"in 2029": ("2029", "year"), "through 2035": ("2035", "year")}


def test_end_of_a_year_and_days_just_after_publication(nlp):
    got = dates("The quarantine was extended through the end of 2020. Prices rose at the end of "
                "2019 and should halve by the end of 2021.", "2020-04-29", nlp)
    assert got["through the end of 2020"] == ("2020", "year")
    assert got["at the end of 2019"] == ("2019-12", "month")
    assert got["by the end of 2021"] == ("2021", "year")
    # a month-day a few days after publication is not last year's, even in a past clause
    got = dates("Patrols were doubled for a watch week from May 2 to 10. Guards were "
                "arrested on May 20.", "2016-05-01", nlp)
    assert got["from May 2"] == ("2016-05-02", "day")
    assert got["on May 20"] == ("2015-05-20", "day")


def test_mixed_korean_and_english(nlp):
    got = dates("Residents of 혜산 were told on Monday; 소식통은 9일 전했다.", "2021-03-10", nlp)
    assert got["on Monday"] == ("2021-03-08", "day")
    assert got["9일"] == ("2021-03-09", "day")


# -- the component, anaphora and date_for_span ----------------------------------------
@pytest.fixture(scope="module")
def pipeline():
    return Pipeline(components=["dates"]).initialize()


def test_component_lists_each_text_once_and_resolves_anaphora(pipeline):
    body = ("Agents detained two men on March 6. The next day, their families were questioned. "
            "On Monday, inminban heads met. Prices rose on Monday, up from 4,000 won in January. "
            "That day the market closed.")
    doc = pipeline(Report(id="t1", body=body, published="2018-03-15"))
    texts = [d.text for d in doc.dates]
    assert texts == ["on March 6", "On Monday", "on Monday", "in January"]
    assert all(body[d.start:d.end] == d.text for d in doc.dates)
    assert [d.start for d in doc.dates] == sorted(d.start for d in doc.dates)
    anaphora = doc.date_anaphora
    assert (body.index("The next day"), body.index("The next day") + 12, "2018-03-07", "day") in anaphora
    assert not any(d.text.lower().startswith(("the next", "that day")) for d in doc.dates)
    # the evidence sentence dates its event through the anaphor
    s2 = doc.sentences[1]
    ref = date_for_span(doc, *s2)
    assert (ref.value, ref.precision) == ("2018-03-07", "day")
    # a comparison ("up from ... in January") does not date the event
    s4 = doc.sentences[3]
    assert date_for_span(doc, *s4).value == "2018-03-12"
    # "That day" follows the last resolved day (Monday, March 12)
    s5 = doc.sentences[4]
    assert date_for_span(doc, *s5).value == "2018-03-12"
    assert date_for_span(doc, 0, 5) is None


def test_korean_anaphora_resolve_against_the_last_stated_day():
    body = "지난 6일 보위부가 두 사람을 체포했다. 이튿날 가족들이 조사를 받았다. 그 전날 회의가 열렸다. 이날 장마당이 닫혔다."
    found, anaphora = find_dates(body, dt.date(2018, 3, 15))
    assert [(f.text, f.value) for f in found] == [("지난 6일", "2018-03-06")]
    got = {a.text: a.value for a in anaphora}
    assert got["이튿날"] == "2018-03-07"
    assert got["그 전날"] == "2018-03-05"  # anaphora count from a stated day, not from each other
    assert got["이날"] == "2018-03-06"


def test_date_for_span_skips_deadlines_comparisons_and_report_days(pipeline):
    from tumen.analysis.components.dates import dates_in_span

    body = ("A source in the city told the outlet on the 8th that agents raided the market on the 5th. "
            "The committee has set March 30 as the deadline for the levy. "
            "Rice now sells well above last winter's prices. "
            "Traders were fined, the most since 2019.")
    doc = pipeline(Report(id="t3", body=body, published="2024-03-10"))
    s1, s2, s3, s4 = doc.sentences
    assert date_for_span(doc, *s1).value == "2024-03-05"
    roles = [role for _ref, role in dates_in_span(doc, *s1)]
    assert roles == ["report", "event"]
    assert date_for_span(doc, *s2) is None
    assert date_for_span(doc, *s3) is None
    assert date_for_span(doc, *s4) is None
    # a trailing attribution that the parser hangs on the content ("..., a source told X on ...")
    body = ("Rice prices at the main market climbed to 7,800 won per kilogram, up from 6,200 won "
            "at the start of May, a source in Ryanggang Province told this outlet on June 10.")
    doc = pipeline(Report(id="t5", body=body, published="2025-06-12"))
    assert [role for _ref, role in dates_in_span(doc, *doc.sentences[0])] == ["comparison", "report"]
    ko = "소식통은 6일 현장소식에 전해왔다. 지난 3일 장마당에서 단속이 있었다. 쌀값은 한 달 전과 비교하면 올랐다. 다음 날 회의가 열렸다."
    doc = pipeline(Report(id="t4", body=ko, published="2024-03-07"))
    k1, k2, k3, k4 = doc.sentences
    assert date_for_span(doc, *k1) is None
    assert date_for_span(doc, *k2).value == "2024-03-03"
    assert date_for_span(doc, *k3) is None
    assert date_for_span(doc, *k4).value == "2024-03-04"  # the day after the 3rd, not after the 6th


def test_record_shape(pipeline):
    doc = pipeline(Report(id="t2", body="On Tuesday agents came.", published="2022-06-09"))
    rec = doc.to_record().to_dict()
    assert rec["dates"] == [{"text": "On Tuesday", "value": "2022-06-07", "precision": "day",
                             "start": 0, "end": 10,
                             "mentions": [{"text": "On Tuesday", "start": 0, "end": 10}]}]


def test_record_dates_carry_every_mention(pipeline):
    body = ("Guards were doubled in March. In March the market closed early; on Monday it "
            "reopened, and in March traders were fined again.")
    doc = pipeline(Report(id="m1", body=body, published="2022-06-09"))
    rec = doc.to_record().to_dict()
    by_text = {d["text"]: d for d in rec["dates"]}
    assert [d["text"] for d in rec["dates"]] == ["in March", "In March", "on Monday"]
    first = by_text["in March"]
    assert (first["start"], first["end"]) == (first["mentions"][0]["start"], first["mentions"][0]["end"])
    assert [body[m["start"]:m["end"]] for m in first["mentions"]] == ["in March", "in March"]
    assert len(by_text["In March"]["mentions"]) == 1


def test_a_day_inside_a_quotation_counts_from_the_day_the_source_spoke(pipeline):
    body = ("평안북도의 한 소식통은 7일 “어제 공장에서 강연회가 열렸다”고 전했다. "
            "다른 소식통은 “어제(4일) 지시가 내려왔다”고 말했다.")
    doc = pipeline(Report(id="q1", body=body, published="2024-03-09"))
    got = {d.text: d.value for d in doc.dates}
    assert got["7일"] == "2024-03-07"
    assert doc.dates[1].text == "어제" and doc.dates[1].value == "2024-03-06"  # the day before the 7th
    assert [m.start for m in doc.dates[1].mentions] == [body.index("어제"), body.index("어제(4일)")]
    first, second = doc.sentences[:2]
    assert date_for_span(doc, *first).value == "2024-03-06"
    assert date_for_span(doc, *second).value == "2024-03-04"  # the day in brackets
    # "yesterday" outside any quotation stays the day before publication
    doc = pipeline(Report(id="q2", body="Police fined two traders yesterday.", published="2024-03-09"))
    assert doc.dates[0].value == "2024-03-08"


@pytest.mark.parametrize("body,published,expected", [
    # the event in late February; Tuesday is when the source spoke
    ("A new order on phones came down in late February, a source said on Tuesday.", "2024-03-14", "2024-02"),
    # the order came down on March 4; Monday is when it took effect
    ("The order came down on March 4 and took effect from Monday.", "2024-03-14", "2024-03-04"),
    # a trailing attribution dates the telling whoever tells it
    ("A platoon leader was arrested in mid-August for smuggling sugar, a guard in the county "
     "told the outlet on Sept. 1.", "2020-09-04", "2020-08"),
    ("Four cooks from a restaurant abroad have defected, it emerged on Monday.", "2024-03-13", None),
    ("SEOUL -- Guards in a rare pursuit shot dead three men who fled across the river, a "
     "newspaper in the capital reported on Tuesday.", "2024-03-12", None),
    ("A soldier swam across the river, according to a report released on Tuesday.", "2024-03-13", None),
    # a deadline is not the event's date
    ("Residents were told to hand in their radios by Friday.", "2024-03-13", None),
    # the day opening a Korean sentence before the source is when the source spoke
    ("17일 데일리NK 양강도 소식통은 “지난 5일 군인 2명이 적발됐다”고 전했다.", "2024-03-18", "2024-03-05"),
    ("소식통(신변안전 위해 익명 요청)은 12일 “주민들이 체포됐다”고 말했다.", "2024-03-13", None),
    # a dateline dates the story, not the event
    ("SEOUL, March 12 (Agency) -- A guard died after an assault in the border city.", "2024-03-12", None),
])
def test_incident_dates_skip_speaking_days_deadlines_and_effect_dates(pipeline, body, published, expected):
    doc = pipeline(Report(id="r", body=body, published=published))
    got = date_for_span(doc, 0, len(body))
    assert (got.value if got else None) == expected


def test_anaphora_of_evenings_and_the_same_day(pipeline):
    body = ("Agents detained two brokers on March 3. Later that same day, their homes were "
            "searched. The following evening a meeting was called. 소식통에 따르면 지난 5일 체포가 있었고 "
            "이튿날 공개재판이 열렸다.")
    doc = pipeline(Report(id="a", body=body, published="2024-03-20"))
    s = doc.sentences
    assert date_for_span(doc, *s[1]).value == "2024-03-03"
    assert date_for_span(doc, *s[2]).value == "2024-03-04"
    assert date_for_span(doc, body.index("이튿날"), len(body)).value == "2024-03-06"


@pytest.mark.parametrize("body,published", [
    ("", "2022-01-01"),
    ("no punctuation at all just words on Monday and in March and since spring", "2022-01-01"),
    ("He said it happened on the 45th of last month, on Feb. 31 and on the 0th.", "2022-01-01"),
    ("Last year, next year and into next year, on Monday.", "9999-12-31"),
    ("Last year, last month, on Monday, last winter, two years ago.", "0001-01-01"),
    ("On Monday in 2019, late last year, 지난 3일.", None),
    ("On Monday in 2019, late last year.", "2031-07-04"),
])
def test_bad_input_never_crashes(pipeline, body, published):
    doc = pipeline(Report(id="bad", body=body, published=published))
    assert not doc.errors
    for d in doc.dates:
        assert body[d.start:d.end] == d.text and valid(d.value, d.precision)
    if "45th" in body:
        assert all("45" not in d.text and "31" not in d.text for d in doc.dates)


def test_one_megabyte_body_without_parse():
    para = "Agents came on Monday and again on Oct. 28, since early August. " * 40 + "\n\n"
    body = (para * (1_000_000 // len(para) + 1))[:1_000_000]
    found, _ = find_dates(body, dt.date(2019, 11, 8))
    assert len(first_occurrences(found)) == 3
    assert len(found) > 10_000


# -- property tests of the resolver ---------------------------------------------------
pubs = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31))


@given(pubs, st.integers(0, 6))
def test_weekday_on_or_before_and_on_or_after(pub, wd):
    before = dt.date.fromisoformat(R.weekday_on_or_before(pub, wd)[0])
    after = dt.date.fromisoformat(R.weekday_on_or_after(pub, wd)[0])
    assert before.weekday() == after.weekday() == wd
    assert 0 <= (pub - before).days <= 6 and 0 <= (after - pub).days <= 6


@given(pubs, st.integers(0, 6))
def test_weekday_is_the_last_one_strictly_before(pub, wd):
    value, precision = R.weekday_before(pub, wd)
    day = dt.date.fromisoformat(value)
    assert precision == "day" and day.weekday() == wd and 1 <= (pub - day).days <= 7


@given(pubs, st.integers(1, 12), st.integers(1, 31), st.booleans())
def test_month_day_never_puts_a_past_event_after_publication(pub, month, day, forward):
    got = R.month_day(pub, month, day, forward)
    if got is None:
        return
    assert valid(*got)
    when = dt.date.fromisoformat(got[0])
    if not forward:
        assert when <= pub
    assert (when.month, when.day) == (month, day) and abs(when.year - pub.year) <= 1


@given(pubs, st.integers(1, 12), st.booleans())
def test_bare_month(pub, month, forward):
    value, precision = R.bare_month(pub, month, forward)
    assert valid(value, precision)
    y, m = map(int, value.split("-"))
    assert m == month
    if not forward:
        assert (y, m) <= (pub.year, pub.month) and (pub.year * 12 + pub.month) - (y * 12 + m) < 12
    else:
        assert (y * 12 + m) - (pub.year * 12 + pub.month) < 12


@given(pubs, st.integers(1, 31), st.sampled_from([None, -1, 0]))
def test_day_of_month(pub, day, offset):
    got = R.day_of_month(pub, day, offset)
    if got is None:
        return
    assert valid(*got)
    if offset is None:
        assert dt.date.fromisoformat(got[0]) <= pub


@given(pubs, st.sampled_from([21, 22, 23, 24]))
def test_seasons(pub, code):
    for fn in (R.season_last, R.season_past, R.season_forward, R.season_this, R.season_next):
        value, precision = fn(pub, code)
        assert valid(value, precision) and value.endswith(str(code))
    start, end = R.season_bounds(int(R.season_last(pub, code)[0][:4]), code)
    assert end < pub
    start, end = R.season_bounds(int(R.season_past(pub, code)[0][:4]), code)
    assert start <= pub
    start, end = R.season_bounds(int(R.season_forward(pub, code)[0][:4]), code)
    assert end >= pub and (start - pub).days < 366


WORDS = st.sampled_from([
    "on", "in", "since", "by", "until", "last", "this", "next", "the", "end", "of", "early",
    "late", "mid-", "Monday", "Friday", "March", "May", "Oct.", "Dec.", "spring", "winter",
    "autumn", "year", "month", "ago", "two", "a", "decade", "2019", "2020", "28", "3rd",
    "30th", "week", "day", "that", "next", "지난", "9일", "지난달", "말", "올해", "여름", "부터",
    "한", "달", "전", ",", ".", "will", "were", "45th", "0", "99",
])


@settings(max_examples=200, deadline=None)
@given(st.lists(WORDS, max_size=30), pubs | st.none())
def test_any_text_gives_valid_dates_never_far_after_publication(words, pub):
    body = " ".join(words)
    found, anaphora = find_dates(body, pub)
    for f in found + anaphora:
        assert body[f.start:f.end] == f.text and valid(f.value, f.precision)
        if pub is not None and not re.search(r"\d{4}", f.text):
            assert int(f.value[:4]) <= pub.year + 1  # relative dates stay near publication
    assert found == find_dates(body, pub, exhaustive=True)[0]


# -- over the shared annotated bodies (offsets and formats only) ------------------------
def _shared_reports():
    files = [SHARED / "data" / "devset" / "reports.jsonl",
             SHARED / "data" / "trainset" / "reports_a.jsonl",
             SHARED / "data" / "trainset" / "reports_b.jsonl"]
    if not all(f.exists() for f in files):
        pytest.skip("shared data not available")
    return [json.loads(line) for f in files for line in f.open(encoding="utf-8")]


def test_offsets_over_devset_and_trainset_bodies():
    for r in _shared_reports():
        body, pub = r["body"], parse_iso_date(r["published"])
        found, anaphora = find_dates(body, pub, None, sentence_spans(body))
        last_end = -1
        for f in found:
            assert body[f.start:f.end] == f.text
            assert valid(f.value, f.precision)
            assert f.start >= last_end  # no overlaps, body order
            last_end = f.end
        for a in anaphora:
            assert body[a.start:a.end] == a.text and valid(a.value, a.precision)
        assert found == find_dates(body, pub, None, sentence_spans(body), exhaustive=True)[0]


@pytest.mark.slow
def test_component_over_devset_with_parse(pipeline):
    reports = _shared_reports()[:30]
    docs = list(pipeline.pipe(Report(id=r["id"], body=r["body"], published=r["published"])
                              for r in reports))
    for doc in docs:
        assert not doc.errors
        texts = [d.text for d in doc.dates]
        assert len(texts) == len(set(texts))
        for d in doc.dates:
            assert doc.body[d.start:d.end] == d.text and valid(d.value, d.precision)
        for start, end in doc.sentences:
            ref = date_for_span(doc, start, end)
            assert ref is None or valid(ref.value, ref.precision)
