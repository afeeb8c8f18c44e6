# The entry point: `make run` serves the site with the demo content, `make test` runs every check.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
MANAGE := $(BIN)/python manage.py

.PHONY: install run serve superuser content test lint fmt migrations-check pytest browser bench ci clean

install: $(VENV)/.installed

# Reinstall only when the lock file changes; every version is pinned there.
$(VENV)/.installed: requirements.lock requirements-dev.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --requirement requirements-dev.lock
	touch $@

content: install
	$(MANAGE) migrate --no-input -v 0
	$(MANAGE) load_content

# Serves the site and runs the background worker (large admin imports) beside it; Ctrl-C
# stops both.
run: content
	@echo
	@echo "Reform tracker: http://127.0.0.1:$(PORT)/   admin: http://127.0.0.1:$(PORT)/admin/"
	@echo "To sign in to the admin, create a development account first: make superuser"
	@echo
	$(MANAGE) db_worker --no-reload --verbosity 0 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(MANAGE) runserver 127.0.0.1:$(PORT)

superuser: install
	$(MANAGE) migrate --no-input -v 0
	$(MANAGE) createsuperuser

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: install
	$(MANAGE) makemigrations --check --dry-run

# The browser tests drive Debian's chromium (Playwright cannot download browsers here).
browser:
	@test -x /usr/bin/chromium || { \
		echo "Installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

pytest: install browser
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint migrations-check pytest

# Figures for the notes: timings, query counts, rows/s. BENCH_ROWS seeds that many reforms in a
# throw-away test database of DATABASE_URL (use PostgreSQL). Asserts nothing.
BENCH_ROWS ?= 20000
bench: install
	$(BIN)/python benchmarks/bench_public.py $(BENCH_ROWS)
	$(BIN)/python benchmarks/bench_import.py $(BENCH_ROWS)

ci:
	bash .ci/run

clean:
	rm -rf $(VENV) staticfiles db.sqlite3 .pytest_cache
