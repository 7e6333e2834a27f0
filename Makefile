PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: venv test demo lint bench mutate planted clean

$(BIN)/isk: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(BIN)/isk

venv: $(BIN)/isk

test: venv
	$(BIN)/ruff check isk_reconcile tests bench scripts
	$(BIN)/pytest -q

demo: venv
	$(BIN)/isk demo

bench: venv
	$(BIN)/python bench/run.py

# Mutation testing of the safety-critical modules ([tool.mutmut] in pyproject.toml,
# docs/mutation.md). Slow: not part of `make test`. MUTANTS narrows it to a glob of
# mutant names, e.g. make mutate MUTANTS='isk_reconcile.gitops.guards*'.
MUTANTS ?=
mutate: venv
	$(BIN)/pip install -q -e '.[test,mutate]'
	# mutmut copies the package's other files (catalogs, templates) into mutants/ only once
	if [ -d mutants ]; then find isk_reconcile -type f ! -name '*.py' ! -path '*/__pycache__/*' \
	  -exec install -D -m 644 {} mutants/{} \; ; fi
	ISK_HYPOTHESIS_PROFILE=mutate $(BIN)/mutmut run --max-children 2 $(MUTANTS)
	$(BIN)/python scripts/mutation_score.py

# Issue 18's planted one-line bugs, one at a time: each must fail some test.
planted: venv
	$(BIN)/python scripts/planted_bugs.py

clean:
	rm -rf $(VENV) .isk-cache .pytest_cache .hypothesis mutants  # .isk-cache: where CI keeps XDG_CACHE_HOME
