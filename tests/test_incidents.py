"""The incidents component on short reports written for these tests, plus offset
integrity over the devset bodies (no gold is read)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tumen.analysis.incidents.args import is_furniture, penalty_for
from tumen.analysis.pipeline import Pipeline
from tumen.record import INCIDENT_TYPES, Report

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
COMPONENTS = ["places", "organizations", "laws", "dates", "incidents"]


@pytest.fixture(scope="module")
def pipeline():
    return Pipeline(components=COMPONENTS).initialize()


def analyze(pipeline, body, title="A report", published="2023-05-12"):
    doc = pipeline(Report(id="t", body=body, title=title, published=published))
    assert not doc.errors, doc.errors
    return doc


def check_offsets(doc):
    for inc in doc.incidents:
        ev = inc.evidence
        assert doc.body[ev.start:ev.end] == ev.text
        assert inc.type in INCIDENT_TYPES
        assert (ev.start, ev.end) in doc.sentences


def where(pipeline, body, itype, published="2023-05-12", second="date"):
    """(place, ``second`` field) of each incident of ``itype``, and the document."""
    doc = analyze(pipeline, body, published=published)
    check_offsets(doc)
    return [(i.place, getattr(i, second)) for i in doc.incidents if i.type == itype], doc


ARREST_REPORT = (
    "State security agents in Hyesan arrested four women on Tuesday for selling Chinese "
    "mobile phones, a source in Yanggang Province said.\n\n"
    "On May 2, a man in the city was sentenced to three years in a labor camp for "
    "running a money-transfer business, the source added.\n\n"
    "Rice sold for 6,200 won per kilogram at the Hyesan market on Wednesday, up from "
    "5,800 won a month earlier."
)


def test_events_are_typed_placed_and_dated(pipeline):
    doc = analyze(pipeline, ARREST_REPORT)
    check_offsets(doc)
    by_type = {inc.type: inc for inc in doc.incidents}
    assert {"arrest", "punishment", "market"} <= set(by_type), doc.incidents
    arrest = by_type["arrest"]
    assert arrest.place == "Hyesan" and arrest.province == "Yanggang Province"
    assert arrest.date == "2023-05-09" and arrest.date_precision == "day"
    assert arrest.actor == "Ministry of State Security"
    punishment = by_type["punishment"]
    assert punishment.penalty == "3 years in a labor camp"
    assert punishment.date == "2023-05-02"
    assert by_type["market"].penalty is None


def test_commentary_has_no_incidents(pipeline):
    doc = analyze(pipeline, ARREST_REPORT, title="Commentary: Why the arrests in Hyesan matter")
    assert doc.incidents == []
    doc = analyze(pipeline, ARREST_REPORT, title="Analysis: the phone war")
    assert doc.incidents == []


def test_threat_is_not_a_punishment(pipeline):
    body = ("Officials in Musan County warned residents that anyone caught with a South Korean "
            "film will be sent to a labor camp.\n\nSmugglers are usually fined when they are caught.")
    doc = analyze(pipeline, body)
    check_offsets(doc)
    assert not [i for i in doc.incidents if i.type == "punishment"], doc.incidents
    assert all(i.penalty is None for i in doc.incidents)


def test_place_comes_from_the_paragraph_or_the_lead(pipeline):
    body = ("Authorities in Chongjin have stepped up inspections of private homes, a source in "
            "North Hamgyong Province said.\n\n"
            "On Monday, officers detained two traders who were hiding Chinese phones.")
    doc = analyze(pipeline, body)
    check_offsets(doc)
    arrests = [i for i in doc.incidents if i.type == "arrest"]
    assert arrests and arrests[0].province == "North Hamgyong Province"
    assert arrests[0].date == "2023-05-08"


def test_an_event_abroad_has_no_place(pipeline):
    """README section 6: "Events abroad have place null"; people abroad ("relatives in
    China") do not move an event in North Korea out of the country."""
    body = ("Chinese authorities handed 20 North Koreans over to border guards in Onsong County "
            "on Monday, a source in North Hamgyong Province said.\n\n"
            "They had been detained by Chinese police in Liaoning and Jilin provinces last winter.\n\n"
            "On Tuesday, the county Party committee held a meeting where it ordered that every "
            "household with relatives in China be watched.")
    doc = analyze(pipeline, body)
    check_offsets(doc)
    places = {i.type: (i.place, i.province) for i in doc.incidents}
    assert places["arrest"] == (None, None), doc.incidents
    assert places["meeting"] == ("Onsong County", "North Hamgyong Province"), doc.incidents


PLACE_RULES = {
    # a banishment takes the place people are expelled from, never where they are sent
    "banishment": (
        "On Oct. 26, four families were expelled from Pyongyang and sent to remote farms in "
        "Chagang Province after a relative defected, a source said.\n\n"
        "In Hyesan, the parents of two defectors were expelled from the Party and sent to work "
        "on a state farm in Pochon County on Nov. 2.",
        "punishment", "2023-12-01", "date", [("Pyongyang", "2023-10-26"), ("Hyesan", "2023-11-02")]),
    # an order sent to the whole country has no place (the source's Hyesan is not its place)
    "national order": (
        "The Ministry of State Security issued a nationwide directive on May 2 ordering all "
        "provincial bureaus to confiscate Chinese phones, a source in Hyesan, Yanggang "
        "Province, said.\n\n"
        "In Hyesan, the city Party committee ordered every household to hand in its phones by "
        "May 20.",
        "order", "2023-05-12", "province", [(None, None), ("Hyesan", "Yanggang Province")]),
    # the place of a source is not the place of the event
    "source's place": (
        "Border guards in Musan County have been rotated after three soldiers deserted, a "
        "source said.\n\n"
        "Sources in North Hamgyong Province told this outlet that two officers were detained on "
        "Jan. 8.",
        "arrest", "2024-01-20", "date", [("Musan County", "2024-01-08")]),
}


@pytest.mark.parametrize("rule", list(PLACE_RULES))
def test_place_rules_of_the_guidelines(pipeline, rule):
    body, itype, published, second, expected = PLACE_RULES[rule]
    found, doc = where(pipeline, body, itype, published=published, second=second)
    assert found == expected, doc.incidents


def test_an_incident_at_a_crossing_takes_its_town_unless_it_is_the_crossing(pipeline):
    body = ("Chinese authorities returned 40 North Koreans across the Sino-Korean Friendship Bridge "
            "on Oct. 10, and state security agents detained all of them at the bridge, a source "
            "said.")
    doc = analyze(pipeline, body, published="2023-10-20")
    check_offsets(doc)
    places = {i.type: i.place for i in doc.incidents}
    assert places.get("border_crossing") == "Sinuiju–Dandong crossing (Sino-Korean Friendship Bridge)"
    assert places["arrest"] == "Sinuiju", doc.incidents


def test_no_event_gives_no_incident(pipeline):
    body = ("North Korea shares a long border with China. The river is frozen for much of the "
            "winter, and the mountains are cold.")
    doc = analyze(pipeline, body)
    assert doc.incidents == []


@pytest.mark.parametrize("body", [
    "",
    "   \n\n ",
    "no punctuation anywhere in this text at all " * 200,
    "보위부가 혜산에서 주민 3명을 체포했다. Agents arrested two men in Hyesan on Monday.",
    "On the 45th, agents arrested three people in Hyesan.",
])
def test_bad_input_never_crashes(pipeline, body):
    doc = analyze(pipeline, body)
    check_offsets(doc)


@pytest.mark.parametrize("published", [None, "2099-01-01", "not a date"])
def test_missing_or_future_publication_date(pipeline, published):
    doc = analyze(pipeline, ARREST_REPORT, published=published)
    check_offsets(doc)
    assert doc.incidents


@pytest.mark.slow
def test_one_megabyte_body(pipeline):
    body = (ARREST_REPORT + "\n\n") * (1_000_000 // (len(ARREST_REPORT) + 2))
    doc = analyze(pipeline, body)
    check_offsets(doc)


def test_penalty_phrases():
    assert penalty_for("He was sentenced to a year in a labor brigade.") == "1 year in a labor brigade"
    assert penalty_for("The chief was dismissed, and two guards were sent to a labor brigade "
                       "for six months.") == "dismissal; 6 months in a labor brigade"
    assert penalty_for("Others were fined between 300,000 and 1 million won.") == "fines of 300,000 to 1,000,000 won"
    assert penalty_for("One family was fined 3 million won.") == "fine of 3,000,000 won"
    assert penalty_for("They got 12, 9 and 4 years in a labor camp.") == "12, 9 and 4 years in a labor camp"
    assert penalty_for("He was expelled from the Party.") == "expulsion from the party"
    assert penalty_for("그는 노동단련대 6개월 처벌을 받았다.") == "6 months in a labor brigade"
    assert penalty_for("Nothing happened to them.") is None


def test_furniture_lines_are_not_evidence():
    for line in ("FILE PHOTO: A checkpoint in Hyesan.", "markets rice prices yanggang province"):
        assert is_furniture(line, 0, len(line))
    line = "Agents arrested two men on Monday, the source said."
    assert not is_furniture(line, 0, len(line))


def test_devset_offsets(pipeline):
    """Every evidence of every devset report is a sentence of its body (bodies only)."""
    path = SHARED / "data" / "devset" / "reports.jsonl"
    if not path.exists():
        pytest.skip("../shared is not beside the repository")
    reports = [json.loads(line) for line in path.open(encoding="utf-8")]
    docs = list(pipeline.pipe(Report(id=r["id"], body=r["body"], title=r["title"], published=r["published"],
                                     source=r.get("source")) for r in reports))
    total = 0
    for doc in docs:
        assert not doc.errors, doc.errors
        check_offsets(doc)
        total += len(doc.incidents)
        for inc in doc.incidents:
            assert inc.penalty is None or inc.type in ("punishment", "public_trial")
            if inc.date:
                assert inc.date_precision in ("day", "month", "year", "season")
    assert total > 0


def test_sentences_naming_a_private_person_are_never_evidence(pipeline):
    body = ("On Monday, agents in Hyesan arrested a trader surnamed Kang for selling Chinese phones.\n\n"
            "On Tuesday, state security agents in Hyesan detained two more traders at the market.")
    doc = analyze(pipeline, body)
    check_offsets(doc)
    assert all("Kang" not in inc.evidence.text for inc in doc.incidents)
    assert all(inc.actor != "Kang" and inc.target is None for inc in doc.incidents)


def test_demanded_penalty_stays_with_the_meeting(pipeline):
    body = ("On Monday, the Hyesan city Party committee held a meeting of enterprise managers.\n\n"
            "The meeting called on managers to send workers caught with foreign phones to labor camps.")
    doc = analyze(pipeline, body)
    check_offsets(doc)
    meetings = [i for i in doc.incidents if i.type == "meeting"]
    assert meetings and meetings[0].prescribed_penalty == "labor camp"
    assert meetings[0].penalty is None
    assert not [i for i in doc.incidents if i.type == "punishment"]
    record = doc.to_record().to_dict()
    assert record["incidents"][0]["prescribed_penalty"] == "labor camp"


def test_the_typer_reads_a_place_name_as_any_place(pipeline):
    """Which town an event happened in is no evidence of what kind of event it was: the
    typer sees every gazetteer place as one token, whatever the name or romanization."""
    from tumen.analysis.components.incidents import paragraph_index
    from tumen.analysis.incidents.classify import doc_features
    from tumen.analysis.text import paragraph_spans

    def features(town):
        doc = analyze(pipeline, f"Police in {town} detained two traders at the market on Monday, a source said.")
        return doc_features(doc, doc.sentences, paragraph_index(doc.sentences, paragraph_spans(doc.body)))

    hoeryong, hyesan, sinuiju = features("Hoeryŏng"), features("Hyesan"), features("Sinuiju")
    assert hoeryong == hyesan == sinuiju
    assert "w:placename" in hoeryong[0] and not any("hyesan" in f for f in hyesan[0])


def test_incidents_are_found_without_a_publication_date(pipeline):
    """A report with no publication date gets the same incidents (types, places,
    evidence); only dates that need the publication day ("on Tuesday") stay open,
    while a date written in full is kept."""
    body = ARREST_REPORT + "\n\nOn March 3, 2019, police in Sinuiju detained a man for smuggling copper to China."
    dated = analyze(pipeline, body)
    undated = analyze(pipeline, body, published=None)
    check_offsets(undated)
    key = lambda doc: sorted((i.type, i.place, i.evidence.start) for i in doc.incidents)  # noqa: E731
    assert key(undated) == key(dated) and {"arrest", "punishment", "market"} <= {t for t, _, _ in key(undated)}
    first = next(i for i in undated.incidents if i.type == "arrest" and i.place == "Hyesan")
    assert first.date is None and first.date_precision is None
    assert next(i for i in dated.incidents if i.type == "arrest" and i.place == "Hyesan").date is not None
    assert any(i.date == "2019-03-03" and i.place == "Sinuiju" for i in undated.incidents)


@pytest.mark.slow
def test_real_reports_name_no_private_person_outside_evidence(pipeline):
    """On every real report of ../shared/data/realtrain, no name listed in its gold
    ``persons_not_to_extract`` appears in an incident's fields other than the evidence
    text, and every evidence is one of the report's sentences at its offsets."""
    real = SHARED / "data" / "realtrain"
    if not (real / "gold.jsonl").exists():
        pytest.skip("realtrain not available")
    reports = [json.loads(line) for line in (real / "reports.jsonl").open(encoding="utf-8")]
    golds = {g["id"]: g for g in map(json.loads, (real / "gold.jsonl").open(encoding="utf-8"))}
    found = 0
    for r in reports:
        doc = analyze(pipeline, r["body"], title=r.get("title") or "A report", published=r.get("published"))
        check_offsets(doc)
        found += bool(doc.incidents)
        names = [n.lower() for n in golds[r["id"]].get("persons_not_to_extract") or [] if n.strip()]
        for inc in doc.incidents:
            fields = [inc.actor, inc.target, inc.place, inc.province, inc.penalty, inc.prescribed_penalty]
            text = " | ".join(f.lower() for f in fields if f)
            assert not any(n in text for n in names), (r["id"], inc)
    assert found >= len(reports) // 2
