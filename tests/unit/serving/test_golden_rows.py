"""Golden rows: the card carries the reference model's answers and init reproduces them.

A model whose file was replaced by another of the same schema, with the card's SHA-256 fixed up
to match, passes every other check; only the golden rows tell it is not the converted model.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import FUNCTION_DIR
from fixture_models import edit_card, swap_in_impostor

from onnx_serving.model import ModelLoadError, load_model

IMPOSTOR = r"golden row \d+ answered .* this is not the model the card was written for"


def test_golden_rows_are_the_reference_models_answers(app, reference_estimator):
    card = app.MODEL.card
    rows = np.asarray([g["features"] for g in card.golden_rows], dtype=np.float32)
    expected = reference_estimator.predict_proba(rows)
    assert [g["label"] for g in card.golden_rows] == reference_estimator.predict(rows).tolist()
    assert [[g["probabilities"][c] for c in card.classes] for g in card.golden_rows] == (
        expected.tolist()
    )
    assert {g["label"] for g in card.golden_rows} == set(card.classes)
    assert len(card.golden_rows) == 12


def test_same_schema_model_with_a_fixed_up_digest_fails_init(model_copy):
    swap_in_impostor(model_copy)
    with pytest.raises(ModelLoadError, match=IMPOSTOR):
        load_model(model_copy)


def test_the_impostor_fails_the_app_import_as_lambda_would_see_it(model_copy):
    swap_in_impostor(model_copy)
    run = subprocess.run(
        [sys.executable, "-c", "import app"],
        cwd=FUNCTION_DIR,
        env={**os.environ, "MODEL_DIR": str(model_copy)},
        capture_output=True,
        text=True,
    )
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    # Invokers see the files named without their folder, and no stack frames (init_failure).
    assert last.startswith("onnx_serving.model.InitFailure: ModelLoadError: model.onnx: ")
    assert "this is not the model the card was written for" in last


@pytest.mark.parametrize(
    ("shift", "loads"), [(5e-6, True), (5e-5, False)], ids=["within-tolerance", "beyond-it"]
)
def test_golden_probabilities_are_held_to_the_parity_tolerance(model_copy, shift, loads):
    card = json.loads((model_copy / "model.json").read_text())
    golden = card["golden_rows"]
    row = golden[1]
    top = max(row["probabilities"], key=row["probabilities"].get)
    low = min(row["probabilities"], key=row["probabilities"].get)
    row["probabilities"] = {
        **row["probabilities"],
        top: row["probabilities"][top] - shift,
        low: row["probabilities"][low] + shift,
    }
    edit_card(model_copy, golden_rows=golden)
    if loads:
        assert load_model(model_copy).card.golden_rows[1] == row
    else:
        with pytest.raises(
            ModelLoadError, match=r"golden row 1 answered probabilities up to 5e-05 "
        ):
            load_model(model_copy)


def test_a_golden_label_the_model_does_not_give_fails_init(model_copy):
    card = json.loads((model_copy / "model.json").read_text())
    golden = card["golden_rows"]
    golden[0]["label"] = "virginica" if golden[0]["label"] != "virginica" else "setosa"
    edit_card(model_copy, golden_rows=golden)
    with pytest.raises(
        ModelLoadError,
        match=r"golden row 0 answered '\w+' where the reference model answered '\w+'",
    ):
        load_model(model_copy)
