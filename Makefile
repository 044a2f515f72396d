# Tyndau — two commands on a fresh machine:
#   make run    set up, migrate, load the demo data once, serve on http://127.0.0.1:5000
#   make test   set up, run the whole test suite
# Needs python3 (3.11+); npm is optional (axe-core for the accessibility checks in the browser tests).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
STAMP := $(VENV)/.installed
AXE := node_modules/axe-core/axe.min.js
LOCALES := kk ru en
HOST ?= 127.0.0.1
PORT ?= 5000
PYTEST_ARGS ?=

# The embedded default: SQLite under instance/ (unless DATABASE_URL is set), jobs run inline,
# mail written to instance/outbox, and cookies allowed over plain http on the local dev server.
RUN_ENV := REDIS_URL= SMTP_HOST= FLASK_SESSION_COOKIE_SECURE=false FLASK_REMEMBER_COOKIE_SECURE=false

.PHONY: help run test setup catalogs axe lint format migrate seed worker translations bench clean distclean

help:
	@echo "make run           set up, migrate, seed the demo once, serve on http://$(HOST):$(PORT)"
	@echo "make test          set up and run the whole test suite (PYTEST_ARGS='-k ...' to narrow)"
	@echo "make lint          ruff check and ruff format --check"
	@echo "make format        ruff format and ruff check --fix"
	@echo "make migrate       apply the database migrations (flask db upgrade)"
	@echo "make seed          load the demo data into an empty database"
	@echo "make worker        start an rq worker with its scheduler (needs REDIS_URL)"
	@echo "make translations  extract messages and update the kk/ru/en catalogs"
	@echo "make bench         run the benchmark scripts in bench/"
	@echo "make clean         remove caches and compiled catalogs (distclean: also .venv and node_modules)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the project's dependencies change.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

setup: $(STAMP) catalogs

catalogs: $(STAMP)
	$(BIN)/python -m core.i18n_build

# axe-core for the accessibility checks of the browser tests; skipped (and those checks with it)
# when npm is not installed.
axe:
	@if [ -f $(AXE) ]; then :; \
	elif command -v npm >/dev/null 2>&1; then \
		npm install --prefix . --no-audit --no-fund --no-save axe-core@4 \
			|| echo "npm install failed: browser accessibility checks will be skipped"; \
	else \
		echo "npm not found: browser accessibility checks will be skipped"; \
	fi

migrate: $(STAMP)
	$(FLASK) db upgrade

seed: migrate
	$(RUN_ENV) $(FLASK) seed demo

run: setup migrate
	$(RUN_ENV) $(FLASK) seed demo
	@echo
	@echo "Tyndau on http://$(HOST):$(PORT)  (mail goes to instance/outbox; Ctrl+C to stop)"
	$(RUN_ENV) $(FLASK) run --host $(HOST) --port $(PORT)

test: setup axe
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

worker: $(STAMP)
	$(FLASK) jobs worker

translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 \
		--ignore-dirs '.* _* node_modules instance' -o translations/messages.pot .
	for locale in $(LOCALES); do \
		if [ -f translations/$$locale/LC_MESSAGES/messages.po ]; then \
			$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete -i translations/messages.pot -d translations -l $$locale; \
		else \
			$(BIN)/pybabel init -i translations/messages.pot -d translations -l $$locale; \
		fi; \
	done
	$(BIN)/python -m core.i18n_build

bench: setup
	@shopt -s nullglob; scripts=(bench/*.py); \
	if [ $${#scripts[@]} -eq 0 ]; then echo "no benchmark scripts in bench/"; exit 0; fi; \
	for script in "$${scripts[@]}"; do \
		echo "== $$script"; \
		$(BIN)/python "$$script"; \
	done

clean:
	find . -path ./$(VENV) -prune -o -path ./node_modules -prune -o -name __pycache__ -type d -exec rm -rf {} +
	rm -rf .pytest_cache .ruff_cache e2e-artifacts *.egg-info
	find translations -name '*.mo' -delete

distclean: clean
	rm -rf $(VENV) node_modules
