"""Raw report → ``Report``: the body every offset refers to is frozen here.

Normalization of the body is deliberately small (offsets in records refer to it and
the text must stay the reporter's): Unicode NFC, newlines unified, runs of spaces and
tabs collapsed to one space, spaces at line ends removed, paragraph breaks kept as one
blank line ("\\n\\n"), single line breaks kept, the whole stripped.  Nothing else
(no quote folding, no case change).  ``normalize_text`` is idempotent.

The publication date is parsed to ISO ``YYYY-MM-DD`` (the day in the date's own time
zone): ISO dates and datetimes, compact ``YYYYMMDD`` and Unix time first, then RFC 2822
(feeds), common English and Korean spellings, and ``dateparser`` (English and Korean)
for the rest.  An impossible date (``0000-00-00``, ``2023-02-30``), a bare year or
month, or one that cannot be read becomes ``None``; whenever the value was not already
ISO the raw string is kept in ``extra["published_raw"]``.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import re
import unicodedata
from functools import lru_cache
from email.utils import parsedate_to_datetime

from tumen.errors import InputError
from tumen.record import RawReport, Report

# Every character Python calls whitespace is either a line break (-> "\n") or a space
# (-> " "); str.translate does this in one C pass, then runs of spaces collapse.
_LINE_BREAK_CHARS = "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_SPACE_CHARS = "\t\x1f\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
_WHITESPACE = str.maketrans({**dict.fromkeys(_LINE_BREAK_CHARS, "\n"),
                             **dict.fromkeys(_SPACE_CHARS, " ")})
_SPECIAL_WHITESPACE = _LINE_BREAK_CHARS + _SPACE_CHARS
# Invisible characters that split words without showing ("Hy\u200besan" is not found by
# a search for Hyesan, nor by the gazetteer): zero-width space, non-joiner, joiner, word
# joiner, invisible operators, zero-width no-break space (a BOM inside text), soft
# hyphen, Mongolian vowel separator, and the bidi marks, embeddings, overrides and
# isolates (U+200E/F, U+061C, U+202A-E, U+2066-9), which can also reorder what is
# shown.  Removed from the frozen body and the one-line fields; the original bytes keep
# them.
INVISIBLE_CHARS = ("\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\u180e"
                   "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_INVISIBLE = re.compile("[" + INVISIBLE_CHARS + "]")
_SPACES = re.compile(" {2,}")
# A report id is a key in URLs, file names and logs: at most this long, no control
# characters (NUL included).  Long enough for a feed guid that is a URL.
MAX_ID_CHARS = 512
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_BLANK_LINES = re.compile(r"\n{3,}")

# Dates outside this range are not publication dates of reports about North Korea
# (the state was founded in 1948; nothing is published in the far future).
MIN_YEAR, MAX_YEAR = 1900, 2100
_ISO_DAY = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$")
_ISO_PARTIAL = re.compile(r"^\s*(\d{4})(?:-(\d{2}))?\s*$")
# Year-month-day with other separators: "2019. 5. 22.", "2019/5/22", "2019년 5월 22일".
_YMD_OTHER = re.compile(r"^\s*(\d{4})\s*(?:[./년]\s*)(\d{1,2})\s*(?:[./월]\s*)(\d{1,2})\s*[.일]?\s*$")
_YEAR = re.compile(r"(?<!\d)\d{4}(?!\d)")
# Common English spellings read without dateparser (tried in order, exact match).
STRPTIME_FORMATS = ("%B %d, %Y", "%b %d, %Y", "%b. %d, %Y", "%d %B %Y", "%d %b %Y",
                    "%A, %B %d, %Y", "%A, %d %B %Y")
# Languages of the dates dateparser is asked to read: English and Korean reports.
# Naming them keeps a call at ~1 ms instead of a search over 200 languages.
DATE_LANGUAGES = ("en", "ko")


def normalize_text(text: str) -> str:
    """NFC and whitespace normalization of one text (a body or a title); invisible
    characters (``INVISIBLE_CHARS``) removed."""
    if not text.isascii() and _INVISIBLE.search(text):
        text = _INVISIBLE.sub("", text)
    text = unicodedata.normalize("NFC", text)
    if "\r\n" in text:
        text = text.replace("\r\n", "\n")
    if any(ch in text for ch in _SPECIAL_WHITESPACE):  # one fast scan a character
        text = text.translate(_WHITESPACE)
    if "  " in text:
        text = _SPACES.sub(" ", text)
    if " \n" in text:
        text = text.replace(" \n", "\n")
    if "\n " in text:
        text = text.replace("\n ", "\n")
    if "\n\n\n" in text:
        text = _BLANK_LINES.sub("\n\n", text)
    text = text.strip()
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        return normalize_text(text)  # whitespace removal brought two characters together
    return text


def normalize_line(text: str) -> str:
    """A one-line field (title, source): NFC, every whitespace run one space, invisible
    characters removed."""
    if not text.isascii() and _INVISIBLE.search(text):
        text = _INVISIBLE.sub("", text)
    return " ".join(unicodedata.normalize("NFC", text).split())


def content_hash(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _valid(year: int, month: int, day: int) -> str | None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    try:
        return _dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def parse_published(value: str | None) -> str | None:
    """An ISO ``YYYY-MM-DD`` day for a publication date as found, or None."""
    if value is None:
        return None
    value = str(value).strip()
    if not value:
        return None
    if (m := _ISO_DAY.match(value)):
        return _valid(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if _ISO_PARTIAL.match(value):
        return None  # a year or a month is not a publication day
    if value.isdigit():
        if len(value) == 8:  # YYYYMMDD
            return _valid(int(value[:4]), int(value[4:6]), int(value[6:]))
        if len(value) in (10, 13):  # Unix time in seconds or milliseconds (UTC)
            seconds = int(value) / (1000 if len(value) == 13 else 1)
            day = _dt.datetime.fromtimestamp(seconds, tz=_dt.timezone.utc)
            return _valid(day.year, day.month, day.day)
        return None
    if re.fullmatch(r"[\d\s:./-]*", value) and re.search(r"(?:^|\D)0{2,4}(?:\D|$)", value):
        return None  # zeros where a day, month or year should be
    try:
        parsed = parsedate_to_datetime(value)  # RFC 2822, as in RSS
        return _valid(parsed.year, parsed.month, parsed.day)
    except (TypeError, ValueError, IndexError, OverflowError):
        pass
    return _dateparser(value)


@lru_cache(maxsize=4096)
def _dateparser(value: str) -> str | None:
    """Other spellings ("May 22, 2019", "2019년 5월 22일").  Cached: a corpus repeats
    its dates, and dateparser costs about a millisecond a call."""
    if len(value) > 100 or not _YEAR.search(value):
        return None  # no year, no publication day (and no slow search over languages)
    if (m := _YMD_OTHER.match(value)):
        return _valid(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    for fmt in STRPTIME_FORMATS:
        try:
            day = _dt.datetime.strptime(value, fmt)
            return _valid(day.year, day.month, day.day)
        except ValueError:
            continue
    import dateparser

    try:
        parsed = dateparser.parse(value, languages=list(DATE_LANGUAGES),
                                  settings={"STRICT_PARSING": True,
                                            "REQUIRE_PARTS": ["day", "month", "year"]})
    except Exception:  # dateparser raises assorted errors on odd strings
        return None
    if parsed is None or str(parsed.year) not in value:
        return None  # a relative expression ("3 days ago") resolved against today
    return _valid(parsed.year, parsed.month, parsed.day)


def given_day(value: str, option: str = "--published") -> str:
    """A publication day given by the user (``--published``): exactly ``YYYY-MM-DD``, a
    real day.  Raises ``InputError`` naming the option otherwise."""
    day = parse_published(value) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()) else None
    if day is None:
        raise InputError(option, f"{value!r} is not a day as YYYY-MM-DD (e.g. 2022-01-28)")
    return day


# Where a report's publication date came from when the user gave it (Report.extra key).
PUBLISHED_GIVEN = "published_given"


def normalize(raw: RawReport, default_published: str | None = None) -> Report:
    """The normalized ``Report`` of a raw one.  Raises ``InputError`` for an empty body.
    ``default_published`` (an ISO day, ``--published``) dates a report that carries no date of
    its own; ``extra["published_given"]`` then says so."""
    body = normalize_text(raw.body or "")
    where = raw.source_path or "-"
    if raw.locator:
        where = f"{where} ({raw.locator})"
    if not body:
        raise InputError(where, "empty body")
    digest = content_hash(body)
    extra = dict(raw.extra)
    published = parse_published(raw.published)
    if raw.published is not None and published != str(raw.published).strip():
        if str(raw.published).strip():
            extra["published_raw"] = raw.published
    if published is None and default_published:
        published = default_published
        extra[PUBLISHED_GIVEN] = "--published"
    title = normalize_line(raw.title) if raw.title else None
    tags = None
    if raw.tags:
        tags = [t for t in (normalize_line(tag).lower() for tag in raw.tags) if t]
        tags = list(dict.fromkeys(tags)) or None
    if raw.tag_line and (line := normalize_line(raw.tag_line).lower()):
        extra["tag_line"] = line
    report_id = normalize_line(str(raw.id)) if raw.id not in (None, "") else ""
    if len(report_id) > MAX_ID_CHARS:
        raise InputError(where, f"id longer than {MAX_ID_CHARS} characters "
                                f"({len(report_id):,}); give the report a shorter id")
    if _CONTROL.search(report_id):
        bad = _CONTROL.search(report_id).group(0)
        raise InputError(where, f"id contains a control character (U+{ord(bad):04X}); "
                                "give the report an id of printable characters")
    return Report(
        id=report_id or "r-" + digest[:16], body=body, title=title or None, published=published,
        source=normalize_line(raw.source) or None if raw.source else None,
        url=raw.url.strip() or None if raw.url else None,
        language=(raw.language or "").strip().lower() or None,
        tags=tags, source_path=raw.source_path, locator=raw.locator, format=raw.format,
        original=raw.original, content_hash=digest, extra=extra,
    )
