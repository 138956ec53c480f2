"""Test helpers, shared by the test modules (not test modules themselves).

``tests/conftest.py`` loads the fixture modules as plugins (``pytest_plugins``), so a
test names a fixture as an argument and imports nothing for it; plain functions are
imported where they are used (``from support.cli import run``).

* ``support.pg``: the ``store_url`` and ``pg_url`` fixtures (a fresh store on each
  backend); ``fresh_pg_database``/``drop_pg_database`` for tests that manage their own.
* ``support.cli``: ``run(capsys, *argv)``, the real CLI in-process.
* ``support.web``: ``analyzed_sample_store(tmp)``, ``add_user``, ``SAMPLES``.
* ``support.entities``: running entity components without spaCy over shared reports.
* ``support.hostile``: the hostile corpus (broken and malicious inputs), written at test time.
"""
