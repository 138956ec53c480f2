"""The Korean date grammar: 9일, 지난 3일, 지난달 22일, 이달 초, 지난해 12월, 올해 여름,
한 달 전, 지난해 이맘때, 연말까지 ...

Same shape as ``english.RULES``.  A Korean span is the whole space-separated token
(or tokens) with its particles attached ("지난 5일부터", "한 달 전과", "겨울을 앞두고"),
so every pattern ends by absorbing the Hangul letters glued to it.
"""

from __future__ import annotations

import re

from tumen.analysis.dates import resolve as R
from tumen.analysis.dates.cues import cue_set
from tumen.analysis.dates.english import Rule, h_same_time_last_year  # 지난해 이맘때: as "this time last year"

HANGUL = r"\uac00-\ud7a3"
START = rf"(?<![\w{HANGUL}])"
TAIL = rf"(?P<tail>[{HANGUL}]*)"  # particles glued to the expression
# "전" (ago) takes only these particles: "전했다" is "conveyed", not "ago".
AGO_TAIL = rf"(?P<tail>에는|에|부터는|부터|까지|과|와|보다|의|만|쯤|께)?(?![{HANGUL}])"
PART = r"(?:\s*(?P<part>초|중순|하순|상순|말|께|경|무렵))?"  # early / mid / late
YREL = {"지난해": -1, "작년": -1, "지난 해": -1, "올해": 0, "금년": 0, "올": 0, "이번 해": 0,
        "내년": 1, "다음 해": 1, "재작년": -2}
MREL = {"지난달": -1, "지난 달": -1, "이달": 0, "이번 달": 0, "이번달": 0, "내달": 1,
        "다음 달": 1, "다음달": 1, "오는 달": 1}
SEASONS_KO = {"봄": 21, "여름": 22, "가을": 23, "겨울": 24}
COUNT_KO = {"한": 1, "두": 2, "세": 3, "네": 4, "다섯": 5, "여섯": 6, "일곱": 7, "여덟": 8,
            "아홉": 9, "열": 10}
YREL_RE = r"(?P<yrel>지난해|지난\s해|작년|재작년|올해|금년|내년|다음\s해)"
MREL_RE = r"(?P<mrel>지난달|지난\s달|내달|이달|이번\s?달|다음\s?달|오는\s달)"


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _day_ok(m, ctx) -> bool:
    tail = m.group("tail") or ""
    block = cue_set("korean_day_tail_blocklist")
    if any(tail.startswith(b) for b in block):
        return False
    nxt = ctx.next_word(m.end())
    return not (nxt and nxt in block)


def h_full_day(m, ctx):
    if not _day_ok(m, ctx):
        return None
    return R.make_day(int(m.group("year")), int(m.group("mo")), int(m.group("dd")))


def h_month_day(m, ctx):
    if not _day_ok(m, ctx) or ctx.pub is None:
        return None
    month, day = int(m.group("mo")), int(m.group("dd"))
    if m.group("yrel"):
        return R.make_day(ctx.pub.year + YREL[_norm(m.group("yrel"))], month, day)
    pre = m.group("pre")  # "지난 1월 16일": the last one; "오는 3월 5일": the coming one
    if pre == "오는":
        value = R.make_day(ctx.pub.year, month, day)
        if value and value[0] <= R.fmt_day(ctx.pub)[0]:
            value = R.make_day(ctx.pub.year + 1, month, day)
        return value
    if pre:
        return R.month_day(ctx.pub, month, day, forward=False)
    return R.month_day(ctx.pub, month, day, forward=ctx.forward(m, None), grace=R.GRACE_DAYS)


def h_rel_month_day(m, ctx):
    if not _day_ok(m, ctx) or ctx.pub is None:
        return None
    return R.day_of_month(ctx.pub, int(m.group("dd")), MREL[_norm(m.group("mrel"))])


def h_day(m, ctx):
    if not _day_ok(m, ctx) or ctx.pub is None:
        return None
    day = int(m.group("dd"))
    if m.group("pre") == "오는" or (m.group("pre") is None and day > ctx.pub.day and ctx.forward(m, None)):
        # the coming Nth: "오는 20일", or "21일부터 … 들어갈 예정" (a plan) after publication
        return R.day_of_month(ctx.pub, day, 0 if day > ctx.pub.day else 1)
    return R.day_of_month(ctx.pub, day, None)


def h_year_month(m, ctx):
    return R.fmt_month(int(m.group("year")), int(m.group("mo")))


def h_year(m, ctx):
    if (m.group("tail") or "").startswith(("간", "째", "도분")):
        return None
    year = int(m.group("year"))
    if m.group("part") == "말":
        return R.fmt_month(year, 12)
    return R.fmt_year(year)


def h_rel_year_month(m, ctx):
    if ctx.pub is None:
        return None
    return R.fmt_month(ctx.pub.year + YREL[_norm(m.group("yrel"))], int(m.group("mo")))


def h_bare_month(m, ctx):
    if ctx.pub is None or (m.group("tail") or "").startswith(("간", "째", "분")):
        return None
    pre = m.group("pre") or ""
    if pre == "지난":
        return R.last_named_month(ctx.pub, int(m.group("mo")))
    forward = pre == "오는" or ctx.forward(m, None)
    return R.bare_month(ctx.pub, int(m.group("mo")), forward=forward)


DAYS_KO = {"하루": 1, "이틀": 2, "사흘": 3, "나흘": 4, "닷새": 5, "엿새": 6, "이레": 7, "열흘": 10}


def h_days_ago(m, ctx):
    if ctx.pub is None:
        return None
    count = m.group("count")
    n = int(count) if count.isdigit() else DAYS_KO.get(count)
    if n is None:
        return None
    return R.days_from(R.fmt_day(ctx.pub)[0], -n)


def h_yesterday(m, ctx):
    if ctx.pub is None:
        return None
    back = 1 if m.group("yday") == "어제" else 2
    return R.days_from(R.fmt_day(ctx.pub)[0], -back)


def h_rel_month(m, ctx):
    if ctx.pub is None:
        return None
    return R.relative_month(ctx.pub, MREL[_norm(m.group("mrel"))])


def h_rel_year(m, ctx):
    if ctx.pub is None:
        return None
    delta = YREL[_norm(m.group("yrel"))]
    if m.group("part") == "말" and delta == -1:
        return R.fmt_month(ctx.pub.year - 1, 12)  # "the end of last year" is December
    return R.relative_year(ctx.pub, delta)


def h_year_end(m, ctx):
    """연말, 연초, 올해 말: the publication year; 연말 not bounding a period ("연말을 맞아",
    "연말에") is December, as "at the end of 2019"; "연말까지" is the year."""
    if ctx.pub is None:
        return None
    tail = m.group("tail") or ""
    if "연초" not in m.group(0) and not tail.startswith(("까지", "부터", "내내")):
        return R.fmt_month(ctx.pub.year, 12)
    return R.relative_year(ctx.pub, 0)


def h_ago(m, ctx):
    if ctx.pub is None:
        return None
    count = m.group("count")
    n = int(count) if count.isdigit() else COUNT_KO.get(count)
    if n is None:
        return None
    if m.group("unit") == "년":
        return R.relative_year(ctx.pub, -n)
    return R.relative_month(ctx.pub, -n)


def h_season(m, ctx):
    tail = m.group("tail") or ""
    after = m.group("after") or ""
    srel = _norm(m.group("srel") or "")
    if tail and tail not in cue_set("korean_season_tails"):
        return None  # 가을걷이 (the autumn harvest), 봄철 ...
    if not srel and not after and not tail.startswith(("까지", "부터", "내내")):
        return None  # bare habitual "가을이면", "겨울을 나곤"
    code = SEASONS_KO[m.group("season")]
    year_of = m.group("year")
    if year_of:
        return R.fmt_season(int(year_of), code)
    if ctx.pub is None:
        return None
    if srel == "올":  # 올봄, 올겨울: this year's
        return R.season_this(ctx.pub, code)
    if srel in YREL:
        year = ctx.pub.year + YREL[srel]
        return R.fmt_season(year, code)
    if srel in ("지난", "지난번"):
        return R.season_last(ctx.pub, code)
    if srel in ("이번",):
        return R.season_this(ctx.pub, code)
    if srel in ("다가오는", "오는", "다음"):
        return R.season_forward(ctx.pub, code)
    if ctx.forward(m, None):
        return R.season_forward(ctx.pub, code)
    return R.season_past(ctx.pub, code)


WEEKDAYS_KO = {"월": 0, "화": 1, "수": 2, "목": 3, "금": 4, "토": 5, "일": 6}


def h_weekday(m, ctx):
    if ctx.pub is None:
        return None
    wrel = m.group("wrel") or ""
    wd = WEEKDAYS_KO[m.group("wd")]
    if wrel.startswith(("오는", "다음")):
        return R.weekday_after(ctx.pub, wd)
    return R.weekday_before(ctx.pub, wd)


def h_today(m, ctx):
    """오늘 (publication day), 내일 (the day after), 모레 (two days after)."""
    if ctx.pub is None or (m.group("tail") or "").startswith(("날", "의")):
        return None  # 오늘날 (nowadays), 오늘의 (today's, as in a title)
    return R.days_from(R.fmt_day(ctx.pub)[0], {"오늘": 0, "금일": 0, "내일": 1, "모레": 2}[m.group("tday")])


def h_weekend(m, ctx):
    """지난 주말 (the weekend before publication), 이번 주말, 다음 주말: the Saturday, with
    the weekend's two days as ``range``."""
    if ctx.pub is None:
        return None
    return R.weekend(ctx.pub, {"지난": -1, "이번": 0, "다음": 1, "오는": 1}[m.group("wkrel")])


def h_quarter(m, ctx):
    """1분기, 올해 3분기, 2024년 2분기, 상반기, 하반기: the year (the spec has no quarter
    precision); the quarter's or half's days as ``range``."""
    if m.group("year"):
        year = int(m.group("year"))
    elif ctx.pub is None:
        return None
    elif m.group("yrel"):
        year = ctx.pub.year + YREL[_norm(m.group("yrel"))]
    else:
        year = ctx.pub.year
    value = R.fmt_year(year)
    if value is None:
        return None
    if m.group("q"):
        q = int(m.group("q"))
        return value[0], value[1], R.quarter_range(year, 3 * q - 2, 3 * q)
    first = 1 if m.group("half") == "상" else 7
    return value[0], value[1], R.quarter_range(year, first, first + 5)


def h_year_anaphor(m, ctx):
    """그해 (that year), 이듬해 (the following year): from the nearest preceding date."""
    anchor = ctx.year_before(m.start())
    if anchor is None:
        return None
    return R.fmt_year(anchor + (1 if "이듬해" in m.group("yan") else 0))


def _c(pattern: str) -> re.Pattern:
    return re.compile(START + pattern)


ALL = frozenset({"ko"})
# Every Korean rule holds one of these; see english.ANCHOR.
ANCHOR = re.compile(r"(?P<ko>\d{1,4}\s?(?:일|월|년)|\d{4}\.\s?\d{1,2}\.\s?\d|어제|그저께|그제|하루|이틀|사흘|나흘|닷새|엿새|이레|열흘|내달|지난|이달|이번|올해|올|작년|재작년|내년|금년|다음|오는|연말|연초"
                    r"|봄|여름|가을|겨울|요일|이맘때|오늘|금일|내일|모레|주말|분기|반기|그해|이듬해|[한두세네열]\s?(?:달|개월|해)|\d{1,2}\s?(?:달|개월))")
ANCHOR_BACK = 12
STARTERS = None  # any word start within ANCHOR_BACK


RULES: tuple[Rule, ...] = (
    Rule("ko_full_day", _c(r"(?P<year>\d{4})\s*년\s*(?P<mo>\d{1,2})\s*월\s*(?P<dd>\d{1,2})\s*일" + TAIL), h_full_day, ALL),
    # "2023.10.1", "2023. 10. 1.": a day in figures, as Korean copy writes it
    Rule("ko_dotted_day", _c(r"(?P<year>(?:19|20)\d\d)\.\s?(?P<mo>1[0-2]|0?[1-9])\.\s?(?P<dd>3[01]|[12]\d|0?[1-9])(?!\d)\.?" + TAIL),
         h_full_day, ALL),
    Rule("ko_month_day", _c(rf"(?:{YREL_RE}\s*|(?P<pre>지난|오는)\s*)?(?P<mo>\d{{1,2}})\s*월\s*(?P<dd>\d{{1,2}})\s*일" + TAIL), h_month_day, ALL),
    Rule("ko_rel_month_day", _c(MREL_RE + r"\s*(?P<dd>\d{1,2})\s*일" + TAIL), h_rel_month_day, ALL),
    Rule("ko_day", _c(r"(?:(?P<pre>지난|오는)\s*)?(?<!\d)(?P<dd>\d{1,2})일(?!요일)" + TAIL), h_day, ALL),
    Rule("ko_weekday", _c(r"(?:(?P<wrel>지난|이번|지난주|오는|다음\s?주)\s*)?(?P<wd>[월화수목금토일])요일" + TAIL), h_weekday, ALL),
    Rule("ko_year_month", _c(r"(?P<year>\d{4})\s*년\s*(?P<mo>\d{1,2})\s*월" + PART + TAIL), h_year_month, ALL),
    Rule("ko_year", _c(r"(?P<year>\d{4})\s*년" + PART + TAIL), h_year, ALL),
    Rule("ko_rel_year_month", _c(YREL_RE + r"\s*(?P<mo>\d{1,2})\s*월" + PART + TAIL), h_rel_year_month, ALL),
    Rule("ko_bare_month", _c(r"(?:(?P<pre>지난|오는)\s*)?(?<!\d)(?P<mo>1[0-2]|0?[1-9])\s?월" + PART + TAIL), h_bare_month, ALL),
    Rule("ko_days_ago", _c(r"(?P<count>\d{1,2}(?=\s?일)|하루|이틀|사흘|나흘|닷새|엿새|이레|열흘)(?:\s?일)?\s*전" + AGO_TAIL), h_days_ago, ALL),
    Rule("ko_yesterday", _c(r"(?P<yday>어제|그저께|그제)" + TAIL), h_yesterday, ALL),
    Rule("ko_rel_month", _c(MREL_RE + PART + TAIL), h_rel_month, ALL),
    Rule("ko_today", _c(r"(?P<tday>오늘|금일|내일|모레)" + TAIL), h_today, ALL),
    Rule("ko_weekend", _c(r"(?P<wkrel>지난|이번|다음|오는)\s?주말" + TAIL), h_weekend, ALL),
    Rule("ko_quarter", _c(rf"(?:(?P<year>\d{{4}})\s*년\s*|{YREL_RE}\s*)?(?:(?P<q>[1-4])(?:/4)?\s?분기|(?P<half>[상하])반기)" + TAIL), h_quarter, ALL),
    Rule("ko_year_anaphor", _c(r"(?P<yan>그\s?해|그\s?이듬해|이듬해)" + TAIL), h_year_anaphor, ALL),
    Rule("ko_same_time_last_year", _c(r"(?:지난해|작년)\s*(?:이맘때|이때|같은\s*때|같은\s*기간)" + TAIL), h_same_time_last_year, ALL),
    Rule("ko_rel_year", _c(YREL_RE + PART + TAIL), h_rel_year, ALL),
    Rule("ko_year_end", _c(r"(?:올\s*)?(?:연말|연초|올해\s*말)" + TAIL), h_year_end, ALL),
    Rule("ko_ago", _c(r"(?P<count>\d{1,2}|한|두|세|네|다섯|여섯|일곱|여덟|아홉|열)\s*(?P<unit>달|개월|년)\s*전" + AGO_TAIL), h_ago, ALL),
    Rule("ko_season", _c(r"(?:(?:(?P<year>\d{4})\s*년|(?P<srel>올해|지난해|작년|내년|지난번|지난|이번|다가오는|오는|다음|올))\s*)?"
                         r"(?P<season>봄|여름|가을|겨울)" + TAIL
                         + r"(?P<after>\s+(?:앞두고|내내|들어|들어서))?"), h_season, ALL),
)

# Read by english.anaphor_offset, as the English ANAPHORA is.
ANAPHORA = re.compile(START + r"(?P<expr>(?P<same>같은\s*날|이날|그날|당일|그\s*날)|(?P<next>다음\s*날|이튿날|그\s*다음\s*날)|(?P<prev>전날|그\s*전날))" + TAIL)
