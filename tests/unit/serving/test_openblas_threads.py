"""numpy's OpenBLAS is held to one thread wherever the serving code runs: its pool's worker
busy-waits at import, which one CPU of time (Lambda below 1,769 MB) pays for in init."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tools.local_lambda.template import function_config

ROOT = Path(__file__).resolve().parents[3]
TEMPLATE = ROOT / "template.yaml"
BASELINE_TEMPLATE = ROOT / "tools" / "baseline" / "template.yaml"
POOL = (
    "import json, threadpoolctl; print(json.dumps([p['num_threads'] for p in "
    "threadpoolctl.threadpool_info() if p['internal_api'] == 'openblas']))"
)


# The functions that load numpy (BatchFunction through template.yaml's nested application); the
# pre-traffic hook inherits the same Globals.
NUMPY_FUNCTIONS = [
    (TEMPLATE, "BatchFunction"),
    (TEMPLATE, "InferenceFunction"),
    (BASELINE_TEMPLATE, "PickleBaselineFunction"),
]


@pytest.mark.parametrize(
    "template",
    [TEMPLATE, ROOT / "batch" / "template.yaml", BASELINE_TEMPLATE],
    ids=["online", "batch", "baseline"],
)
def test_the_variable_is_a_global_of_every_function(template):
    document = yaml.load(template.read_text(), Loader=yaml.BaseLoader)
    variables = document["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["OPENBLAS_NUM_THREADS"] == "1"


@pytest.mark.parametrize(("template", "logical_id"), NUMPY_FUNCTIONS, ids=lambda v: str(v))
def test_every_numpy_function_starts_openblas_with_one_thread(template, logical_id):
    assert function_config(template, logical_id).environment["OPENBLAS_NUM_THREADS"] == "1"


def _openblas_threads(prelude: str, environment: dict[str, str]) -> list[int]:
    done = subprocess.run(
        [sys.executable, "-c", f"{prelude}\nimport numpy\n{POOL}"],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def _without_the_variable() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}


def test_the_serving_package_sets_one_thread_when_imported_before_numpy():
    environment = _without_the_variable()
    assert _openblas_threads("import onnx_serving", environment) == [1]


def test_a_value_from_the_functions_environment_wins():
    environment = {**_without_the_variable(), "OPENBLAS_NUM_THREADS": "2"}
    assert _openblas_threads("import onnx_serving", environment) == [2]
