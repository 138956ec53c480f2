# The two Quick start commands (README.md): `make demo` and `make test`.
# Each sets up what it needs: a virtual environment in .venv with the pinned
# dependency ranges of pyproject.toml, and for the tests the Debian packages the
# tests drive (chromium, fonts-noto-cjk, postgresql, a JRE): scripts/system-deps.sh
# installs only those that are missing, so with everything present it runs no apt.

PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed-$(1)

.PHONY: demo test test-fast bench lint clean setup setup-dev system-deps

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed-base: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install --quiet -e '.[dev,postgres,spark]'
	touch $@ $(VENV)/.installed-base

setup: $(VENV)/.installed-base
setup-dev: $(VENV)/.installed-dev

system-deps:
	bash scripts/system-deps.sh

## The main job on the embedded default: bundled sample reports into SQLite, analyzed.
demo: setup
	$(BIN)/tumen demo

## The whole test suite (what CI runs through .ci/run).
test: setup-dev system-deps
	bash scripts/run-tests.sh

## ruff and mypy (configured in pyproject.toml); the tests run them first.
lint: setup-dev
	bash scripts/lint.sh

test-fast: setup-dev
	$(BIN)/python -m pytest -q -m "not slow and not browser and not postgres and not spark"

bench: setup-dev
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python benchmarks/ingest.py
	$(BIN)/python benchmarks/analyze.py
	$(BIN)/python benchmarks/keyphrase.py

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .mypy_cache .ruff_cache test-artifacts tumen-demo.db*
