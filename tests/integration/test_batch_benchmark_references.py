"""The batch benchmark's references as it builds and runs them: the "pickle, pandas" package
from its Makefile target, the ONNX model alone on the built ONNX layer, and the pickle alone
with scikit-learn."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import sam_support
from batch_support import write_csv
from sam_support import ROOT

from layer.interpreters import find_interpreter
from layer.runtimes import DEFAULT_RUNTIME
from onnx_serving.card import ModelCard
from tools.benchmarks.batch import ALONE_PROBE, ceiling_sample
from tools.benchmarks.packages import Contender
from tools.local_lambda import FunctionConfig

pytestmark = pytest.mark.slow

# Three chunks of the batch function's default 8,192 rows, the last one short.
ROWS = 20_000


def test_the_pandas_reference_package_is_its_entry_point_and_the_pickle(baseline_dir, tmp_path):
    package = tmp_path / "pickle-pandas-batch"
    shipped = sam_support.baseline_package("build-PandasBatchBaseline", package, baseline_dir)
    assert shipped == sam_support.with_pyc({"batch_app.py"}) | {"model.pkl", "model.json"}
    assert (package / "batch_app.py").read_bytes() == (
        ROOT / "tools/baseline/pandas_batch_app.py"
    ).read_bytes()


@pytest.fixture(scope="module")
def onnx_alone() -> Contender:
    """The built function package (its model and serving code) over the built ONNX layer."""
    build_dir = sam_support.sam_build_dir()
    return Contender("onnx", build_dir / "InferenceFunction", (build_dir / "OnnxRuntimeLayer",))


def test_onnxruntime_alone_runs_every_row_of_the_file(onnx_alone, tmp_path):
    card = ModelCard.load(onnx_alone.task_root / "model.json")
    path = tmp_path / "rows.csv"
    write_csv(path, card, ROWS)
    config = FunctionConfig(environment={"OPENBLAS_NUM_THREADS": "1"})
    sample = ceiling_sample(onnx_alone, config, find_interpreter(DEFAULT_RUNTIME), path, ROWS, None)
    assert sample.cpu_seconds > 0
    assert sample.rows_per_cpu_second == ROWS / sample.cpu_seconds


def test_onnxruntime_alone_fails_loudly_when_rows_go_missing(onnx_alone, tmp_path):
    card = ModelCard.load(onnx_alone.task_root / "model.json")
    path = tmp_path / "rows.csv"
    write_csv(path, card, ROWS)
    config = FunctionConfig(environment={"OPENBLAS_NUM_THREADS": "1"})
    with pytest.raises(RuntimeError, match=f"onnx-alone: ran {ROWS} rows of {ROWS + 1}"):
        ceiling_sample(onnx_alone, config, find_interpreter(DEFAULT_RUNTIME), path, ROWS + 1, None)


def test_the_pickle_alone_runs_the_baseline_backend_on_every_row(baseline_dir, tmp_path):
    """The probe serves what the pickle package's entry point serves: scikit-learn's model, here
    with the development environment's scikit-learn in place of the pickle's layer."""
    package = tmp_path / "pickle-batch"
    sam_support.baseline_package("build-PickleBatchBaseline", package, baseline_dir)
    path = tmp_path / "rows.csv"
    write_csv(path, ModelCard.load(package / "model.json"), ROWS)
    done = subprocess.run(
        [sys.executable, str(ALONE_PROBE), str(package), str(path), "8192"],
        env={"PYTHONPATH": str(package)},
        capture_output=True,
        text=True,
        check=True,
    )
    measured = json.loads(done.stdout)
    assert (measured["backend"], measured["rows"], measured["chunks"]) == ("PickledModel", ROWS, 3)
