PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: venv test demo lint bench clean

$(BIN)/isk: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(BIN)/isk

venv: $(BIN)/isk

test: venv
	$(BIN)/ruff check isk_reconcile tests bench
	$(BIN)/pytest -q

demo: venv
	$(BIN)/isk demo

bench: venv
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .isk-cache .pytest_cache .hypothesis  # .isk-cache: where CI keeps XDG_CACHE_HOME
