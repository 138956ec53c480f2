"""RSS and Atom feeds (feedparser): one report per item.

The body is the item's full content when the feed carries it (``content:encoded``,
Atom ``content``), else its summary; HTML is converted to text.  The item's tags are
kept as editor tags, the feed's title as the source.  The original bytes of an item are
its own ``<item>``/``<entry>`` element when it can be found in the file, else the file.
"""

from __future__ import annotations

import bisect
import re
from typing import Any, Iterator

from tumen.errors import InputError
from tumen.record import RawReport
from tumen.ingest.sources.base import TITLE_ONLY, Item, Source
from tumen.ingest.sources.html import html_to_text

# An item's element: from ``<item``/``<entry`` (any namespace prefix) to the first
# closing tag of the same name after it.  Found by pairing the opening and closing tags
# (one pass each, then a bisect): a single regex with ``.*?`` between them rescans the
# rest of the file from every opening tag that is never closed (quadratic: 300,000
# unclosed ``<item>`` never finished).
_OPEN = re.compile(rb"<(?:[A-Za-z0-9_-]+:)?(item|entry)\b")
_CLOSE = re.compile(rb"</(?:[A-Za-z0-9_-]+:)?(item|entry)\s*>")


def item_spans(data: bytes) -> list[bytes]:
    """The bytes of each ``<item>``/``<entry>`` element, in order (linear time)."""
    closes: dict[bytes, tuple[list[int], list[int]]] = {b"item": ([], []), b"entry": ([], [])}
    for m in _CLOSE.finditer(data):
        starts, ends = closes[m.group(1)]
        starts.append(m.start())
        ends.append(m.end())
    spans: list[bytes] = []
    pos = 0
    for m in _OPEN.finditer(data):
        if m.start() < pos:
            continue  # inside the element found last
        starts, ends = closes[m.group(1)]
        i = bisect.bisect_left(starts, m.end())
        if i == len(starts):
            continue  # never closed
        spans.append(data[m.start():ends[i]])
        pos = ends[i]
    return spans


def _content(entry: Any) -> str:
    """The fullest text of an entry: content (longest variant) else summary."""
    best = ""
    for part in entry.get("content") or []:
        value = part.get("value") or ""
        if len(value) > len(best):
            best = value
    if not best:
        best = entry.get("summary") or entry.get("description") or ""
    return html_to_text(best).strip()


def _tags(entry: Any) -> list[str] | None:
    terms = [(t.get("term") or t.get("label") or "").strip() for t in entry.get("tags") or []]
    terms = [t for t in terms if t]
    return terms or None


def read_feed(source: Source, fmt: str) -> Iterator[Item]:
    import feedparser

    data = source.read_all()
    parsed = feedparser.parse(data)
    entries = parsed.get("entries") or []
    if not entries:
        if parsed.get("bozo"):
            reason = str(parsed.get("bozo_exception") or "malformed feed").splitlines()[0]
            yield InputError(source.path, f"malformed {fmt.upper()} feed: {reason}")
        else:
            yield InputError(source.path, f"{fmt.upper()} feed without items")
        return
    feed = parsed.get("feed") or {}
    language = (feed.get("language") or "").split("-")[0].lower() or None
    spans = item_spans(data)
    exact = len(spans) == len(entries)
    for n, entry in enumerate(entries, 1):
        locator = f"item {n}"
        body = _content(entry)
        title = html_to_text(entry.get("title") or "").strip() or None
        if not body:
            yield InputError(source.path, f"{locator}: {TITLE_ONLY}")
            continue
        yield RawReport(
            body=body, title=title, id=entry.get("id") or None,
            published=entry.get("published") or entry.get("updated") or None,
            source=feed.get("title") or None, url=entry.get("link") or None,
            language=language, tags=_tags(entry), source_path=source.path, locator=locator,
            format=fmt, original=spans[n - 1] if exact else data,
        )


def read_rss(source: Source) -> Iterator[Item]:
    return read_feed(source, "rss")


def read_atom(source: Source) -> Iterator[Item]:
    return read_feed(source, "atom")
