"""The OpenAPI description: a valid OpenAPI 3.1 document, generated from the card, that every
real answer of the handler conforms to (body and headers), errors included.

Answers are validated with jsonschema (Draft 2020-12, OpenAPI 3.1's dialect for schemas), the
document with openapi-spec-validator: tools nobody here wrote.
"""

from __future__ import annotations

import json

import pytest
from fixture_models import synthetic_card
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from onnx_serving.openapi import ERROR_RESPONSES, ERROR_TYPES, openapi_document

SETOSA = [5.1, 3.5, 1.4, 0.2]
DOCUMENT_URI = "urn:onnx-lambda:openapi"


@pytest.fixture(scope="module")
def document(app):
    return openapi_document(app.MODEL.card, 1000)


def http_event(body, method="POST", path="/predict", headers=None):
    return {
        "version": "2.0",
        "rawPath": path,
        "requestContext": {"http": {"method": method}, "domainName": "x.execute-api.aws"},
        "headers": {"content-type": "application/json"} if headers is None else headers,
        "body": body if body is None or isinstance(body, str) else json.dumps(body),
        "isBase64Encoded": False,
    }


def pointer(*parts: str) -> str:
    return "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def response_spec(document, path: str, method: str, status: int) -> tuple[str, dict]:
    """The JSON pointer and the response object the description gives for this answer."""
    if status == 405:
        return pointer("components", "responses", "MethodNotAllowed"), document["components"][
            "responses"
        ]["MethodNotAllowed"]
    response = document["paths"][path][method.lower()]["responses"][str(status)]
    where = pointer("paths", path, method.lower(), "responses", str(status))
    if "$ref" in response:
        name = response["$ref"].rsplit("/", 1)[1]
        return pointer("components", "responses", name), document["components"]["responses"][name]
    return where, response


def conformance(document, path: str, method: str, response: dict) -> list[str]:
    """Everything in ``response`` (the handler's HTTP answer) that the description rules out."""
    where, spec = response_spec(document, path, method, response["statusCode"])
    registry = Registry().with_resource(
        DOCUMENT_URI, Resource.from_contents(document, default_specification=DRAFT202012)
    )
    schema = {"$ref": f"{DOCUMENT_URI}#/{where}/content/application~1json/schema"}
    body = json.loads(response["body"])
    problems = [
        e.message for e in Draft202012Validator(schema, registry=registry).iter_errors(body)
    ]
    for name, header in spec["headers"].items():
        if "$ref" in header:
            header = document["components"]["headers"][header["$ref"].rsplit("/", 1)[1]]
        if response["headers"].get(name) != header["schema"]["const"]:
            problems.append(f"header {name}: {response['headers'].get(name)!r}")
    return problems


def test_the_description_is_valid_openapi_3_1(document):
    validate(document)
    assert document["openapi"] == "3.1.0"
    assert sorted(document["paths"]) == ["/model", "/openapi.json", "/predict"]


def test_the_description_follows_the_card(app, document):
    card = app.MODEL.card
    schemas = document["components"]["schemas"]
    assert schemas["FeatureList"]["minItems"] == schemas["FeatureList"]["maxItems"] == 4
    assert schemas["NamedFeatures"]["required"] == card.feature_names
    assert schemas["NamedFeatures"]["additionalProperties"] is False
    assert schemas["Prediction"]["properties"]["label"] == {"enum": card.classes}
    assert schemas["Prediction"]["required"] == ["label", "probabilities"]
    assert schemas["BatchRequest"]["properties"]["instances"]["maxItems"] == 1000
    assert schemas["ModelReference"]["properties"]["sha256"] == {"const": card.sha256}
    assert schemas["FeatureValue"]["maximum"] == 3.4028234663852886e38


def test_every_error_type_has_its_status(document):
    responses = document["components"]["responses"]
    for status, name in ERROR_RESPONSES.items():
        error = responses[name]["content"]["application/json"]["schema"]["properties"]["error"]
        assert error["properties"]["status"] == {"const": status}
        types = error["properties"]["type"]
        assert types.get("enum", [types.get("const")]) == list(ERROR_TYPES[status])
    assert responses["MethodNotAllowed"]["headers"]["Allow"]["schema"]["const"] == "GET, POST"


ANSWERS = [
    ("one-row", http_event({"features": SETOSA}), 200),
    (
        "named-batch",
        http_event(
            {
                "instances": [
                    dict(
                        zip(
                            ["sepal_length", "sepal_width", "petal_length", "petal_width"],
                            SETOSA,
                            strict=True,
                        )
                    ),
                    [7.9, 4.5, 1.1, -1],
                ]
            }
        ),
        200,
    ),
    ("model-card", http_event(None, "GET", "/model"), 200),
    ("description", http_event(None, "GET", "/openapi.json"), 200),
    ("invalid-json", http_event('{"features": ['), 400),
    ("invalid-body", {**http_event("%%"), "isBase64Encoded": True}, 400),
    ("invalid-request", http_event({"rows": []}), 400),
    ("invalid-features", http_event({"features": [1, 2]}), 400),
    (
        "invalid-headers",
        http_event({"features": SETOSA}, headers={"content-type": "a/json,b"}),
        400,
    ),
    ("invalid-event", {**http_event({"features": SETOSA}), "isBase64Encoded": "no"}, 400),
    ("too-many-rows", http_event({"instances": [SETOSA] * 1001}), 413),
    ("media-type", http_event({}, headers={"content-type": "text/csv"}), 415),
    ("method", http_event({}, "DELETE"), 405),
]


@pytest.mark.parametrize(("event", "status"), [a[1:] for a in ANSWERS], ids=[a[0] for a in ANSWERS])
def test_real_answers_conform_to_the_description(app, context, document, event, status):
    response = app.handler(event, context)
    assert response["statusCode"] == status
    path = event["rawPath"] if event["requestContext"]["http"]["method"] == "GET" else "/predict"
    method = event["requestContext"]["http"]["method"]
    assert conformance(document, path, method, response) == []


def test_an_internal_error_conforms_too(app, context, document, monkeypatch):
    def explode(rows):
        raise RuntimeError("boom")

    monkeypatch.setattr(app.MODEL, "predict", explode)
    response = app.handler(http_event({"features": SETOSA}), context)
    assert response["statusCode"] == 500
    assert conformance(document, "/predict", "POST", response) == []


def test_answers_that_break_the_description_are_caught(app, context, document):
    """The check can fail: a wrong label and an extra field (one problem: the body fits neither
    layout's schema), two missing headers."""
    response = app.handler(http_event({"features": SETOSA}), context)
    body = json.loads(response["body"])
    body["predictions"][0]["label"] = "tulip"
    body["extra"] = 1
    broken = {**response, "body": json.dumps(body), "headers": {"Content-Type": "x"}}
    problems = conformance(document, "/predict", "POST", broken)
    assert problems[0].endswith("is not valid under any of the given schemas")
    assert problems[1:] == ["header X-Content-Type-Options: None", "header Cache-Control: None"]


def test_out_of_range_is_optional_for_cards_without_ranges(app, context, document):
    """A card with unknown training ranges answers without ``out_of_range``."""
    response = app.handler(http_event({"features": SETOSA}), context)
    body = json.loads(response["body"])
    del body["predictions"][0]["out_of_range"]
    assert conformance(document, "/predict", "POST", {**response, "body": json.dumps(body)}) == []


def test_names_that_need_escaping_make_a_valid_description():
    card = synthetic_card(
        ["a/b", "c~d", "é", '"q"'], ["x y", "0"], name="odd names", version="2", sha256="ab" * 32
    )
    document = openapi_document(card, 7)
    validate(document)
    named = document["components"]["schemas"]["NamedFeatures"]
    assert list(named["properties"]) == named["required"] == ["a/b", "c~d", "é", '"q"']
