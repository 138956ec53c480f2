"""What every reader shares: the limits, the read options and the opened source."""

from __future__ import annotations

import io
import re
import zlib
from dataclasses import dataclass, field
from typing import IO, Callable, Iterator, Union

from tumen.errors import InputError
from tumen.record import RawReport
from tumen.ingest.sources import encoding as _encoding

MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Named limits on what is read.  Every one turns into a clear ``InputError``."""

    # Largest file read whole into memory (text, Markdown, HTML, JSON, feeds).  JSON
    # Lines and CSV stream and are not bound by it; a WARC is read record by record.
    max_file_bytes: int = 64 * MiB
    # Most bytes a gzip file may decompress to: stops a gzip bomb (1 KiB → 1 MiB
    # zeros) long before memory runs out.  A 1 GiB archive of reports is plenty.
    max_decompressed_bytes: int = 1024 * MiB
    # Longest single JSON Lines line / CSV record (one report).
    max_item_bytes: int = 16 * MiB
    # Deepest HTML element nesting handled.  Real pages nest < 40 levels; libxml2
    # itself stops at 256, so deeper pages would be silently truncated.
    max_html_depth: int = 200
    # Largest payload of one WARC record that is turned into a report.
    max_warc_record_bytes: int = 16 * MiB


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class Options:
    """How the user asked to read: ``--no-title``, ``--map``, the limits."""

    title_line: bool = True
    field_map: dict[str, str] = field(default_factory=dict)
    limits: Limits = DEFAULT_LIMITS


class GzipGuard(io.RawIOBase):
    """Decompressed bytes of a gzip stream, at most ``limit`` of them.

    A truncated or corrupt stream, or one that passes the limit, ends early (EOF) and
    records the reason in ``failure``: readers of whole files raise it (no partial
    report), streaming readers keep the items before it and ``read_stream`` yields it.
    """

    def __init__(self, inner: IO[bytes], limit: int, path: str):
        self._inner, self._limit, self._path = inner, limit, path
        self._count = 0
        self.failure: InputError | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        if self.failure is not None:
            return 0
        try:
            # read1: one decompression step at a time, so the bytes that came before
            # a truncation are handed on
            data = self._inner.read1(len(buffer))
        except (EOFError, OSError, zlib.error) as exc:
            self.failure = InputError(self._path, f"corrupt or truncated gzip: {exc}")
            return 0
        self._count += len(data)
        if self._count > self._limit:
            self.failure = InputError(self._path, f"decompressed gzip data larger than "
                                      f"{self._limit:,} bytes (max_decompressed_bytes)")
            return 0
        buffer[: len(data)] = data
        return len(data)


class _PrefixedReader(io.RawIOBase):
    """``head`` then the rest of ``inner``: lets stdin be sniffed and still streamed."""

    def __init__(self, head: bytes, inner: IO[bytes]):
        self._head, self._inner = head, inner

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._inner.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


@dataclass
class Source:
    """One opened input: a binary stream at its start, its head, its display path."""

    path: str  # as shown in messages and kept as RawReport.source_path ("-" for stdin)
    name: str  # the name used for the extension (without a trailing ".gz")
    stream: IO[bytes]
    head: bytes  # the first HEAD_BYTES (decompressed if gzip)
    options: Options
    guard: GzipGuard | None = None  # set for gzip input
    _encoding: str | None = None
    failure_reported: bool = False

    @property
    def compressed(self) -> bool:
        return self.guard is not None

    @property
    def failure(self) -> InputError | None:
        """Why a compressed stream ended early (None: it did not)."""
        return self.guard.failure if self.guard is not None else None

    def raise_failure(self) -> None:
        """For whole-file readers: a cut-short file is an error, not a shorter report."""
        if self.failure is not None:
            self.failure_reported = True
            raise self.failure

    @property
    def limits(self) -> Limits:
        return self.options.limits

    def encoding(self) -> str:
        """The file's encoding, sniffed once on the head."""
        if self._encoding is None:
            complete = len(self.head) < _encoding.HEAD_BYTES
            self._encoding = _encoding.sniff(self.head, self.path, complete=complete)
        return self._encoding

    def read_all(self) -> bytes:
        """The whole (decompressed) file, at most ``limits.max_file_bytes``."""
        limit = self.limits.max_file_bytes
        data = self.stream.read(limit + 1)
        self.raise_failure()
        if len(data) > limit:
            raise InputError(self.path, f"file larger than {limit:,} bytes (max_file_bytes); "
                             "split it or use JSON Lines")
        if not data:
            raise InputError(self.path, "empty file")
        return data

    def text(self) -> tuple[str, bytes]:
        """The whole file decoded, and its bytes."""
        data = self.read_all()
        if self._encoding is None:
            self._encoding = _encoding.sniff(data[: _encoding.HEAD_BYTES], self.path,
                                             complete=len(data) <= _encoding.HEAD_BYTES)
        return _encoding.decode(data, self.path, self._encoding), data


Item = Union[RawReport, InputError]

# Every reader's reason for an item with a title (or nothing) but no body ends with this:
# callers count such items as skipped (a headlines file), not as failures.
TITLE_ONLY = "no body (title only)"
Reader = Callable[[Source], Iterator[Item]]

# Editor tags given as one string: "a; b; c" or "a, b, c".
_TAG_SPLIT = re.compile(r"\s*[;,]\s*")


def split_tags(value: object) -> list[str] | None:
    """Editor tags from a list or a ``;``/``,`` separated string (None when absent)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = value.strip()
        if value.startswith("[") and value.endswith("]"):  # YAML/JSON-style list
            value = value[1:-1]
        parts = [p.strip("\"' ") for p in _TAG_SPLIT.split(value)]
    elif isinstance(value, (list, tuple)):
        parts = [str(v).strip() for v in value if v is not None and not isinstance(v, (dict, list))]
    else:
        return None
    tags = [p for p in parts if p]
    return tags or None


def prefixed(head: bytes, stream: IO[bytes]) -> IO[bytes]:
    return io.BufferedReader(_PrefixedReader(head, stream))
