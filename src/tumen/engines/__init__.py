"""Engines: the analysis pipeline run over many reports.

``tumen.engines.local`` runs it over a file or the store on this machine's cores (worker
processes through ``tumen.engines.procs``); ``tumen.engines.spark`` runs the same pipeline
on Apache Spark; ``tumen.engines.tagging`` learns the archive's house-topic model.  May
import the base, the ingest stages, ``tumen.analysis`` and ``tumen.store``; never
``tumen.ingest.run``, the web or the CLI (tests/test_layout.py)."""
