.PHONY: all venv lock convert compatibility layer build invoke events benchmark benchmark-pyc benchmark-aws test test-fast lint deploy soak fuzz clean

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

# The model function/ serves: function/model.onnx and its card function/model.json. `make convert`
# is the only thing that writes them:
#   make convert                                   the Iris demo
#   make convert MODEL=my_model.pkl [FEATURES=a,b,c] [SAMPLE=rows.csv] [NAME=...] [VERSION=...]
# (python -m convert --from-pickle ... underneath). Both also put the pickle the benchmarks compare
# against in build/baseline/: the demo's forest, or your very pickle file.
SERVED_MODEL := function/model.onnx
BASELINE_PICKLE := build/baseline/model.pkl
MODEL ?=
FEATURES ?=
SAMPLE ?=
NAME ?=
VERSION ?=
CONVERT_ARGS := $(if $(MODEL),--from-pickle "$(MODEL)") \
	$(if $(FEATURES),--feature-names "$(FEATURES)") $(if $(SAMPLE),--sample-csv "$(SAMPLE)") \
	$(if $(NAME),--name "$(NAME)") $(if $(VERSION),--version "$(VERSION)")
ifeq ($(origin MODEL),command line)
ifeq ($(filter convert,$(MAKECMDGOALS)),)
$(error MODEL= is read by `make convert` only, which writes function/model.onnx: run `make convert MODEL=$(MODEL)`, then `make`)
endif
endif

convert: $(STAMP)
	$(PY) -m convert $(strip $(CONVERT_ARGS))

# Every other target uses the model that is there and never converts again; only when there is
# none is the demo converted (and said so).
$(SERVED_MODEL): | $(STAMP)
	@echo "no model in function/: converting the Iris demo (make convert)"
	$(PY) -m convert

# The pickle baseline is a build output (make clean removes it) made only by make convert, which
# would also rewrite function/model.*: say what to run rather than run it.
$(BASELINE_PICKLE):
	@echo "no pickle baseline in build/baseline/ (make clean removes it): run make convert, or" \
		"make convert MODEL=<your pickle> for your model, then make benchmark again" >&2
	@exit 1

# The compatibility table in README.md: every estimator the converter tests, converted or refused.
compatibility: $(STAMP)
	$(PY) -m convert.compatibility --write README.md

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
build: $(SERVED_MODEL) $(STAMP)
	@$(PY) -m convert.describe function
	RUNTIME=$(RUNTIME) ARCH=$(ARCH) $(SAM) build \
		$(if $(filter true,$(DEPLOY_BASELINE)),,InferenceFunction) \
		--parameter-overrides $(SAM_PARAMETERS)

# Through the real runtime client on the sam build output: make invoke EVENT=events/... sends one
# event; without EVENT, the model card's golden rows, checked against the reference answers.
EVENT ?=
invoke: build
	$(PY) -m local_lambda invoke $(or $(EVENT),--golden) --runtime $(RUNTIME)

# First deploy asks its questions and saves them to samconfig.toml; later ones reuse it.
deploy: build
	$(SAM) deploy $(if $(wildcard samconfig.toml),,--guided) --parameter-overrides $(SAM_PARAMETERS)

# Answer every sample event under events/ (Iris rows: another model answers their predictions
# with a 400) and the model's golden rows (checked) through the runtime client.
events: build
	$(PY) -m local_lambda invoke events/*.json --golden --runtime $(RUNTIME)

# Soak: one warm local runtime, SOAK_COUNT mixed valid/hostile invokes; stops by itself.
SOAK_COUNT ?= 50000
SOAK_SECONDS ?= 900
soak: build
	$(PY) -m reliability.soak --count $(SOAK_COUNT) --max-seconds $(SOAK_SECONDS) --runtime $(RUNTIME)

# Coverage-guided fuzzing of the handler for FUZZ_SECONDS; finds land in reliability/fuzz_regressions/.
FUZZ_SECONDS ?= 60
fuzz: $(STAMP) $(SERVED_MODEL)
	$(PY) -m reliability.fuzz -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
		-artifact_prefix=reliability/fuzz_regressions/ build/fuzz-corpus

# ONNX function vs the pickle baseline, locally: table, benchmarks/results/{local.json,summary.md,
# chart.png}. BENCHMARK_ARGS=--quick for a smoke run; `.venv/bin/python -m benchmarks -h` for more.
BENCHMARK_ARGS ?=
benchmark: $(STAMP) $(SERVED_MODEL) $(BASELINE_PICKLE)
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

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# The whole gate, as CI runs it: lint, then every tier (unit, integration: layer, SAM and the
# real runtime client; reliability: hostile corpus, faults, properties, soak smoke). The tests
# build their own models in temporary folders: they never read or write function/model.*.
test: $(STAMP) lint
	$(PY) -m pytest --cov --cov-report=term

# While developing: the unit tier only (no layer build, no sam build, no runtime client), ~30 s.
test-fast: $(STAMP) lint
	$(PY) -m pytest tests/unit -q

clean:
	rm -rf build .aws-sam .pytest_cache .ruff_cache .hypothesis .coverage
