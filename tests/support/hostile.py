"""The hostile corpus: broken and malicious inputs, written into a folder at test time.

``write_corpus(folder)`` writes every case and returns them as ``Case`` objects: the
file name, what it is, and a word the one-line error must contain (``None`` when the
file is readable and must simply not break anything).  Nothing here is downloaded or
committed as a binary: each input is generated from a few bytes and counters.

All report texts are fictional and written for these tests.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

MiB = 1024 * 1024

GOOD_BODY = ("Officials of the county people's committee held a meeting on the spring "
             "planting campaign. Farmers were told to report to the fields at dawn.")


@dataclass(frozen=True)
class Case:
    name: str  # file name (relative to the corpus folder; may contain spaces or newlines)
    what: str  # the fault, as RELIABILITY.md names it
    expect: str | None  # a word of the one-line reason; None: readable (maybe partly)
    reports: int = 0  # good reports the file still holds (read around the damage)


def _good(i: int) -> str:
    return f"Report number {i}. {GOOD_BODY} Case counter {i}."


def _gzip_bomb(path: Path, size: int) -> None:
    """A small gzip (~1 KiB per MiB) that inflates to ``size`` bytes of the same line:
    one compressed MiB repeated as gzip members (a valid multi-member gzip file)."""
    line = b"the same line again and again\n"
    member = gzip.compress(line * (MiB // len(line)), compresslevel=9)
    with open(path, "wb") as fh:
        for _ in range(max(1, size // MiB)):
            fh.write(member)


def _warc_record(uri: str, html: str) -> bytes:
    html = (f"<!DOCTYPE html><html><head><title>Report</title></head><body><article>"
            f"<h1>Report</h1>{html}<p>{GOOD_BODY}</p></article></body></html>")
    payload = ("HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html).encode()
    head = (f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: {uri}\r\n"
            f"WARC-Date: 2024-03-01T00:00:00Z\r\nWARC-Record-ID: <urn:uuid:{abs(hash(uri)):032x}>\r\n"
            f"Content-Type: application/http; msgtype=response\r\n"
            f"Content-Length: {len(payload)}\r\n\r\n").encode()
    return head + payload + b"\r\n\r\n"


def _deep_html(depth: int) -> str:
    return ("<html><body>" + "<div>" * depth + f"<p>{GOOD_BODY}</p>" + "</div>" * depth
            + "</body></html>")


def _script_html() -> str:
    evil = "".join(f"<script>alert({i})</script><img src=x onerror=alert({i})>"
                   f"<a href=\"javascript:alert({i})\" onclick=\"steal()\">link</a>"
                   for i in range(200))
    return (f"<html><head><script>document.cookie</script><style>p{{}}</style></head>"
            f"<body onload=\"evil()\">{evil}<article><h1>Planting meeting</h1>"
            f"<p onmouseover=\"x()\">{GOOD_BODY}</p><p>{GOOD_BODY}</p></article>{evil}</body></html>")


def builders(big_bytes: int = 200 * MiB, bomb_bytes: int = 1100 * MiB
             ) -> list[tuple[Case, Callable[[Path], None]]]:
    """Every hostile case with the function that writes it."""
    cases: list[tuple[Case, Callable[[Path], None]]] = []

    def add(case: Case):
        def deco(fn: Callable[[Path], None]):
            cases.append((case, fn))
            return fn
        return deco

    @add(Case("empty.txt", "empty file", "empty"))
    def _(p): p.write_bytes(b"")

    @add(Case("blank.txt", "whitespace-only file", "empty"))
    def _(p): p.write_bytes(b" \n\t\r\n   \n\n")

    @add(Case("binary.txt", "binary file with a text extension", "binary"))
    def _(p): p.write_bytes(bytes(range(256)) * 64)

    @add(Case("image.html", "binary file with an HTML extension", "binary"))
    def _(p): p.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(4096))

    @add(Case("truncated.txt.gz", "truncated gzip", "gzip"))
    def _(p): p.write_bytes(gzip.compress("".join(_good(i) + "\n" for i in range(200)).encode())[:300])

    @add(Case("corrupt.json.gz", "gzip with corrupt data", "gzip"))
    def _(p):
        data = bytearray(gzip.compress(json.dumps([{"body": _good(i)} for i in range(50)]).encode()))
        data[20:40] = b"\xff" * 20
        p.write_bytes(bytes(data))

    @add(Case("truncated.warc", "truncated WARC", "truncated", reports=1))
    def _(p):
        first = _warc_record("https://example.org/a", f"<p>{GOOD_BODY} One.</p>")
        second = _warc_record("https://example.org/b", f"<p>{GOOD_BODY} Two.</p>")
        p.write_bytes(first + second[: len(second) // 2])

    @add(Case("truncated.warc.gz", "truncated gzipped WARC", "gzip", reports=11))
    def _(p):
        data = b"".join(_warc_record(f"https://example.org/{i}", f"<p>{_good(i)}</p>")
                        for i in range(20))
        p.write_bytes(gzip.compress(data)[:-200])

    @add(Case("bomb.txt.gz", "gzip bomb (small file, expands past the limit)", "max_"))
    def _(p): _gzip_bomb(p, bomb_bytes)

    @add(Case("huge.txt", "200 MB text file", "max_file_bytes"))
    def _(p):
        chunk = (_good(0) + "\n").encode() * 4096
        with open(p, "wb") as fh:
            written = 0
            while written < big_bytes:
                fh.write(chunk)
                written += len(chunk)

    @add(Case("broken-line.jsonl", "JSON Lines with a broken line in the middle", "json",
              reports=4))
    def _(p):
        lines = [json.dumps({"id": f"jl-{i}", "body": _good(100 + i)}) for i in range(4)]
        lines.insert(2, '{"id": "jl-broken", "body": "cut off in the mid')
        p.write_text("\n".join(lines) + "\n")

    @add(Case("unbalanced.csv", "CSV with unbalanced quotes", "malformed csv", reports=1))
    def _(p):
        p.write_text('id,title,body\ncsv-1,First,"' + _good(200) + '"\n'
                     'csv-2,Second,"' + _good(201) + '\ncsv-3,Third,' + _good(202) + "\n")

    @add(Case("deep.html", "HTML nested 10,000 levels deep", "max_html_depth"))
    def _(p): p.write_text(_deep_html(10_000))

    @add(Case("scripts.html", "HTML full of scripts and event handlers", None, reports=1))
    def _(p): p.write_text(_script_html())

    @add(Case("invalid-utf8.txt", "invalid UTF-8", None, reports=1))
    def _(p):
        p.write_bytes(("Title\n\n" + GOOD_BODY + " Invalid bytes follow: ").encode()
                      + b"\xc3\x28\xa0\xa1\xe2\x28\xa1\xf0\x28\x8c\xbc" + b" end of report.\n")

    @add(Case("mixed-encodings.txt", "mixed encodings (UTF-8 then EUC-KR)", "encoding"))
    def _(p):
        p.write_bytes("Title\n\n회의가 열렸다. ".encode() + GOOD_BODY.encode()
                      + " 농민들이 모였다.".encode("euc-kr") + b"\n")

    @add(Case("nul-bytes.txt", "NUL bytes in a text file", "binary"))
    def _(p): p.write_bytes(b"Title\n\n" + GOOD_BODY.encode() + b"\x00\x00 more text\x00.\n")

    @add(Case("nul-escaped.jsonl", "NUL characters inside a JSON string", None, reports=1))
    def _(p): p.write_text(json.dumps({"id": "nul-1", "body": _good(700) + "\u0000 after NUL."}) + "\n")

    @add(Case("nul-heavy.txt", "a text file mostly of NUL bytes", "binary"))
    def _(p): p.write_bytes(b"x" + b"\x00" * 20_000 + b"y")

    @add(Case("bad-dates.jsonl", "dates 0000-00-00, 9999-12-31 and garbage", None, reports=3))
    def _(p):
        rows = [{"id": "date-zero", "published": "0000-00-00", "body": _good(300)},
                {"id": "date-max", "published": "9999-12-31", "body": _good(301)},
                {"id": "date-junk", "published": "the 45th of Smarch", "body": _good(302)}]
        p.write_text("".join(json.dumps(r) + "\n" for r in rows))

    @add(Case("duplicate-ids.jsonl", "duplicate ids with different bodies", None, reports=2))
    def _(p):
        rows = [{"id": "dup-1", "body": _good(400)}, {"id": "dup-1", "body": _good(401) + " Other."}]
        p.write_text("".join(json.dumps(r) + "\n" for r in rows))

    @add(Case("name with spaces.txt", "file name with spaces", None, reports=1))
    def _(p): p.write_text("Spaces\n\n" + _good(500) + "\n")

    @add(Case("name\nwith\nnewlines.txt", "file name with newlines", None, reports=1))
    def _(p): p.write_text("Newlines\n\n" + _good(501) + "\n")

    @add(Case("..%2F..%2Fescape.txt", "file name with an encoded ../", None, reports=1))
    def _(p): p.write_text("Escape\n\n" + _good(502) + "\n")

    @add(Case("broken\nname.json", "broken JSON whose file name holds a newline", "json"))
    def _(p): p.write_text('[{"body": ')

    @add(Case("not-json.json", "JSON file that is not JSON", "json"))
    def _(p): p.write_text('{"body": "unterminated')

    @add(Case("wrong-shape.json", "JSON of the wrong shape (a number)", "json"))
    def _(p): p.write_text("12345")

    @add(Case("bad-feed.rss", "RSS feed cut off (title only: skipped)", None))
    def _(p): p.write_text('<?xml version="1.0"?><rss version="2.0"><channel><item><title>x')

    @add(Case("xml-bomb.rss", "XML entity expansion (billion laughs): not expanded", None, reports=1))
    def _(p):
        ents = '<!ENTITY a0 "lol">' + "".join(
            f'<!ENTITY a{i} "{("&a" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
        p.write_text(f'<?xml version="1.0"?><!DOCTYPE rss [{ents}]><rss version="2.0"><channel>'
                     f"<item><title>t</title><description>&a9;</description></item></channel></rss>")

    @add(Case("long-line.jsonl", "one JSON Lines line past the item limit", "max_item_bytes",
              reports=1))
    def _(p):
        with open(p, "w") as fh:
            fh.write(json.dumps({"id": "ok-before", "body": _good(600)}) + "\n")
            fh.write('{"id": "long", "body": "' + "x" * (17 * MiB) + '"}\n')

    return cases


def write_corpus(folder: Path, **sizes: int) -> list[Case]:
    """Write every case into ``folder``; returns the cases in order."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for case, build in builders(**sizes):
        build(folder / case.name)
        out.append(case)
    return out


def write_one(folder: Path, name: str, **sizes: int) -> Case:
    for case, build in builders(**sizes):
        if case.name == name:
            folder.mkdir(parents=True, exist_ok=True)
            build(folder / case.name)
            return case
    raise KeyError(name)


def good_reports(folder: Path, n: int = 3) -> list[Path]:
    """A few ordinary reports, to check the rest of a batch goes in."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        p = folder / f"good-{i}.txt"
        p.write_text(f"Good report {i}\n\n{_good(900 + i)}\n")
        paths.append(p)
    return paths


# Words for the synthetic reports of the fault tests: fictional, ordinary, many enough
# that no two generated bodies are near-duplicates of each other.
_WORDS = """
market price rice corn maize flour bread salt sugar oil fuel diesel coal wood cement
steel iron copper zinc paper cloth cotton shoes coats soap medicine phone radio
battery truck bicycle train bus ferry bridge road rail river border bank field farm
factory mine mill shop stall kiosk school clinic hospital office station barracks
camp prison court hall square street village town county city district province
officer official inspector teacher doctor worker farmer trader driver soldier guard
clerk manager cadre student pensioner youth league union committee brigade team
unit squad group office bureau ministry department agency division branch section
meeting lecture session campaign drive order notice decree rule quota plan target
report list survey count check search raid patrol visit tour trip journey return
morning evening night noon dawn dusk week month season spring summer autumn winter
rain snow frost flood drought storm wind heat cold harvest planting weeding threshing
bought sold raised lowered doubled halved delayed cancelled announced posted read
told asked warned ordered fined detained released moved closed opened built repaired
""".split()


def synthetic_body(i: int, words: int = 60) -> str:
    """A fictional report body, different for every ``i`` (deterministic)."""
    import random

    rng = random.Random(i)
    parts = [f"Synthetic report {i}."]
    sentence: list[str] = []
    for _ in range(words):
        sentence.append(rng.choice(_WORDS))
        if len(sentence) >= rng.randint(8, 14):
            parts.append(" ".join(sentence).capitalize() + ".")
            sentence = []
    if sentence:
        parts.append(" ".join(sentence).capitalize() + ".")
    parts.append(f"Counter {i} ends here.")
    return " ".join(parts)


def synthetic_jsonl(path: Path, n: int, start: int = 0, prefix: str = "syn") -> list[str]:
    """``n`` synthetic reports as JSON Lines (ids ``prefix-000123``); returns the ids."""
    ids = []
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(start, start + n):
            rid = f"{prefix}-{i:06d}"
            ids.append(rid)
            day = 1 + i % 28
            fh.write(json.dumps({"id": rid, "title": f"Synthetic report {i}",
                                 "published": f"2023-{1 + i % 12:02d}-{day:02d}",
                                 "source": "Test Outlet", "body": synthetic_body(i)}) + "\n")
    return ids


__all__ = ["Case", "builders", "good_reports", "synthetic_body", "synthetic_jsonl",
           "write_corpus", "write_one"]
