# ZQZTC (政企直通车) — developer commands. `make run` and `make test` are the two that matter.
#
#   make run       embedded default: SQLite, eager Celery tasks, demo data, http://127.0.0.1:8000/
#                  (another port: make run PORT=8001)
#   make test      lint, migration check and the whole test suite in random order, with coverage
#                  (PostgreSQL when DATABASE_URL is set); fails under the coverage floors below
#   make test-fast the quick inner loop: no slow, browser or worker tests, SQLite, no coverage
#   make lock      re-pin requirements/*.lock from pyproject.toml (after any dependency change)
#   make lock-upgrade  the same, moving every pin to the newest allowed release
#   make lint      ruff check + ruff format --check
#   make typecheck mypy with django-stubs on the core modules listed in mypy.ini
#   make format    ruff format + ruff check --fix
#   make messages  refresh and compile the zh_Hans catalogue
#   make clean     remove caches and collected static files (keeps .venv, .env and db.sqlite3)

PYTHON ?= python3.11
PORT ?= 8000
VENV ?= .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py

# Installs come from lock files with hashes, one per profile, all pinned from one resolution:
#   requirements/run.lock         the app + demo extra (make run)
#   requirements/test.lock        the app + demo, test and c extras (make test, lint, format, CI)
#   requirements/production.lock  the app + c extra (Dockerfile)
# The c extra is psycopg's C module: building it needs a C compiler and libpq-dev.
UV_VERSION := 0.13.9
UV ?= $(BIN)/uv
# --universal: valid for every Python >= 3.11 on every platform (markers, not separate files).
UV_COMPILE = $(UV) pip compile pyproject.toml --quiet --universal --python-version 3.11 \
	--generate-hashes --custom-compile-command 'make lock' $(LOCK_ARGS)

# Settings refuse to start without SECRET_KEY; commands that only read code get a throwaway one.
THROWAWAY_ENV := SECRET_KEY=throwaway-make-target-key-not-used-for-anything-0123456789 DEBUG=0

# Directories that makemessages/compilemessages must not walk into.
I18N_IGNORE := --ignore=$(VENV) --ignore=staticfiles --ignore=media --ignore=node_modules

.DEFAULT_GOAL := help

.PHONY: help run test test-fast typecheck lint format messages compilemessages clean lock lock-upgrade

help:
	@sed -n '1,/^$$/p' Makefile

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Exactly the pinned, hash-checked packages, then the project itself without dependencies.
# pip check fails when pyproject.toml asks for something the lock lacks: run `make lock`.
define install_locked
	$(BIN)/pip install --require-hashes -r $(1)
	$(BIN)/pip install --no-deps -e .
	@$(BIN)/pip check || { echo "$(1) does not satisfy pyproject.toml: run make lock" >&2; exit 1; }
endef

# Reinstall only when the lock (or pyproject.toml) changes.
$(VENV)/.stamp-install: requirements/run.lock pyproject.toml | $(BIN)/python
	$(call install_locked,requirements/run.lock)
	touch $@

$(VENV)/.stamp-install-test: requirements/test.lock pyproject.toml | $(BIN)/python
	$(call install_locked,requirements/test.lock)
	touch $@

$(BIN)/uv: | $(BIN)/python
	$(BIN)/pip install uv==$(UV_VERSION)

# The test lock is the superset and is resolved first; the other two are constrained to its pins,
# so every profile gets the same version of a shared package. Existing pins are kept unless
# pyproject.toml no longer allows them (or with lock-upgrade). Needs PyPI; installs nothing but uv.
lock: $(UV)
	mkdir -p requirements
	$(UV_COMPILE) --extra test --extra demo --extra c -o requirements/test.lock
	$(UV_COMPILE) --extra demo -c requirements/test.lock -o requirements/run.lock
	$(UV_COMPILE) --extra c -c requirements/test.lock -o requirements/production.lock

lock-upgrade:
	$(MAKE) lock LOCK_ARGS=--upgrade

# A development .env with a fresh random secret; never overwritten once it exists.
.env: | $(BIN)/python
	$(BIN)/python -c 'import secrets; print("# Written by make run for development; see .env.example."); print("SECRET_KEY=" + secrets.token_urlsafe(50)); print("DEBUG=1")' > $@
	@echo "Wrote a development .env"

# The compiled .mo is committed, so machines without gettext skip this step.
define compile_messages
	@if command -v msgfmt >/dev/null 2>&1; then \
		echo "$(THROWAWAY_ENV) $(MANAGE) compilemessages $(I18N_IGNORE)"; \
		$(THROWAWAY_ENV) $(MANAGE) compilemessages $(I18N_IGNORE); \
	else \
		echo "msgfmt not found: using the committed .mo files"; \
	fi
endef

compilemessages: $(VENV)/.stamp-install
	$(compile_messages)

run: $(VENV)/.stamp-install .env
	$(compile_messages)
	$(MANAGE) migrate --noinput
	$(MANAGE) load_demo
	$(MANAGE) runserver 127.0.0.1:$(PORT)

lint: $(VENV)/.stamp-install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The workflows, their kit, the calendar, the limits, the deadlines and access (files in mypy.ini).
typecheck: $(VENV)/.stamp-install-test
	$(THROWAWAY_ENV) $(BIN)/mypy

format: $(VENV)/.stamp-install-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: $(VENV)/.stamp-install-test
	$(compile_messages)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(THROWAWAY_ENV) $(MANAGE) makemigrations --check --dry-run
	$(MAKE) typecheck
	$(BIN)/pytest $(XDIST_ARGS) $(COVERAGE_ARGS) $(PYTEST_ARGS)
	$(if $(PYTEST_ARGS),,$(BIN)/coverage report --include=$(COVERAGE_FULL) --fail-under=100)

# One test process per core, at most four (pytest-xdist; each has its own test database). XDIST_ARGS=
# runs in one process, e.g. to read a traceback in order.
XDIST_ARGS ?= -n auto --maxprocesses 4

# Tests run in random order (pytest-randomly prints the seed at the top; rerun that order with
# PYTEST_ARGS=--randomly-seed=N). Coverage floors, checked when the whole suite runs (no PYTEST_ARGS):
# the code base as a whole, and the state machines, the working-day calendar and the deadlines,
# which stay at 100 % of lines and branches.
COVERAGE_FLOOR := 95
COVERAGE_FULL := petitions/workflow.py,petitions/workflow_kit.py,petitions/workdays.py,petitions/deadlines.py
COVERAGE_ARGS = $(if $(PYTEST_ARGS),,--cov --cov-branch --cov-report=term --cov-fail-under=$(COVERAGE_FLOOR))

# No DATABASE_URL: SQLite. Skips what `make test` alone runs (slow, browser and worker tests).
test-fast: $(VENV)/.stamp-install-test
	env -u DATABASE_URL $(BIN)/pytest -n auto -m "not slow and not e2e and not celery_worker" $(PYTEST_ARGS)

messages: $(VENV)/.stamp-install
	$(THROWAWAY_ENV) $(MANAGE) makemessages -l zh_Hans --no-obsolete $(I18N_IGNORE)
	$(THROWAWAY_ENV) $(MANAGE) compilemessages $(I18N_IGNORE)

clean:
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +
	rm -rf .pytest_cache .ruff_cache .hypothesis .coverage htmlcov staticfiles test-artifacts
