# One command surface for humans, CI and the README.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Every runtime and dev dependency, pinned with hashes, for Python 3.11 on Linux x86-64 (`make lock` writes it).
LOCK := requirements.lock
LOCK_TOOLS := .venv-lock
UV_VERSION := 0.13.8
LOCK_TARGET := --python-version 3.11 --python-platform x86_64-unknown-linux-gnu

.PHONY: test lint fuzz demo serve bench clean lock lock-upgrade catalogues

# Installs exactly the lock (pip refuses any file whose hash differs), then the project itself without
# resolving anything; `pip check` then fails if pyproject.toml asks for something the lock lacks (run `make lock`).
$(STAMP): $(LOCK) pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	$(BIN)/pip check
	touch $(STAMP)

# Re-resolve the lock from pyproject.toml: versions already locked are kept where they still fit, new
# dependencies are added, dropped ones removed. `make lock-upgrade` moves everything to the newest versions.
lock:
	$(PYTHON) -m venv $(LOCK_TOOLS)
	$(LOCK_TOOLS)/bin/pip install --quiet uv==$(UV_VERSION)
	$(LOCK_TOOLS)/bin/uv pip compile pyproject.toml --extra dev --generate-hashes $(LOCK_TARGET) \
		--custom-compile-command "make lock" --quiet $(LOCK_FLAGS) -o $(LOCK)

lock-upgrade:
	$(MAKE) lock LOCK_FLAGS=--upgrade

# The web app's strings: extracted from its code and templates (web/babel.cfg) into web/locales/web.pot, then
# merged into both catalogues; a new string arrives untranslated, and tests/web/test_catalogues.py fails until
# fr_CA and en both have it. The app compiles the .po files in memory: there is no .mo file to build.
catalogues: $(STAMP)
	$(BIN)/pybabel extract -F web/babel.cfg -k N_ --no-location --sort-output --omit-header -o web/locales/web.pot .
	$(BIN)/pybabel update -i web/locales/web.pot -d web/locales -D web --no-fuzzy-matching \
		--ignore-obsolete --width 120

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# The suite, and beside it the 60-second database outage (tests/api/test_database_restart.py, on a cluster of its
# own): that test mostly waits, so running it alongside costs the suite no time. Both must pass.
test: lint
	@mkdir -p var
	@MENTORAT_TEST_LONG_FAULTS=1 $(BIN)/pytest -q tests/api/test_database_restart.py -k sixty \
		> var/long-faults.log 2>&1 & long=$$!; \
	$(BIN)/pytest; suite=$$?; \
	wait $$long; faults=$$?; \
	echo "the 60-second database outage (var/long-faults.log):"; tail -n 5 var/long-faults.log; \
	test $$suite -eq 0 && test $$faults -eq 0

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
	rm -rf $(VENV) $(LOCK_TOOLS) var .mypy_cache .ruff_cache .pytest_cache
