# Entry points: `make run` serves the demo, `make test` runs every test.
# Nothing is done by hand: every step needed is a target here.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
# The demo runs on a fixed date on which 嘉政办发〔2015〕90号 was in force (it was repealed
# in 2021), unless the environment sets ZC_TODAY or DATABASE_URL (a real deployment).
DEMO_TODAY := 2021-03-15
CATALOGUE := catalogue/jiaxing-2015-90.yaml
FLASK := $(BIN)/flask --app wsgi

.PHONY: run test lint format bench serve worker install install-test system-test-deps migrate seed screenshot clean translations

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/activate pyproject.toml constraints.txt $(wildcard zhongchuang/translations/*/LC_MESSAGES/messages.po)
	$(BIN)/pip install --quiet -c constraints.txt -e .
	$(BIN)/pybabel -q compile -d zhongchuang/translations
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test system-test-deps

# Debian packages the tests need: a CJK font (PDF letters, screenshots), graphviz (workflow
# diagrams), chromium (browser journeys). Installed only when missing.
system-test-deps:
	@./scripts/ensure-system-deps.sh

migrate: install
	@if [ -z "$$DATABASE_URL" ] && [ -z "$$ZC_TODAY" ]; then export ZC_TODAY=$(DEMO_TODAY); fi; \
	$(FLASK) db upgrade && $(FLASK) policy load $(CATALOGUE) && $(FLASK) issuers load

seed: migrate
	@if [ -z "$$DATABASE_URL" ] && [ -z "$$ZC_TODAY" ]; then export ZC_TODAY=$(DEMO_TODAY); fi; \
	$(FLASK) demo seed --if-empty

run: seed
	@./scripts/ensure-system-deps.sh --optional
	@if [ -z "$$DATABASE_URL" ] && [ -z "$$ZC_TODAY" ]; then export ZC_TODAY=$(DEMO_TODAY); fi; \
	echo "Serving on http://$(HOST):$(PORT)  (today is $${ZC_TODAY:-the real date})"; \
	$(FLASK) run --host $(HOST) --port $(PORT)

test: install-test lint
	$(BIN)/pytest -n 2 --dist loadgroup

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(VENV)/.installed-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# After adding or changing _() strings: re-extract, merge into each catalogue, then translate
# the new entries in zhongchuang/translations/<lang>/LC_MESSAGES/messages.po and run this again.
translations: $(VENV)/.installed
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext --project Zhongchuang \
		--copyright-holder Zhongchuang -o zhongchuang/translations/messages.pot .
	$(BIN)/pybabel -q update -i zhongchuang/translations/messages.pot -d zhongchuang/translations
	$(BIN)/pybabel compile --statistics -d zhongchuang/translations

# Benchmarks (BENCHMARKS.md): the quick SQLite suite; `make bench BENCH=--full` for the
# 1,000,000-case PostgreSQL suite. Never part of `make test`.
bench: install-test
	@./scripts/ensure-system-deps.sh --bench
	$(BIN)/python -m bench.run $(BENCH)

# Production: gunicorn with several workers (gunicorn.conf.py) against DATABASE_URL and
# REDIS_URL; the schema is upgraded first. `make worker` runs the background jobs.
# See docs/DEPLOYMENT.md for every setting and for cron (`flask notices close-due`).
serve: install
	export ZC_ENV=$${ZC_ENV:-production}; \
	$(FLASK) db upgrade && \
	HOST=$(HOST) PORT=$(PORT) exec $(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

worker: install
	ZC_ENV=$${ZC_ENV:-production} exec $(FLASK) jobs worker

screenshot: install-test
	ZC_README_SCREENSHOT=docs/screenshot.png $(BIN)/pytest tests/e2e -k readme_screenshot -p no:xdist

clean:
	rm -rf $(VENV) instance/*.sqlite3 .pytest_cache
