# The two commands of the README's Quick start, and what CI runs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test lint venv clean

$(BIN)/kg: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

venv: $(BIN)/kg

## Set up, then build, validate, export and query the bundled NATO–Japan records.
demo: venv
	$(BIN)/kg build -o build --reason
	$(BIN)/kg validate
	$(BIN)/kg export -o build/kg.trig --reason
	$(BIN)/kg query timeline

## Set up, then lint, type-check and run the whole test suite.
# --dist loadfile: a test file's module fixtures (report sites, builds, servers)
# are made once, on one worker, not once per worker (9:21 against 10:14 for the
# suite on 2 cores, same tests).
test: venv lint
	$(BIN)/python -m pytest -n auto --dist loadfile

lint: venv
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

clean:
	rm -rf build dist .pytest_cache .ruff_cache .mypy_cache
