"""Analysis: one ``Report`` in, one analysis ``Record`` out.

The spaCy-style pipeline (``pipeline``), its components (``components``) and the
linguistic modules they use (``dates``, ``incidents``, ``keyphrase``, ``gazetteer``,
``linking``, ``events``, ``text``, ``datafiles``).  May import the base
(``tumen.record``, ``tumen.errors``) and the ingest stages (``tumen.ingest.sources``,
``.normalize``, ``.dedup``); never the store, the engines, the web or the CLI
(tests/test_layout.py).
"""
