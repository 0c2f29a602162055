"""The handler end to end in-process: every entry point, every answer, every refusal."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest
from conftest import event_expectations, event_names, load_event

SETOSA = [5.1, 3.5, 1.4, 0.2]


def http_event(body, *, method="POST", b64=False, headers=None, version="2.0"):
    """An HTTP API (2.0) or REST API (1.0) event around ``body``."""
    text = body if isinstance(body, str) or body is None else json.dumps(body)
    if b64 and text is not None:
        text = base64.b64encode(text.encode()).decode()
    if version == "1.0":
        return {"httpMethod": method, "headers": headers, "body": text, "isBase64Encoded": b64}
    context = {"http": {"method": method}, "domainName": "x.execute-api.us-east-1.amazonaws.com"}
    return {
        "version": "2.0",
        "requestContext": context,
        "headers": headers or {},
        "body": text,
        "isBase64Encoded": b64,
    }


HTTP_HEADERS = {
    "Content-Type": "application/json",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


def answer(app, event, context):
    """(status, body) whatever the entry point: direct invokes have no status."""
    response = app.handler(event, context)
    if "statusCode" in response:
        headers = response.get("headers") or {
            name: values[0] for name, values in response["multiValueHeaders"].items()
        }
        assert {k: v for k, v in headers.items() if k != "Allow"} == HTTP_HEADERS
        return response["statusCode"], json.loads(response["body"])
    return None, response


@pytest.mark.parametrize("name", event_names(), ids=event_names())
def test_sample_events(app, context, name):
    expected = event_expectations()[name]
    status, body = answer(app, load_event(name), context)
    assert status == expected["status"]
    if "error_type" in expected:
        assert body["error"]["type"] == expected["error_type"]
    else:
        assert [p["label"] for p in body.get("predictions", [])] == expected["labels"]


def test_prediction_shape_is_plain_python(app, context):
    body = app.handler({"features": SETOSA}, context)
    assert body == {
        "predictions": [
            {
                "label": "setosa",
                "probabilities": {"setosa": 0.999999, "versicolor": 0.0, "virginica": 0.0},
                "out_of_range": [],
            }
        ],
        "model": {"name": "iris-random-forest", "version": "1", "sha256": app.MODEL.card.sha256},
    }
    assert type(body["predictions"][0]["probabilities"]["setosa"]) is float


def test_named_and_positional_rows_agree(app, context):
    named = dict(zip(app.MODEL.card.feature_names, [6.0, 2.7, 5.1, 1.6], strict=True))
    by_name = app.handler({"instances": [named]}, context)
    by_position = app.handler({"features": [6.0, 2.7, 5.1, 1.6]}, context)
    assert by_name["predictions"] == by_position["predictions"]
    assert by_name["predictions"][0]["probabilities"] == {
        "setosa": 0.0,
        "versicolor": 0.600166,
        "virginica": 0.399833,
    }


def test_out_of_range_features_are_flagged(app, context):
    body = app.handler({"features": [7.9, 4.5, 1.1, -1]}, context)
    assert body["predictions"][0]["out_of_range"] == ["sepal_width", "petal_width"]


def test_describe_returns_the_model_card(app, context):
    status, body = answer(app, http_event(None, method="GET"), context)
    assert status == 200
    assert body["model"]["features"] == [
        "sepal_length",
        "sepal_width",
        "petal_length",
        "petal_width",
    ]
    assert body["model"]["classes"] == ["setosa", "versicolor", "virginica"]
    assert body["model"]["sha256"] == app.MODEL.card.sha256
    assert app.handler({"action": "describe"}, context) == body


def test_batch_answers_in_order(app, context):
    rows = [[5.1, 3.5, 1.4, 0.2], [7.7, 3.0, 6.1, 2.3], [6.0, 2.7, 5.1, 1.6]] * 5
    body = app.handler({"instances": rows}, context)
    assert [p["label"] for p in body["predictions"]] == ["setosa", "virginica", "versicolor"] * 5


@pytest.mark.parametrize(
    ("headers", "version"),
    [
        ({"Content-Type": "application/json"}, "1.0"),
        ({"CONTENT-TYPE": "application/json; charset=utf-8"}, "1.0"),
        ({"content-type": "application/vnd.api+json"}, "2.0"),
        (None, "1.0"),
    ],
    ids=["rest-canonical-case", "rest-upper-case", "http-json-suffix", "rest-null-headers"],
)
def test_header_names_and_json_media_types(app, context, headers, version):
    status, body = answer(
        app, http_event({"features": SETOSA}, headers=headers, version=version), context
    )
    assert status == 200
    assert body["predictions"][0]["label"] == "setosa"


def test_base64_body(app, context):
    status, body = answer(app, http_event({"features": SETOSA}, b64=True), context)
    assert (status, body["predictions"][0]["label"]) == (200, "setosa")


BAD_DIRECT = [
    ("not-object", [1, 2], 400, "InvalidEvent"),
    ("null-event", None, 400, "InvalidEvent"),
    ("empty-object", {}, 400, "InvalidRequest"),
    ("both-fields", {"features": SETOSA, "instances": [SETOSA]}, 400, "InvalidRequest"),
    ("unknown-field", {"feature": SETOSA}, 400, "InvalidRequest"),
    ("instances-not-list", {"instances": {"a": 1}}, 400, "InvalidRequest"),
    ("empty-batch", {"instances": []}, 400, "InvalidRequest"),
    ("too-many-rows", {"instances": [SETOSA] * 1001}, 413, "PayloadTooLarge"),
    ("short-row", {"features": [1, 2, 3]}, 400, "InvalidFeatures"),
    ("long-row", {"features": [1, 2, 3, 4, 5]}, 400, "InvalidFeatures"),
    ("ragged-batch", {"instances": [SETOSA, [1, 2]]}, 400, "InvalidFeatures"),
    ("row-is-number", {"features": 5}, 400, "InvalidFeatures"),
    ("nested-list", {"features": [[1], 2, 3, 4]}, 400, "InvalidFeatures"),
    ("string-value", {"features": ["5.1", 3.5, 1.4, 0.2]}, 400, "InvalidFeatures"),
    ("boolean-value", {"features": [True, 3.5, 1.4, 0.2]}, 400, "InvalidFeatures"),
    ("null-value", {"features": [None, 3.5, 1.4, 0.2]}, 400, "InvalidFeatures"),
    ("nan-value", {"features": [float("nan"), 3.5, 1.4, 0.2]}, 400, "InvalidFeatures"),
    ("inf-value", {"features": [float("inf"), 3.5, 1.4, 0.2]}, 400, "InvalidFeatures"),
    ("float32-overflow", {"features": [1e39, 3.5, 1.4, 0.2]}, 400, "InvalidFeatures"),
    ("huge-int", {"features": [10**400, 3.5, 1.4, 0.2]}, 400, "InvalidFeatures"),
    ("missing-feature", {"features": {"sepal_length": 5.1}}, 400, "InvalidFeatures"),
    (
        "unknown-feature",
        {
            "features": {
                **dict.fromkeys(
                    ["sepal_length", "sepal_width", "petal_length", "petal_width"], 1.0
                ),
                "colour": 1,
            }
        },
        400,
        "InvalidFeatures",
    ),
]


@pytest.mark.parametrize(
    ("event", "status", "error_type"),
    [case[1:] for case in BAD_DIRECT],
    ids=[case[0] for case in BAD_DIRECT],
)
def test_bad_direct_invokes(app, context, event, status, error_type):
    body = app.handler(event, context)
    assert body["error"]["status"] == status
    assert body["error"]["type"] == error_type
    assert body["request_id"] == "req-0001"
    assert set(body) == {"error", "request_id"}


BAD_HTTP = [
    ("malformed-json", http_event('{"features": [1, 2'), 400, "InvalidJSON"),
    ("nan-literal", http_event('{"features": [NaN, 1, 2, 3]}'), 400, "InvalidJSON"),
    ("infinity-literal", http_event('{"features": [Infinity, 1, 2, 3]}'), 400, "InvalidJSON"),
    (
        "duplicate-key",
        http_event('{"features": [1,2,3,4], "features": [1,2,3,4]}'),
        400,
        "InvalidJSON",
    ),
    ("deep-nesting", http_event("[" * 100_000 + "]" * 100_000), 413, "PayloadTooLarge"),
    ("deep-within-the-bounds", http_event("[" * 500 + "]" * 500), 400, "InvalidRequest"),
    ("huge-number-literal", http_event('{"features": [1e400, 1, 2, 3]}'), 400, "InvalidFeatures"),
    (
        "bad-base64",
        {**http_event("x"), "body": "%%%not-base64", "isBase64Encoded": True},
        400,
        "InvalidBody",
    ),
    (
        "non-utf8",
        {
            **http_event("x"),
            "body": base64.b64encode(b"\xff\xfe{").decode(),
            "isBase64Encoded": True,
        },
        400,
        "InvalidBody",
    ),
    ("null-body", http_event(None), 400, "InvalidRequest"),
    ("empty-body", http_event(""), 400, "InvalidRequest"),
    ("body-not-object", http_event([1, 2, 3]), 400, "InvalidRequest"),
    ("wrong-method", http_event({"features": SETOSA}, method="DELETE"), 405, "MethodNotAllowed"),
    (
        "wrong-method-rest",
        http_event({"features": SETOSA}, method="PUT", version="1.0"),
        405,
        "MethodNotAllowed",
    ),
    (
        "form-content-type",
        http_event("a=1", headers={"content-type": "application/x-www-form-urlencoded"}),
        415,
        "UnsupportedMediaType",
    ),
    ("no-method", {"httpMethod": "", "body": "{}"}, 400, "InvalidEvent"),
    ("body-not-string", {**http_event("x"), "body": {"features": SETOSA}}, 400, "InvalidEvent"),
]


@pytest.mark.parametrize(
    ("event", "status", "error_type"),
    [case[1:] for case in BAD_HTTP],
    ids=[case[0] for case in BAD_HTTP],
)
def test_bad_http_requests(app, context, event, status, error_type):
    got_status, body = answer(app, event, context)
    assert (got_status, body["error"]["status"], body["error"]["type"]) == (
        status,
        status,
        error_type,
    )
    assert body["request_id"] == "req-0001"


def test_method_not_allowed_says_what_is(app, context):
    response = app.handler(http_event(None, method="PATCH"), context)
    assert response["headers"]["Allow"] == "GET, POST"


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (
            {"features": [1, 2, 3]},
            "features has 3 values; the model takes 4: sepal_length, "
            "sepal_width, petal_length, petal_width",
        ),
        (
            {"instances": [SETOSA, [1, "2", 3, 4]]},
            "instances[1][1] (sepal_width) must be a number, got a string",
        ),
        (
            {"features": {"sepal_length": 1, "petal_width": 2, "x": 3}},
            "features: missing ['sepal_width', 'petal_length']; unknown ['x'] features; expected "
            "exactly ['sepal_length', 'sepal_width', 'petal_length', 'petal_width']",
        ),
        (
            {"features": [1, 2, 3, float("-inf")]},
            "features[3] (petal_width) must be a finite number, got -inf",
        ),
        ({"instances": [SETOSA] * 1001}, "1001 rows is more than the limit of 1000"),
    ],
    ids=["row-length", "string-in-batch", "named-mismatch", "infinity", "batch-cap"],
)
def test_error_messages_say_how_to_fix(app, context, event, message):
    assert app.handler(event, context)["error"]["message"] == message


def test_unexpected_failure_is_a_500_with_request_id(app, context, monkeypatch, capsys):
    def explode(_rows):
        raise RuntimeError("onnxruntime fell over at /secret/path")

    monkeypatch.setattr(app.MODEL, "predict", explode)
    status, body = answer(app, http_event({"features": SETOSA}), context)
    assert status == 500
    assert body == {
        "error": {
            "status": 500,
            "type": "InternalError",
            "message": "the model could not answer; see logs",
        },
        "request_id": "req-0001",
    }
    log = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert log["status"] == 500 and log["request_id"] == "req-0001"
    assert "onnxruntime fell over" in log["traceback"]


# Members of the first line of an environment only (tests/unit/serving/test_metrics.py).
COLD_START = {"cold_start", "init_ms"}


def test_one_log_line_per_request_without_payload(app, context, capsys):
    app.handler({"instances": [[5.1, 3.5, 1.4, 0.2], [6.9, 3.1, 5.4, 2.1]]}, context)
    app.handler({"features": [123.456, 1, 2, "secret"]}, context)
    lines = capsys.readouterr().out.strip().splitlines()
    records = [json.loads(line) for line in lines]
    for record in records:
        assert isinstance(record.pop("latency_ms"), float)
        assert set(record.pop("_aws")) == {"Timestamp", "CloudWatchMetrics"}
        # The input mix's members depend on the card's bins: test_metrics pins them.
        shown_elsewhere = ("training_share:", "bin:", "bin_excess:")
        for key in [k for k in record if k in COLD_START or k.startswith(shown_elsewhere)]:
            del record[key]
    model = {"model": "iris-random-forest", "model_version": "1"}
    assert records == [
        {
            "level": "INFO",
            "request_id": "req-0001",
            "event": "direct",
            "status": 200,
            "rows": 2,
            **model,
            "client_errors": 0,
            "server_errors": 0,
            "out_of_range_rows": 0,
            "predicted:setosa": 1,
            "predicted:virginica": 1,
            # Per slot (setosa, versicolor, virginica: a third each in training), rows predicted
            # there minus a third of the 2 rows.
            "class_mix_excess:#0": 0.3333,
            "class_mix_excess:#1": -0.6667,
            "class_mix_excess:#2": 0.3333,
        },
        {
            "level": "INFO",
            "request_id": "req-0001",
            "event": "direct",
            "status": 400,
            "rows": 0,
            "error_type": "InvalidFeatures",
            **model,
            "client_errors": 1,
            "server_errors": 0,
            "out_of_range_rows": 0,
        },
    ]
    assert "123.456" not in "".join(lines) and "secret" not in "".join(lines)


def test_responses_are_strict_json(app, context):
    for name in event_names():
        response = app.handler(load_event(name), context)
        text = (
            response["body"] if "statusCode" in response else json.dumps(response, allow_nan=False)
        )
        json.loads(text, parse_constant=lambda c: pytest.fail(f"non-strict JSON constant {c}"))


def test_answers_equal_scikit_learn(app, context, reference_estimator):
    estimator = reference_estimator
    rng = np.random.default_rng(7)
    rows = rng.uniform([4.3, 2.0, 1.1, 0.1], [7.9, 4.4, 6.9, 2.5], size=(500, 4)).astype(np.float32)
    body = app.handler({"instances": rows.tolist()}, context)
    assert [p["label"] for p in body["predictions"]] == estimator.predict(rows).tolist()
    got = np.array([list(p["probabilities"].values()) for p in body["predictions"]])
    np.testing.assert_allclose(got, estimator.predict_proba(rows), atol=1e-5)


# --- strictness where an event could be read two ways ------------------------------------------


def alb_event(body, *, multi_value=False, headers=None):
    """An ALB event; in multi-value mode the headers come as lists, and nothing else."""
    headers = {"content-type": "application/json"} if headers is None else headers
    event = {
        "requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:x"}},
        "httpMethod": "POST",
        "path": "/predict",
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }
    if multi_value:
        event["multiValueHeaders"] = {
            k: v if isinstance(v, list) else [v] for k, v in headers.items()
        }
    else:
        event["headers"] = headers
    return event


def test_http_answers_carry_nosniff_and_no_store(app, context):
    for name in ["apigw-rest-v1", "apigw-http-v2", "function-url", "alb", "bad-request"]:
        response = app.handler(load_event(name), context)
        assert response["headers"] == HTTP_HEADERS, name


def test_alb_is_its_own_entry_point_with_a_status_description(app, context, capsys):
    response = app.handler(alb_event({"features": SETOSA}), context)
    assert (response["statusCode"], response["statusDescription"]) == (200, "200 OK")
    assert json.loads(response["body"])["predictions"][0]["label"] == "setosa"
    assert json.loads(capsys.readouterr().out)["event"] == "alb"
    refused = app.handler(alb_event({"features": [1]}), context)
    assert (refused["statusCode"], refused["statusDescription"]) == (400, "400 Bad Request")


def test_alb_in_multi_value_mode_is_answered_in_multi_value_mode(app, context):
    for body, status in [({"features": SETOSA}, 200), ({"features": "x"}, 400)]:
        response = app.handler(alb_event(body, multi_value=True), context)
        assert response["statusCode"] == status
        assert "headers" not in response
        assert response["multiValueHeaders"] == {k: [v] for k, v in HTTP_HEADERS.items()}
    wrong_method = {**alb_event({}, multi_value=True), "httpMethod": "PUT"}
    assert app.handler(wrong_method, context)["multiValueHeaders"]["Allow"] == ["GET, POST"]


@pytest.mark.parametrize("flag", ["false", "true", 1, 0, None, [], {}])
def test_is_base64_encoded_must_be_a_boolean(app, context, flag):
    event = {**http_event({"features": SETOSA}), "isBase64Encoded": flag}
    status, body = answer(app, event, context)
    assert (status, body["error"]["type"], body["error"]["message"]) == (
        400,
        "InvalidEvent",
        "the event's isBase64Encoded must be true or false",
    )


REPEATED = "Content-Type is sent 2 times; send it once"
HEADER_CASES = [
    (
        "names-differing-in-case",
        http_event(
            {"features": SETOSA},
            version="1.0",
            headers={"Content-Type": "application/json", "content-type": "text/plain"},
        ),
        (400, "InvalidHeaders", REPEATED),
    ),
    (
        "same-value-twice-in-case-variants",
        http_event(
            {"features": SETOSA},
            headers={"CONTENT-TYPE": "application/json", "content-type": "application/json"},
        ),
        (400, "InvalidHeaders", REPEATED),
    ),
    (
        "http-api-joins-repeats-with-commas",
        http_event({"features": SETOSA}, headers={"content-type": "application/json,text/plain"}),
        (400, "InvalidHeaders", REPEATED),
    ),
    (
        "rest-multi-value-holds-both",
        {
            **http_event({"features": SETOSA}, version="1.0"),
            "headers": {"Content-Type": "text/plain"},
            "multiValueHeaders": {"Content-Type": ["application/json", "text/plain"]},
        },
        (400, "InvalidHeaders", REPEATED),
    ),
    (
        "rest-maps-disagree",
        {
            **http_event({"features": SETOSA}, version="1.0"),
            "headers": {"Content-Type": "application/json"},
            "multiValueHeaders": {"content-type": ["text/plain"]},
        },
        (400, "InvalidHeaders", "Content-Type differs between headers and multiValueHeaders"),
    ),
    (
        "rest-content-type-only-in-multi-value-headers",
        {
            **http_event({"features": SETOSA}, version="1.0"),
            "multiValueHeaders": {"Content-Type": ["text/plain"]},
        },
        (415, "UnsupportedMediaType", "Content-Type 'text/plain' is not application/json"),
    ),
    (
        "alb-multi-value-repeats",
        alb_event(
            {"features": SETOSA},
            multi_value=True,
            headers={"content-type": ["application/json", "application/json"]},
        ),
        (400, "InvalidHeaders", REPEATED),
    ),
    (
        "header-value-is-a-list",
        http_event({"features": SETOSA}, headers={"content-type": ["application/json"]}),
        (400, "InvalidEvent", "every value of the event's headers must be a string"),
    ),
    (
        "header-value-is-null",
        http_event({"features": SETOSA}, headers={"content-type": None}),
        (400, "InvalidEvent", "every value of the event's headers must be a string"),
    ),
    (
        "multi-value-header-is-a-string",
        {
            **http_event({"features": SETOSA}, version="1.0"),
            "multiValueHeaders": {"Content-Type": "application/json"},
        },
        (
            400,
            "InvalidEvent",
            "every value of the event's multiValueHeaders must be a list of strings",
        ),
    ),
    (
        "headers-is-a-list",
        {**http_event({"features": SETOSA}), "headers": ["content-type"]},
        (400, "InvalidEvent", "the event's headers must be an object"),
    ),
]


@pytest.mark.parametrize(
    ("event", "expected"),
    [case[1:] for case in HEADER_CASES],
    ids=[case[0] for case in HEADER_CASES],
)
def test_headers_are_read_one_strict_way(app, context, event, expected):
    status, body = answer(app, event, context)
    assert (status, body["error"]["type"], body["error"]["message"]) == expected


def test_one_content_type_in_both_rest_header_maps_is_one_header(app, context):
    event = {
        **http_event({"features": SETOSA}, version="1.0"),
        "headers": {"Content-Type": "application/json"},
        "multiValueHeaders": {"Content-Type": ["application/json"]},
    }
    assert answer(app, event, context)[0] == 200


@pytest.mark.parametrize("path", ["/openapi.json", "/prod/openapi.json"])
def test_get_openapi_json_returns_the_description(app, context, path):
    event = http_event(None, method="GET")
    event["rawPath"] = path
    status, body = answer(app, event, context)
    assert status == 200
    assert body["openapi"] == "3.1.0"
    assert body["components"]["schemas"]["NamedFeatures"]["required"] == (
        app.MODEL.card.feature_names
    )
    rest = {**http_event(None, method="GET", version="1.0"), "path": path}
    assert answer(app, rest, context) == (200, body)
