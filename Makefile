# Two commands on a fresh machine: `make run` and `make test`.
# Both create and reuse .venv themselves; `make install` is idempotent.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
VAULT  ?= vault

.PHONY: install run test test-postgres bench demo clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[test]'
	@touch $(STAMP)

run: install
	@test -f $(VAULT)/vault.toml || $(BIN)/newsvault init $(VAULT)
	$(BIN)/newsvault --vault $(VAULT) run

demo: install
	$(BIN)/newsvault demo

test: install
	$(BIN)/python -m pytest -q

# The whole suite again with every test vault on its own PostgreSQL database (docs/SCALE.md).
test-postgres: install
	$(BIN)/python -m pytest -q --store=postgresql

bench: install
	FULL=$(FULL) $(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache
