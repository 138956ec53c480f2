"""JSON (an object or an array of objects), JSON Lines and CSV.

Fields: ``id, title, published, source, url, body, tags`` (plus ``language``).  ``text``
and ``content`` are accepted for ``body`` (and ``date`` for ``published``, ``link`` for
``url``) unless the file has the field itself; ``--map body=content,published=date``
names other columns.  Fields we do not know are kept in ``RawReport.extra``.

A title-only item (empty or missing body, like every line of a headlines file) is an
``InputError`` "no body (title only)", not a report: it has nothing to analyze.  The
check is one dictionary lookup per item, so it costs nothing on 100k-line files.

JSON Lines and CSV stream: one line (one record) in memory at a time, the encoding
sniffed once per file; the original bytes of an item are its own line (record).  A
broken line is one error naming its line number; the lines after it are still read.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from typing import Any, Iterable, Iterator

from tumen.errors import InputError
from tumen.record import RawReport
from tumen.ingest.sources.base import TITLE_ONLY, Item, Source, split_tags

FIELDS = ("id", "title", "published", "source", "url", "body", "tags", "language")
# Default aliases, used only when the canonical field is absent from an item.
ALIASES = {"body": ("text", "content"), "published": ("date",), "url": ("link",),
           "language": ("lang",)}

# Raised once for the whole process: one CSV field may hold a whole long report.
csv.field_size_limit(64 * 1024 * 1024)


class FieldMap:
    """Where each of our fields is found in an item: ``--map`` first, then aliases."""

    def __init__(self, field_map: dict[str, str] | None):
        self.explicit = dict(field_map or {})
        unknown = set(self.explicit) - set(FIELDS)
        if unknown:
            raise ValueError(f"--map names unknown fields {sorted(unknown)}; "
                             f"known: {', '.join(FIELDS)}")
        self.used = set(self.explicit.values())
        # keys that fill one of our fields: everything else goes to RawReport.extra
        self.known = ({self.explicit.get(f, f) for f in FIELDS} | self.used
                      | {a for f in FIELDS for a in ALIASES.get(f, ())})

    def get(self, item: dict[str, Any], name: str) -> Any:
        key = self.explicit.get(name)
        if key is not None:
            return item.get(key)
        value = item.get(name)
        if value is None:
            for alias in ALIASES.get(name, ()):
                if alias not in self.used and (value := item.get(alias)) is not None:
                    break
        return value


def _str(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


# A JSON escape of a UTF-16 surrogate (\ud800-\udfff): a pair is one character, a
# lone one decodes to a Python string that cannot be encoded (nor stored, nor analyzed).
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abcdefABCDEF]")


def lone_surrogate(item: Any) -> str | None:
    """The first lone surrogate in a decoded JSON value, spelled ``\\ud800``, else None."""
    try:
        json.dumps(item, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"\\u{ord(exc.object[exc.start]):04x}"
    return None


def surrogate_reason(item: Any, raw: bytes) -> str | None:
    """Why a JSON item whose source text is ``raw`` cannot be a report: it holds a lone
    surrogate (checked only when ``raw`` has a surrogate escape: free for other items)."""
    if b"\\u" in raw and _SURROGATE_ESCAPE.search(raw) and (bad := lone_surrogate(item)):
        return f"lone surrogate {bad} in a JSON string (half of a UTF-16 pair, not a character)"
    return None


def make_report(item: Any, fields: FieldMap, source: Source, fmt: str, locator: str,
                line: int | None, original: bytes) -> Item:
    """One item (a dict) → RawReport, or the InputError saying why not."""
    # line-based formats: the error's line number says where; others name the item
    where = "" if fmt in ("jsonl", "csv") else f"{locator}: "
    if not isinstance(item, dict):
        return InputError(source.path, f"{where}not a JSON object", line)
    if fmt != "csv" and (reason := surrogate_reason(item, original)):
        return InputError(source.path, f"{where}{reason}", line)
    body = fields.get(item, "body")
    if isinstance(body, list) and all(isinstance(p, str) for p in body):
        body = "\n\n".join(body)
    if not body or (isinstance(body, str) and body.isspace()):
        if body is None and fields.get(item, "title") is None:
            return InputError(source.path, f"{where}no body field "
                              "(expected body, text or content, or --map body=FIELD)", line)
        return InputError(source.path, f"{where}{TITLE_ONLY}", line)
    if not isinstance(body, str):
        return InputError(source.path, f"{where}body is not text", line)
    known = fields.known
    extra = {k: v for k, v in item.items() if k not in known}
    return RawReport(
        body=body, title=_str(fields.get(item, "title")), id=_str(fields.get(item, "id")),
        published=_str(fields.get(item, "published")), source=_str(fields.get(item, "source")),
        url=_str(fields.get(item, "url")), language=_str(fields.get(item, "language")),
        tags=split_tags(fields.get(item, "tags")), source_path=source.path, locator=locator,
        format=fmt, original=original, extra=extra,
    )


def _fields(source: Source) -> FieldMap:
    try:
        return FieldMap(source.options.field_map)
    except ValueError as exc:
        raise InputError(source.path, str(exc)) from None


_BAD = object()


def _legacy_line(line: bytes) -> Any:
    """A JSON line that is not UTF-8: the Korean legacy code page, else None."""
    try:
        text = line.decode("cp949")
    except UnicodeDecodeError:
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return _BAD


def read_jsonl(source: Source) -> Iterator[Item]:
    fields = _fields(source)
    encoding = source.encoding()
    max_line = source.limits.max_item_bytes
    if encoding in ("utf-8", "utf-8-sig"):
        lines: Iterable[bytes] = iter(lambda: source.stream.readline(max_line + 1), b"")
        utf8 = True
    else:  # UTF-16/32 or a legacy code page: decode the stream, re-encode each line
        text = io.TextIOWrapper(source.stream, encoding=encoding, errors="strict", newline="")
        lines = (ln.encode(encoding.replace("-sig", "")) for ln in
                 iter(lambda: text.readline(max_line + 1), ""))
        utf8 = False
    number = 0
    skip_rest = False
    for raw in lines:
        number += 1
        if skip_rest:  # the tail of an over-long line
            skip_rest = not raw.endswith(b"\n")
            number -= 1
            continue
        if len(raw) > max_line:
            yield InputError(source.path, f"line longer than {max_line:,} bytes (max_item_bytes)", number)
            skip_rest = not raw.endswith(b"\n")
            continue
        if not raw.endswith(b"\n") and source.failure is not None:
            return  # the line a truncated stream cut in two: read_stream reports why
        line = raw.rstrip(b"\r\n")
        if number == 1 and line.startswith(codecs.BOM_UTF8):
            line = line[len(codecs.BOM_UTF8):]
        if not line.strip():
            continue
        try:
            item = json.loads(line) if utf8 else json.loads(line.decode(encoding.replace("-sig", "")))
        except json.JSONDecodeError as exc:
            yield InputError(source.path, f"malformed JSON line: {exc.msg} (column {exc.colno})", number)
            continue
        except UnicodeDecodeError as exc:
            item = _legacy_line(line)  # a line in another encoding than the file's head
            if item is None:
                yield InputError(source.path, f"line is not {encoding} text: {exc.reason}", number)
                continue
        except ValueError as exc:
            yield InputError(source.path, f"malformed JSON line: {exc}", number)
            continue
        except RecursionError:
            yield InputError(source.path, "JSON nested too deeply", number)
            continue
        if item is _BAD:
            yield InputError(source.path, "malformed JSON line (in CP949)", number)
            continue
        yield make_report(item, fields, source, "jsonl", f"line {number}", number, line)


# Keys under which an export wraps its list of items: {"items": [...]} and the like.
WRAPPER_KEYS = ("items", "reports", "articles", "entries", "data", "results", "records", "posts")


def _json_items(text: str) -> Iterator[tuple[Any, str, int]]:
    """Items of a JSON document (object or array) with their exact source text and line."""
    decoder = json.JSONDecoder()
    ws = " \t\r\n"
    i = len(text) - len(text.lstrip(ws + "\ufeff"))
    line, counted = 1, 0  # line numbers counted incrementally: linear in the file

    def line_at(pos: int) -> int:
        nonlocal line, counted
        line += text.count("\n", counted, pos)
        counted = pos
        return line

    if i < len(text) and text[i] == "[":
        i += 1
        while True:
            while i < len(text) and text[i] in ws:
                i += 1
            if i < len(text) and text[i] == "]":
                return
            start = i
            item, i = decoder.raw_decode(text, i)
            yield item, text[start:i], line_at(start)
            while i < len(text) and text[i] in ws:
                i += 1
            if i < len(text) and text[i] == ",":
                i += 1
            elif i < len(text) and text[i] == "]":
                return
            else:
                raise json.JSONDecodeError("expected ',' or ']' after an array item", text, i)
    item, end = decoder.raw_decode(text, i)
    if text[end:].strip(ws):
        raise json.JSONDecodeError("extra data after the JSON value", text, end)
    yield item, text[i:end], line_at(i)


def _unwrap(item: Any, fields: FieldMap) -> list[Any] | None:
    """The item list of a wrapper object ({"items": [...]}) that is not a report itself."""
    if not isinstance(item, dict) or fields.get(item, "body") is not None:
        return None
    for key in WRAPPER_KEYS:
        value = item.get(key)
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            return value
    return None


def read_json(source: Source) -> Iterator[Item]:
    fields = _fields(source)
    text, _ = source.text()
    encoding = source.encoding().replace("-sig", "")
    index = 0
    try:
        for item, raw, line in _json_items(text):
            inner = _unwrap(item, fields)
            if inner is not None:  # original bytes: each item re-serialized
                for n, sub in enumerate(inner, 1):
                    original = json.dumps(sub, ensure_ascii=False).encode(encoding, errors="replace")
                    yield make_report(sub, fields, source, "json", f"item {n}", None, original)
                return
            index += 1
            yield make_report(item, fields, source, "json", f"item {index}", line,
                              raw.encode(encoding, errors="replace"))
    except json.JSONDecodeError as exc:
        yield InputError(source.path, f"malformed JSON: {exc.msg} (column {exc.colno})", exc.lineno)
    except RecursionError:
        yield InputError(source.path, "JSON nested too deeply")


def read_csv(source: Source) -> Iterator[Item]:
    fields = _fields(source)
    encoding = source.encoding()
    text = io.TextIOWrapper(source.stream, encoding=encoding, errors="strict", newline="")
    delimiter = "\t" if source.name.lower().endswith(".tsv") else ","
    max_item = source.limits.max_item_bytes
    consumed: list[str] = []
    size = 0

    def lines() -> Iterator[str]:
        nonlocal size
        for ln in text:
            consumed.append(ln)
            size += len(ln)
            if size > max_item:
                raise InputError(source.path, f"CSV record longer than {max_item:,} "
                                 "characters (max_item_bytes)", reader.line_num + 1)
            yield ln

    reader = csv.reader(lines(), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise InputError(source.path, "empty file") from None
    except csv.Error as exc:
        raise InputError(source.path, f"malformed CSV header: {exc}", 1) from None
    header = [h.strip().lstrip("\ufeff") for h in header]
    missing = [f"{ours}={theirs}" for ours, theirs in fields.explicit.items() if theirs not in header]
    if missing:
        raise InputError(source.path, f"--map {', '.join(missing)}: no such column "
                         f"(columns: {', '.join(header)})", 1)
    if fields.get(dict.fromkeys(header, "x"), "body") is None:
        raise InputError(source.path, f"no body column (columns: {', '.join(header)}); "
                         "use --map body=COLUMN", 1)
    out_encoding = encoding.replace("-sig", "")
    while True:
        consumed.clear()
        size = 0
        first = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield InputError(source.path, f"malformed CSV record: {exc}", first)
            return  # the csv module cannot resynchronize inside a broken quoted field
        if source.failure is not None and consumed and not consumed[-1].endswith(("\n", "\r")):
            return  # the record a truncated stream cut in two: read_stream reports why
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            yield InputError(source.path, f"record has {len(row)} fields, the header "
                             f"{len(header)}", first)
            continue
        item = dict(zip(header, row))
        original = "".join(consumed).rstrip("\r\n").encode(out_encoding, errors="replace")
        yield make_report(item, fields, source, "csv", f"line {first}", first, original)
