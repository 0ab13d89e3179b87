# ZQZTC (政企直通车) — developer commands. `make run` and `make test` are the two that matter.
#
#   make run       embedded default: SQLite, eager Celery tasks, demo data, http://127.0.0.1:8000/
#   make test      lint, migration check and the test suite (PostgreSQL when DATABASE_URL is set)
#   make lint      ruff check + ruff format --check
#   make format    ruff format + ruff check --fix
#   make messages  refresh and compile the zh_Hans catalogue
#   make clean     remove caches and collected static files (keeps .venv, .env and db.sqlite3)

PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py

# Settings refuse to start without SECRET_KEY; commands that only read code get a throwaway one.
THROWAWAY_ENV := SECRET_KEY=throwaway-make-target-key-not-used-for-anything-0123456789 DEBUG=0

# Directories that makemessages/compilemessages must not walk into.
I18N_IGNORE := --ignore=$(VENV) --ignore=staticfiles --ignore=media --ignore=node_modules

.DEFAULT_GOAL := help

.PHONY: help run test lint format messages compilemessages clean

help:
	@sed -n '1,/^$$/p' Makefile

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when pyproject.toml changes.
$(VENV)/.stamp-install: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -e .
	touch $@

$(VENV)/.stamp-install-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -e '.[test]'
	touch $@

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
	$(MANAGE) runserver 127.0.0.1:8000

lint: $(VENV)/.stamp-install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.stamp-install-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: $(VENV)/.stamp-install-test
	$(compile_messages)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(THROWAWAY_ENV) $(MANAGE) makemigrations --check --dry-run
	$(BIN)/pytest $(PYTEST_ARGS)

messages: $(VENV)/.stamp-install
	$(THROWAWAY_ENV) $(MANAGE) makemessages -l zh_Hans --no-obsolete $(I18N_IGNORE)
	$(THROWAWAY_ENV) $(MANAGE) compilemessages $(I18N_IGNORE)

clean:
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +
	rm -rf .pytest_cache .ruff_cache .hypothesis .coverage htmlcov staticfiles test-artifacts
