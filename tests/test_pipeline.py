"""The pipeline contract: registry, declared attributes, batching, failure marking."""

from __future__ import annotations

import pytest

from tumen.analysis.pipeline import Document, Pipeline, component, detect_language, parse_iso_date
from tumen.record import Report


@component("test_upper_title")
class _UpperTitle:
    name = "test_upper_title"
    requires = ("sentences",)
    assigns = ("tags",)

    def initialize(self):
        self.ready = True

    def __call__(self, doc: Document) -> Document:
        doc.tags = [doc.body.split()[0].lower()]
        return doc


@component("test_needs_incidents")
class _NeedsIncidents:
    name = "test_needs_incidents"
    requires = ("incidents",)
    assigns = ()

    def __call__(self, doc):
        return doc


@component("test_raises")
class _Raises:
    name = "test_raises"
    requires = ()
    assigns = ()

    def __call__(self, doc):
        raise RuntimeError("boom")


def test_pipeline_rejects_unknown_component():
    with pytest.raises(ValueError, match="unknown analysis component"):
        Pipeline(["no_such_component"], use_spacy=False)


def test_pipeline_checks_requirements_when_built():
    with pytest.raises(ValueError, match="needs"):
        Pipeline(["test_needs_incidents"], use_spacy=False)


def test_pipeline_runs_components_in_batches_and_keeps_order():
    pipeline = Pipeline(["test_upper_title"], use_spacy=False)
    reports = [Report(id=str(i), body=f"Word{i} and more text.") for i in range(70)]
    docs = list(pipeline.pipe(reports, batch_size=8))
    assert [d.report.id for d in docs] == [str(i) for i in range(70)]
    assert docs[5].tags == ["word5"]


def test_failing_component_marks_record_instead_of_dropping_it():
    pipeline = Pipeline(["test_raises"], use_spacy=False)
    record = pipeline(Report(id="x", body="Some text.")).to_record().to_dict()
    assert record["id"] == "x"
    assert record["status"] == "failed"
    assert "boom" in record["error"]


def test_document_helpers():
    assert parse_iso_date("2022-01-28").isoformat() == "2022-01-28"
    assert parse_iso_date("0000-00-00") is None
    assert parse_iso_date(None) is None
    assert detect_language("양강도 혜산시에서 회의가 열렸다.") == "ko"
    assert detect_language("Meetings were held in Hyesan.") == "en"
