"""The local HTTP API's pure parts: routes from the template, HTTP request -> payload 2.0 event,
function answer -> HTTP response, each as API Gateway's HTTP API does it."""

from __future__ import annotations

import base64
import json

import pytest
from sam_support import TEMPLATE

from tools.local_lambda.gateway import HttpRequest, Route, api_event, http_api_routes, http_response


def request(method="POST", target="/predict", headers=(), body=b"") -> HttpRequest:
    return HttpRequest(method, target, list(headers), body, "127.0.0.1")


def test_routes_are_the_templates():
    assert [r.key for r in http_api_routes(TEMPLATE)] == [
        "POST /predict",
        "GET /model",
        "GET /openapi.json",
    ]


@pytest.mark.parametrize(
    ("key", "method", "path", "matches"),
    [
        ("POST /predict", "POST", "/predict", True),
        ("POST /predict", "GET", "/predict", False),
        ("POST /predict", "POST", "/predict/", False),
        ("ANY /model", "DELETE", "/model", True),
        ("$default", "PATCH", "/anything", True),
    ],
)
def test_route_matching(key, method, path, matches):
    assert Route(key).matches(method, path) is matches


def test_event_has_api_gateways_shape():
    headers = [
        ("Content-Type", "application/json"),
        ("X-Tag", "a"),
        ("x-tag", "b"),
        ("Cookie", "a=1; b=2"),
        ("User-Agent", "curl/8"),
    ]
    event = api_event(
        request(target="/predict?x=1&x=2&y=", headers=headers, body=b'{"features": []}'),
        Route("POST /predict"),
        "127.0.0.1:3000",
    )
    context = event.pop("requestContext")
    assert event == {
        "version": "2.0",
        "routeKey": "POST /predict",
        "rawPath": "/predict",
        "rawQueryString": "x=1&x=2&y=",
        "headers": {"content-type": "application/json", "x-tag": "a,b", "user-agent": "curl/8"},
        "cookies": ["a=1", "b=2"],
        "queryStringParameters": {"x": "1,2", "y": ""},
        "body": '{"features": []}',
        "isBase64Encoded": False,
    }
    assert context["http"] == {
        "method": "POST",
        "path": "/predict",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "curl/8",
    }
    assert (context["domainName"], context["stage"], context["routeKey"]) == (
        "127.0.0.1:3000",
        "$default",
        "POST /predict",
    )


@pytest.mark.parametrize(
    ("content_type", "body", "base64_encoded"),
    [
        ("application/json", b'{"a": 1}', False),
        ("application/vnd.api+json", b"{}", False),
        ("text/plain; charset=utf-8", "é".encode(), False),
        (None, b"{}", False),
        ("application/json", b"\xff\xfe", True),
        ("application/octet-stream", b"{}", True),
    ],
)
def test_bodies_are_text_or_base64(content_type, body, base64_encoded):
    headers = [("Content-Type", content_type)] if content_type else []
    event = api_event(request(headers=headers, body=body), Route("POST /predict"), "h")
    assert event["isBase64Encoded"] is base64_encoded
    sent = base64.b64decode(event["body"]) if base64_encoded else event["body"].encode()
    assert sent == body


def test_no_body_no_body_field():
    assert "body" not in api_event(request("GET", "/model"), Route("GET /model"), "h")


def test_function_answers_become_http():
    answer = {
        "statusCode": 413,
        "headers": {"Content-Type": "application/json", "Cache-Control": "no-store"},
        "body": '{"error": 1}',
        "isBase64Encoded": False,
        "cookies": ["s=1"],
    }
    assert http_response(json.dumps(answer).encode(), None) == (
        413,
        [
            ("Content-Type", "application/json"),
            ("Cache-Control", "no-store"),
            ("Set-Cookie", "s=1"),
        ],
        b'{"error": 1}',
    )


def test_base64_answers_are_decoded():
    answer = {
        "statusCode": 200,
        "body": base64.b64encode(b"\x00\x01").decode(),
        "isBase64Encoded": True,
    }
    assert http_response(json.dumps(answer).encode(), None) == (200, [], b"\x00\x01")


def test_an_answer_without_status_code_is_a_json_200():
    assert http_response(b'{"predictions": []}', None) == (
        200,
        [("Content-Type", "application/json")],
        b'{"predictions": []}',
    )


@pytest.mark.parametrize(
    ("payload", "function_error"),
    [
        (b'{"errorType": "Runtime.ImportModuleError"}', "Unhandled"),
        (b"not json", None),
        (b'{"statusCode": "200"}', None),
    ],
    ids=["function-error", "not-json", "bad-status"],
)
def test_function_errors_are_api_gateways_500(payload, function_error):
    assert http_response(payload, function_error) == (
        500,
        [("Content-Type", "application/json")],
        b'{"message": "Internal Server Error"}',
    )
