"""DataFrame pipelines converted by the converter (``fixture_models.typed_regressor`` and
``typed_classifier``), served end to end: ``load_model``'s checks and self-test on typed golden
rows, then the handler on positional and named rows with strings and missing values, answering
as the scikit-learn pipeline answers the same DataFrame; refusals worded exactly; the log line's
typed metrics; ``as_json`` byte for byte ``json.dumps``."""

from __future__ import annotations

import io
import json
import shutil
from contextlib import redirect_stdout

import numpy as np
import pandas as pd
import pytest
from emf_support import emf_problems
from fixture_models import edit_card, rebind_card, typed_classifier, typed_regressor
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from onnx_serving.answers import COMPACT, ValueAnswer, predicted
from onnx_serving.card import value_gap
from onnx_serving.handler import ServingSettings, handle
from onnx_serving.metrics import DEFAULT_NAMESPACE, RequestMetrics
from onnx_serving.model import ModelLoadError, load_model
from onnx_serving.openapi import openapi_document
from onnx_serving.rows import RowPositions, to_columns

QUIET = ServingSettings(log_requests=False)
FARE_COLUMNS = ["distance", "hour", "weather", "vehicle"]
# Positional and named rows with every kind of value: missing numbers and strings (null and ""),
# a category the encoder ignores, a value past the training range.
FARE_ROWS = [
    [12.5, 8.0, "rain", "sedan"],
    [None, 23.0, None, "van"],
    {"distance": 3.0, "hour": 2.0, "weather": "hail", "vehicle": "sedan"},
    {"distance": 55.0, "hour": 12.0, "weather": "", "vehicle": "van"},
]


@pytest.fixture(scope="module")
def regressor():
    return load_model(typed_regressor().model_dir)


@pytest.fixture(scope="module")
def classifier():
    return load_model(typed_classifier().model_dir)


def as_frame(rows, names):
    """The rows as scikit-learn receives them: a DataFrame, missing values as NaN."""
    table = [[row[n] for n in names] if isinstance(row, dict) else row for row in rows]
    table = [[np.nan if v is None or v == "" else v for v in row] for row in table]
    return pd.DataFrame(table, columns=names)


def test_a_regressor_answers_as_the_pipeline_does_on_strings_and_missing_values(regressor):
    body = handle({"instances": FARE_ROWS}, None, regressor, QUIET)
    expected = typed_regressor().estimator.predict(as_frame(FARE_ROWS, FARE_COLUMNS))
    values = [p["value"] for p in body["predictions"]]
    assert max(value_gap(v, e) for v, e in zip(values, expected, strict=True)) < 1e-5
    assert [p["out_of_range"] for p in body["predictions"]] == [[], [], [], ["distance"]]
    assert [set(p) for p in body["predictions"]] == [{"value", "out_of_range"}] * 4


def test_a_classifier_answers_as_the_pipeline_does(classifier):
    rows = [[30.0, 8.0, "van"], [None, 3.0, "sedan"], {"distance": 2, "hour": 1, "vehicle": "van"}]
    body = handle({"instances": rows}, None, classifier, QUIET)
    pipeline = typed_classifier().estimator
    frame = as_frame(rows, ["distance", "hour", "vehicle"])
    assert [p["label"] for p in body["predictions"]] == pipeline.predict(frame).tolist()
    got = np.array(
        [[p["probabilities"][c] for c in pipeline.classes_] for p in body["predictions"]]
    )
    assert np.abs(got - pipeline.predict_proba(frame)).max() < 1e-5


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            [30.0, 8.0, "truck"],
            "features[2] (vehicle) is 'truck', not a category the model knows: "
            "one of 'sedan', 'van'",
        ),
        (
            [30.0, 8.0, None],
            "features[2] (vehicle) is missing; the model needs a string for it",
        ),
        (
            {"distance": 1, "hour": 1, "vehicle": ""},
            "features.vehicle is missing; the model needs a string for it",
        ),
        ([30.0, 8.0, 1], "features[2] (vehicle) must be a string, got a number"),
        ([30.0, "8", "van"], "features[1] (hour) must be a number, got a string"),
    ],
    ids=["unknown category", "null", "empty string", "number", "text for a number"],
)
def test_what_the_encoder_refuses_is_a_400_naming_the_column(classifier, row, message):
    body = handle({"features": row}, None, classifier, QUIET)
    assert body["error"] == {"status": 400, "type": "InvalidFeatures", "message": message}


def test_an_http_answer_is_the_direct_answer_as_json(regressor):
    event = {
        "requestContext": {"http": {"method": "POST"}, "domainName": "example.com"},
        "headers": {"content-type": "application/json"},
        "body": json.dumps({"instances": FARE_ROWS}),
        "isBase64Encoded": False,
    }
    answer = handle(event, None, regressor, QUIET)
    assert answer["statusCode"] == 200
    assert json.loads(answer["body"]) == handle({"instances": FARE_ROWS}, None, regressor, QUIET)


def test_the_value_answer_writes_what_json_dumps_writes(regressor):
    answer = predicted(regressor, to_columns(FARE_ROWS, RowPositions(4), regressor.card))
    assert isinstance(answer, ValueAnswer)
    assert answer.as_json() == json.dumps(answer.as_dict(), separators=COMPACT)


def test_describe_shows_the_typed_columns(regressor):
    model = handle({"action": "describe"}, None, regressor, QUIET)["model"]
    assert (model["task"], model["classes"]) == ("regressor", [])
    weather = model["columns"][2]
    assert weather == {
        "name": "weather",
        "type": "string",
        "missing": True,
        "categories": ["dry", "rain", "snow", "unknown"],
        "unknown": "ignore",
    }


def test_the_log_line_counts_missing_values_unknown_categories_and_sums_values(regressor):
    metrics = RequestMetrics(regressor.card, DEFAULT_NAMESPACE, 1.0)
    log = io.StringIO()
    with redirect_stdout(log):
        body = handle({"instances": FARE_ROWS}, None, regressor, ServingSettings(), None, metrics)
    record = json.loads(log.getvalue())
    assert emf_problems(record) == []
    values = [p["value"] for p in body["predictions"]]
    typed = {k: v for k, v in record.items() if k.startswith(("missing:", "unknown_category:"))}
    assert typed == {"missing:distance": 1, "missing:weather": 2, "unknown_category:weather": 1}
    assert (record["value_count"], record["value_min"], record["value_max"]) == (
        4,
        min(values),
        max(values),
    )
    assert record["value_sum"] == pytest.approx(sum(values), rel=1e-12)
    assert not any(key.startswith("predicted:") for key in record)


def test_init_refuses_a_card_whose_golden_value_the_model_does_not_reproduce(tmp_path):
    folder = shutil.copytree(typed_regressor().model_dir, tmp_path / "model")
    card = json.loads((folder / "model.json").read_text())
    golden = card["golden_rows"]
    served = golden[0]["value"]
    golden[0]["value"] = served + 1.0
    rebind_card(edit_card(folder, golden_rows=golden))
    with pytest.raises(ModelLoadError) as refused:
        load_model(folder)
    gap = value_gap(served, served + 1.0)
    assert str(refused.value).endswith(
        f"golden row 0 answered {served!r} where the reference model answered "
        f"{served + 1.0!r} (relative gap {gap:.3g}, tolerance 1e-05): "
        "this is not the model the card was written for"
    )


def test_init_refuses_a_card_that_calls_a_string_column_a_number(tmp_path):
    folder = shutil.copytree(typed_regressor().model_dir, tmp_path / "model")
    card = json.loads((folder / "model.json").read_text())
    vehicle = card["columns"][3]
    card["columns"][3] = {**vehicle, "type": "number", "categories": None, "unknown": None}
    for golden in card["golden_rows"]:
        golden["features"][3] = 1.0
    # Its bins are a string column's: a number column's would be edges.
    bins = {name: b for name, b in card["feature_bins"].items() if name != "vehicle"}
    edited = edit_card(
        folder, columns=card["columns"], golden_rows=card["golden_rows"], feature_bins=bins
    )
    rebind_card(edited)
    with pytest.raises(ModelLoadError) as refused:
        load_model(folder)
    assert str(refused.value).endswith(
        "the model input 'vehicle' is tensor(string) [None, 1], card says tensor(double) [N, 1]"
    )


def schema_errors(document, name, instance):
    """What the description's schema ``name`` finds wrong with ``instance``."""
    registry = Registry().with_resource(
        "urn:typed", Resource.from_contents(document, default_specification=DRAFT202012)
    )
    schema = {"$ref": f"urn:typed#/components/schemas/{name}"}
    validator = Draft202012Validator(schema, registry=registry)
    return [error.message for error in validator.iter_errors(instance)]


@pytest.mark.parametrize("model", ["regressor", "classifier"])
def test_the_description_of_a_typed_model_is_valid_openapi(model, request):
    validate(openapi_document(request.getfixturevalue(model).card, 1000))


def test_the_description_takes_what_the_regressor_takes_and_describes_its_answer(regressor):
    document = openapi_document(regressor.card, 1000)
    request = {"instances": FARE_ROWS}
    assert schema_errors(document, "PredictRequest", request) == []
    answer = handle(request, None, regressor, QUIET)
    assert schema_errors(document, "Predictions", answer) == []
    assert (
        schema_errors(document, "ModelCard", handle({"action": "describe"}, None, regressor, QUIET))
        == []
    )


@pytest.mark.parametrize(
    "row",
    [[30.0, 8.0, "truck"], [30.0, 8.0, None], [30.0, 8.0, ""], [30.0, "8", "van"], [None, 8, 1]],
    ids=["unknown category", "null", "empty string", "text for a number", "number for a string"],
)
def test_the_description_refuses_what_the_classifier_refuses(classifier, row):
    document = openapi_document(classifier.card, 1000)
    assert schema_errors(document, "PredictRequest", {"features": row}) != []
    assert schema_errors(document, "PredictRequest", {"features": [None, 8, "van"]}) == []
