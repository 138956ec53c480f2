"""Input readers: files, folders and stdin → ``RawReport`` (or ``InputError``) items.

Usage::

    for item in read_path("reports/"):          # a file, a folder (recursive) or "-"
        if isinstance(item, InputError): count and show it, go on
        else: report = normalize(item)

Formats (``FORMATS``), one reader module each: ``text`` and ``markdown`` (text.py),
``html`` (html.py), ``json``, ``jsonl``, ``csv`` (tabular.py), ``rss``, ``atom``
(feeds.py), ``warc`` (warc.py); bytes are decoded by encoding.py.  Any of them may be
gzip-compressed (``.gz``; decompressed size bounded by ``Limits``).  The format is
detected (``detect_format``) from strong content signatures first (gzip, WARC, RSS/Atom
and HTML roots), then from the extension, then from the content again (JSON or JSON
Lines by their first lines, CSV by a header naming a body column), else text.

Nothing is raised for a bad file: an ``InputError`` naming the file (and line, for JSON
Lines and CSV) is yielded in its place and reading goes on with the next item or file.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import stat
import sys
import zlib
from pathlib import Path
from typing import IO, Iterable, Iterator

from tumen.errors import InputError
from tumen.record import RawReport
from tumen.ingest.sources.base import (DEFAULT_LIMITS, TITLE_ONLY, GzipGuard, Item, Limits, Options, Reader, Source,
                   prefixed)
from tumen.ingest.sources.encoding import HEAD_BYTES, bom_encoding
from tumen.ingest.sources.feeds import read_atom, read_rss
from tumen.ingest.sources.html import read_html
from tumen.ingest.sources.tabular import read_csv, read_json, read_jsonl
from tumen.ingest.sources.text import read_markdown, read_text
from tumen.ingest.sources.warc import read_warc

__all__ = ["FORMATS", "TITLE_ONLY", "Limits", "detect_format", "read_path", "read_paths", "read_bytes"]

FORMATS: dict[str, Reader] = {
    "text": read_text,
    "markdown": read_markdown,
    "html": read_html,
    "json": read_json,
    "jsonl": read_jsonl,
    "csv": read_csv,
    "rss": read_rss,
    "atom": read_atom,
    "warc": read_warc,
}

EXTENSIONS = {
    ".txt": "text", ".text": "text", ".md": "markdown", ".markdown": "markdown",
    ".html": "html", ".htm": "html", ".xhtml": "html", ".json": "json",
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".jsonlines": "jsonl", ".csv": "csv",
    ".tsv": "csv", ".rss": "rss", ".atom": "atom", ".warc": "warc", ".arc": "warc",
}
GZIP_MAGIC = b"\x1f\x8b"
# Bytes of the head examined for the content signatures (feed and HTML root elements).
SIGNATURE_CHARS = 2048


def _head_text(head: bytes) -> str:
    """The head as text, good enough to see its structure (not its exact words)."""
    encoding = bom_encoding(head)
    if encoding is None:
        sample = head[:4096]
        if sample[1::2].count(0) > len(sample) // 3:
            encoding = "utf-16-le"
        elif sample[0::2].count(0) > len(sample) // 3:
            encoding = "utf-16-be"
        else:
            encoding = "utf-8"
    return head[: SIGNATURE_CHARS * 4].decode(encoding, errors="replace").lstrip("\ufeff \t\r\n")


def _is_jsonl(text: str) -> bool:
    """A first line that is a whole JSON object followed by another object line."""
    first, _, rest = text.partition("\n")
    if not rest.lstrip().startswith("{"):
        return False
    try:
        return isinstance(json.loads(first), dict)
    except ValueError:
        return False


def detect_format(path: str | Path, head: bytes) -> str:
    """One of ``FORMATS`` for a file named ``path`` whose first bytes are ``head``
    (already decompressed; a ``.gz`` suffix of ``path`` is ignored)."""
    name = str(path).lower()
    for suffix in (".gz", ".gzip"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    ext = os.path.splitext(name)[1]
    by_ext = EXTENSIONS.get(ext)
    text = _head_text(head)
    low = text[:SIGNATURE_CHARS].lower()
    if low.startswith("warc/") or head.startswith(b"WARC/"):
        return "warc"
    if low.startswith("<"):
        if "<rss" in low or "<rdf:rdf" in low:
            return "rss"
        if "<feed" in low and ("atom" in low or by_ext == "atom"):
            return "atom"
        if "<html" in low or "<!doctype html" in low or "<body" in low or "<head" in low:
            return "html"
        if by_ext in ("text", "markdown", "html", "rss", "atom"):
            return by_ext
        return "html"
    if by_ext in ("text", "markdown", "csv"):
        return by_ext  # a .txt that starts with "{" or "[" is still text
    if low.startswith("{"):
        if by_ext == "jsonl" or _is_jsonl(text):
            return "jsonl"
        return "json"
    if low.startswith("["):
        return "jsonl" if by_ext == "jsonl" else "json"
    if by_ext:
        return by_ext
    if name == "-" or not ext:
        first = low.partition("\n")[0]
        if "," in first and any(k in first.split(",") for k in ("body", "text", "content")):
            return "csv"
    return "text"


def _read_head(stream: IO[bytes]) -> bytes:
    """Up to HEAD_BYTES of a stream (fewer only at its end)."""
    chunks: list[bytes] = []
    size = 0
    while size < HEAD_BYTES:
        chunk = stream.read(HEAD_BYTES - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _open_stream(path: str, stream: IO[bytes], options: Options) -> Source | InputError:
    """Read the head (decompressing gzip) and wrap the stream so it still starts at 0."""
    head = stream.read(HEAD_BYTES)
    if not head:
        return InputError(path, "empty file")
    name = path
    guard = None
    if head.startswith(GZIP_MAGIC):
        gz = gzip.GzipFile(fileobj=prefixed(head, stream), mode="rb")
        guard = GzipGuard(gz, options.limits.max_decompressed_bytes, path)
        stream = io.BufferedReader(guard)
        head = _read_head(stream)
        if not head:
            return guard.failure or InputError(path, "empty file (after gzip decompression)")
        low = name.lower()
        name = name[:-3] if low.endswith(".gz") else name[:-5] if low.endswith(".gzip") else name
    return Source(path=path, name=name, stream=prefixed(head, stream), head=head,
                  options=options, guard=guard)


def read_stream(path: str, stream: IO[bytes], options: Options, format: str | None = None) -> Iterator[Item]:
    """Every item of one opened binary stream (a file or stdin)."""
    source = _open_stream(path, stream, options)
    if isinstance(source, InputError):
        yield source
        return
    fmt = format or detect_format(source.name, source.head)
    reader = FORMATS.get(fmt)
    if reader is None:
        yield InputError(path, f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")
        return
    try:
        yield from reader(source)
        if source.failure is not None and not source.failure_reported:
            yield source.failure  # what cut the stream short, after the items before it
    except InputError as exc:
        yield exc
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        yield InputError(path, f"corrupt or truncated gzip: {exc or type(exc).__name__}")
    except UnicodeDecodeError as exc:
        yield InputError(path, f"cannot decode as {exc.encoding}: {exc.reason}")
    except RecursionError:
        yield InputError(path, f"{fmt} input nested too deeply")
    except Exception as exc:  # a parser library failing on garbage: one error, batch goes on
        reason = str(exc).splitlines()[0] if str(exc) else ""
        yield InputError(path, f"cannot read as {fmt}: {type(exc).__name__} {reason}".strip())


def read_bytes(data: bytes, *, path: str = "-", title_line: bool = True,
               field_map: dict[str, str] | None = None, format: str | None = None,
               limits: Limits = DEFAULT_LIMITS) -> Iterator[RawReport | InputError]:
    """Like ``read_path`` for bytes already in memory (an upload, a test)."""
    options = Options(title_line=title_line, field_map=dict(field_map or {}), limits=limits)
    yield from read_stream(path, io.BytesIO(data), options, format)


def _files(folder: Path) -> Iterator[Path]:
    """Files under ``folder``, recursively, sorted, hidden files and folders skipped."""
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            path = Path(root) / name
            if not name.startswith(".") and path.is_file():  # no FIFOs, sockets, devices
                yield path


def read_path(path: str | Path, *, title_line: bool = True, field_map: dict[str, str] | None = None,
              format: str | None = None, limits: Limits = DEFAULT_LIMITS
              ) -> Iterator[RawReport | InputError]:
    """Every report in a file, a folder (recursive, sorted, hidden files skipped) or
    ``"-"`` (standard input).  Yields a ``RawReport`` per report and an ``InputError``
    (never raised) per unreadable file or item, so the caller counts failures and goes on.

    ``title_line``: the first line of a text/Markdown file is its title (``--no-title``
    turns it off).  ``field_map``: our field → the input's field name, for JSON, JSON
    Lines and CSV (``--map body=content``).  ``format``: force one of ``FORMATS``.
    """
    options = Options(title_line=title_line, field_map=dict(field_map or {}), limits=limits)
    if format is not None and format not in FORMATS:
        yield InputError(shown_path(path), f"unknown format {format!r} (known: {', '.join(FORMATS)})")
        return
    if str(path) == "-":
        stdin = getattr(sys.stdin, "buffer", None)
        if stdin is None:
            yield InputError("-", "no standard input to read")
            return
        yield from read_stream("-", stdin, options, format)
        return
    p = Path(path)
    if p.is_dir():
        count = 0
        for file in _files(p):
            count += 1
            yield from _read_file(file, options, format)
        if count == 0:
            yield InputError(shown_path(p), "folder holds no files")
        return
    yield from _read_file(p, options, format)


def read_paths(paths: Iterable[str | Path], **kwargs) -> Iterator[RawReport | InputError]:
    """``read_path`` over several paths, in order."""
    for path in paths:
        yield from read_path(path, **kwargs)


def shown_path(path: str | Path) -> str:
    """``path`` as text that can be printed and stored.  A file name that is not UTF-8
    (CP949 names from Korean Windows archives reach Python as lone surrogates) is read
    per path component as CP949, else with its bad bytes written ``\\xNN``."""
    text = str(path)
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    parts = []
    for part in os.fsencode(text).split(b"/"):
        try:
            parts.append(part.decode("utf-8"))
        except UnicodeDecodeError:
            try:
                parts.append(part.decode("cp949"))
            except UnicodeDecodeError:
                parts.append(part.decode("utf-8", errors="backslashreplace"))
    return "/".join(parts)


# What a path that is neither a file nor a folder is (opening a FIFO with no writer
# blocks for ever; a device never ends).
_SPECIAL = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"),
            (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))


def special_file(path: str | Path) -> str | None:
    """What ``path`` is when it is not a regular file or folder, else None."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None  # open() says what is wrong
    return next((what for test, what in _SPECIAL if test(mode)), None)


def _read_file(path: Path, options: Options, format: str | None) -> Iterator[Item]:
    shown = shown_path(path)
    if (what := special_file(path)):
        yield InputError(shown, f"not a regular file but {what}; to read a stream, "
                                "pipe it to standard input and name '-'")
        return
    try:
        handle = open(path, "rb")
    except FileNotFoundError:
        yield InputError(shown, "no such file or folder")
        return
    except IsADirectoryError:
        yield InputError(shown, "is a folder")
        return
    except PermissionError:
        yield InputError(shown, "cannot read: permission denied")
        return
    except OSError as exc:
        yield InputError(shown, f"cannot read: {exc.strerror or exc}")
        return
    with handle:
        try:
            yield from read_stream(shown, handle, options, format)
        except OSError as exc:  # an I/O error in the middle of the file
            yield InputError(shown, f"cannot read: {exc.strerror or exc}")
