.PHONY: all venv lock convert layer build invoke events benchmark benchmark-aws test lint deploy soak fuzz clean

# Target Lambda runtime and architecture (also parameters of template.yaml).
RUNTIME ?= python3.13
ARCH ?= x86_64

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
STAMP := $(VENV)/.installed-dev
export SAM_CLI_TELEMETRY := 0

all: convert events

# The dev virtualenv: offline tooling only (training, conversion, tests, SAM CLI).
venv: $(STAMP)
$(STAMP): requirements/dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check uv==0.13.9
	$(UV) pip install --quiet --python $(PY) --require-hashes -r requirements/dev.txt
	touch $@

lock: $(STAMP)
	$(UV) pip compile requirements/dev.in --python-version 3.11 --generate-hashes --no-header -o requirements/dev.txt

# Train the Iris RandomForest, export function/model.onnx + model.json, verify parity.
convert: $(STAMP)
	$(PY) -m convert

MODEL := function/model.onnx
$(MODEL): $(STAMP) $(wildcard convert/*.py)
	$(PY) -m convert

# Answer every sample event under events/ and print the answers.
events: $(STAMP)
	$(PY) -m function.run_events events/*.json

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: $(STAMP) $(MODEL) lint
	$(PY) -m pytest --cov --cov-report=term

clean:
	rm -rf build .aws-sam .pytest_cache .ruff_cache .hypothesis .coverage
