# Two commands: `make run` (main job on the seed corpus) and `make test` (the whole suite).
# Both set everything up first; setup is skipped when nothing it depends on has changed.
VENV ?= .venv
STAMP := $(VENV)/.setup-stamp
ARGS ?=
PYTEST_ARGS ?=

.PHONY: setup run test lint clean

$(STAMP): pyproject.toml constraints.txt scripts/setup.sh
	bash scripts/setup.sh
	@touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 $(VENV)/bin/topics-run $(ARGS)

test: $(STAMP)
	HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 $(VENV)/bin/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests

clean:
	rm -rf outputs .pytest_cache .ruff_cache
