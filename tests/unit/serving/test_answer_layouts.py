"""The columns layout (``"layout": "columns"``): the same predictions as the default rows layout,
one flat list per field, held to exact size laws; the default answer is untouched."""

from __future__ import annotations

import json

import numpy as np
import pytest
from fixture_models import synthetic_card, typed_regressor
from test_openapi import conformance, http_event
from test_typed_serving import FARE_ROWS, QUIET, schema_errors

from onnx_serving.answers import (
    COMPACT,
    LAMBDA_RESPONSE_BYTES,
    PredictionAnswer,
    RequestLimits,
    ValueAnswer,
    answer_body,
    answer_text,
    worst_answer_size,
)
from onnx_serving.events import ALB, DIRECT, HTTP_API, BodyBounds
from onnx_serving.handler import handle
from onnx_serving.model import load_model
from onnx_serving.openapi import openapi_document
from onnx_serving.rows import COLUMNS_LAYOUT, ROWS_LAYOUT

MODEL = {"name": "m"}
IRIS_ROWS = [[5.1, 3.5, 1.4, 0.2], [6.3, 3.3, 6.0, 2.5], [99.0, -9.0, 1.0, 1.0]]


@pytest.fixture(scope="module")
def document(app):
    return openapi_document(app.MODEL.card, 1000)


def columns(answer):
    answer.layout = COLUMNS_LAYOUT
    return answer


def test_a_classifier_answers_one_list_of_probabilities_per_class():
    card = synthetic_card(["x"], ["no", "yes"])
    answer = columns(
        PredictionAnswer(
            card, ["yes", "no"], np.array([[0.25, 0.75], [1.0, -0.0]]), [[], ["x"]], MODEL
        )
    )
    assert answer_body(answer) == {
        "labels": ["yes", "no"],
        "probabilities": {"no": [0.25, 1.0], "yes": [0.75, 0.0]},
        "out_of_range": [[], ["x"]],
        "model": MODEL,
    }
    assert answer_text(answer) == (
        '{"labels":["yes","no"],"probabilities":{"no":[0.25,1.0],"yes":[0.75,0.0]},'
        '"out_of_range":[[],["x"]],"model":{"name":"m"}}'
    )


def test_a_regressor_answers_one_list_of_values_and_no_ranges_when_the_card_has_none():
    answer = columns(ValueAnswer(np.array([1.5, -2.0]), None, MODEL))
    assert answer_text(answer) == '{"values":[1.5,-2.0],"model":{"name":"m"}}'


def test_rows_stay_the_default_and_the_layout_never_changes_as_dict():
    card = synthetic_card(["x"], ["no", "yes"], ranges=False)
    answer = PredictionAnswer(card, ["yes"], np.array([[0.25, 0.75]]), None, MODEL)
    rows = {
        "predictions": [{"label": "yes", "probabilities": {"no": 0.25, "yes": 0.75}}],
        "model": MODEL,
    }
    assert answer.layout == ROWS_LAYOUT
    assert answer_body(answer) == rows
    assert answer_text(answer) == answer.as_json()
    assert columns(answer).as_dict() == rows


def transposed(rows_answer: dict) -> dict:
    """The columns answer the rows answer ``rows_answer`` makes: what the layout must equal."""
    predictions = rows_answer["predictions"]
    classes = list(predictions[0]["probabilities"])
    return {
        "labels": [p["label"] for p in predictions],
        "probabilities": {c: [p["probabilities"][c] for p in predictions] for c in classes},
        "out_of_range": [p["out_of_range"] for p in predictions],
        "model": rows_answer["model"],
    }


def test_the_handler_answers_the_same_predictions_in_either_layout(app, context):
    rows = app.handler({"instances": IRIS_ROWS}, context)
    assert app.handler({"instances": IRIS_ROWS, "layout": "rows"}, context) == rows
    answer = app.handler({"instances": IRIS_ROWS, "layout": "columns"}, context)
    assert answer == transposed(rows)
    assert answer["out_of_range"][2] == ["sepal_length", "sepal_width", "petal_length"]
    single = app.handler({"features": IRIS_ROWS[0], "layout": "columns"}, context)
    assert single["labels"] == ["setosa"]


def test_an_http_answer_in_columns_is_the_direct_answer_as_compact_json(app, context, document):
    response = app.handler(http_event({"instances": IRIS_ROWS, "layout": "columns"}), context)
    direct = app.handler({"instances": IRIS_ROWS, "layout": "columns"}, context)
    assert response["statusCode"] == 200
    assert response["body"] == json.dumps(direct, separators=COMPACT)
    assert conformance(document, "/predict", "POST", response) == []


@pytest.mark.parametrize(
    ("layout", "got"),
    [("col", "'col'"), ("Columns", "'Columns'"), (1, "a number"), (None, "null"), ([], "a list")],
)
def test_an_unknown_layout_is_a_400_naming_the_choices(app, context, layout, got):
    body = app.handler({"instances": IRIS_ROWS, "layout": layout}, context)
    assert body["error"] == {
        "status": 400,
        "type": "InvalidRequest",
        "message": f"layout must be one of ['rows', 'columns'], got {got}",
    }


def test_a_request_with_only_a_layout_is_refused_as_before(app, context):
    body = app.handler({"layout": "columns"}, context)
    assert body["error"]["message"] == (
        'send {"features": row} for one row or {"instances": [row, ...]} for a batch, '
        "got fields ['layout']"
    )


def test_a_regressor_answers_columns_as_its_description_says():
    regressor = load_model(typed_regressor().model_dir)
    rows = handle({"instances": FARE_ROWS}, None, regressor, QUIET)
    answer = handle({"instances": FARE_ROWS, "layout": "columns"}, None, regressor, QUIET)
    assert answer == {
        "values": [p["value"] for p in rows["predictions"]],
        "out_of_range": [p["out_of_range"] for p in rows["predictions"]],
        "model": rows["model"],
    }
    document = openapi_document(regressor.card, 1000)
    assert schema_errors(document, "PredictionColumns", answer) == []
    assert schema_errors(document, "PredictRequest", {"features": FARE_ROWS[0], "layout": "x"})


# --- sizes --------------------------------------------------------------------------------------

COMPACT_CARD = synthetic_card(["x"], ["a", "b"], name="m")


def test_the_worst_columns_answer_is_exact_for_a_known_card():
    """Hand-counted, as the runtime client writes it (', ' and ': '): each row adds a label, a
    probability per class and an out-of-range list, each with its ', '."""
    model = '"model": {"name": "m", "version": "1", "sha256": "' + "0" * 64 + '"}'
    one = (
        '{"labels": ["a"], "probabilities": {"a": [0.123456], "b": [0.123456]}, '
        '"out_of_range": [["x"]], ' + model + "}"
    )
    size = worst_answer_size(COMPACT_CARD, DIRECT, layout=COLUMNS_LAYOUT)
    assert (size.fixed + size.per_row, size.per_row) == (len(one), len('"a", ') + 2 * 10 + 7)


def test_the_row_limit_holds_for_both_layouts():
    long_names = synthetic_card(["x"], ["c" * 2000, "d" * 2000])
    limit = RequestLimits.of(long_names, 5000).row_limits[DIRECT].rows
    for layout in (ROWS_LAYOUT, COLUMNS_LAYOUT):
        size = worst_answer_size(long_names, DIRECT, layout=layout)
        assert size.bytes_for(limit) <= LAMBDA_RESPONSE_BYTES
    rows = worst_answer_size(long_names, DIRECT).rows_within(LAMBDA_RESPONSE_BYTES)
    assert (
        limit
        == rows
        < worst_answer_size(long_names, DIRECT, layout=COLUMNS_LAYOUT).rows_within(
            LAMBDA_RESPONSE_BYTES
        )
    )


@pytest.mark.parametrize("kind", [DIRECT, HTTP_API, ALB])
def test_real_columns_answers_never_pass_their_worst_case_size(app, context, kind):
    """Rows with every feature out of range: all that is left below the law is how long the
    labels and probabilities print."""
    body = {"instances": [[99.0] * 4, [0.0] * 4] * 50, "layout": "columns"}
    event = body if kind == DIRECT else http_event(body)
    if kind == ALB:
        event = {**event, "requestContext": {"elb": {}}, "httpMethod": "POST"}
    response = app.handler(event, context)
    size = worst_answer_size(app.MODEL.card, kind, layout=COLUMNS_LAYOUT)
    assert len(json.dumps(response).encode()) <= size.bytes_for(100)
    assert len(json.dumps(response).encode()) > size.bytes_for(100) * 0.8


def test_the_layout_field_fits_the_body_bounds_of_the_largest_legal_request():
    """The bounds allow one comma per value in every row, the last row's unused: the field's
    comma fits in it."""
    card = synthetic_card(["a", "b", "c"], ["no", "yes"])
    bounds = BodyBounds.for_rows(card, 4)
    positional = {"instances": [[0.5, 0.5, 0.5]] * 4, "layout": "columns"}
    named = {"instances": [{"a": 0.5, "b": 0.5, "c": 0.5}] * 4, "layout": "columns"}
    for request in (positional, named):
        text = json.dumps(request)
        assert text.count(",") == bounds.commas
        bounds.check(text)
