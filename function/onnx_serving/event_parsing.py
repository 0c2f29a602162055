"""Turn any event Lambda can hand the function into one ``Request``.

The entry points (``event_kinds``) differ in where the method, path, headers and body live,
whether the body is base64 and how header names are cased; everything after this module sees
only ``Request``. Where an event could be read two ways, it is refused instead of guessed at:
``isBase64Encoded`` must be a boolean, headers must be strings (``http_headers``), and a body is
bounded before it is parsed (``bounded_json``).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, NamedTuple

from .bounded_json import BodyBounds, parse_body
from .errors import RequestError, bad_request, quoted
from .event_kinds import ALB, DIRECT, REST_API
from .http_headers import content_type

PREDICT_ACTION = "predict"
DESCRIBE_ACTION = "describe"
OPENAPI_ACTION = "openapi"
OPENAPI_PATH = "/openapi.json"


class Request(NamedTuple):
    """What the caller asked for: ``describe`` the model, its ``openapi`` description, or
    ``predict`` on ``payload``."""

    kind: str
    action: str
    payload: Any = None


def read_request(event: object, kind: str, bounds: BodyBounds) -> Request:
    """Extract the action and the parsed JSON payload, or raise the matching ``RequestError``."""
    if kind == DIRECT:
        return _direct_request(event)
    method = _method(event, kind)
    if method == "GET":
        action = OPENAPI_ACTION if _path(event, kind).endswith(OPENAPI_PATH) else DESCRIBE_ACTION
        return Request(kind, action)
    if method != "POST":
        raise RequestError(
            405, "MethodNotAllowed", f"{quoted(method)} is not allowed; use GET or POST"
        )
    _check_content_type(event)
    return Request(kind, PREDICT_ACTION, parse_body(_body_text(event), bounds))


def _direct_request(event: object) -> Request:
    if not isinstance(event, dict):
        raise bad_request("InvalidEvent", "the event must be a JSON object")
    if event.get("action") == DESCRIBE_ACTION and len(event) == 1:
        return Request(DIRECT, DESCRIBE_ACTION)
    return Request(DIRECT, PREDICT_ACTION, event)


def _method(event: dict[str, Any], kind: str) -> str:
    if kind in (REST_API, ALB):
        method = event.get("httpMethod")
    else:
        method = event["requestContext"]["http"].get("method")
    if not isinstance(method, str) or not method:
        raise bad_request("InvalidEvent", "the event has no HTTP method")
    return method.upper()


def _path(event: dict[str, Any], kind: str) -> str:
    """The request path (a stage prefix included, so only its end is compared)."""
    path = event.get("path") if kind in (REST_API, ALB) else event.get("rawPath")
    return path if isinstance(path, str) else ""


def _check_content_type(event: dict[str, Any]) -> None:
    value = content_type(event)
    if value is None:
        return
    media_type = value.split(";", 1)[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise RequestError(
            415,
            "UnsupportedMediaType",
            f"Content-Type {quoted(media_type)} is not application/json",
        )


def _body_text(event: dict[str, Any]) -> str:
    encoded = event.get("isBase64Encoded", False)
    if type(encoded) is not bool:
        raise bad_request("InvalidEvent", "the event's isBase64Encoded must be true or false")
    body = event.get("body")
    if body is None or body == "":
        raise bad_request("InvalidRequest", "the request has no body; send a JSON object")
    if not isinstance(body, str):
        raise bad_request("InvalidEvent", "the event body must be a string")
    if not encoded:
        return body
    try:
        raw = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise bad_request(
            "InvalidBody", "the body is marked base64 but is not valid base64"
        ) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise bad_request("InvalidBody", "the body is not UTF-8 text") from None
