# Manyi's front door. `make run` and `make test` are the stable interfaces (SPEC).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run test install browser-deps lint messages clean-db

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Manyi needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

# Each checkout gets its own secrets on its first `make run` (kept in .env, which git ignores).
.env:
	$(PYTHON) -c 'import secrets; print("SECRET_KEY=" + secrets.token_urlsafe(50)); print("HOUSEHOLD_CODE_KEY=" + secrets.token_urlsafe(50))' > $@

## run: environment, install, migrate the embedded SQLite database, demo data, serve on :$(PORT)
run: install .env
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 PORT=$(PORT) SITE_URL=http://127.0.0.1:$(PORT) $(PY) manage.py load_demo --demo-accounts
	DEBUG=1 SITE_URL=http://127.0.0.1:$(PORT) $(PY) manage.py runserver 127.0.0.1:$(PORT)

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

## lint: ruff, and no model change without its migration
lint: install
	$(VENV)/bin/ruff check .
	$(PY) manage.py makemigrations --check --dry-run

## messages: re-extract translatable strings and compile the catalogues
messages: install
	$(PY) manage.py makemessages -l zh_Hans -l en --ignore=.venv --ignore=.cache --ignore=tests
	$(PY) manage.py compilemessages --ignore=.venv --ignore=.cache

## clean-db: forget the embedded demo database (the next `make run` makes a new one)
clean-db:
	rm -f db.sqlite3
