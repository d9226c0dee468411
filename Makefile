# One command surface for humans, CI and the README.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test lint fuzz demo serve bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest

# The long run of the property tests: 200 generated cases per operation (valid and invalid), at random,
# and 200 random one-byte tamperings per store.
fuzz: $(STAMP)
	MENTORAT_FUZZ_EXAMPLES=200 $(BIN)/pytest tests/api/test_fuzz.py tests/unit/test_mentorship_stateful.py \
		tests/integration/test_chain.py

demo: $(STAMP)
	$(BIN)/mentorat demo

serve: $(STAMP)
	$(BIN)/mentorat serve

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
