# Included by the function Makefiles (function/, tools/baseline/): $(COMPILE_PYC) compiles the package
# in ARTIFACTS_DIR with the runtime's Python (RUNTIME, from the root `make build`; the default
# runtime otherwise). Lambda unpacks a function read-only, so a package without .pyc recompiles
# its modules at every cold start (what that costs: docs/serving.md). Where that Python or the
# project's virtualenv is missing, the package ships sources only and says so.
# Needs ROOT (the project root) set by the including Makefile.
PY ?= $(ROOT)/.venv/bin/python
COMPILE_PYC = if [ -x "$(PY)" ]; then cd "$(ROOT)" && "$(PY)" -m layer.pyc "$(ARTIFACTS_DIR)" \
	$(if $(RUNTIME),--runtime $(RUNTIME)); else echo "no $(PY): shipping sources only"; fi
