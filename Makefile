# Guichet DLNUF — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint pytest bench screenshots install migrate seed clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

# axe-core for the accessibility tests (npm, lock file committed); skipped when npm is absent.
node_modules/.package-lock.json: package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund --silent; \
	else echo "npm not found: the browser accessibility tests will be skipped"; fi

migrate: install
	$(PY) manage.py migrate --no-input

# Links in e-mails, the catalogue's examples and the demo data's output follow the address served.
run seed: export DLNUF_SITE_URL ?= http://$(HOST):$(PORT)

seed: migrate
	$(PY) manage.py load_catalogue
	$(PY) manage.py load_demo_data

# The toolbox's background worker runs beside the web server and stops with it.
run: seed
	@echo "Guichet DLNUF sur http://$(HOST):$(PORT)/ (documentation de l'API : /api/v1/docs)"
	$(PY) manage.py db_worker & worker=$$!; trap "kill $$worker 2>/dev/null" EXIT INT TERM; \
	DLNUF_SANDBOX_URL=$${DLNUF_SANDBOX_URL:-http://$(HOST):$(PORT)/sandbox} \
		$(PY) manage.py runserver $(HOST):$(PORT)

lint: install
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy .
	$(PY) manage.py makemigrations --check --dry-run

# The suite runs on SQLite, then again on PostgreSQL when DLNUF_TEST_POSTGRES_URL is set
# (.ci/run starts a throw-away cluster and sets it).
pytest: install node_modules/.package-lock.json
	$(VENV)/bin/pytest
	@if [ -n "$$DLNUF_TEST_POSTGRES_URL" ]; then \
		echo "--- same suite on PostgreSQL"; \
		DATABASE_URL="$$DLNUF_TEST_POSTGRES_URL" $(VENV)/bin/pytest; \
	else \
		echo "--- PostgreSQL run skipped: DLNUF_TEST_POSTGRES_URL is not set"; \
	fi

test: lint pytest

# Needs wrk (Debian package) as the load generator; installs it when run as root.
bench: install
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk; } || \
		{ echo "wrk is required: apt-get install wrk"; exit 1; }
	$(PY) bench/run.py

# Re-takes the screenshots of docs/parcours.md by running the end-to-end journey tests.
screenshots: install node_modules/.package-lock.json
	DLNUF_SCREENSHOTS_DIR=docs/parcours $(VENV)/bin/pytest tests/www/test_journey.py tests/www/test_guichet_journey.py \
		tests/www/test_accounts_journeys_browser.py tests/www/test_request_use_case_browser.py \
		tests/www/test_solutions_browser.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
