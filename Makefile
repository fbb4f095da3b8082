# One entry point. `make demo` and `make test` build .venv themselves on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)

.PHONY: demo test bench airflow lint format clean install

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.8
	$(BIN)/uv pip install --quiet --python $(BIN)/python -c constraints.txt -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/protestwatch demo

test: $(STAMP)
	sh scripts/ensure-chromium.sh  # headless browser for tests/report (apt, as root)
	$(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/python -m bench

# `make airflow AIRFLOW_ARGS="--demo --port 8081"`: options of pipeline.airflow_local
AIRFLOW_ARGS ?=

airflow: $(STAMP)
	$(BIN)/python -m pipeline.airflow_local $(AIRFLOW_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	-$(BIN)/protestwatch db stop
	rm -rf .protestwatch report.html
