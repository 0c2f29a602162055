"""``local_lambda invoke --golden``: the card's golden rows as one invoke, and the card's check
of the answer (``golden_mismatches``, the one every reader of the card makes)."""

from __future__ import annotations

import copy
import json

from onnx_serving.card import golden_mismatches
from tools.local_lambda.golden import golden_event


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
