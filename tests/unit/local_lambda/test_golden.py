"""``local_lambda invoke --golden``: the card's golden rows as one invoke, and the check."""

from __future__ import annotations

import copy
import json

from tools.local_lambda.golden import golden_event, golden_mismatches


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
    assert golden_mismatches(card, answer) == [
        f"golden row 0: answered {other!r} (probabilities up to 0.25 away), "
        f"the reference model {expected!r}"
    ]
    assert golden_mismatches(card, {"error": {"status": 400}}) == [
        'the answer holds no prediction per golden row: {"error": {"status": 400}}'
    ]
