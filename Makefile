.PHONY: all venv lock metrics convert compatibility layer build invoke events benchmark benchmark-aws tune test test-fast lint deploy soak fuzz clean distclean tools security layer-stack layer-stack-name deploy-layer serve baseline-build deploy-baseline

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

# The dev virtualenv: offline tooling only (training, conversion, tests, SAM CLI). uv itself is
# installed by pip from a hash-locked file, like everything after it.
venv: $(STAMP)
$(STAMP): requirements/bootstrap.txt requirements/dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --require-hashes --no-deps \
		-r requirements/bootstrap.txt
	$(UV) pip install --quiet --python $(PY) --require-hashes -r requirements/dev.txt
	$(UV) pip install --quiet --python $(PY) --no-deps --no-build-isolation --editable .
	touch $@

# The workflow and template linters (check-jsonschema, zizmor, checkov), in a virtualenv of their
# own: their pins conflict with the SAM CLI's.
TOOLS_VENV := .venv-tools
TOOLS_STAMP := $(TOOLS_VENV)/.installed-tools
tools: $(TOOLS_STAMP)
$(TOOLS_STAMP): requirements/tools.txt | $(STAMP)
	$(PYTHON) -m venv $(TOOLS_VENV)
	$(UV) pip install --quiet --python $(TOOLS_VENV)/bin/python --require-hashes -r requirements/tools.txt
	touch $@

# Every lock: uv (any platform), the dev and tools virtualenvs (host Python 3.11), and the local
# runtime client for every Python it may run under (3.11 host fallback, 3.12, 3.13, 3.14).
lock: $(STAMP)
	$(UV) pip compile requirements/bootstrap.in --universal --generate-hashes --no-header -o requirements/bootstrap.txt
	$(UV) pip compile requirements/dev.in --python-version 3.11 --generate-hashes --no-header -o requirements/dev.txt
	$(UV) pip compile requirements/tools.in --python-version 3.11 --generate-hashes --no-header -o requirements/tools.txt
	$(UV) pip compile requirements/runtime-client.in --universal --python-version 3.11 --only-binary :all: \
		--generate-hashes --no-header -o requirements/runtime-client.txt

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

# The pickle baseline is written by make convert. Without one (a fresh clone), the Iris demo's is
# rebuilt in a scratch folder when function/ serves the demo (nothing in function/ is touched);
# your own model's baseline is your pickle, which only make convert MODEL=... writes again.
$(BASELINE_PICKLE): | $(STAMP) $(SERVED_MODEL)
	$(PY) -m convert.demo_baseline

# The compatibility table in README.md: every estimator the converter tests, converted or refused.
compatibility: $(STAMP)
	$(PY) -m convert.compatibility --write README.md

# The onnxruntime + numpy layer for RUNTIME/ARCH, without SAM: build/layer-$(RUNTIME)-$(ARCH)/python
# and its reproducible zip; prints the SHA-256 and a size report.
layer: $(STAMP)
	$(PY) -m layer.build --runtime $(RUNTIME) --arch $(ARCH)

# sam build into .aws-sam/build: the layer, the function, the pre-traffic hook and the nested
# batch application's BatchFunction (.aws-sam/build/BatchScoring/BatchFunction), each by its own
# Makefile (which read RUNTIME and ARCH from the environment). BatchFunction is always built (a
# copy of function/, made in moments); DEPLOY_BATCH decides whether it is deployed. The layer is
# not built when LAYER_ARN names one already published (make deploy-layer).
LAYER_ARN ?=
SAM := $(VENV)/bin/sam
# PARAMETERS adds any other template parameter, e.g. PARAMETERS="SnapStart=true ReservedConcurrency=50".
PARAMETERS ?=
# DEPLOY_BATCH=true adds batch scoring (bucket, BatchFunction, state machine; docs/batch.md).
DEPLOY_BATCH ?= false
SAM_PARAMETERS := Runtime=$(RUNTIME) Architecture=$(ARCH) \
	$(if $(LAYER_ARN),LayerArn=$(LAYER_ARN)) DeployBatch=$(DEPLOY_BATCH) $(PARAMETERS)
SAM_EXCLUDE := $(if $(LAYER_ARN),-x OnnxRuntimeLayer)
build: $(SERVED_MODEL) $(STAMP)
	@$(PY) -m convert.describe function --openapi build/openapi.json
	RUNTIME=$(RUNTIME) ARCH=$(ARCH) $(SAM) build $(SAM_EXCLUDE) --parameter-overrides $(SAM_PARAMETERS)

# Through the real runtime client on the sam build output: make invoke EVENT=events/... sends one
# event; without EVENT, the model card's golden rows, checked against the reference answers.
EVENT ?=
invoke: build
	$(PY) -m tools.local_lambda invoke $(or $(EVENT),--golden) --runtime $(RUNTIME)

# The stack's HTTP API on http://127.0.0.1:$(PORT) (POST /predict, GET /model, GET /openapi.json),
# each request through the real runtime client on the sam build output; Ctrl-C stops it.
PORT ?= 3000
serve: build
	$(PY) -m tools.local_lambda serve --runtime $(RUNTIME) --port $(PORT)

# The metric table CloudWatch would show for a log of the function's lines (make serve 2> LOG).
metrics: $(STAMP)
	$(PY) -m tools.local_lambda.metrics_table $(LOG)

# sam deploy with the committed samconfig.toml: stack onnx-lambda, SAM's managed upload bucket,
# no questions. The region is your AWS configuration's, or AWS_REGION. The release workflow adds
# SAM_DEPLOY_ARGS (--config-env ci, its bucket and CloudFormation role).
# The config file is named in full: given a template elsewhere, sam looks for it beside that.
SAM_DEPLOY_ARGS ?=
SAM_DEPLOY := $(SAM) deploy --config-file $(CURDIR)/samconfig.toml \
	$(if $(AWS_REGION),--region $(AWS_REGION))
deploy: build
	$(SAM_DEPLOY) $(SAM_DEPLOY_ARGS) --parameter-overrides $(SAM_PARAMETERS)

# The layer as a stack of its own (layer/template.yaml), one per runtime and architecture, e.g.
# onnx-lambda-layer-py313-x86-64; its LayerVersionArn output is what LAYER_ARN takes.
# LAYER_SHARE_ACCOUNTS=111122223333,... and LAYER_SHARE_ORGANIZATION=o-... share it.
LAYER_STACK ?= onnx-lambda-layer-$(subst .,,$(subst python,py,$(RUNTIME)))-$(subst _,-,$(ARCH))
LAYER_SHARE_ACCOUNTS ?=
LAYER_SHARE_ORGANIZATION ?=
LAYER_PARAMETERS := Runtime=$(RUNTIME) Architecture=$(ARCH) \
	$(if $(LAYER_SHARE_ACCOUNTS),ShareWithAccounts=$(LAYER_SHARE_ACCOUNTS)) \
	$(if $(LAYER_SHARE_ORGANIZATION),ShareWithOrganization=$(LAYER_SHARE_ORGANIZATION))
layer-stack-name:
	@echo $(LAYER_STACK)

layer-stack: $(STAMP)
	RUNTIME=$(RUNTIME) ARCH=$(ARCH) $(SAM) build --template layer/template.yaml \
		--build-dir .aws-sam/$(LAYER_STACK) --parameter-overrides $(LAYER_PARAMETERS)

deploy-layer: layer-stack
	$(SAM_DEPLOY) $(SAM_DEPLOY_ARGS) --stack-name $(LAYER_STACK) \
		--template-file .aws-sam/$(LAYER_STACK)/template.yaml --parameter-overrides $(LAYER_PARAMETERS)

# The pickle + scikit-learn baseline (tools/baseline/template.yaml), only for benchmark-aws: a
# stack of its own, never part of the application; its output PickleBaselineFunctionName is
# what PICKLE_FUNCTION takes. BASELINE_PARAMETERS adds any other of its template's parameters.
BASELINE_STACK := onnx-lambda-baseline
BASELINE_BUILD := .aws-sam/$(BASELINE_STACK)
BASELINE_PARAMETERS ?=
BASELINE_SAM_PARAMETERS := Runtime=$(RUNTIME) Architecture=$(ARCH) $(BASELINE_PARAMETERS)
baseline-build: $(BASELINE_PICKLE) $(STAMP)
	RUNTIME=$(RUNTIME) ARCH=$(ARCH) $(SAM) build --template tools/baseline/template.yaml \
		--build-dir $(BASELINE_BUILD) --parameter-overrides $(BASELINE_SAM_PARAMETERS)

deploy-baseline: baseline-build
	$(SAM_DEPLOY) $(SAM_DEPLOY_ARGS) --stack-name $(BASELINE_STACK) \
		--template-file $(BASELINE_BUILD)/template.yaml --parameter-overrides $(BASELINE_SAM_PARAMETERS)

# Answer every sample event under events/ (Iris rows: another model answers their predictions
# with a 400) and the model's golden rows (checked) through the runtime client.
events: build
	$(PY) -m tools.local_lambda invoke events/*.json --golden --runtime $(RUNTIME)

# Soak: one warm local runtime, SOAK_COUNT mixed valid/hostile invokes; stops by itself.
SOAK_COUNT ?= 50000
SOAK_SECONDS ?= 900
soak: build
	$(PY) -m tools.reliability.soak --count $(SOAK_COUNT) --max-seconds $(SOAK_SECONDS) --runtime $(RUNTIME)

# Coverage-guided fuzzing of the handler for FUZZ_SECONDS; finds land in tools/reliability/fuzz_regressions/.
FUZZ_SECONDS ?= 60
fuzz: $(STAMP) $(SERVED_MODEL)
	$(PY) -m tools.reliability.fuzz -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
		-artifact_prefix=tools/reliability/fuzz_regressions/ build/fuzz-corpus

# ONNX function vs the pickle baseline, locally: table, tools/benchmarks/results/{local.json,summary.md,
# chart.png}; then the same for a forest regressor and a DataFrame pipeline the run fits and converts
# itself under build/benchmarks/models/ (BENCHMARK_ARGS=--no-model-pairs: the served model only).
# BENCHMARK_ARGS=--quick for a smoke run (written to build/benchmarks/quick/); `.venv/bin/python
# -m tools.benchmarks local -h` for more.
BENCHMARK_ARGS ?=
benchmark: $(STAMP) $(SERVED_MODEL) $(BASELINE_PICKLE)
	$(PY) -m tools.benchmarks local $(BENCHMARK_ARGS) --runtime $(RUNTIME) --arch $(ARCH)

# Which memory size to deploy, before deploying: every Lambda size from 128 to 3,008 MB (and 10,240)
# under its share of CPU time, through the runtime client: cold start, warm latency, peak RSS, the
# price per million requests (x86_64 and arm64, init billed) and the cheapest size meeting a goal,
# e.g. make tune GOAL_MS=20 PERCENTILE=p99 GOAL_ON=1-row|batch|cold (defaults: python -m
# tools.benchmarks tune -h); TUNE_ARGS for the rest. Writes build/tune/tune.md and tune.json.
GOAL_MS ?=
PERCENTILE ?=
GOAL_ON ?=
TUNE_ARGS ?=
tune: $(STAMP) $(SERVED_MODEL)
	$(PY) -m tools.benchmarks tune $(if $(GOAL_MS),--goal-ms $(GOAL_MS)) \
		$(if $(PERCENTILE),--percentile $(PERCENTILE)) $(if $(GOAL_ON),--goal-on $(GOAL_ON)) \
		$(TUNE_ARGS) --runtime $(RUNTIME) --arch $(ARCH)

# The same against deployed functions (needs AWS credentials): by default the stack's
# InferenceFunctionName and, when deployed (make deploy-baseline), the onnx-lambda-baseline
# stack's PickleBaselineFunctionName; ONNX_FUNCTION=<name> / PICKLE_FUNCTION=<name> override them.
# For a stack deployed with SnapStart=true, BENCHMARK_ARGS=--snapstart reads Restore Duration.
benchmark-aws: $(STAMP)
	$(PY) -m tools.benchmarks aws $(if $(ONNX_FUNCTION),--onnx-function $(ONNX_FUNCTION)) \
		$(if $(PICKLE_FUNCTION),--pickle-function $(PICKLE_FUNCTION)) $(BENCHMARK_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# checkov on every template (offline), skipping only what a resource's own Metadata skips, each
# with its reason; the test tier runs the same scan.
security: $(STAMP) $(TOOLS_STAMP)
	$(PY) -m tools.deploy.security

# Whether the GitHub settings that complete the deploy role's trust are set (the OIDC subject
# template, the environment's reviewers and refs, the release tag ruleset, the branch's
# protection), read through the GitHub REST API: GITHUB_REPOSITORY=owner/name, GITHUB_TOKEN
# to read what needs one. Prints what is set and what is missing; fails unless all are set.
.PHONY: check-github
check-github: $(STAMP)
	$(PY) -m tools.deploy.github_settings

# The whole gate, as CI runs it: lint, then every tier (unit, integration: layer, SAM and the
# real runtime client; reliability: hostile corpus, faults, properties, soak smoke). The tests
# build their own models in temporary folders: they never read or write function/model.*.
test: $(STAMP) $(TOOLS_STAMP) lint
	$(PY) -m pytest --cov --cov-report=term

# While developing: the unit tier only (no layer build, no sam build, no runtime client), ~30 s.
test-fast: $(STAMP) lint
	$(PY) -m pytest tests/unit -q

# Build outputs and caches, but not build/baseline/: the copy of your pickle the benchmarks
# compare against (make distclean removes that too, and the virtualenvs).
clean:
	find build -mindepth 1 -maxdepth 1 ! -name baseline -exec rm -rf {} + 2>/dev/null || true
	rm -rf .aws-sam .pytest_cache .ruff_cache .hypothesis .coverage .schemathesis

distclean: clean
	rm -rf build $(VENV) $(TOOLS_VENV)

# ---- Batch scoring ----
.PHONY: batch-demo test-batch-scale benchmark-batch lock-runtime-sdk

# No AWS account: a local S3 server (moto), a sample CSV (or FILE=rows.csv / rows.jsonl, saved
# scored as OUT=path) uploaded, scored by BatchFunction (as make build built it) through the real
# runtime client, the manifest printed, the server stopped.
batch-demo: build
	$(PY) -m tools.local_lambda.batch_demo --build-dir .aws-sam/build --runtime $(RUNTIME) \
		$(if $(FILE),--input $(FILE)) $(if $(OUT),--output $(OUT))

# The memory bound at scale: 2,000,000-row CSV and JSON Lines files through the runtime client.
test-batch-scale: $(STAMP)
	BATCH_SCALE=1 $(PY) -m pytest tests/scale -q

# Batch throughput and peak RSS, ONNX vs the pickle baseline, beside the pickle scored with pandas
# as teams commonly write it and each backend's model alone on the same rows (its ceiling), the same file
# through the runtime client, with one CPU of time and free: build/benchmarks/batch/
# (BATCH_BENCHMARK_ARGS="--rows N --rounds N").
BATCH_BENCHMARK_ARGS ?=
benchmark-batch: $(STAMP) $(SERVED_MODEL) $(BASELINE_PICKLE)
	$(PY) -m tools.benchmarks batch $(BATCH_BENCHMARK_ARGS) --runtime $(RUNTIME) --arch $(ARCH)

# The boto3 the local runtime puts where Lambda's python3.13 runtime has its own (see the .in).
lock-runtime-sdk: $(STAMP)
	$(UV) pip compile requirements/runtime-sdk.in --python-version 3.13 \
		--python-platform x86_64-manylinux_2_34 --generate-hashes --no-header \
		-o requirements/runtime-sdk.txt
