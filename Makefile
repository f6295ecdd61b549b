# One entry point for people and CI. `make demo` and `make test` each build the
# environment first, so both work on a fresh clone.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# pyenv reads .python-version (3.12); fall back to any python3.12 on PATH.
PYTHON ?= $(shell pyenv which python3.12 2>/dev/null || command -v python3.12 || echo python3)

.PHONY: venv demo test test-all bench browser assets validate plain-install clean

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 12), "consortsim needs Python 3.12+ (found %s)" % sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,dist,workshop]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/consortsim run scenarios/rural_rcorp.yaml --out out/demo

# Debian's Chromium for the workshop-page tests (never `playwright install`).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium missing: install Debian's chromium package to run the browser tests"; fi; }

# The workshop page's browser files, from npm, so the page works offline.
assets: $(STAMP)
	$(PY) tools/fetch_solara_assets.py

test: $(STAMP) browser assets
	$(PY) -m pytest -m "not slow" -q
	$(PY) -m pytest -m slow -q
	$(VENV)/bin/consortsim validate --replicates 400 --workers 2 --out out/validation-ci

# The pattern suite in full (400 replicates per ensemble, what CI runs too).
validate: $(STAMP)
	$(VENV)/bin/consortsim validate --workers 2 --out out/validation

test-all: $(STAMP) browser assets
	$(PY) -m pytest -q

# A plain `pip install .` (no extras) in a fresh venv runs the core commands.
PLAIN ?= out/plain-venv
plain-install:
	rm -rf $(PLAIN) out/plain-check
	$(PYTHON) -m venv $(PLAIN)
	$(PLAIN)/bin/python -m pip install --quiet --upgrade pip
	$(PLAIN)/bin/python -m pip install --quiet .
	$(PLAIN)/bin/consortsim check scenarios/rural_rcorp.yaml
	$(PLAIN)/bin/consortsim run scenarios/rural_rcorp.yaml --out out/plain-check/run
	$(PLAIN)/bin/consortsim compare experiments/rural_strategies.yaml --replicates 4 \
	    --workers 2 --out out/plain-check/compare
	$(PLAIN)/bin/consortsim sensitivity experiments/morris_assumptions.yaml --dry-run
	$(PLAIN)/bin/consortsim validate --replicates 20 --only P3a --out out/plain-check/validate
	@echo "plain install: core commands ran without extras"

bench: $(STAMP)
	$(PY) benchmarks/bench_model.py
	$(PY) benchmarks/bench_sweep.py

clean:
	rm -rf $(VENV) out .pytest_cache
