# Two commands on a fresh machine: `make run` and `make test`.
# Both create and reuse .venv themselves; `make install` is idempotent.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
VAULT  ?= vault

.PHONY: install run test test-postgres test-clone lint bench demo clean lock

install: $(STAMP)

# Exact versions with hashes from requirements.lock, then newsvault itself (docs/DEVELOPING.md).
$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check --require-hashes -r requirements.lock
	@$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

# After changing a range in pyproject.toml, or to take newer releases: `make lock` (add UPGRADE=1 for all).
lock: install
	@$(BIN)/python -m pip install -q --disable-pip-version-check pip-tools
	$(BIN)/pip-compile -q --extra test --extra dev --generate-hashes --no-emit-find-links --no-emit-index-url --no-strip-extras \
		$(if $(UPGRADE),--upgrade) -o requirements.lock pyproject.toml

run: install
	@test -f $(VAULT)/vault.toml || $(BIN)/newsvault init $(VAULT)
	$(BIN)/newsvault --vault $(VAULT) run

demo: install
	$(BIN)/newsvault demo

# Every core (pytest-xdist), a test module to a process: a module's vaults and servers are built once.
# `make test JOBS=0` runs it in one process.
JOBS ?= auto
PYTEST := $(BIN)/python -m pytest -q -n $(JOBS) --dist loadfile

test: install
	$(PYTEST)

# The whole suite again with every test vault on its own PostgreSQL database (docs/SCALE.md).
test-postgres: install
	$(PYTEST) --store=postgresql

# The suite as everyone who clones the repository runs it: HEAD cloned into an empty temporary folder, so no
# ../shared beside it (the tests that need it are skipped and counted, even where NEWSVAULT_REQUIRE_SHARED=1
# makes its absence fail elsewhere); uncommitted changes are not in the clone.
test-clone:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
		git clone -q . "$$tmp/newsvault" && \
		echo "make test in a clone of HEAD at $$tmp/newsvault (nothing beside it)" && \
		NEWSVAULT_REQUIRE_SHARED= $(MAKE) --no-print-directory -C "$$tmp/newsvault" test

# The repository checks itself: lint and import order, formatting, strict types, no large files.
lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	$(BIN)/python tools/check_store_owns_sql.py src
	@git ls-files -z --cached --others --exclude-standard | xargs -0 -r stat -c '%s %n' 2>/dev/null \
		| awk '$$1 > 1048576 { print "too large for the repository (over 1 MB): " substr($$0, index($$0, " ") + 1); bad = 1 } END { exit bad }'

bench: install
	FULL=$(FULL) $(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache
