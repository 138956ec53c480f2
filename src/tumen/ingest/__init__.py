"""Ingest: turning raw files into normalized ``Report``s.

Stages: ``tumen.ingest.sources`` (readers per format), ``tumen.ingest.normalize``
(cleaning, content hashes) and ``tumen.ingest.dedup`` (MinHash near-duplicates).
These stages may import only the base (``tumen.record``, ``tumen.errors``) and each
other.  ``tumen.ingest.run`` drives a whole ingest (sources -> store -> analysis) and
sits above the engines: it may import everything except ``tumen.web`` and ``tumen.cli``.
The direction is checked by tests/test_layout.py.
"""
