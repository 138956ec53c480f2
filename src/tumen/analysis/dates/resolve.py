"""Calendar arithmetic for date expressions, against a report's publication date.

Pure functions over ``datetime.date`` that return ``(value, precision)`` pairs in the
record's format (``shared/spec/record.md``): ``YYYY-MM-DD`` (day), ``YYYY-MM``
(month), ``YYYY`` (year), ``YYYY-SS`` (season, ISO 8601-2 / EDTF codes 21 spring,
22 summer, 23 autumn, 24 winter; a winter belongs to the year it starts in).

The rules are those of the devset annotation guidelines, section 5:

* a weekday is the most recent such day strictly before publication;
* a month and day without a year falls in the publication year unless that puts a
  past event after publication (then the year before); deadlines keep the year;
* a bare month is the most recent such month on or before the publication month,
  unless it is a deadline or plan (then the coming one);
* "the Nth" / Korean "지난 N일" is day N of the publication month if N is not after
  the publication day, otherwise of the previous month;
* "last <season>" is the last such season that ended before publication; a bare
  season is the most recent one begun (past tense) or the one in progress or coming
  (present / future tense).

Every function returns ``None`` instead of raising when the arithmetic leaves the
calendar (day 31 of a 30-day month, year 0 or 10000): what cannot be resolved is
left null, never guessed.
"""

from __future__ import annotations

import calendar
import datetime as dt

Value = tuple[str, str]  # (value, precision)

SEASONS = {"spring": 21, "summer": 22, "autumn": 23, "winter": 24}
# First month of each season (meteorological seasons, northern hemisphere).
SEASON_START = {21: 3, 22: 6, 23: 9, 24: 12}
MIN_YEAR, MAX_YEAR = 1, 9999
# A deadline month at most this many months before the publication month is this
# year's (just passed: "deliver before the end of October" in a November report);
# earlier months are next year's ("by the end of March" in a December report).
# Matches the 60-day slack for month-day deadlines in extract.py.
DEADLINE_BACK_MONTHS = 2


def fmt_day(d: dt.date) -> Value:
    return f"{d.year:04d}-{d.month:02d}-{d.day:02d}", "day"


def fmt_month(year: int, month: int) -> Value | None:
    if not (MIN_YEAR <= year <= MAX_YEAR and 1 <= month <= 12):
        return None
    return f"{year:04d}-{month:02d}", "month"


def fmt_year(year: int) -> Value | None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    return f"{year:04d}", "year"


def fmt_season(year: int, code: int) -> Value | None:
    if not MIN_YEAR <= year <= MAX_YEAR or code not in SEASON_START:
        return None
    return f"{year:04d}-{code}", "season"


def make_day(year: int, month: int, day: int) -> Value | None:
    try:
        return fmt_day(dt.date(year, month, day))
    except (ValueError, OverflowError):
        return None


def add_months(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


# -- days ---------------------------------------------------------------------------
def weekday_before(pub: dt.date, weekday: int, weeks_back: int = 0) -> Value | None:
    """The most recent ``weekday`` (Monday=0) strictly before ``pub``."""
    back = (pub.weekday() - weekday - 1) % 7 + 1 + 7 * weeks_back
    try:
        return fmt_day(pub - dt.timedelta(days=back))
    except OverflowError:
        return None


def weekday_on_or_before(pub: dt.date, weekday: int) -> Value | None:
    """The most recent ``weekday`` on or before ``pub`` (wire copy names the publication
    day by its weekday: "said Thursday" in a Thursday story is that day)."""
    try:
        return fmt_day(pub - dt.timedelta(days=(pub.weekday() - weekday) % 7))
    except OverflowError:
        return None


def weekday_on_or_after(pub: dt.date, weekday: int) -> Value | None:
    """The coming ``weekday``, ``pub`` itself included (a planned "on Monday")."""
    try:
        return fmt_day(pub + dt.timedelta(days=(weekday - pub.weekday()) % 7))
    except OverflowError:
        return None


def weekday_after(pub: dt.date, weekday: int) -> Value | None:
    """The first ``weekday`` strictly after ``pub`` ("next Monday")."""
    ahead = (weekday - pub.weekday() - 1) % 7 + 1
    try:
        return fmt_day(pub + dt.timedelta(days=ahead))
    except OverflowError:
        return None


# A month-day or a day of the month at most this many days after publication is that
# one, even in a past clause: nearer than the same day a year (or a month) back.
GRACE_DAYS = 14


def month_day(pub: dt.date, month: int, day: int, forward: bool = False, grace: int = 0) -> Value | None:
    """Month and day without a year: the publication year, or the year before when
    that would put a past event after publication (``forward`` = deadline/plan), more
    than ``grace`` days after it."""
    year = pub.year
    try:
        candidate = dt.date(year, month, day)
    except ValueError:
        if month == 2 and day == 29:  # Feb. 29 of a non-leap publication year
            candidate = None
        else:
            return None
    if candidate is None or (candidate > pub + dt.timedelta(days=grace) and not forward):
        year -= 1
    return make_day(year, month, day)


def month_day_next(pub: dt.date, month: int, day: int) -> Value | None:
    """The first such month and day on or after ``pub``."""
    value = make_day(pub.year, month, day)
    if value is None or value[0] < fmt_day(pub)[0]:
        value = make_day(pub.year + 1, month, day) or value
    return value


def day_of_month(pub: dt.date, day: int, month_offset: int | None = None) -> Value | None:
    """Day N of a month.  ``month_offset`` fixes the month relative to publication
    (0 this month, -1 last month); None applies the rule for a bare "N일" / "the Nth":
    this month if N is not after the publication day, else the previous month."""
    if not 1 <= day <= 31:
        return None
    if month_offset is None:
        month_offset = 0 if day <= pub.day else -1
    year, month = add_months(pub.year, pub.month, month_offset)
    return make_day(year, month, day)


def weekend(pub: dt.date, shift: int) -> tuple[str, str, list[str]] | None:
    """A weekend as (Saturday, "day", [Saturday, Sunday]): ``shift`` -1 the last one that
    ended before ``pub``, 0 the one of the publication week (Monday to Sunday), 1 the
    one after it."""
    saturday = pub - dt.timedelta(days=pub.weekday()) + dt.timedelta(days=5)
    if shift < 0:
        saturday -= dt.timedelta(weeks=1 if pub.weekday() <= 5 else 0)
        if saturday + dt.timedelta(days=1) >= pub:
            saturday -= dt.timedelta(weeks=1)
    else:
        saturday += dt.timedelta(weeks=shift)
    try:
        sunday = saturday + dt.timedelta(days=1)
    except OverflowError:
        return None
    return fmt_day(saturday)[0], "day", [saturday.isoformat(), sunday.isoformat()]


def quarter_range(year: int, first_month: int, last_month: int) -> list[str] | None:
    """[first, last] day of the months first_month..last_month of ``year``."""
    if not (MIN_YEAR <= year <= MAX_YEAR and 1 <= first_month <= last_month <= 12):
        return None
    last_day = calendar.monthrange(year, last_month)[1]
    return [f"{year:04d}-{first_month:02d}-01", f"{year:04d}-{last_month:02d}-{last_day:02d}"]


def days_from(anchor: str, delta: int) -> Value | None:
    """``anchor`` (YYYY-MM-DD) shifted by ``delta`` days (for anaphora)."""
    try:
        return fmt_day(dt.date.fromisoformat(anchor) + dt.timedelta(days=delta))
    except (ValueError, OverflowError):
        return None


# -- months ------------------------------------------------------------------------
def relative_month(pub: dt.date, delta: int) -> Value | None:
    """This month (0), last month (-1), next month (+1), N months ago (-N)."""
    return fmt_month(*add_months(pub.year, pub.month, delta))


def bare_month(pub: dt.date, month: int, forward: bool = False) -> Value | None:
    """The most recent ``month`` on or before the publication month; with
    ``forward`` (a deadline or plan) the coming one (or one that just passed, see
    ``DEADLINE_BACK_MONTHS``)."""
    if not 1 <= month <= 12:
        return None
    year = pub.year
    if forward:
        if month < pub.month - DEADLINE_BACK_MONTHS:
            year += 1
    elif month > pub.month:
        year -= 1
    return fmt_month(year, month)


def last_named_month(pub: dt.date, month: int) -> Value | None:
    """"last December": the most recent such month strictly before the current one."""
    if not 1 <= month <= 12:
        return None
    year = pub.year if month < pub.month else pub.year - 1
    return fmt_month(year, month)


# -- years -------------------------------------------------------------------------
def relative_year(pub: dt.date, delta: int) -> Value | None:
    return fmt_year(pub.year + delta)


# -- seasons ------------------------------------------------------------------------
def season_bounds(year: int, code: int) -> tuple[dt.date, dt.date] | None:
    """First and last day of a season (winter Y = Dec Y .. end of Feb Y+1)."""
    try:
        start = dt.date(year, SEASON_START[code], 1)
        end_year, end_month = add_months(year, SEASON_START[code], 2)
        end = dt.date(end_year, end_month, calendar.monthrange(end_year, end_month)[1])
    except (ValueError, OverflowError, KeyError):
        return None
    return start, end


def _occurrences(pub: dt.date, code: int):
    """Seasons of this name around ``pub``, oldest first, as (year, start, end)."""
    for year in range(pub.year - 2, pub.year + 2):
        bounds = season_bounds(year, code)
        if bounds:
            yield year, bounds[0], bounds[1]


def season_last(pub: dt.date, code: int) -> Value | None:
    """"last autumn": the most recent such season that ended before publication."""
    best = None
    for year, _start, end in _occurrences(pub, code):
        if end < pub:
            best = year
    return fmt_season(best, code) if best is not None else None


def season_past(pub: dt.date, code: int) -> Value | None:
    """A bare season in a past-tense context: the most recent one already begun."""
    best = None
    for year, start, _end in _occurrences(pub, code):
        if start <= pub:
            best = year
    return fmt_season(best, code) if best is not None else None


def season_forward(pub: dt.date, code: int) -> Value | None:
    """A season in a present/future context: the one in progress, else the coming one."""
    for year, _start, end in _occurrences(pub, code):
        if end >= pub:
            return fmt_season(year, code)
    return None


def season_this(pub: dt.date, code: int) -> Value | None:
    """"this autumn": the one in progress, else the one of the publication year
    (a winter of the publication year starts in its December)."""
    for year, start, end in _occurrences(pub, code):
        if start <= pub <= end:
            return fmt_season(year, code)
    return fmt_season(pub.year, code)


def season_next(pub: dt.date, code: int) -> Value | None:
    for year, start, _end in _occurrences(pub, code):
        if start > pub:
            return fmt_season(year, code)
    return None


def same_month_last_year(pub: dt.date) -> Value | None:
    """Korean "지난해 이맘때": the same month one year earlier."""
    return fmt_month(pub.year - 1, pub.month)
