# Guichet DLNUF — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run dev test lint pytest bench screenshots install install-runtime requirements migrate seed\
	clean

# Two installs, each in hash-checking mode with the venv's own pip: what running the product
# needs (`make run`, `seed`, `migrate`), then everything else the tests and tools need, so that
# `make test` after `make run` only adds what is missing. Modules are byte-compiled when first
# imported rather than all at install (a third of the install's CPU time).
$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime-installed: requirements/runtime.txt | $(PY)
	$(PY) -m pip install --quiet --no-compile --require-hashes -r requirements/runtime.txt
	touch $@

$(VENV)/.dev-installed: requirements/dev.txt $(VENV)/.runtime-installed
	$(PY) -m pip install --quiet --no-compile --require-hashes -r requirements/dev.txt
	touch $@

install-runtime: $(VENV)/.runtime-installed

install: $(VENV)/.dev-installed

# Recompiles requirements/*.txt from the .in files, keeping the pins unless asked:
# `make requirements UPGRADE=--upgrade` (every package) or `UPGRADE="--upgrade-package django"`.
requirements: $(VENV)/.dev-installed
	sh requirements/compile.sh $(UPGRADE)

# axe-core for the accessibility tests (npm, lock file committed); skipped when npm is absent.
node_modules/.package-lock.json: package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund --silent; \
	else echo "npm not found: the browser accessibility tests will be skipped"; fi

migrate: install-runtime
	$(PY) manage.py migrate --no-input

# Links in e-mails, the catalogue's examples and the demo data's output follow the address served.
run dev seed: export DLNUF_SITE_URL ?= http://$(HOST):$(PORT)

seed: migrate
	$(PY) manage.py load_catalogue
	$(PY) manage.py load_demo_data

# The production server (granian, one process per core, static files, the toolbox worker
# supervised beside it); Ctrl-C stops it all.
run: seed
	@echo "Guichet DLNUF sur http://$(HOST):$(PORT)/ (documentation de l'API : /api/v1/docs)"
	DLNUF_SANDBOX_URL=$${DLNUF_SANDBOX_URL:-http://$(HOST):$(PORT)/sandbox} \
		$(PY) manage.py serve --host $(HOST) --port $(PORT)

# Django's development server, reloaded on every change, with the toolbox worker beside it.
dev: seed
	@echo "Guichet DLNUF (développement) sur http://$(HOST):$(PORT)/"
	$(PY) manage.py db_worker & worker=$$!; trap "kill $$worker 2>/dev/null" EXIT INT TERM; \
	DLNUF_SANDBOX_URL=$${DLNUF_SANDBOX_URL:-http://$(HOST):$(PORT)/sandbox} \
		$(PY) manage.py runserver $(HOST):$(PORT)

lint: install
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy .
	$(PY) manage.py makemigrations --check --dry-run

# The suite runs on SQLite, then again on PostgreSQL when DLNUF_TEST_POSTGRES_URL is set
# (.ci/run starts a throw-away cluster and sets it). It runs in PYTEST_WORKERS processes, one
# per core of the CI machine; each test file stays whole in one process, so that the servers a
# module starts once (granian stacks, redis) are not started again by the other process.
# PYTEST_WORKERS=0 runs everything in one process.
PYTEST_WORKERS ?= 2
PYTEST := $(VENV)/bin/pytest -n $(PYTEST_WORKERS) --dist loadfile
pytest: install node_modules/.package-lock.json
	$(PYTEST)
	@if [ -n "$$DLNUF_TEST_POSTGRES_URL" ]; then \
		echo "--- same suite on PostgreSQL"; \
		DATABASE_URL="$$DLNUF_TEST_POSTGRES_URL" $(PYTEST); \
	else \
		echo "--- PostgreSQL run skipped: DLNUF_TEST_POSTGRES_URL is not set"; \
	fi

test: lint pytest

# Needs wrk (the load generator) and nginx (a static upstream, the two nodes' proxy), Debian
# packages it installs when run as root.
bench: install
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk; } || \
		{ echo "wrk is required: apt-get install wrk"; exit 1; }
	@command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || \
		{ [ "$$(id -u)" = 0 ] && apt-get install -y -qq nginx-light; } || \
		{ echo "nginx is required (static upstream, two-node cluster): apt-get install nginx-light"; exit 1; }
	$(PY) bench/run.py

# Re-takes the screenshots of docs/parcours.md by running the end-to-end journey tests.
screenshots: install node_modules/.package-lock.json
	DLNUF_SCREENSHOTS_DIR=docs/parcours $(VENV)/bin/pytest tests/www/test_journey.py tests/www/test_guichet_journey.py \
		tests/www/test_accounts_journeys_browser.py tests/www/test_request_use_case_browser.py \
		tests/www/test_solutions_browser.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
