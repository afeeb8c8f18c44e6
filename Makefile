# The entry point: `make run` serves the site with the demo content, `make test` runs every check.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The .env file (institute/envfile.py; manage.py and the web server read it, so every target below
# that runs manage.py uses the database and settings the file names: put DATABASE_URL there, not
# on one command's line, or `make demo-users` and `make run` may use two databases; both print
# the one they use). make takes the two settings it needs itself, PORT and WORKER_COMMAND, from
# there too, unless the command line or the environment sets them. $(call from_env_file,NAME) is NAME's value in the file, read by
# the same reader (with the system's python3: the virtualenv may not exist yet).
ENV_FILE_PATH := $(if $(filter undefined,$(origin ENV_FILE)),.env,$(ENV_FILE))
from_env_file = $(if $(ENV_FILE_PATH),$(shell $(PYTHON) institute/envfile.py '$(ENV_FILE_PATH)' $(1) 2>/dev/null))
ifeq ($(origin PORT),undefined)
PORT := $(or $(call from_env_file,PORT),8000)
endif
MANAGE := $(BIN)/python manage.py

.PHONY: install catalogues messages run serve backup restore superuser demo-users content test screenshots lint fmt migrations-check pytest browser bench bench-smoke load fuzz ci clean

install: $(VENV)/.installed

# Reinstall only when the lock file changes; every version is pinned there. uv installs the
# lock where it is on PATH (it reads the same requirements files, in a fraction of pip's time:
# benchmarks/bench_install.sh); otherwise pip installs uv (UV_VERSION) into the virtualenv and
# that installs the lock; pip itself installs it if that fails (USE_UV=0 asks for pip alone).
# Packages are compiled to bytecode as they are installed (pip does so by default, uv when
# asked): where PYTHONDONTWRITEBYTECODE is set, nothing else writes it, and every process would
# compile Django and the rest again as it starts (about 1.3 s of each `manage.py` command).
UV_VERSION ?= 0.13.9
USE_UV ?= 1
UV := $(if $(filter 1,$(USE_UV)),$(shell command -v uv 2>/dev/null))
define install_lock
	@echo "Installing Python packages from $(1)…"
	@if [ -n "$(UV)" ] && $(UV) pip install --quiet --compile-bytecode --python $(BIN)/python --requirement $(1); then :; \
	elif [ "$(USE_UV)" = 1 ] && $(BIN)/python -m pip install --quiet "uv==$(UV_VERSION)" \
		&& $(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python --requirement $(1); then :; \
	else \
		echo "Installing with pip (about 2 minutes on a fresh machine)…"; \
		$(BIN)/python -m pip install --quiet --upgrade pip \
		&& $(BIN)/python -m pip install --quiet --requirement $(1); \
	fi
endef

$(VENV)/.installed: requirements.lock requirements-dev.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(call install_lock,requirements-dev.lock)
	touch $@

# The translations of the interface: locale/<language>/LC_MESSAGES/django.po is written (and
# reviewed) in the repository; the compiled .mo beside it is produced here, never committed.
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/django.po))
catalogues: $(CATALOGUES)
locale/%/LC_MESSAGES/django.mo: locale/%/LC_MESSAGES/django.po
	@command -v msgfmt >/dev/null || { echo "Installing gettext (msgfmt)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext >/dev/null; }
	msgfmt --check --output-file=$@ $<

# After marking or changing an interface string: the catalogues gain it (untranslated, for the
# translators; tests/test_languages.py fails until every language has it).
messages: install
	$(MANAGE) makemessages --locale ru --locale kk --no-obsolete --add-location file \
		--ignore '.venv/*' --ignore 'tests/*' --ignore 'benchmarks/*' --ignore 'staticfiles/*'

content: install catalogues
	$(MANAGE) migrate --no-input -v 0
	$(MANAGE) createcachetable -v 0
	$(MANAGE) load_content

# Serves the site and runs the background worker (large admin imports) beside it, restarted
# whenever it exits; Ctrl-C stops both.
run: content
	@echo
	@echo "Reform tracker: http://127.0.0.1:$(PORT)/   admin: http://127.0.0.1:$(PORT)/admin/"
	@$(MANAGE) show_database
	@echo "To sign in to the admin, create development accounts first: make demo-users (one per"
	@echo "editorial role: contributor, reviewer, publisher) or make superuser"
	@echo
	@( child=; trap 'kill -TERM $$child 2>/dev/null; exit 0' TERM; \
	  while :; do \
		setsid $(MANAGE) run_worker --verbosity 0 & child=$$!; wait $$child; \
		echo "run: the worker exited ($$?); restarting it in 2 s" >&2; sleep 2; \
	  done ) & supervisor=$$!; \
	trap 'kill -TERM $$supervisor 2>/dev/null' EXIT INT TERM; \
	$(MANAGE) runserver 127.0.0.1:$(PORT)

# Production mode (README, "Production"): the production settings (a missing secret stops it
# with one line, exit 2), hashed static files, migrations, then the web server
# (institute/web_server.py) with the background worker beside it. The worker is restarted
# whenever it exits; Ctrl-C or SIGTERM stops the web server, then the worker. The worker
# is `manage.py run_worker` where it exists, else `db_worker`;
# WORKER_COMMAND overrides it. It runs in its own session (setsid) so that only this recipe stops
# it: a Ctrl-C meant for the web server must not look like a crash to be restarted.
ifeq ($(origin WORKER_COMMAND),undefined)
WORKER_COMMAND := $(call from_env_file,WORKER_COMMAND)
endif
WORKER_RESTART_DELAY ?= 5
serve: export DJANGO_SETTINGS_MODULE := institute.settings.production
serve: $(VENV)/.installed-production catalogues
	@$(BIN)/python -m institute.preflight
	$(MANAGE) collectstatic --no-input -v 0
	$(MANAGE) migrate --no-input -v 0
	$(MANAGE) createcachetable -v 0
	@worker='$(WORKER_COMMAND)'; \
	if [ -z "$$worker" ]; then \
		if $(MANAGE) help run_worker >/dev/null 2>&1; then worker=run_worker; else worker=db_worker; fi; \
	fi; \
	( child=; \
	  trap 'kill -TERM $$child 2>/dev/null; wait $$child; exit 0' TERM; \
	  while :; do \
		setsid $(MANAGE) $$worker & child=$$!; wait $$child; status=$$?; \
		echo "serve: the worker ($$worker) exited with status $$status; restarting it in $(WORKER_RESTART_DELAY) s" >&2; \
		sleep $(WORKER_RESTART_DELAY) & child=$$!; wait $$child; \
	  done ) & supervisor=$$!; \
	PORT=$(PORT) $(BIN)/python -m institute.web_server & web=$$!; \
	trap 'kill -TERM $$web 2>/dev/null' INT TERM; \
	wait $$web; status=$$?; \
	while kill -0 $$web 2>/dev/null; do wait $$web; status=$$?; done; \
	kill -TERM $$supervisor 2>/dev/null; wait $$supervisor; \
	echo "serve: the web server and the worker have stopped"; exit $$status

# A server needs only the production lock (no test tools); `make install` adds the rest.
$(VENV)/.installed-production: requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(call install_lock,requirements.lock)
	touch $@

# Backups (README, "Backups"): PostgreSQL → pg_dump's custom format, SQLite → its online backup
# API, as BACKUP_DIR/<database>-<UTC time>.dump (or .sqlite3). The database is DATABASE_URL's,
# under DJANGO_SETTINGS_MODULE (on a server: institute.settings.production).
backup: $(VENV)/.installed-production
	$(MANAGE) backup_db $(if $(BACKUP_DIR),--output-dir "$(BACKUP_DIR)")

# Replaces the database's contents with a backup's (asks first; stop `make serve` before).
restore: $(VENV)/.installed-production
	@test -n "$(FILE)" || { echo "Usage: make restore FILE=backups/<database>-<time>.dump" >&2; exit 2; }
	$(MANAGE) restore_db "$(FILE)"

superuser: install
	$(MANAGE) migrate --no-input -v 0
	$(MANAGE) createsuperuser

# --- Demo accounts (issue 14, editors) ---------------------------------------------------------
# demo-contributor, demo-reviewer and demo-publisher, one per editorial role, with new random
# passwords printed on each run. Refused with the production settings.
demo-users: install
	$(MANAGE) migrate --no-input -v 0
	$(MANAGE) demo_users

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

# Two workers (pytest-xdist), one per core: each has its own test database (`test_<name>_gw0`,
# …), its own demo content and its own live server. PYTEST_WORKERS=0 runs in one process.
PYTEST_WORKERS ?= 2
pytest: install browser catalogues
	$(BIN)/pytest $(if $(filter 0,$(PYTEST_WORKERS)),,-n $(PYTEST_WORKERS) --dist load) $(PYTEST_ARGS)

test: lint migrations-check pytest

# The pictures under docs/ (insights.png, listing-mobile.png, review-screen.png, alerts-*.png,
# chart-download.png), taken by the browser tests that check those screens; a plain test run
# leaves them alone.
screenshots: install browser
	SCREENSHOTS=1 $(BIN)/pytest tests/test_browser_insights.py tests/test_browser_layout.py \
		tests/test_browser_alerts.py tests/test_browser_editors.py tests/test_browser_phone.py

# The fuzz with new random examples, ten times as many (`make test` draws fixed ones), and
# schemathesis on the API likewise. Scale with FUZZ_SCALE; whatever it finds gets a fixed test.
FUZZ_SCALE ?= 10
fuzz: install
	FUZZ_RANDOM=1 FUZZ_SCALE=$(FUZZ_SCALE) $(BIN)/pytest tests/test_fuzz.py \
		tests/test_api.py::test_schemathesis_finds_no_failure

# Figures for the notes (issue 11's table, benchmarks/README.md): listings and search at 1k, 100k
# and 1M published reforms (one request, and ten visitors at once after a publish), exports of 1M, imports of 100k realistic rows, each beside same-run
# references (django-import-export's stock import and export, a bare COPY). Throw-away test
# databases of DATABASE_URL (PostgreSQL). BENCH_ROWS scales every part to one size; figures
# only, nothing is asserted on time. `make bench-smoke` runs it all at 1,000 rows (in CI).
BENCH_ROWS ?=
BENCH_BASELINE_ROWS ?= 20000
bench: install
	$(BIN)/python benchmarks/bench_listings.py $(or $(BENCH_ROWS),1000 100000 1000000)
	$(BIN)/python benchmarks/bench_export.py $(or $(BENCH_ROWS),1000000) $(BENCH_BASELINE_ROWS)
	$(BIN)/python benchmarks/bench_import.py $(or $(BENCH_ROWS),100000) $(BENCH_BASELINE_ROWS)
	$(BIN)/python benchmarks/bench_release.py $(or $(BENCH_ROWS),100000)

bench-smoke: install
	$(BIN)/python benchmarks/bench_listings.py 1000
	$(BIN)/python benchmarks/bench_export.py 1000 200
	$(BIN)/python benchmarks/bench_import.py 1000 200
	$(BIN)/python benchmarks/bench_release.py 1000

# A bounded load on a server that is already running (start it first: `make serve`, or `make
# run`): 10,000 mixed public requests over 20 keep-alive connections against
# http://127.0.0.1:$(PORT); prints req/s and p50/p95/p99 per kind; exits 1 on any 5xx or failed
# connection. E.g. LOAD_ARGS="--concurrency 50 --requests 20000 --base-url http://host:8000";
# "--passes 3" sends the same requests three times (the first pass meets an empty page cache).
# With LOAD_ARGS="--baseline-url http://127.0.0.1:8001" the same requests go first to that
# server (started with PAGE_CACHE=0) and both figures are printed side by side.
LOAD_ARGS ?=
load:
	$(BIN)/python benchmarks/load.py --base-url http://127.0.0.1:$(PORT) $(LOAD_ARGS)

ci:
	bash .ci/run

clean:
	rm -rf $(VENV) staticfiles db.sqlite3 .pytest_cache
