# lsmap: one command to run the app on sample data, one to run the tests.
#   make run    install into .venv, create the SQLite database, load the sample town, serve :8501
#   make test   install system packages if missing, lint, then the whole suite on SQLite and on PostGIS
#   make lint   ruff check + ruff format --check + mypy on lsmap/ (zero findings)

VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PORT ?= 8501
# Two workers, whole files per worker (a module's fixtures stay in one process).
PYTEST := $(PY) -m pytest -n 2 --dist loadfile
LINT_PATHS := app.py lsmap layers sample_data tests

.PHONY: install run lint test test-sqlite test-postgis system-deps clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/lsmap db upgrade
	$(VENV)/bin/lsmap sample load
	$(VENV)/bin/streamlit run app.py --server.port $(PORT)

lint: $(STAMP)
	$(VENV)/bin/ruff check $(LINT_PATHS)
	$(VENV)/bin/ruff format --check $(LINT_PATHS)
	$(VENV)/bin/mypy

system-deps:
	bash scripts/system-deps.sh

test: system-deps $(STAMP) lint
	LSMAP_TEST_BACKEND=sqlite $(PYTEST)
	LSMAP_TEST_BACKEND=postgresql $(PYTEST)

test-sqlite: $(STAMP)
	LSMAP_TEST_BACKEND=sqlite $(PYTEST)

test-postgis: $(STAMP)
	LSMAP_TEST_BACKEND=postgresql $(PYTEST)

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
