# Two commands: `make run` (main job on the seed corpus) and `make test` (lint + the whole suite).
# Both set up what they need first; setup is skipped when nothing it depends on has changed.
# `make run` installs only what a run needs; `make test` adds the test tools and a browser.
VENV ?= .venv
RUN_STAMP := $(VENV)/.setup-run
TEST_STAMP := $(VENV)/.setup-test
ARGS ?=
PYTEST_ARGS ?=
LINT_PATHS := src tests benchmarks scripts

.PHONY: setup setup-test run test lint clean

$(RUN_STAMP): pyproject.toml constraints.txt scripts/setup.sh
	bash scripts/setup.sh run
	@touch $(RUN_STAMP)

$(TEST_STAMP): pyproject.toml constraints.txt scripts/setup.sh
	bash scripts/setup.sh test
	@touch $(RUN_STAMP) $(TEST_STAMP)

setup: $(RUN_STAMP)
setup-test: $(TEST_STAMP)

run: $(RUN_STAMP)
	HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 $(VENV)/bin/topics-run $(ARGS)

lint: $(TEST_STAMP)
	$(VENV)/bin/ruff check $(LINT_PATHS)
	$(VENV)/bin/ruff format --check $(LINT_PATHS)

test: lint
	HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 $(VENV)/bin/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf outputs .pytest_cache .ruff_cache
