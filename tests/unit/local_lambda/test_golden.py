"""``local_lambda invoke --golden``: a sample of example rows and the card's golden rows as two
invokes, and the card's check of the golden answer (``golden_mismatches``, the one every reader
of the card makes)."""

from __future__ import annotations

import copy
import json

import pytest
from fixture_models import typed_classifier, typed_regressor

from onnx_serving.card import golden_mismatches
from onnx_serving.handler import ServingSettings, handle
from onnx_serving.model import load_model
from tools.local_lambda.golden import SAMPLE_ROWS, golden_event, sample_event


def test_the_handlers_answer_to_the_golden_rows_reproduces_them(app, context):
    card = app.MODEL.card
    event = json.loads(golden_event(card))
    assert event == {"instances": [row["features"] for row in card.golden_rows]}
    assert golden_mismatches(card, app.handler(event, context)) == []


def test_a_differing_answer_names_the_row(app, context):
    card = app.MODEL.card
    answer = copy.deepcopy(app.handler(json.loads(golden_event(card)), context))
    first = answer["predictions"][0]
    expected = card.golden_rows[0]["label"]
    other = next(name for name in card.classes if name != expected)
    first["label"] = other
    first["probabilities"][other] += 0.25
    gap = abs(first["probabilities"][other] - card.golden_rows[0]["probabilities"][other])
    assert golden_mismatches(card, answer) == [
        f"golden row 0 answered {other!r} where the reference model answered {expected!r}; "
        f"answered probabilities up to {gap:.3g} from the reference model's (tolerance 1.05e-05)"
    ]
    assert golden_mismatches(card, {"error": {"status": 400}}) == [
        'no predictions in {"error": {"status": 400}}'
    ]


@pytest.mark.parametrize("fixture", [typed_regressor, typed_classifier], ids=lambda f: f.__name__)
def test_a_typed_model_answers_its_sample_and_reproduces_its_golden_rows(fixture, context):
    model = load_model(fixture().model_dir)
    quiet = ServingSettings(log_requests=False)
    sample = handle(json.loads(sample_event(model.card)), context, model, quiet)
    assert len(sample["predictions"]) == SAMPLE_ROWS
    answer = handle(json.loads(golden_event(model.card)), context, model, quiet)
    assert golden_mismatches(model.card, answer) == []
