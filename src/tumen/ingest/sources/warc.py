"""WARC and WARC.gz web archives (warcio): every HTML response is a report.

Each ``response`` (or ``resource``) record whose payload is HTML goes through the HTML
extractor; the report's URL is the record's target URI, its publication date the
page's own date when the page states one, else the capture date (``WARC-Date``), which
is always kept in ``extra["captured"]``.  Other records (requests, metadata, images,
redirects and error pages) are skipped silently.  A record that fails is one error; the next records are read.
"""

from __future__ import annotations

import logging
import sys
from typing import Iterator

from tumen.errors import InputError
from tumen.record import RawReport
from tumen.ingest.sources.base import Item, Source
from tumen.ingest.sources.html import decode_html, extract

HTML_TYPES = ("text/html", "application/xhtml+xml")


def _content_type(record) -> tuple[str, str | None]:
    """(media type, charset) of a record's payload."""
    if record.http_headers is not None:
        value = record.http_headers.get_header("Content-Type") or ""
    else:
        value = record.rec_headers.get_header("Content-Type") or ""
    media, _, params = value.partition(";")
    charset = None
    for param in params.split(";"):
        key, _, val = param.partition("=")
        if key.strip().lower() == "charset":
            charset = val.strip().strip("\"'") or None
    return media.strip().lower(), charset


_log = logging.getLogger(__name__)
# Longest warcio warning passed on (it quotes bytes of the archive).
MAX_WARNING_CHARS = 300
_CONTROL = {c: f"\\x{c:02x}" for c in (*range(32), 127)}


class _WarcioStderr:
    """Stands in for ``sys.stderr`` inside warcio: its warnings are several lines long
    and quote raw bytes of the archive ("Record not followed by newline ... Remainder:
    b'...'"); each becomes one log line, control characters escaped, cut short."""

    def write(self, text) -> int:
        line = " ".join(part.strip() for part in str(text).splitlines() if part.strip())
        if line:
            line = line.translate(_CONTROL)
            if len(line) > MAX_WARNING_CHARS:
                line = line[:MAX_WARNING_CHARS] + "..."
            _log.warning("warcio: %s", line)
        return len(text)

    def flush(self) -> None:
        pass


class _SysForWarcio:
    """warcio's modules write with ``sys.stderr.write``: they get this ``sys``."""

    stderr = _WarcioStderr()

    def __getattr__(self, name: str):
        return getattr(sys, name)


_quieted = False


def _quiet_warcio() -> None:
    global _quieted
    if not _quieted:
        from warcio import archiveiterator, bufferedreaders, digestverifyingreader

        for module in (archiveiterator, bufferedreaders, digestverifyingreader):
            module.sys = _SysForWarcio()
        _quieted = True


def read_warc(source: Source) -> Iterator[Item]:
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    _quiet_warcio()

    limit = source.limits.max_warc_record_bytes
    number = 0
    found = False
    records = iter(ArchiveIterator(source.stream, arc2warc=True))
    while True:
        try:
            record = next(records)
        except StopIteration:
            break
        except InputError:
            raise
        except ArchiveLoadFailed as exc:
            reason = str(exc).splitlines()[0] if str(exc) else "not a WARC archive"
            yield InputError(source.path, f"malformed WARC (record {number + 1}): {reason}")
            return
        except Exception as exc:  # warcio fails in assorted ways on a cut header
            yield InputError(source.path, f"malformed or truncated WARC (record {number + 1}): "
                             f"{type(exc).__name__}")
            return
        number += 1
        if record.rec_type not in ("response", "resource"):
            continue
        media, charset = _content_type(record)
        if media not in HTML_TYPES:
            continue
        status = record.http_headers.get_statuscode() if record.http_headers is not None else "200"
        if not str(status or "").startswith("2"):
            continue  # redirects and error pages are not reports
        found = True
        locator = f"record {number}"
        url = record.rec_headers.get_header("WARC-Target-URI")
        captured = record.rec_headers.get_header("WARC-Date")
        where = f"{source.path} ({locator}, {url})"
        try:
            payload = record.content_stream().read(limit + 1)
        except InputError:
            raise
        except Exception as exc:  # a broken chunked or compressed HTTP payload
            yield InputError(where, f"unreadable payload: {type(exc).__name__}")
            continue
        if len(payload) > limit:
            yield InputError(where, f"payload larger than {limit:,} bytes (max_warc_record_bytes)")
            continue
        if getattr(record.raw_stream, "limit", 0) > 0:  # Content-Length not reached
            yield InputError(where, "truncated record (the archive ends inside it)")
            continue
        try:
            html = decode_html(payload, where, charset)
            page = extract(html, where, url=url, max_depth=source.limits.max_html_depth)
        except InputError as exc:
            yield exc
            continue
        if not page["body"].strip():
            yield InputError(where, "no main text found in the HTML page")
            continue
        yield RawReport(
            body=page["body"], title=page["title"],
            published=page["published"] or (captured[:10] if captured else None),
            url=url or page["url"], language=page["language"], source=page["source"],
            source_path=source.path, locator=locator, format="warc", original=payload,
            extra={"captured": captured} if captured else {},
        )
    if source.failure is not None:
        return  # read_stream reports why the archive ended early
    if number == 0:
        yield InputError(source.path, "WARC archive without records")
    elif not found:
        yield InputError(source.path, "WARC archive without HTML responses")
