# Manyi's front door. `make run` and `make test` are the stable interfaces (SPEC).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run test install browser-deps lint messages clean-db lock release drill

# Installed from the lock file (every package pinned, with its hashes: what was tested is
# what runs), then the project itself without touching the pins.
$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Manyi needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

install: $(VENV)/.installed

# Each checkout gets its own secrets on its first `make run` (kept in .env, which git ignores).
.env:
	$(PYTHON) -c 'import secrets; print("SECRET_KEY=" + secrets.token_urlsafe(50)); print("HOUSEHOLD_CODE_KEY=" + secrets.token_urlsafe(50))' > $@

# The demo's issuer: Wuhan's bureau, its hotline, and filing numbers that say they are a
# demo's (SITE_DEMO marks every footer). A deployment sets its own (docs/deploy.md).
DEMO_IDENTITY := SITE_DEMO=1 SITE_ISSUER='武汉市住房保障和房屋管理局' \
	SITE_ISSUER_EN='Wuhan Housing Security and Management Bureau' SITE_CITY='武汉市' \
	SITE_CITY_EN='Wuhan' SITE_HOTLINE=12345 SITE_ICP='鄂ICP备00000000号（演示）' \
	SITE_PSB='鄂公网安备00000000000000号（演示）'

# The background jobs of `make run` (notices, the schedule, the daily maintenance): a
# Celery worker this target starts and stops itself, one process (solo pool) with the
# beat schedule inside it, fed through kombu's filesystem transport (a folder under
# .cache/, which git ignores): no broker to install, and a request that enqueues a
# city-wide job answers at once (docs/architecture.md, "Background jobs").
RUN_QUEUE := CELERY_BROKER_URL=filesystem:// CELERY_QUEUE_FOLDER=$(CURDIR)/.cache/queue
RUN_WORKER := $(VENV)/bin/celery -A config worker --pool=solo --beat \
	--schedule=$(CURDIR)/.cache/queue/beat-schedule --loglevel=WARNING

## run: environment, install, migrate the embedded SQLite database, demo data, serve on :$(PORT)
## with DEBUG off, as residents see it (static files by WhiteNoise, the demo's photos by
## Django), with a background worker beside the server (stopped with it)
run: install .env
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 PORT=$(PORT) SITE_URL=http://127.0.0.1:$(PORT) $(PY) manage.py load_demo --demo-accounts
	export DEBUG=0 SERVE_MEDIA=1 $(DEMO_IDENTITY) SITE_URL=http://127.0.0.1:$(PORT) $(RUN_QUEUE); \
	$(RUN_WORKER) & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

# axe-core, for the accessibility checks of the browser tests: from the npm registry
# into a project-local folder (git ignores .cache/), major version pinned.
AXE_JS := .cache/npm/node_modules/axe-core/axe.min.js
$(AXE_JS):
	npm install --prefix .cache/npm --no-audit --no-fund --silent axe-core@4

## browser-deps: axe-core for the browser tests (.ci/run also installs Debian's chromium)
browser-deps: $(AXE_JS)

## test: the whole suite; DATABASE_URL selects the database (SQLite when unset). The
## browser tests (tests/browser) skip, saying why, where chromium or axe-core is missing.
test: install
	@[ -f $(AXE_JS) ] || ! command -v npm >/dev/null || $(MAKE) --no-print-directory browser-deps || true
	$(VENV)/bin/pytest

## lint: ruff, the apps' layers (import-linter, docs/architecture.md), and no model
## change without its migration
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(PY) manage.py makemigrations --check --dry-run

## messages: re-extract translatable strings and compile the catalogues
messages: install
	$(PY) manage.py makemessages -l zh_Hans -l en --ignore=.venv --ignore=.cache --ignore=tests
	$(PY) manage.py compilemessages --ignore=.venv --ignore=.cache

## clean-db: forget the embedded demo database (the next `make run` makes a new one)
clean-db:
	rm -f db.sqlite3

.PHONY: bench

## bench: the city-scale benchmark (issue 6): a synthetic city of 10,000 communities and
## 1,000,000 ratings in the PostgreSQL database manyi_bench (dropped and rebuilt), the app
## under gunicorn with Redis, loaded by wrk; writes docs/benchmarks.md. Needs PostgreSQL
## on 127.0.0.1:5432 (started here as .ci/run does) and Redis on 127.0.0.1:6379 (its
## database 5 is flushed); installs Debian's wrk if it is missing. About 5 minutes.
bench: install
	@command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	@pg_isready -h 127.0.0.1 -p 5432 -q || pg_ctlcluster --skip-systemctl-redirect "$$(ls /etc/postgresql | head -n1)" main start
	@for _ in $$(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || { echo "make bench: Redis is not answering on 127.0.0.1:6379" >&2; exit 1; }
	$(PY) -m bench.run

LOCK_COMMAND = $(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	--extra dev pyproject.toml

## lock: resolve the dependencies of pyproject.toml (runtime and dev) into
## requirements.lock, with hashes, keeping the pins already there (UPGRADE=1: the newest
## versions pyproject.toml allows); commit both together
lock: install
	$(LOCK_COMMAND) $(if $(UPGRADE),--upgrade) --output-file requirements.lock

## release: check that a release can be tagged: the lock is current for pyproject.toml,
## CHANGELOG.md has a section for the version in pyproject.toml, lint and tests pass.
## Then: git tag -a v$$VERSION -m "Manyi $$VERSION" (docs/deploy.md, "Releases")
release: install
	@version=$$($(PY) -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])'); \
	  grep -q "^## \[$$version\]" CHANGELOG.md || { echo "CHANGELOG.md has no section ## [$$version]" >&2; exit 1; }; \
	  echo "version $$version: in CHANGELOG.md"
	@cp requirements.lock .release-check.lock && \
	  $(LOCK_COMMAND) --output-file .release-check.lock && \
	  if ! diff -q <(grep -v '^#' requirements.lock) <(grep -v '^#' .release-check.lock) >/dev/null; then \
	    rm -f .release-check.lock; echo "requirements.lock is not current for pyproject.toml: make lock" >&2; exit 1; \
	  fi; rm -f .release-check.lock; echo "requirements.lock: current"
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory test

## drill: the restore drill (not in CI): a second PostgreSQL cluster with WAL archiving and
## a base backup, ratings, a simulated mistake, point-in-time recovery to one minute
## before it, verify_publication on the result; prints the recovery point and time.
drill: install
	deploy/drill.sh
