# Two entry points for a newcomer: `make quickstart` and `make test`. Both create .venv when missing and
# reinstall only when pyproject.toml or constraints.txt changed, so a second run starts at once.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: quickstart test lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# torch is installed on its own first, pinned, so that no resolver ever picks an unpinned (multi-GB) build.
$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

quickstart: $(VENV)/.installed
	$(BIN)/python -m trainers.fit --config configs/quickstart.yaml

test: $(VENV)/.installed
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) runs
