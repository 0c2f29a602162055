"""The generated-code contender of the fixture model, under the real runtime client: it starts
cold with nothing on the path but the runtime and answers as the forest does."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest
from sam_support import TEMPLATE

from layer.interpreters import find_interpreter
from onnx_serving.card import ModelCard
from tools.benchmarks.cold_start import cold_start
from tools.benchmarks.generated_code import generated_contender
from tools.local_lambda import LocalLambda
from tools.local_lambda.template import function_config


@pytest.fixture(scope="module")
def interpreter():
    found = find_interpreter("python3.13")
    if not found.matches_runtime:
        pytest.skip("python3.13 is not installed here")
    return found


@pytest.fixture(scope="module")
def contender(model_dir, reference_estimator, interpreter, tmp_path_factory):
    card = ModelCard.load(model_dir / "model.json")
    out = tmp_path_factory.mktemp("generated") / "fn"
    return generated_contender(reference_estimator, card, out, interpreter.path)


def test_cold_start_through_the_runtime_client(contender, interpreter):
    base = function_config(TEMPLATE, "InferenceFunction")
    sample = cold_start(contender, b'{"features": [5.1, 3.5, 1.4, 0.2]}', base, interpreter)
    assert sample.init_ms > 0
    assert sample.peak_rss_mb > 0


def test_answers_the_golden_rows_labels(contender, model_dir, interpreter):
    card = ModelCard.load(model_dir / "model.json")
    rows = [row["features"] for row in card.golden_rows]
    base = function_config(TEMPLATE, "InferenceFunction")
    with LocalLambda(contender.task_root, (), base, interpreter, logs=subprocess.DEVNULL) as fn:
        assert fn.init_error is None
        answer = fn.invoke(json.dumps({"instances": rows}).encode()).json()
    predictions = answer["predictions"]
    assert [p["label"] for p in predictions] == [row["label"] for row in card.golden_rows]
    got = np.asarray([[p["probabilities"][c] for c in card.classes] for p in predictions])
    expected = [[row["probabilities"][c] for c in card.classes] for row in card.golden_rows]
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)
