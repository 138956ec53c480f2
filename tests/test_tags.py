"""The tags component: the tag line of a report, inside the real pipeline."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tumen.analysis.pipeline import Pipeline
from tumen.record import Report

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
DEVSET = SHARED / "data" / "devset"

# Written for these tests.
BODY = (
    "Authorities in Musan County, North Hamgyong Province, have arrested three smugglers who "
    "carried copper wire across the Tumen River to Chinese traders, a source told this outlet "
    "on Monday.\n\n"
    "The Ministry of State Security launched a crackdown on smuggling after border guards found "
    "sacks of copper wire hidden near the riverbank. The smugglers were sent to a labor training "
    "camp, and their families were fined.\n\n"
    "Rice prices at the Musan market rose after the crackdown, the source said, because fewer "
    "traders dared to bring goods from China. Officials of the Ministry of State Security also "
    "searched homes for Chinese mobile phones."
)


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return Pipeline().initialize()


def report(body: str, rid: str = "t1", title: str = "Smugglers arrested in Musan") -> Report:
    return Report(id=rid, title=title, published="2024-05-20", source="Test Wire", url=None, body=body)


def test_tag_line_mixes_topics_places_and_keyphrases(pipeline):
    doc = pipeline(report(BODY))
    tags = doc.tags
    assert 3 <= len(tags) <= 10
    assert all(t == t.lower() and t.strip() == t for t in tags)
    assert len(set(tags)) == len(tags)
    assert "north hamgyong province" in tags[:3]
    assert "musan county" in tags[:4]
    from tumen.analysis.keyphrase.house import load_vocabulary

    house = {t.tag for t in load_vocabulary()}
    assert tags[0] in house
    assert {"smuggling", "crackdown", "arrests"} & set(tags)
    assert any(t not in house and "province" not in t and "county" not in t for t in tags)
    # outlet and reporting words never become tags
    assert "test wire" not in tags and "source" not in tags


def test_outlet_tag_line_is_the_tags(pipeline):
    body = "smuggling north hamgyong province musan county copper wire\n" + BODY
    doc = pipeline(report(body, "t2"))
    assert doc.tags == ["smuggling", "north hamgyong province", "musan county", "copper", "wire"]


def test_korean_report_gets_house_tags_only(pipeline):
    body = ("양강도 혜산시에서 보위부가 불법 손전화 사용자들을 체포했다고 소식통이 29일 전했다. "
            "소식통에 따르면 단속은 이달 중순부터 시작됐으며 장마당 상인들도 조사를 받았다.")
    doc = pipeline(report(body, "t3", title="혜산 단속"))
    assert 3 <= len(doc.tags) <= 10
    assert not any("\uac00" <= ch <= "\ud7a3" for t in doc.tags for ch in t)


def test_tags_without_places_or_incidents():
    pipe = Pipeline(components=("places", "organizations", "dates", "incidents", "tags"), use_spacy=False)
    doc = pipe(report("Commentary: the markets of the border region have changed. Prices, "
                      "exchange rates and trade all follow the closure of the border.", "t4",
                      title="What the border closure did"))
    assert 3 <= len(doc.tags) <= 10
    assert not doc.errors


def test_seed_style_tag_line_is_split_on_known_phrases():
    from tumen.analysis.components.tags import TagLineSegmenter
    from tumen.analysis.keyphrase.house import load_vocabulary

    seg = TagLineSegmenter([t.tag for t in load_vocabulary()])
    body = "remittance ryanggang province border agreement equipment\nFILE PHOTO: x\n\nText."
    assert seg.outlet_tag_line(body) == ["remittance", "ryanggang province", "border", "agreement", "equipment"]
    assert body[seg.skip_header(body):].lstrip().startswith("Text.")
    assert seg.outlet_tag_line("An ordinary first line.\nMore.") == []


@pytest.mark.slow
@pytest.mark.skipif(not DEVSET.is_dir(), reason="shared devset not available")
def test_devset_tag_line_quality(tmp_path, pipeline):
    """The full tag line on the 30 devset reports, scored by the project scorer."""
    out = tmp_path / "rec.jsonl"
    reports = [json.loads(l) for l in (DEVSET / "reports.jsonl").read_text(encoding="utf-8").splitlines() if l.strip()]
    fields = ("id", "title", "published", "source", "url", "body")
    with out.open("w", encoding="utf-8") as fh:
        for doc in pipeline.pipe([Report(**{k: r.get(k) for k in fields}) for r in reports]):
            fh.write(json.dumps(doc.to_record().to_dict(), ensure_ascii=False) + "\n")
    res = subprocess.run([sys.executable, str(SHARED / "tools" / "recordeval.py"), str(DEVSET / "gold.jsonl"),
                          str(out), "--json"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    score = json.loads(res.stdout)
    assert score["tags"]["f1@10"] >= 0.45


CREDITING_BODY = (
    "Border guards in Musan County, North Hamgyong Province, seized a shipment of copper wire "
    "on Friday, a source told Frontier Granary Weekly.\n\n"
    "Frontier Granary Weekly reported last month that smugglers had begun moving copper at night. "
    "The Ministry of State Security has since arrested two traders, the source said.\n\n"
    "This article was first published by Frontier Granary Weekly and is republished with permission."
)


def test_an_outlet_the_report_credits_is_never_a_tag(pipeline):
    from tumen.analysis.components.tags import credited_outlets
    from tumen.analysis.keyphrase import KeyphraseExtractor

    assert credited_outlets(CREDITING_BODY) == {"frontier granary weekly"}
    assert credited_outlets("He spoke to Yalu Observer. Clothing prices rose.") == {"yalu observer"}
    ranked = [p for p, _ in KeyphraseExtractor().extract(CREDITING_BODY, top=30)]
    assert ranked[0] == "frontier granary"  # the extractor alone puts it first
    tags = pipeline(report(CREDITING_BODY, title="Copper shipment seized in Musan")).tags
    assert tags and not any("granary" in t or "weekly" in t for t in tags), tags
