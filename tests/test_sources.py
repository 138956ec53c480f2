"""Input readers: every format, every encoding, and bad input that never stops a batch."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tumen.errors import InputError
from tumen.ingest.normalize import normalize
from tumen.record import RawReport
from tumen.ingest.sources import FORMATS, Limits, detect_format, read_bytes, read_path

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "sources"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CORPORA = SHARED / "data" / "corpora"


def split(items):
    items = list(items)
    reports = [i for i in items if isinstance(i, RawReport)]
    errors = [i for i in items if isinstance(i, InputError)]
    assert len(reports) + len(errors) == len(items)
    return reports, errors


def only_report(path, **kwargs) -> RawReport:
    reports, errors = split(read_path(path, **kwargs))
    assert errors == [] and len(reports) == 1
    return reports[0]


# ---------------------------------------------------------------- text and Markdown

def test_sources_text_title_headers_and_furniture():
    path = FIXTURES / "market_closure.txt"
    r = only_report(path)
    assert r.format == "text" and r.source_path == str(path)
    assert r.title == "Hoeryong market traders told to close stalls early"
    assert r.published == "2023-03-14" and r.source == "Tumen Test Wire"
    assert r.url == "https://example.org/tumen-test/2023/03/14/hoeryong-market"
    assert r.tags == ["market", "North Hamgyong Province", "curfew"]
    assert r.body.lstrip().startswith("Market managers in Hoeryong")
    assert "FILE PHOTO" not in r.body and "/ Image:" not in r.body
    assert "Please direct" not in r.body and "Read in Korean" not in r.body
    assert "fine of 50,000 won." in r.body
    assert r.original == path.read_bytes()


def test_sources_text_no_title_keeps_first_line_in_body():
    path = FIXTURES / "no_title_notes.txt"
    assert only_report(path).title.startswith("border  patrols")
    r = only_report(path, title_line=False)
    assert r.title is None and r.body.startswith("border  patrols were doubled")


def test_sources_markdown_front_matter_and_markup():
    r = only_report(FIXTURES / "inspection.md")
    assert r.format == "markdown"
    assert r.title == "Inspection teams visit Hyesan schools"
    assert r.published == "2022-11-02" and r.tags == ["propaganda", "education"]
    assert "# " not in r.body and "![" not in r.body and "**" not in r.body
    assert "looking for foreign textbooks" in r.body and "https://" not in r.body
    assert "Photo credit" not in r.body
    assert not r.body.lstrip().startswith("Inspection teams visit")  # heading = title


def test_sources_markdown_to_text_keeps_words():
    from tumen.ingest.sources.text import markdown_to_text

    text = "> A *quoted* line with **bold**, `code`, 2 * 3 * 4 and a_b_c.\n- item *one*\n## Head"
    assert markdown_to_text(text) == "A quoted line with bold, code, 2 * 3 * 4 and a_b_c.\n- item one\nHead"


@pytest.mark.skipif(not (SHARED / "seeds").is_dir(), reason="shared seeds absent")
def test_sources_seed_tag_line_kept_and_furniture_dropped():
    seed = next((SHARED / "seeds").glob("000_*.txt"))
    lines = seed.read_text(encoding="utf-8").splitlines()
    lede = next(ln for ln in lines[2:] if ln.strip())  # line 2 is a photo caption
    for title_line in (True, False):
        r = only_report(seed, title_line=title_line)
        assert r.tag_line == lines[0]  # the site's tag line, not the title, not body text
        # the next line is a caption and the lede is a sentence: the page came untitled
        assert r.title is None
        assert r.body.lstrip().startswith(lede)
        assert lines[0] not in r.body
        assert "FILE PHOTO" not in r.body and "/ Image:" not in r.body
        assert "\nlabor camp\n" not in r.body  # the image's label above its caption
        assert "Please direct" not in r.body and "Read in Korean" not in r.body
        assert r.body.rstrip().endswith(lines[-3].strip())  # the last paragraph of reporting


def test_sources_text_tag_line_then_title():
    text = ("arrests north hamgyong province smuggling bureau no. 15\n"
            "Security officers detain copper smugglers in Musan\n\n"
            "Officers of the provincial security bureau detained four men in Musan last week.\n")
    r, = split(read_bytes(text.encode(), path="page.txt"))[0]
    assert r.tag_line == "arrests north hamgyong province smuggling bureau no. 15"
    assert r.title == "Security officers detain copper smugglers in Musan"
    assert r.body.strip() == "Officers of the provincial security bureau detained four men in Musan last week."
    # the image's label and caption between the tag line and the headline are furniture
    text = ("arrests musan smuggling\nriver crossing\nA river seen from a hill. / Image: River Wire\n"
            "By Han Mi-rae\nSecurity officers detain copper smugglers in Musan\n2023.05.02\n\n"
            "Officers detained four men in Musan last week.\n")
    r, = split(read_bytes(text.encode(), path="page.txt"))[0]
    assert (r.tag_line, r.title, r.published) == (
        "arrests musan smuggling", "Security officers detain copper smugglers in Musan", "2023.05.02")
    assert r.body.strip() == "Officers detained four men in Musan last week."
    # a tag line under the title and header lines opens the body: it is kept, not body
    text = ("Copper smugglers detained\nPublished: 2023-05-02\n\nsmuggling copper musan\n\n"
            "Four men were detained in Musan.\n")
    r, = split(read_bytes(text.encode(), path="page.txt"))[0]
    assert (r.title, r.published, r.tag_line) == ("Copper smugglers detained", "2023-05-02",
                                                  "smuggling copper musan")
    assert r.body.strip() == "Four men were detained in Musan."


@pytest.mark.parametrize("dateline", ["2021.03.04", "Posted 2021-03-04 14:22", "March 4, 2021",
                                      "입력 2021.03.04 09:30"])
def test_sources_text_page_dateline_is_its_date(dateline):
    text = f"Stall rules for Hyesan traders\n{dateline}\n\nOfficials in Hyesan ordered traders to register.\n"
    r, = split(read_bytes(text.encode(), path="page.txt"))[0]
    assert r.title == "Stall rules for Hyesan traders"
    assert normalize(r).published == "2021-03-04"
    assert dateline not in r.body and r.body.strip() == "Officials in Hyesan ordered traders to register."
    # a header date wins; a date inside a sentence is no dateline
    r, = split(read_bytes(f"Title\nPublished: 2022-05-06\n\n{dateline}\n\nText.\n".encode(), path="p.txt"))[0]
    assert r.published == "2022-05-06"
    r, = split(read_bytes(b"Title\n\nOn March 4, 2021 the office closed.\n", path="p.txt"))[0]
    assert r.published is None


def test_sources_markdown_tag_line_then_heading():
    text = ("smuggling copper musan\n\n# Copper smugglers detained in Musan\n\n"
            "![a market](/img/m.jpg)\n\nFour men were **detained** in Musan.\n")
    r, = split(read_bytes(text.encode(), path="page.md"))[0]
    assert (r.tag_line, r.title) == ("smuggling copper musan", "Copper smugglers detained in Musan")
    assert r.body.strip() == "Four men were detained in Musan."


@pytest.mark.parametrize("text", [
    "Markets reopen in Hyesan\n\nTraders said rice cost more.\n",    # capitals: a headline
    "prices rose again this week.\n\nTraders said rice cost more.\n",  # a sentence
    "note: markets and prices\n\nTraders said rice cost more.\n",      # a header-like line
    "200 houses near the river to be torn down\n\nThe order came last week.\n",  # a lowercase headline
    "markets and prices rose\n",                                     # nothing after it: the report
])
def test_sources_text_first_line_not_a_tag_line(text):
    reports, _ = split(read_bytes(text.encode(), path="n.txt"))
    assert all(r.tag_line is None for r in reports)


# ---------------------------------------------------------------- encodings

def test_sources_utf16_file():
    r = only_report(FIXTURES / "utf16_notice.txt")
    assert r.title == "Lecture on the new traffic rules" and r.published == "2022-08-09"
    assert r.body.strip().startswith("Residents of Wonsan")


def test_sources_utf8_bom_file():
    r = only_report(FIXTURES / "bom_notice.txt")
    assert r.title == "Water rationing in Nampo"  # no U+FEFF left in front
    assert "\u2014 mornings only" in r.body


def test_sources_cp949_korean_file():
    r = only_report(FIXTURES / "cp949_market.txt")
    assert r.title == "혜산 장마당 단속 강화"
    assert r.published == "2023-04-05"  # the Korean "날짜:" header
    assert r.body.strip().startswith("양강도 혜산시에서 장마당 단속이")


def test_sources_cp949_jsonl_is_decoded_per_line():
    lines = [json.dumps({"id": f"k{i}", "body": f"평양에서 {i}번째 강연회가 열렸다."}, ensure_ascii=False)
             for i in range(3)]
    data = "\n".join(lines).encode("cp949")
    reports, errors = split(read_bytes(data, path="ko.jsonl"))
    assert errors == [] and [r.id for r in reports] == ["k0", "k1", "k2"]
    assert reports[2].body == "평양에서 2번째 강연회가 열렸다."
    assert reports[1].original == lines[1].encode("cp949")


def test_sources_utf16_jsonl():
    data = '{"id": "a", "body": "First report."}\n{"id": "b", "body": "Second report."}\n'
    reports, errors = split(read_bytes(data.encode("utf-16"), path="u16.jsonl"))
    assert errors == [] and [r.body for r in reports] == ["First report.", "Second report."]


# ---------------------------------------------------------------- HTML

def test_sources_html_main_text_and_metadata():
    r = only_report(FIXTURES / "river_patrol.html")
    assert r.format == "html"
    assert r.title == "Night patrols added on the Yalu"
    assert r.published == "2021-09-08"
    assert r.url == "https://example.org/tumen-test/2021/09/08/yalu-night-patrols"
    assert r.language == "en"
    assert r.body.startswith("Border guards along the Yalu River")
    assert "\n\nThe new patrol walks" in r.body  # paragraphs stay paragraphs
    for furniture in ("Home", "Politics", "Reader123", "Copyright", "FILE PHOTO"):
        assert furniture not in r.body


def test_sources_html_news_page_furniture_dropped():
    r = only_report(FIXTURES / "sinuiju_rations.html")
    assert (r.title, r.published, r.source) == ("Sinuiju factory workers get half rations",
                                                 "2022-05-03", "Tumen Test Wire")
    assert r.body.startswith("Workers at a shoe factory in Sinuiju")
    assert r.body.endswith("faced the same problem this spring.")
    assert r.body.count("\n\n") == 3
    for furniture in ("cookies", "Donate", "Share on", "FILE PHOTO", "Most read", "Related",
                      "Anonymous", "Privacy", "Please direct", "By Test Desk"):
        assert furniture not in r.body


# Paragraphs of a page written for these tests (no third-party text).
_STALLS = ("<p>Officials in Hyesan ordered traders to register their stalls with the market "
           "office before the end of the month, two traders in the city said.</p>"
           "<p>Traders who fail to register will lose their places, and several of them have "
           "already queued at the office for two days, one of the traders added.</p>"
           "<p>The order follows a month of inspections of the city's largest market.</p>")


def _page(head: str = "", before: str = "", lang: str = ' lang="en"', url: str | None = None,
          saved: bool = False) -> RawReport:
    html = ("<!-- saved from url=(0053)https://example.org/news/2021/03/04/stall-rules.html -->\n"
            if saved else "") + (f"<!DOCTYPE html><html{lang}><head><meta charset='utf-8'><title>Stall rules for Hyesan "
            f"traders | River Wire</title>{head}</head><body><header><nav><a href='/'>Home</a>"
            f"</nav></header><article><h1>Stall rules for Hyesan traders</h1>{before}{_STALLS}"
            f"</article><footer><p>&copy; 2024 River Wire</p></footer></body></html>")
    if url is not None:
        from tumen.ingest.sources.html import extract

        page = extract(html, "page.html", url=url)
        return RawReport(body=page["body"], published=page["published"], url=page["url"])
    r, = split(read_bytes(html.encode("utf-8"), path="page.html"))[0]
    return r


@pytest.mark.parametrize("head, before, url", [
    ('<meta property="article:published_time" content="2021-03-04T09:00:00+09:00">', "", None),
    ('<script type="application/ld+json">{"@context": "https://schema.org", "@type": "NewsArticle", '
     '"datePublished": "2021-03-04T09:00:00+09:00"}</script>', "", None),
    ("", '<time datetime="2021-03-04">4 March</time>', None),
    ("", '<div class="date">2021.03.04</div>', None),                  # a dateline
    ("", '<p class="meta">Posted 2021.03.04 14:22</p>', None),
    ('<link rel="canonical" href="https://example.org/news/2021/03/04/stall-rules">', "", None),
    ("", "", "https://example.org/2021/03/04/stall-rules.html"),       # the URL it was saved from
    # the page's own date wins over a date in the URL
    ('<meta property="article:published_time" content="2021-03-04">', "",
     "https://example.org/2020/01/09/stall-rules.html"),
    # the URL a browser notes on a page it saved
    ("", "", None),
], ids=["article-published-time", "json-ld", "time-element", "dateline", "posted-dateline",
        "canonical-url", "given-url", "meta-over-url", "saved-from-url"])
def test_sources_html_publication_date_sources(request, head, before, url):
    r = _page(head, before, url=url, saved="saved-from" in request.node.name)
    assert r.published == "2021-03-04"
    assert "2021.03.04" not in r.body and r.body.lstrip().startswith("Officials in Hyesan")


def test_sources_html_without_date_is_undated():
    # neither the copyright year in the footer nor a date in the running text is the
    # publication date
    r = _page(before="<p>The market office first opened on June 2, 2019.</p>")
    assert r.published is None


def test_sources_html_title_author_language():
    r = _page('<meta name="author" content="Han Mi-rae">')
    assert r.title == "Stall rules for Hyesan traders"  # no site name
    assert r.extra["author"] == "Han Mi-rae" and r.language == "en"
    assert "Han Mi-rae" not in r.body
    assert _page('<meta property="og:locale" content="ko_KR">', lang="").language == "ko"
    korean = ("<html><head><title>매대 등록 지시</title></head><body><article><h1>매대 등록 지시</h1>"
              + "<p>양강도 혜산시 장마당 관리소가 상인들에게 이달 말까지 매대를 등록하라고 지시했다.</p>" * 4
              + "</article></body></html>")
    r, = split(read_bytes(korean.encode("utf-8"), path="ko.html"))[0]
    assert r.language == "ko"


def test_sources_html_page_furniture_left_out_of_body():
    html = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Brokers pause transfers after arrests - River Wire</title>
<meta property="article:published_time" content="2023-10-12T08:00:00+09:00"></head><body>
<article><h1>Brokers pause transfers after arrests</h1>
<p class="byline">By Han Mi-rae</p>
<div class="share">Share <a href="#">Facebook</a> | <a href="#">Twitter</a> | <a href="#">Email</a></div>
<p><a href="/ko/123">Read in Korean</a></p>
<p>SEOUL, Oct. 12 (Yonhap) -- Money brokers in a border city have stopped moving funds for
families after three of them were arrested, a resident of the city said.</p>
<figure><img src="/img/bridge.jpg" alt=""><figcaption><p>border bridge</p>
<p>A bridge over the river seen from the Chinese side. / Image: River Wire</p></figcaption></figure>
<p>The brokers usually take a third of each transfer as their fee, the resident said.</p>
<p>FILE PHOTO: Traders at a market stall. (River Wire)</p>
<div class="newsletter"><p>Sign up for our weekly newsletter to get reports like this one.</p></div>
<p>Families who relied on the transfers are now selling household goods, the resident added.</p>
<p>This article was originally published by River Wire and is reprinted with permission.</p>
</article></body></html>"""
    r, = split(read_bytes(html.encode("utf-8"), path="brokers.html"))[0]
    assert r.title == "Brokers pause transfers after arrests" and r.published == "2023-10-12"
    assert r.body.startswith("Money brokers in a border city")  # the wire dateline went
    assert r.body.endswith("selling household goods, the resident added.")
    assert r.body.count("\n\n") == 2  # three paragraphs of reporting, nothing else
    for furniture in ("Han Mi-rae", "Share", "Facebook", "Read in Korean", "(Yonhap)", "border bridge",
                      "/ Image:", "FILE PHOTO", "newsletter", "originally published"):
        assert furniture not in r.body
        assert furniture.encode() in r.original  # the original bytes keep everything


def test_sources_html_line_breaks_and_source_newlines():
    html = ("<html><head><title>Breaks</title></head><body><article>"
            "<p>Pyongyang, May 3 -- The first line of a story about the factory.<br>The second line,"
            "\nwrapped in the source.</p><p>Another paragraph with <b>bold</b> words.</p>"
            "</article></body></html>")
    r, = read_bytes(html.encode(), path="br.html")
    assert "factory.\nThe second line, wrapped in the source." in r.body
    assert "\n\nAnother paragraph with bold words." in r.body
    from tumen.ingest.sources.html import html_to_text
    assert html_to_text("<p>One\nline<br/>two</p><p>Three <b>four</b></p>") == "One line\ntwo\n\nThree four"


def test_sources_html_too_deep_is_an_error():
    html = "<html><body>" + "<div>" * 400 + "<p>Deep text here.</p>" + "</div>" * 400 + "</body></html>"
    reports, errors = split(read_bytes(html.encode(), path="deep.html"))
    assert reports == [] and len(errors) == 1 and "max_html_depth" in errors[0].reason
    shallow = read_bytes(html.encode(), path="deep.html", limits=Limits(max_html_depth=1000))
    assert all(isinstance(i, (RawReport, InputError)) for i in shallow)


# ---------------------------------------------------------------- JSON, JSON Lines, CSV

def test_sources_json_array_items_aliases_and_title_only():
    path = FIXTURES / "wire.json"
    reports, errors = split(read_path(path))
    assert [r.locator for r in reports] == ["item 1", "item 3"]
    first, third = reports
    assert first.id == "tw-101" and first.tags == ["market", "fuel"] and first.format == "json"
    assert json.loads(first.original)["id"] == "tw-101"  # the item's own text
    assert third.body.startswith("Workers at a textile mill")  # "text" alias
    assert third.published == "2020-06-04"  # "date" alias
    assert third.tags == ["propaganda", "meeting"] and third.extra == {"desk": "east"}
    assert len(errors) == 1 and errors[0].reason == "item 2: no body (title only)"
    assert errors[0].path == str(path) and errors[0].line == 6


def test_sources_json_single_object():
    r = only_report(FIXTURES / "single.json")
    assert r.body.startswith("Students in South Hwanghae") and r.published == "0000-00-00"


def test_sources_json_wrapper_object():
    data = json.dumps({"count": 2, "items": [{"id": "w1", "body": "First wrapped report."},
                                             {"id": "w2", "content": "Second wrapped report."}]})
    reports, errors = split(read_bytes(data.encode(), path="export.json"))
    assert errors == [] and [r.id for r in reports] == ["w1", "w2"]
    assert json.loads(reports[1].original) == {"id": "w2", "content": "Second wrapped report."}


def test_sources_json_malformed_names_line():
    reports, errors = split(read_bytes(b'[{"body": "One fine report."},\n{"body": oops}]', path="bad.json"))
    assert len(reports) == 1 and len(errors) == 1
    assert errors[0].line == 2 and "malformed JSON" in errors[0].reason


def test_sources_jsonl_broken_line_is_one_error():
    path = FIXTURES / "wire.jsonl"
    reports, errors = split(read_path(path))
    assert [r.id for r in reports] == ["jl-1", "jl-3", "jl-6"]
    assert [r.locator for r in reports] == ["line 1", "line 4", "line 7"]
    assert [(e.line, e.reason.split(":")[0]) for e in errors] == [
        (2, "malformed JSON line"), (5, "no body (title only)"), (6, "not a JSON object")]
    assert all(str(path) in str(e) for e in errors)
    lines = path.read_bytes().split(b"\n")
    assert reports[1].original == lines[3]  # the original bytes are the line's bytes
    assert reports[2].body.endswith("It starts at 9 p.m.")  # "content" alias


def test_sources_jsonl_overlong_line_then_goes_on():
    data = b'{"body": "' + b"x" * 5000 + b'"}\n{"id": "ok", "body": "Short report."}\n'
    reports, errors = split(read_bytes(data, path="long.jsonl", limits=Limits(max_item_bytes=1000)))
    assert [r.id for r in reports] == ["ok"] and reports[0].locator == "line 2"
    assert len(errors) == 1 and errors[0].line == 1 and "max_item_bytes" in errors[0].reason


def test_sources_csv_with_field_map():
    path = FIXTURES / "desk_export.csv"
    mapping = {"id": "ref", "title": "headline", "source": "outlet", "tags": "keywords"}
    reports, errors = split(read_path(path, field_map=mapping))
    assert [r.id for r in reports] == ["c-1", "c-2"]
    first, second = reports
    assert first.title == "Grain sales banned at Chongjin market"
    assert first.published == "2021-02-11" and first.url == "https://example.org/c-1"
    assert first.tags == ["market", "grain"] and first.source == "Tumen Test Wire"
    assert first.body.endswith("The ban covers rice and corn.")  # a quoted multi-line cell
    assert second.locator == "line 5" and second.title == 'Meeting on "anti-socialist" conduct'
    assert second.original.startswith(b"c-2,")
    assert len(errors) == 1 and errors[0].line == 6 and "title only" in errors[0].reason


def test_sources_csv_map_renames_body_and_date():
    data = b"story,when,heading\nA report about the new curfew in Chongjin.,2020-01-05,Curfew\n"
    r, = read_bytes(data, path="x.csv", field_map={"body": "story", "published": "when", "title": "heading"})
    assert r.body.startswith("A report about") and r.published == "2020-01-05" and r.title == "Curfew"


def test_sources_csv_without_body_column():
    errors = list(read_bytes(b"a,b\n1,2\n", path="nobody.csv"))
    assert len(errors) == 1 and isinstance(errors[0], InputError)
    assert "--map body=" in errors[0].reason


def test_sources_csv_map_to_missing_column():
    error, = read_path(FIXTURES / "desk_export.csv", field_map={"title": "heading"})
    assert isinstance(error, InputError) and "title=heading" in error.reason and "headline" in error.reason


def test_sources_csv_broken_quote_reports_line():
    data = b'id,body\n1,"A fine first report."\n2,"An unterminated quote\n'
    reports, errors = split(read_bytes(data, path="q.csv"))
    assert [r.id for r in reports] == ["1"] and len(errors) == 1 and errors[0].line == 3


def test_sources_unknown_map_field_is_an_error():
    errors = list(read_path(FIXTURES / "wire.jsonl", field_map={"bodyy": "content"}))
    assert len(errors) == 1 and "unknown fields" in errors[0].reason


# ---------------------------------------------------------------- feeds

def test_sources_rss_items():
    path = FIXTURES / "wire.rss"
    reports, errors = split(read_path(path))
    assert [r.format for r in reports] == ["rss", "rss"]
    first, second = reports
    assert first.id == "tw-rss-1" and first.title == "Seed distribution delayed in Kaesong"
    assert first.body.startswith("Farm managers near Kaesong")  # content:encoded, not the summary
    assert "<p>" not in first.body and "\n\n" in first.body
    assert first.tags == ["agriculture", "Kaesong"] and first.source == "Tumen Test Wire"
    assert first.published.startswith("Tue, 14 Mar 2023") and first.language == "en"
    assert first.original.startswith(b"<item>") and b"tw-rss-1" in first.original
    assert second.body == "The bus line between Hamhung and Hungnam has been cut to one trip a day, a resident said."
    assert len(errors) == 1 and "item 3" in errors[0].reason


def test_sources_atom_entries():
    reports, errors = split(read_path(FIXTURES / "wire.atom"))
    assert errors == [] and [r.format for r in reports] == ["atom", "atom"]
    assert reports[0].url == "https://example.org/tumen-test/atom/a1"
    assert reports[0].body.endswith("Factories get priority.") and reports[0].tags == ["energy"]
    assert reports[1].published == "2024-02-03T08:00:00Z"  # no <published>: <updated>


# ---------------------------------------------------------------- WARC

PAGE = """<html lang="en"><head><title>{title}</title></head><body><article><h1>{title}</h1>
<p>{text}</p><p>Residents said the order was read out at every neighborhood meeting in the city.</p>
</article></body></html>"""


def _warc(path: Path, compress: bool) -> None:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with open(path, "wb") as out:
        writer = WARCWriter(out, gzip=compress)
        pages = [("https://example.org/w/1", "Curfew ordered in Manpo",
                  "Officials in Manpo ordered a curfew for the whole border district."),
                 ("https://example.org/w/2", "Rations cut in Haeju",
                  "State rations for office workers in Haeju were cut again this month.")]
        for url, title, text in pages:
            request = writer.create_warc_record(url, "request", payload=io.BytesIO(b"GET / HTTP/1.0\r\n\r\n"))
            writer.write_record(request)
            body = PAGE.format(title=title, text=text).encode("utf-8")
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")],
                                       protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body),
                                                          http_headers=headers))
        moved = StatusAndHeaders("301 Moved Permanently", [("Content-Type", "text/html"),
                                 ("Location", "https://example.org/w/2")], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record("https://example.org/old", "response",
                                                      payload=io.BytesIO(b"<html><body>Moved</body></html>"),
                                                      http_headers=moved))
        image = StatusAndHeaders("200 OK", [("Content-Type", "image/png")], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record("https://example.org/logo.png", "response",
                                                      payload=io.BytesIO(b"\x89PNG\r\n"), http_headers=image))


@pytest.mark.parametrize("compress", [True, False])
def test_sources_warc_html_responses(tmp_path, compress):
    path = tmp_path / ("archive.warc.gz" if compress else "archive.warc")
    _warc(path, compress)
    with open(path, "rb") as handle:
        assert detect_format(path, gzip.decompress(handle.read())[:100] if compress else handle.read(100)) == "warc"
    reports, errors = split(read_path(path))
    assert errors == [] and [r.url for r in reports] == ["https://example.org/w/1", "https://example.org/w/2"]
    assert reports[0].title == "Curfew ordered in Manpo" and reports[0].format == "warc"
    assert reports[0].body.startswith("Officials in Manpo ordered a curfew")
    captured = reports[0].extra["captured"]
    assert reports[0].published == captured[:10]  # the page has no date: the capture date
    assert reports[1].original.startswith(b"<html")


def test_sources_truncated_warc_keeps_complete_records(tmp_path):
    from warcio.archiveiterator import ArchiveIterator

    for compress in (True, False):
        path = tmp_path / ("a.warc.gz" if compress else "a.warc")
        _warc(path, compress)
        with open(path, "rb") as handle:
            records = ArchiveIterator(handle)
            offsets = [records.get_record_offset() for _ in records]
        data = path.read_bytes()
        cut = tmp_path / ("cut.warc.gz" if compress else "cut.warc")
        cut.write_bytes(data[: offsets[3] + 60])  # inside the second page's response
        reports, errors = split(read_path(cut))
        assert [r.url for r in reports] == ["https://example.org/w/1"]
        assert errors and all(e.path.startswith(str(cut)) for e in errors)
        assert any("truncated" in e.reason for e in errors)


# ---------------------------------------------------------------- gzip and bad files

def test_sources_gzip_jsonl(tmp_path):
    path = tmp_path / "wire.jsonl.gz"
    path.write_bytes(gzip.compress((FIXTURES / "wire.jsonl").read_bytes()))
    reports, errors = split(read_path(path))
    assert [r.id for r in reports] == ["jl-1", "jl-3", "jl-6"] and len(errors) == 3


def test_sources_truncated_gzip(tmp_path):
    lines = b"".join(json.dumps({"id": f"t{i}", "body": f"Report number {i} about the border."}).encode() + b"\n"
                     for i in range(20000))
    packed = gzip.compress(lines)
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(packed[: len(packed) // 2])
    reports, errors = split(read_path(path))
    assert 0 < len(reports) < 20000
    assert len(errors) == 1 and "truncated gzip" in errors[0].reason and errors[0].path == str(path)
    assert [r.id for r in reports] == [f"t{i}" for i in range(len(reports))]  # no cut line


def test_sources_gzip_bomb_stops_at_limit(tmp_path):
    path = tmp_path / "bomb.txt.gz"
    path.write_bytes(gzip.compress(b"Title\n\n" + b"a" * 5_000_000))
    reports, errors = split(read_path(path, limits=Limits(max_decompressed_bytes=100_000)))
    assert reports == [] and len(errors) == 1 and "max_decompressed_bytes" in errors[0].reason


def test_sources_empty_binary_and_missing(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20)
    (tmp_path / "only_title.txt").write_text("Just a headline\n")
    reports, errors = split(read_path(tmp_path))
    assert reports == []
    by_name = {Path(e.path).name: e.reason for e in errors}
    assert by_name["empty.txt"] == "empty file"
    assert "binary" in by_name["image.png"]
    assert by_name["only_title.txt"] == "no body (title only)"
    missing, = read_path(tmp_path / "nope.txt")
    assert isinstance(missing, InputError) and "no such file" in missing.reason


def test_sources_folder_recursive_sorted_hidden_skipped(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / ".git").mkdir()
    (tmp_path / "b" / "two.txt").write_text("Two\n\nThe second report body.")
    (tmp_path / "a.txt").write_text("One\n\nThe first report body.")
    (tmp_path / ".hidden.txt").write_text("Hidden\n\nNever read.")
    (tmp_path / ".git" / "x.txt").write_text("Git\n\nNever read.")
    reports, errors = split(read_path(tmp_path))
    assert errors == [] and [r.title for r in reports] == ["One", "Two"]
    empty = tmp_path / "empty_dir"
    empty.mkdir()
    assert [e.reason for e in read_path(empty)] == ["folder holds no files"]


def test_sources_stdin_jsonl():
    data = (FIXTURES / "wire.jsonl").read_bytes()
    code = ("from tumen.ingest.sources import read_path\n"
            "from tumen.record import RawReport\n"
            "for i in read_path('-'):\n"
            "    print(i.id if isinstance(i, RawReport) else 'error', i.source_path if isinstance(i, RawReport) else i.path)\n")
    out = subprocess.run([sys.executable, "-c", code], input=data, capture_output=True, check=True)
    lines = out.stdout.decode().split("\n")
    assert lines[:3] == ["jl-1 -", "error -", "jl-3 -"]


def test_sources_detect_format_content_and_extension():
    assert detect_format("a.txt", b"Title\n\nBody") == "text"
    assert detect_format("a.txt", b"{Exclusive} Title\n\nBody") == "text"
    assert detect_format("-", b"{Exclusive} Title\n\nBody") == "json"  # no extension: content
    assert detect_format("a.md", b"# Title\n\nBody") == "markdown"
    assert detect_format("a.dat", b"<!DOCTYPE html><html><body>x</body></html>") == "html"
    assert detect_format("feed.xml", b'<?xml version="1.0"?><rss version="2.0">') == "rss"
    assert detect_format("feed", b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">') == "atom"
    assert detect_format("x.json", b'{"body": "a"}\n{"body": "b"}\n') == "jsonl"  # content wins
    assert detect_format("x.json", b'{"body": "a",\n "title": "b"}') == "json"
    assert detect_format("-", b'[{"body": "a"}]') == "json"
    assert detect_format("x.csv.gz", b"id,body\n1,a\n") == "csv"
    assert detect_format("-", b"id,title,body\n1,a,b\n") == "csv"
    assert detect_format("x", b"WARC/1.0\r\n") == "warc"
    assert detect_format("u.txt", "<html><body>x</body></html>".encode("utf-16")) == "html"
    assert set(FORMATS) == {"text", "markdown", "html", "json", "jsonl", "csv", "rss", "atom", "warc"}


def test_sources_forced_format():
    reports, errors = split(read_bytes(b'{"body": "Kept as text."}', path="-", format="text", title_line=False))
    assert errors == [] and reports[0].body == '{"body": "Kept as text."}'
    bad, = read_path(FIXTURES / "wire.jsonl", format="pdf")
    assert isinstance(bad, InputError) and "unknown format" in bad.reason


# ---------------------------------------------------------------- the real corpora

def _lines_with_body(path: Path) -> int:
    count = 0
    with open(path, "rb") as handle:
        for line in handle:
            if line.strip() and (json.loads(line).get("body") or "").strip():
                count += 1
    return count


@pytest.mark.parametrize("name", [
    "rodong_sinmun_2021_2022.jsonl", "kcna_kp_2024.jsonl",
    pytest.param("kcna_2011_2012.jsonl", marks=pytest.mark.slow),
    pytest.param("kcna_headlines_1997_2014.jsonl", marks=pytest.mark.slow),
])
def test_sources_real_corpora_reports_equal_lines_with_body(name):
    path = CORPORA / name
    if not path.exists():
        pytest.skip("shared corpora absent")
    reports, errors = split(read_path(path))
    assert len(reports) == _lines_with_body(path)
    assert all(e.reason == "no body (title only)" and e.line for e in errors)
    assert all(r.format == "jsonl" and r.id and r.original for r in reports)


@pytest.mark.parametrize("text", ["혜산", "보위부가 체포했다.", "양강도 혜산시 장마당"])
def test_sources_short_cp949_and_euckr_text(text):
    for codec in ("cp949", "euc-kr"):
        r, = read_bytes(text.encode(codec), path="short.txt", title_line=False)
        assert isinstance(r, RawReport) and r.body == text


def test_sources_utf16_without_bom():
    text = "Hoeryong market notice\n\n회령 장마당에서 단속이 있었다고 주민이 전했다."
    for codec in ("utf-16-le", "utf-16-be"):
        r, = read_bytes(text.encode(codec), path="nobom.txt")
        assert isinstance(r, RawReport) and r.title == "Hoeryong market notice"
        assert r.body.strip().startswith("회령 장마당에서")


def test_sources_euckr_html_with_meta_charset():
    html = ('<html><head><meta charset="euc-kr"><title>혜산 소식</title></head><body><article>'
            '<p>양강도 혜산시에서 장마당 단속이 강화됐다고 현지 주민이 전했다.</p>'
            '<p>보안원들이 매일 오후 장마당을 돌며 상인들을 단속하고 있다.</p></article></body></html>')
    r, = read_bytes(html.encode("cp949"), path="ko.html")
    assert isinstance(r, RawReport) and "양강도 혜산시에서" in r.body


def test_sources_utf8_head_then_cp949_tail():
    data = ("Long notice\n\n" + "An ASCII paragraph about the market. " * 2500 + "\n\n"
            + "혜산시 장마당 단속이 강화됐다.\n").encode("cp949")
    r, = read_bytes(data, path="mixed.txt")
    assert isinstance(r, RawReport) and r.body.rstrip().endswith("혜산시 장마당 단속이 강화됐다.")


def test_sources_jsonl_line_in_cp949_among_utf8():
    data = ('{"id": "u", "body": "UTF-8 report."}\n'.encode()
            + '{"id": "k", "body": "혜산 소식."}\n'.encode("cp949"))
    reports, errors = split(read_bytes(data, path="mixed.jsonl"))
    assert errors == [] and [r.body for r in reports] == ["UTF-8 report.", "혜산 소식."]


def test_sources_single_long_line_is_body():
    note = "A trader in Hyesan said that " + "prices rose again this week, " * 15 + "and nobody knows why."
    r = next(read_bytes(note.encode(), path="note.txt"))
    assert isinstance(r, RawReport) and r.title is None and r.body == note
    short, = read_bytes(b"Only a headline here\n", path="h.txt")
    assert isinstance(short, InputError) and short.reason == "no body (title only)"


def test_sources_tsv_by_extension(tmp_path):
    path = tmp_path / "desk.tsv"
    path.write_text("id\ttitle\tbody\nt1\tRations\tRations were cut at the mill, a worker said.\n")
    r = only_report(path)
    assert (r.id, r.title, r.format) == ("t1", "Rations", "csv")


def test_markdown_unclosed_link_target_is_linear_time():
    """Found by the CI fuzz run: an unclosed link target made the Markdown cleaner
    backtrack exponentially.  2,000 characters must take well under a second."""
    import time

    from tumen.ingest.sources.text import markdown_to_text

    started = time.process_time()
    assert markdown_to_text("[a](" + "b" * 2000 + " x").startswith("[a](")
    assert time.process_time() - started < 1.0
