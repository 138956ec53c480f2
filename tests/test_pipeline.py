"""The pipeline contract: registry, declared attributes, batching, failure marking."""

from __future__ import annotations

from collections import defaultdict

import pytest

from tumen.analysis.pipeline import (DEFAULT_COMPONENTS, DOC_FIELDS, Document, Pipeline, PipelineError,
                                     component, detect_language, parse_iso_date)
from tumen.engines.local import read_jsonl_reports
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


@component("test_returns_none")
class _ReturnsNone:
    name = "test_returns_none"
    requires = ("report",)
    assigns = ("tags",)

    def __call__(self, doc):
        doc.tags = ["forgot"]  # and no ``return doc``


@component("test_declares_side_channel")
class _DeclaresSideChannel:
    name = "test_declares_side_channel"
    requires = ("user_data",)
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
    with pytest.raises(PipelineError) as exc:
        Pipeline(["test_needs_incidents"], use_spacy=False)
    assert str(exc.value) == ("component 'test_needs_incidents' requires 'incidents', which no earlier "
                              "component assigns (no component of the pipeline assigns it)")
    # the tags component reads the incidents: it cannot run before the incidents component
    with pytest.raises(PipelineError) as exc:
        Pipeline(["places", "organizations", "dates", "tags", "incidents"], use_spacy=False)
    assert str(exc.value) == ("component 'tags' requires 'incidents', which no earlier component "
                              "assigns ('incidents' assigns it but runs after it)")


def test_pipeline_rejects_fields_the_document_does_not_have():
    with pytest.raises(PipelineError, match="'test_declares_side_channel' declares 'user_data', "
                                            "which is no Document field"):
        Pipeline(["test_declares_side_channel"], use_spacy=False)


def test_component_that_does_not_return_the_document_is_an_error():
    pipeline = Pipeline(["test_returns_none"], use_spacy=False)
    with pytest.raises(PipelineError) as exc:
        pipeline(Report(id="x", body="Some text."))
    assert str(exc.value) == ("component 'test_returns_none' returned NoneType, not the Document it "
                              "was given; end its __call__ with 'return doc'")


def test_default_pipeline_declares_its_graph():
    pipeline = Pipeline(use_spacy=False)
    graph = {step["name"]: step for step in pipeline.analyze()}
    assert list(graph) == list(DEFAULT_COMPONENTS)
    assert graph["incidents"]["from"]["date_roles"] == "dates"
    assert graph["tags"]["from"]["incidents"] == "incidents"
    assert graph["places"]["from"] == {"report": "pipeline"}


class _TracedDocument(Document):
    """A Document that notes which fields the running component reads and writes."""

    running: str | None = None
    seen: dict = defaultdict(set)

    def __getattribute__(self, attr):
        if attr in DOC_FIELDS and _TracedDocument.running:
            _TracedDocument.seen[_TracedDocument.running, "reads"].add(attr)
        return super().__getattribute__(attr)

    def __setattr__(self, attr, value):
        if attr in DOC_FIELDS and _TracedDocument.running:
            _TracedDocument.seen[_TracedDocument.running, "writes"].add(attr)
        super().__setattr__(attr, value)


@pytest.mark.slow
def test_default_pipeline_reads_and_writes_what_it_declares(devset_reports):
    """Run the default pipeline over the devset with every component traced: each reads
    exactly the fields it requires (besides its own) and writes exactly those it assigns."""
    pipeline = Pipeline().initialize()
    graph = pipeline.analyze()
    for name, comp in zip(pipeline.names, pipeline.components):
        def traced(doc, comp=comp, name=name):
            _TracedDocument.running = name
            try:
                return comp(doc)
            finally:
                _TracedDocument.running = None
        pipeline.components[pipeline.names.index(name)] = traced
    reports = list(read_jsonl_reports(devset_reports))
    for report, sdoc in zip(reports, pipeline.nlp.pipe(r.body for r in reports)):
        doc = pipeline.make_doc(report, sdoc)
        doc.__class__ = _TracedDocument
        assert pipeline.run(doc).errors == []
    for step in graph:
        name = step["name"]
        reads = _TracedDocument.seen[name, "reads"] - set(step["assigns"])
        assert sorted(reads) == sorted(step["requires"]), name
        assert sorted(_TracedDocument.seen[name, "writes"]) == sorted(step["assigns"]), name


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
