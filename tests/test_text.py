"""Sentence and paragraph splitting (tumen.analysis.text): the evidence convention needs one
full sentence from its first character through its closing punctuation or quote."""

from __future__ import annotations

from pathlib import Path
import json

import pytest

from tumen.analysis.text import fold, paragraph_spans, sentence_spans

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def texts(body):
    return [body[s:e] for s, e in sentence_spans(body)]


def test_basic_sentences_and_offsets():
    body = "Agents came on Monday. They left on Tuesday!  Did anyone see them?"
    assert texts(body) == ["Agents came on Monday.", "They left on Tuesday!", "Did anyone see them?"]


def test_abbreviations_do_not_end_sentences():
    body = "The raids began on Oct. 28 in the city. Officials met on Sept. 3 to plan more."
    assert texts(body) == ["The raids began on Oct. 28 in the city.", "Officials met on Sept. 3 to plan more."]


def test_lower_case_continuation_after_period():
    body = "Residents must stand watch from 9 p.m. to midnight every day. The order came last week."
    assert texts(body) == ["Residents must stand watch from 9 p.m. to midnight every day.",
                           "The order came last week."]


def test_closing_quotes_belong_to_the_sentence():
    body = '"Nobody is leaving the house," a trader said. “We are all afraid.” She hung up.'
    assert texts(body) == ['"Nobody is leaving the house," a trader said.', "“We are all afraid.”", "She hung up."]


def test_sentences_never_cross_paragraphs():
    body = "A title line without a full stop\n\nThe first sentence. The second one."
    assert texts(body) == ["A title line without a full stop", "The first sentence.", "The second one."]
    assert len(paragraph_spans(body)) == 2


def test_korean_sentences():
    body = "소식통은 9일 이렇게 말했다. 보위부가 주민 3명을 체포했다고 한다."
    assert texts(body) == ["소식통은 9일 이렇게 말했다.", "보위부가 주민 3명을 체포했다고 한다."]


def test_bad_input():
    assert sentence_spans("") == []
    assert sentence_spans("   \n\n  ") == []
    body = "no punctuation at all " * 5000
    spans = sentence_spans(body)
    assert spans and all(body[s:e].strip() == body[s:e] for s, e in spans)


def test_fold():
    assert fold("Hoeryŏng") == "hoeryong"
    assert fold("Ryanggang-do") == fold("ryanggang do")


def test_devset_bodies_split_cleanly():
    """Over real report bodies: spans are ordered, disjoint, trimmed and inside the body."""
    path = SHARED / "data" / "devset" / "reports.jsonl"
    if not path.exists():
        pytest.skip("../shared is not beside the repository")
    for line in path.open(encoding="utf-8"):
        body = json.loads(line)["body"]
        spans = sentence_spans(body)
        assert spans
        last = 0
        for s, e in spans:
            assert last <= s < e <= len(body)
            assert body[s:e] == body[s:e].strip()
            last = e


def test_attributed_quotation_is_one_sentence():
    body = "“They took him away at night,” he said. Nobody has seen him since."
    assert texts(body) == ["“They took him away at night,” he said.", "Nobody has seen him since."]
    body = '"Prices doubled," a trader in the city said. "Rice is gone."'
    assert texts(body) == ['"Prices doubled," a trader in the city said.', '"Rice is gone."']


def test_title_caption_and_byline_lines_are_not_part_of_the_lede():
    body = ("Traders fined for selling rice\nA photo of a market stall (Agency)\n"
            "By a staff reporter\nAuthorities fined ten traders on Monday. They paid.")
    assert texts(body) == ["Traders fined for selling rice", "A photo of a market stall (Agency)",
                           "By a staff reporter", "Authorities fined ten traders on Monday.", "They paid."]
    # a hard-wrapped sentence goes on in lower case: one sentence
    body = "They were stripped of\ntheir membership and sent away."
    assert texts(body) == [body]


def test_korean_sentences_without_a_space_and_a_month_before_its_day():
    assert texts("집행했다고 설명했다.소식통에 따르면 3명이었다.") == [
        "집행했다고 설명했다.", "소식통에 따르면 3명이었다."]
    body = "He was shot dead on September. 30, on his way back. Nobody was told."
    assert texts(body) == ["He was shot dead on September. 30, on his way back.", "Nobody was told."]
