.PHONY: all venv lock convert layer build invoke events benchmark benchmark-pyc benchmark-aws test test-fast lint deploy soak fuzz clean serve benchmark-request-cost

# Target Lambda runtime and architecture (also parameters of template.yaml).
RUNTIME ?= python3.13
ARCH ?= x86_64

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
STAMP := $(VENV)/.installed-dev
export SAM_CLI_TELEMETRY := 0

all: events

# The dev virtualenv: offline tooling only (training, conversion, tests, SAM CLI).
venv: $(STAMP)
$(STAMP): requirements/dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check uv==0.13.9
	$(UV) pip install --quiet --python $(PY) --require-hashes -r requirements/dev.txt
	$(UV) pip install --quiet --python $(PY) --no-deps --no-build-isolation --editable .
	touch $@

lock: $(STAMP)
	$(UV) pip compile requirements/dev.in --python-version 3.11 --generate-hashes --no-header -o requirements/dev.txt

# Train the Iris RandomForest, export function/model.onnx + model.json, verify parity. This and
# `python -m convert --from-pickle ...` are the only things that write function/model.*.
convert: $(STAMP)
	$(PY) -m convert

# Every other target uses the model that is there; only when there is none is the demo converted.
MODEL := function/model.onnx
$(MODEL): | $(STAMP)
	@echo "no model in function/: converting the Iris demo (make convert)"
	$(PY) -m convert

# The onnxruntime + numpy layer for RUNTIME/ARCH, without SAM: build/layer-$(RUNTIME)-$(ARCH)/python
# and its reproducible zip; prints the SHA-256 and a size report.
layer: $(STAMP)
	$(PY) -m layer.build --runtime $(RUNTIME) --arch $(ARCH)

# sam build into .aws-sam/build: the layer and the function, each by its own Makefile (which
# read RUNTIME and ARCH from the environment). The baseline (SklearnLayer,
# PickleBaselineFunction) is built only with DEPLOY_BASELINE=true.
DEPLOY_BASELINE ?= false
SAM := $(VENV)/bin/sam
SAM_PARAMETERS := Runtime=$(RUNTIME) Architecture=$(ARCH) DeployBaseline=$(DEPLOY_BASELINE)
build: $(MODEL) $(STAMP)
	@$(PY) -m convert.describe function --openapi build/openapi.json
	RUNTIME=$(RUNTIME) ARCH=$(ARCH) $(SAM) build \
		$(if $(filter true,$(DEPLOY_BASELINE)),,InferenceFunction) \
		--parameter-overrides $(SAM_PARAMETERS)

# One event through the real runtime client on the sam build output: make invoke EVENT=...
EVENT ?= events/direct-single.json
invoke: build
	$(PY) -m local_lambda invoke $(EVENT) --runtime $(RUNTIME)

# The stack's HTTP API on http://127.0.0.1:$(PORT) (POST /predict, GET /model, GET /openapi.json),
# each request through the real runtime client on the sam build output; Ctrl-C stops it.
PORT ?= 3000
serve: build
	$(PY) -m local_lambda serve --runtime $(RUNTIME) --port $(PORT)

# First deploy asks its questions and saves them to samconfig.toml; later ones reuse it.
deploy: build
	$(SAM) deploy $(if $(wildcard samconfig.toml),,--guided) --parameter-overrides $(SAM_PARAMETERS)

# Answer every sample event under events/ through the runtime client, on the sam build output.
events: build
	$(PY) -m local_lambda invoke events/*.json --runtime $(RUNTIME)

# Soak: one warm local runtime, SOAK_COUNT mixed valid/hostile invokes; stops by itself.
SOAK_COUNT ?= 50000
SOAK_SECONDS ?= 900
soak: build
	$(PY) -m reliability.soak --count $(SOAK_COUNT) --max-seconds $(SOAK_SECONDS) --runtime $(RUNTIME)

# Coverage-guided fuzzing of the handler for FUZZ_SECONDS; finds land in reliability/fuzz_regressions/.
FUZZ_SECONDS ?= 60
fuzz: $(STAMP) $(MODEL)
	$(PY) -m reliability.fuzz -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
		-artifact_prefix=reliability/fuzz_regressions/ build/fuzz-corpus

# ONNX function vs the pickle baseline, locally: table, benchmarks/results/{local.json,summary.md,
# chart.png}. BENCHMARK_ARGS=--quick for a smoke run; `.venv/bin/python -m benchmarks -h` for more.
BENCHMARK_ARGS ?=
benchmark: $(STAMP) $(MODEL)
	$(PY) -m benchmarks $(BENCHMARK_ARGS) --runtime $(RUNTIME) --arch $(ARCH)

# Whether shipping .pyc in the layer pays: fresh layer-only processes with and without them.
benchmark-pyc: layer
	$(PY) -m benchmarks.pyc_benefit --layer build/layer-$(RUNTIME)-$(ARCH) \
		--python-version $(patsubst python%,%,$(RUNTIME))

# The same against deployed stacks (needs AWS credentials; the baseline needs DEPLOY_BASELINE=true
# at deploy): make benchmark-aws ONNX_FUNCTION=<name> [PICKLE_FUNCTION=<name>]
benchmark-aws: $(STAMP)
	$(if $(ONNX_FUNCTION),,$(error set ONNX_FUNCTION to the deployed InferenceFunction's name))
	$(PY) -m benchmarks aws --onnx-function $(ONNX_FUNCTION) \
		$(if $(PICKLE_FUNCTION),--pickle-function $(PICKLE_FUNCTION)) $(BENCHMARK_ARGS)

# What the worst rejected request costs against the largest legal one, through the runtime
# client in fresh processes, under a one-CPU quota and free: build/request-cost/.
benchmark-request-cost: build
	$(PY) -m benchmarks.request_cost --rounds $(or $(ROUNDS),5)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# The whole gate, as CI runs it: lint, then every tier (unit, integration: layer, SAM and the
# real runtime client; reliability: hostile corpus, faults, properties, soak smoke).
test: $(STAMP) $(MODEL) lint
	$(PY) -m pytest --cov --cov-report=term

# While developing: the unit tier only (no layer build, no sam build, no runtime client), ~30 s.
test-fast: $(STAMP) $(MODEL) lint
	$(PY) -m pytest tests/unit -q

clean:
	rm -rf build .aws-sam .pytest_cache .ruff_cache .hypothesis .coverage .schemathesis
