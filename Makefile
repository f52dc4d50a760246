# capgap: `make run` builds the warehouse on the offline sample; `make test` runs the tests.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home

.PHONY: setup run test dev lint docs lock clean bench bench-sec report browser screenshots

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	rm -f $(VENV)/.installed-*
	touch $@

$(DAGSTER_HOME)/dagster.yaml:
	mkdir -p $(DAGSTER_HOME)
	printf 'telemetry:\n  enabled: false\n' > $@

run: setup $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/capgap run

# The browser test renders the tape in Debian's Chromium; install it when it is missing.
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; }

test: setup browser
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

# Refresh docs/screenshots/ from the browser tests (a plain `make test` writes them to a
# temporary directory, leaving the tracked files alone).
screenshots: setup browser
	CAPGAP_SCREENSHOTS=$(CURDIR)/docs/screenshots $(BIN)/python -m pytest tests/test_ui.py tests/test_report_browser.py

dev: setup $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dagster dev -w workspace.yaml

docs: setup
	$(BIN)/capgap dictionary

bench: setup
	$(BIN)/python -m bench.run

# What the live quarterly figures cost, against a local stand-in of the SEC.
bench-sec: setup
	$(BIN)/python -m bench.sec_cost

# Today's tape of the latest date in the warehouse, or of DATE=YYYY-MM-DD.
report: setup
	$(BIN)/capgap tape $(if $(DATE),--date $(DATE))

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Re-pin every dependency after editing pyproject.toml (needs a fresh venv to be exact).
lock:
	rm -rf $(VENV)/lock && $(PYTHON) -m venv $(VENV)/lock
	$(VENV)/lock/bin/pip install --quiet --disable-pip-version-check ".[dev]"
	$(VENV)/lock/bin/pip freeze --exclude capgap > requirements.lock
	rm -rf $(VENV)/lock

clean:
	rm -rf $(VENV) data .dagster_home
