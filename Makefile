# Quick start: `make demo` and `make test` on a fresh machine (each sets up .venv first).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup test lint demo bench readme schema lock clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy

test: lint
	$(BIN)/pytest -q

demo: setup
	$(BIN)/python scripts/demo.py

readme: setup
	$(BIN)/python scripts/update_readme.py

# The committed JSON Schema of a template file, and the model's shape the `schema` rule
# checks with (tests/test_model.py and tests/test_schema_shape.py fail when they are stale).
schema: setup
	$(BIN)/template-registry schema > schema/model-template.schema.json.tmp
	mv schema/model-template.schema.json.tmp schema/model-template.schema.json
	$(BIN)/python scripts/schema_shape.py

# The hash-pinned install of the CI jobs (requirements/sync.txt); run after changing the
# dependencies in pyproject.toml (a test fails until you do).
lock: setup
	$(BIN)/python scripts/lock.py

bench: setup
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
