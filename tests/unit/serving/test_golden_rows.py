"""Golden rows: the card carries the reference model's answers and init reproduces them.

A model whose file was replaced by another of the same schema, with the card's SHA-256 fixed up
to match, passes every other check; only the golden rows tell it is not the converted model.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest
from conftest import FUNCTION_DIR
from fixture_models import edit_card, rebind_card, swap_in_impostor

from onnx_serving.card import (
    ANSWER_TOLERANCE,
    PROBABILITY_DECIMALS,
    PROBABILITY_TOLERANCE,
    golden_mismatches,
    reference,
)
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
    rebind_card(edit_card(model_copy, golden_rows=golden))
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


def golden_answer(card) -> dict:
    """The answer the reference model gave the golden rows, as the function writes answers."""
    predictions = [
        {"label": row["label"], "probabilities": dict(row["probabilities"])}
        for row in card.golden_rows
    ]
    return {"predictions": predictions, "model": reference(card)}


def test_the_reference_models_own_answer_has_no_mismatch_whatever_rows_it_names(app):
    card = app.MODEL.card
    answer = golden_answer(card)
    assert golden_mismatches(card, answer) == []
    assert (
        golden_mismatches(card, {**answer, "predictions": answer["predictions"][2:4]}, [2, 3]) == []
    )


def test_the_answer_tolerance_is_the_parity_tolerance_plus_half_the_last_printed_decimal():
    assert ANSWER_TOLERANCE == PROBABILITY_TOLERANCE + 5e-7
    assert (PROBABILITY_TOLERANCE, PROBABILITY_DECIMALS) == (1e-5, 6)


@pytest.mark.parametrize(
    ("spoil", "problem"),
    [
        (
            lambda a: a.update(model={"name": "other"}),
            r"answered for model \{'name': 'other'\}, expected \{'name': ",
        ),
        (lambda a: a["predictions"].pop(), r"11 predictions for 12 golden rows$"),
        (
            lambda a: a["predictions"].__setitem__(3, "setosa"),
            r"golden row 3 answered 'setosa', not a prediction$",
        ),
        (
            lambda a: a["predictions"][4]["probabilities"].popitem(),
            r"golden row 4 answered probabilities \{.*\}, not one per class of the card$",
        ),
        (
            lambda a: a["predictions"][5]["probabilities"].update(setosa=float("nan")),
            r"golden row 5 answered probabilities \{.*\}, not all finite numbers$",
        ),
        (lambda a: a.pop("predictions"), r'no predictions in \{"model": \{"name": '),
    ],
    ids=["other-model", "one-missing", "not-a-prediction", "a-class-missing", "nan", "none"],
)
def test_anything_but_the_golden_answer_is_a_mismatch_naming_what(app, spoil, problem):
    card = app.MODEL.card
    answer = copy.deepcopy(golden_answer(card))
    spoil(answer)
    found = golden_mismatches(card, answer)
    assert len(found) == 1
    assert re.match(problem, found[0])
