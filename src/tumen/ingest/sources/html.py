"""HTML pages: main text, title, date, author, URL and language through trafilatura.

Navigation, comments and footers are dropped by trafilatura's extractor; the paragraphs
it keeps are separated by blank lines; photo captions, credits, bylines, share lines and
closing boilerplate are dropped (``furniture.py``).

The publication date is the page's own (``published_date``): its metadata first
(``article:published_time`` and the other meta names, JSON-LD ``datePublished``,
``<time datetime>``), then a dateline standing alone in the page ("2021.03.04",
"May 3, 2022"), then a date in the URL ("/2021/03/04/").  No date is guessed from the
running text or a copyright year: a page without one is stored undated and flagged.
The title is the page's headline without the site name; the language is the page's
declared one (``<html lang>``, ``Content-Language``, ``og:locale``), else Korean when
the text is mostly Hangul.  ``html_to_text`` converts an HTML fragment (a feed item's
content) to paragraphs without any extraction heuristics.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from tumen.errors import InputError
from tumen.record import RawReport
from tumen.ingest.sources.base import Item, Source
from tumen.ingest.sources.encoding import bom_encoding, decode
from tumen.ingest.sources.furniture import drop_furniture

# Elements that start a new paragraph when an HTML fragment is turned into text.
# (HTML names, and the names trafilatura's output tree uses: head, list, item, quote, row.)
BLOCK_TAGS = frozenset("""address article aside blockquote dd div dl dt figcaption
figure footer h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section table tr ul
head list item quote row""".split())
# Elements that end a line inside a paragraph (HTML <br>, trafilatura <lb>).
LINE_BREAK_TAGS = frozenset(("br", "lb"))
# Table cells: their text is separated by a space.
CELL_TAGS = frozenset(("td", "th", "cell"))
# Elements whose text is never report text.
SKIP_TAGS = frozenset("script style noscript template svg iframe object".split())

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_WHITESPACE = re.compile(r"\s+")  # in HTML text every whitespace run is one space
_LINE_EDGES = re.compile(r" *\n *")


def _depth(tree: Any) -> int:
    """Deepest element nesting of an lxml tree (iterative: no recursion limit)."""
    deepest = 0
    stack = [(tree, 1)]
    while stack:
        element, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in element)
    return deepest


def _blocks(element: Any) -> list[str]:
    """Text of an element as paragraphs: block elements break, inline ones flow."""
    paragraphs: list[str] = []
    current: list[str] = []

    def flush() -> None:
        # text runs were collapsed to single spaces; the only newlines are <br>s
        text = _LINE_EDGES.sub("\n", "".join(current)).strip()
        if text:
            paragraphs.append(text)
        current.clear()

    def walk(el: Any) -> None:
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if tag in SKIP_TAGS or not isinstance(el.tag, str):
            if el.tail:
                current.append(_WHITESPACE.sub(" ", el.tail))
            return
        if tag in LINE_BREAK_TAGS:
            current.append("\n")
            if el.tail:
                current.append(_WHITESPACE.sub(" ", el.tail))
            return
        if tag in CELL_TAGS:
            current.append(" ")
        block = tag in BLOCK_TAGS
        if block:
            flush()
        if el.text:
            current.append(_WHITESPACE.sub(" ", el.text))
        for child in el:
            walk(child)
        if block:
            flush()
        if el.tail:
            current.append(_WHITESPACE.sub(" ", el.tail))

    # depth-limited by the callers (max_html_depth), so recursion is bounded
    walk(element)
    flush()
    return paragraphs


def html_to_text(fragment: str) -> str:
    """An HTML fragment as plain text, paragraphs separated by blank lines."""
    if "<" not in fragment:
        return fragment
    import lxml.html

    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except Exception:  # lxml raises several types on garbage; the text is still wanted
        return re.sub(r"<[^>]*>", " ", fragment)
    if _depth(root) > 200:
        return " ".join(root.itertext())
    return "\n\n".join(_blocks(root))


def html_encoding(data: bytes, declared: str | None = None) -> str | None:
    """The charset declared by HTTP or a <meta> tag, if Python knows it."""
    import codecs

    candidates = [declared]
    if (m := _META_CHARSET.search(data[:4096])):
        candidates.append(m.group(1).decode("ascii", "replace"))
    for name in candidates:
        if not name:
            continue
        try:
            codec = codecs.lookup(name.strip().lower()).name
        except LookupError:
            continue
        return "cp949" if codec in ("euc_kr", "iso2022_kr") else codec
    return None


def decode_html(data: bytes, path: str, declared: str | None = None) -> str:
    """A page's text: a BOM wins, then the declared charset, then detection."""
    if not data:
        raise InputError(path, "empty file")
    encoding = bom_encoding(data) or html_encoding(data, declared)
    if encoding:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            pass  # a wrong declaration: detect instead
    return decode(data, path)


def published_date(html: str, url: str | None = None) -> str | None:
    """The page's publication day (ISO), from its metadata, a dateline or its URL."""
    from htmldate import find_date

    try:
        # no extensive search: it would take a date from the running text or the footer
        return find_date(html, extensive_search=False, original_date=True, url=url,
                         deferred_url_extractor=True)
    except Exception:  # htmldate on a page it cannot parse: no date, not a failed page
        return None


_HANGUL = re.compile(r"[\uac00-\ud7a3]")
# The mark a browser leaves on a page saved to disk: "<!-- saved from url=(0052)https://... -->".
_SAVED_FROM = re.compile(r"<!--\s*saved from url=\(\d+\)(https?://[^\s>]+?)\s*-->", re.I)
_LETTER = re.compile(r"[^\W\d_]")


def _language(tree: Any, doc: Any, text: str) -> str | None:
    language = tree.get("lang") or tree.get("xml:lang")
    if not language:
        found = tree.xpath('//meta[@http-equiv="content-language" or @http-equiv="Content-Language"]/@content'
                           ' | //meta[@property="og:locale"]/@content')
        language = found[0] if found else getattr(doc, "language", None)
    if not language and text:
        sample = text[:4000]
        letters = len(_LETTER.findall(sample))
        if letters and len(_HANGUL.findall(sample)) > letters / 2:
            language = "ko"
    return (language or "").replace("_", "-").split("-")[0].strip().lower() or None


def extract(html: str, path: str, *, url: str | None = None, max_depth: int = 200) -> dict[str, Any]:
    """Main text and metadata of one HTML page: body, title, published, url, language,
    source (the site's name) and author."""
    import trafilatura
    from trafilatura.utils import load_html

    if url is None and (saved := _SAVED_FROM.search(html[:4096])):
        url = saved.group(1)
    tree = load_html(html)
    if tree is None:
        raise InputError(path, "not an HTML page (cannot be parsed)")
    depth = _depth(tree)
    if depth > max_depth:
        raise InputError(path, f"HTML nested {depth} levels deep (limit {max_depth}, max_html_depth)")
    doc = trafilatura.bare_extraction(tree, url=url, with_metadata=True, include_comments=False,
                                      include_tables=True)
    title = getattr(doc, "title", None) if doc is not None else None
    paragraphs = _blocks(doc.body) if doc is not None and doc.body is not None else []
    if not paragraphs:
        # very short pages: trafilatura keeps nothing; take the page's visible blocks
        body_el = load_html(html)
        body = body_el.find(".//body") if body_el is not None else None
        paragraphs = _blocks(body) if body is not None else []
        if title is None and body_el is not None:
            title = (body_el.findtext(".//title") or "").strip() or None
    if paragraphs and title and paragraphs[0].strip() == title.strip():
        paragraphs = paragraphs[1:]  # the <h1> repeating the title
    body = drop_furniture("\n\n".join(paragraphs))
    page_url = (getattr(doc, "url", None) if doc is not None else None) or url
    return {
        "body": body,
        "title": title,
        "published": published_date(html, page_url),
        "url": page_url,
        "language": _language(tree, doc, body),
        "source": getattr(doc, "sitename", None) if doc is not None else None,
        "author": getattr(doc, "author", None) if doc is not None else None,
    }


def read_html(source: Source) -> Iterator[Item]:
    data = source.read_all()
    html = decode_html(data, source.path)
    page = extract(html, source.path, max_depth=source.limits.max_html_depth)
    if not page["body"].strip():
        yield InputError(source.path, "no main text found in the HTML page")
        return
    yield RawReport(body=page["body"], title=page["title"], published=page["published"],
                    url=page["url"], language=page["language"], source=page["source"],
                    source_path=source.path, format="html", original=data,
                    extra={"author": page["author"]} if page["author"] else {})
