"""Plain text and Markdown: one report per file.

Layout understood (every part optional)::

    remittance ryanggang province    ← an outlet's tag line (lowercase keywords, no
                                        sentence punctuation): kept as the report's
                                        ``tag_line``, never body text
    Title line                       ← the title, unless --no-title (Markdown: "# Title")
    Published: 2023-01-20            ← header lines: Title, ID, Published/Date, Source,
    Source: Tumen River Report          URL, Tags, Language (before or after the title)
    URL: https://example.org/a

    Body paragraphs…

Markdown front matter between ``---`` lines is read as header lines too.  Photo captions
and closing boilerplate are dropped (``furniture.py``).  A tag line may also open the
body (after the title and header lines).  After a tag line that opens the file, the
next line that is not a caption is the title when it reads as a headline (not a
sentence ending in a full stop: a page saved without its headline starts with the lede,
which stays body text).  A file whose body is empty
(a title and nothing else) is an ``InputError``.
"""

from __future__ import annotations

import re
from typing import Iterator

from tumen.errors import InputError
from tumen.record import RawReport
from tumen.ingest.sources.base import TITLE_ONLY, Item, Source, split_tags
from tumen.ingest.sources.furniture import dateline_date, drop_furniture, is_caption_label, is_furniture_line

# "Key: value" header lines and the RawReport field each one fills.
HEADER_KEYS = {
    "title": "title", "id": "id", "published": "published", "date": "published",
    "source": "source", "url": "url", "link": "url", "tags": "tags",
    "language": "language", "lang": "language",
    "제목": "title", "날짜": "published", "출처": "source", "태그": "tags",
}
# A first line longer than this, with nothing after it, is a body without a title (a
# headline is rarely over ~150 characters; a one-paragraph note easily is).
MAX_TITLE_CHARS = 300
_HEADER = re.compile(r"^\s*(" + "|".join(HEADER_KEYS) + r")\s*:\s*(.*?)\s*$", re.IGNORECASE)
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_MD_IMAGE_LINE = re.compile(r"^\s*!\[[^\]]*\]\([^)]*\)\s*$")
_MD_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
# One character (or one parenthesized group) per repetition: a nested quantifier here
# ("[^()\s]+" repeated) backtracks exponentially on an unclosed link target.
_MD_LINK = re.compile(r"\[([^\]]+)\]\((?:[^()\s]|\([^)]*\))*(?:\s+\"[^\"]*\")?\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_MD_RULE = re.compile(r"^\s{0,3}(?:[-*_]\s*){3,}$")
_MD_ITALIC = re.compile(r"(?<![*\w])\*(?=[^\s*])([^*\n]+?)(?<=[^\s*])\*(?![*\w])")
_MD_CODE = re.compile(r"`([^`\n]+)`")
_MD_QUOTE = re.compile(r"^\s{0,3}>\s?")
# An outlet's tag line: lowercase keywords ("bureau no. 15" included), separated by
# spaces or commas, no sentence punctuation, TAG_LINE_WORDS words.
_TAG_LINE = re.compile(r"[a-z0-9][a-z0-9'’&/ ,;-]*(?:\. ?\d[a-z0-9'’&/ ,;-]*)*")
TAG_LINE_WORDS = (3, 30)
# Words of a sentence or a headline, never of a tag line ("300 homes near border to be
# demolished" is a lowercase headline): one of them and the line is not a tag line.
SENTENCE_WORDS = frozenset("""a an the to be is are was were will would been has have had
this that these those near after before into says said""".split())
# Lines at the top of the body searched for a standing dateline ("2021.03.04").
DATELINE_LINES = 4
# A headline is shorter than this and does not end in a full stop.
MAX_HEADLINE_CHARS = 200
_SENTENCE_END = re.compile(r"[.。][\"'”’)\]]*$")


def _split_header(lines: list[str], i: int, meta: dict[str, str]) -> int:
    """Consume "Key: value" lines from ``lines[i]`` on; return the next index."""
    while i < len(lines):
        m = _HEADER.match(lines[i])
        if not m or not m.group(2):
            break
        meta.setdefault(HEADER_KEYS[m.group(1).lower()], m.group(2))
        i += 1
    return i


def is_tag_line(line: str) -> bool:
    """Whether ``line`` reads as an outlet's tag line ("remittance ryanggang province
    border agreement equipment"): lowercase keywords and nothing else."""
    line = line.strip()
    words = line.replace(",", " ").replace(";", " ").split()
    return (bool(_TAG_LINE.fullmatch(line)) and any(c.isalpha() for c in line)
            and TAG_LINE_WORDS[0] <= len(words) <= TAG_LINE_WORDS[1]
            and not any(w in SENTENCE_WORDS for w in words))


def _is_headline(line: str) -> bool:
    line = line.strip()
    return bool(line) and len(line) <= MAX_HEADLINE_CHARS and not _SENTENCE_END.search(line)


def _has_text(lines: list[str], i: int) -> bool:
    return any(ln.strip() for ln in lines[i:])


def _take_tag_line(lines: list[str], i: int, meta: dict[str, str]) -> int:
    """A tag line at ``lines[i]`` (blank lines skipped) with text after it goes to
    ``meta["tag_line"]``; returns the index after it (or ``i``)."""
    j = _skip_blank(lines, i)
    if "tag_line" not in meta and j < len(lines) and is_tag_line(lines[j]) and _has_text(lines, j + 1):
        meta["tag_line"] = " ".join(lines[j].split())
        return j + 1
    return i


def _skip_blank(lines: list[str], i: int) -> int:
    while i < len(lines) and not lines[i].strip():
        i += 1
    return i


def _front_matter(lines: list[str], meta: dict[str, str]) -> int:
    """Markdown/YAML front matter ``---`` … ``---``: its key lines are headers."""
    if not lines or lines[0].strip() != "---":
        return 0
    for end in range(1, min(len(lines), 60)):
        if lines[end].strip() in ("---", "..."):
            for line in lines[1:end]:
                if (m := _HEADER.match(line)) and m.group(2):
                    meta.setdefault(HEADER_KEYS[m.group(1).lower()], m.group(2).strip("'\""))
            return end + 1
    return 0


def markdown_to_text(text: str) -> str:
    """Light Markdown → text: heading marks, images, link targets, bold/italic/code
    marks, quote marks and rules go; the words (and list markers) stay."""
    out = []
    for line in text.splitlines():
        if _MD_IMAGE_LINE.match(line) or _MD_RULE.match(line):
            out.append("")
            continue
        if (m := _MD_HEADING.match(line)):
            line = m.group(1)
        line = _MD_IMAGE.sub(r"\1", line)
        line = _MD_LINK.sub(r"\1", line)
        line = _MD_QUOTE.sub("", line)
        line = _MD_EMPHASIS.sub(r"\2", line)
        line = _MD_ITALIC.sub(r"\1", line)
        line = _MD_CODE.sub(r"\1", line)
        out.append(line)
    return "\n".join(out)


def parse_text(text: str, *, title_line: bool, markdown: bool) -> dict[str, str]:
    """Title, header fields and body of one text/Markdown report."""
    text = text.lstrip("\ufeff")
    lines = text.splitlines()
    meta: dict[str, str] = {}
    i = _front_matter(lines, meta) if markdown else 0
    i = _split_header(lines, _skip_blank(lines, i), meta)
    if title_line and "title" not in meta and (k := _take_tag_line(lines, i, meta)) != i:
        # the file opens with a tag line: the next line that is not a caption is the
        # title if it reads as a headline, else the page came without one
        i = _split_header(lines, _skip_blank(lines, k), meta)
        j = i
        while j < len(lines) and (not lines[j].strip() or is_furniture_line(lines[j]) or (
                j + 1 < len(lines) and is_caption_label(lines[j], lines[j + 1]))):
            j += 1
        heading = _MD_HEADING.match(lines[j]) if markdown and j < len(lines) else None
        if heading:
            meta.setdefault("title", heading.group(1))
            i = _split_header(lines, _skip_blank(lines, j + 1), meta)
        elif "title" not in meta and j < len(lines) and _is_headline(lines[j]) and _has_text(lines, j + 1):
            meta["title"] = lines[j].strip()
            i = _split_header(lines, _skip_blank(lines, j + 1), meta)
    elif title_line and "title" not in meta:
        i = _skip_blank(lines, i)
        if i < len(lines):
            title = lines[i].strip()
            if markdown and (m := _MD_HEADING.match(title)):
                title = m.group(1)
            meta["title"] = title
            i += 1
            i = _split_header(lines, _skip_blank(lines, i), meta)
    elif title_line and markdown:
        # "Title:" given: a leading "# Heading" repeating it is not body text
        j = _skip_blank(lines, i)
        if j < len(lines) and (m := _MD_HEADING.match(lines[j])) and m.group(1) == meta["title"]:
            i = j + 1
    if title_line and not any(ln.strip() for ln in lines[i:]) and len(meta.get("title", "")) > MAX_TITLE_CHARS:
        lines, i = [meta.pop("title")], 0  # one long line and nothing else: a body, not a title
    i = _take_tag_line(lines, i, meta)  # a tag line opening the body
    if "published" not in meta:  # a page copied with its dateline under the headline
        top = [ln for ln in lines[i:i + 2 * DATELINE_LINES] if ln.strip()][:DATELINE_LINES]
        found = next((d for d in map(dateline_date, top) if d), None)
        if found:
            meta["published"] = found
    body = "\n".join(lines[i:])
    if markdown:
        body = markdown_to_text(body)
    meta["body"] = drop_furniture(body)
    return meta


def _read(source: Source, fmt: str) -> Iterator[Item]:
    text, data = source.text()
    meta = parse_text(text, title_line=source.options.title_line, markdown=fmt == "markdown")
    if not meta["body"].strip():
        yield InputError(source.path, TITLE_ONLY if meta.get("title") else "empty file")
        return
    yield RawReport(
        body=meta["body"], title=meta.get("title") or None, id=meta.get("id"),
        published=meta.get("published"), source=meta.get("source"), url=meta.get("url"),
        language=meta.get("language"), tags=split_tags(meta.get("tags")),
        tag_line=meta.get("tag_line"),
        source_path=source.path, format=fmt, original=data,
    )


def read_text(source: Source) -> Iterator[Item]:
    return _read(source, "text")


def read_markdown(source: Source) -> Iterator[Item]:
    return _read(source, "markdown")
