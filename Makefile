# The two commands: `make demo` and `make test`. Everything else is a step of theirs.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test lint typecheck imports unit pytest bench serve migrate clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

## demo: install, migrate ./omni.db (or OMNI_DATABASE_URL), load the demo retailer, serve on :8000
demo: $(VENV)/.installed
	$(BIN)/omni demo

serve: $(VENV)/.installed
	$(BIN)/omni serve

migrate: $(VENV)/.installed
	$(BIN)/omni db upgrade

## test: lint, type checks, layer contracts and the whole suite (PostgreSQL too when OMNI_TEST_POSTGRES_URL is set)
test: lint typecheck imports pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

imports: $(VENV)/.installed-dev
	$(BIN)/lint-imports

pytest: $(VENV)/.installed-dev
	$(BIN)/pytest

## bench: every benchmark in bench/, each ending with one JSON line
bench: $(VENV)/.installed-dev
	@for f in bench/[!_]*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache omni.db omni.db-wal omni.db-shm
