"""Turn any event Lambda can hand the function into one ``Request``.

Four entry points reach the handler: a direct invoke (the event *is* the request), API Gateway
REST APIs (payload format 1.0), and HTTP APIs and Function URLs (payload format 2.0). They differ
in where the method, headers and body live, whether the body is base64 and how header names are
cased; everything after this module sees only ``Request``.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from .errors import RequestError, bad_request, quoted

DIRECT = "direct"
REST_API = "rest-api"
HTTP_API = "http-api"
FUNCTION_URL = "function-url"
DESCRIBE_ACTION = "describe"


@dataclass(frozen=True)
class Request:
    """What the caller asked for: ``describe`` the model or ``predict`` on ``payload``."""

    kind: str
    action: str
    payload: Any = None


def event_kind(event: object) -> str:
    """Which entry point sent ``event``; never fails, so even errors are shaped for the caller."""
    if isinstance(event, dict):
        context = event.get("requestContext")
        if isinstance(context, dict) and isinstance(context.get("http"), dict):
            domain = context.get("domainName")
            is_url = isinstance(domain, str) and ".lambda-url." in domain
            return FUNCTION_URL if is_url else HTTP_API
        if "httpMethod" in event:
            return REST_API
    return DIRECT


def read_request(event: object, kind: str) -> Request:
    """Extract the action and the parsed JSON payload, or raise the matching ``RequestError``."""
    if kind == DIRECT:
        return _direct_request(event)
    method = _method(event, kind)
    if method == "GET":
        return Request(kind, DESCRIBE_ACTION)
    if method != "POST":
        raise RequestError(
            405, "MethodNotAllowed", f"{quoted(method)} is not allowed; use GET or POST"
        )
    _check_content_type(event)
    return Request(kind, "predict", parse_json(_body_text(event)))


def parse_json(text: str) -> Any:
    """Strict JSON: no NaN/Infinity literals, no duplicate keys, bounded nesting."""
    try:
        return json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_unique_keys)
    except RequestError:
        raise
    except RecursionError:
        raise bad_request("InvalidJSON", "the body is nested too deeply") from None
    except ValueError as exc:
        raise bad_request("InvalidJSON", f"the body is not valid JSON: {exc}") from None


def _direct_request(event: object) -> Request:
    if not isinstance(event, dict):
        raise bad_request("InvalidEvent", "the event must be a JSON object")
    if event.get("action") == DESCRIBE_ACTION and len(event) == 1:
        return Request(DIRECT, DESCRIBE_ACTION)
    return Request(DIRECT, "predict", event)


def _method(event: dict[str, Any], kind: str) -> str:
    if kind == REST_API:
        method = event.get("httpMethod")
    else:
        method = event["requestContext"]["http"].get("method")
    if not isinstance(method, str) or not method:
        raise bad_request("InvalidEvent", "the event has no HTTP method")
    return method.upper()


def _headers(event: dict[str, Any]) -> dict[str, str]:
    """Header names lower-cased: REST APIs keep the caller's case, HTTP APIs lower-case them."""
    headers = event.get("headers")
    if not isinstance(headers, dict):
        return {}
    return {str(k).lower(): v for k, v in headers.items() if isinstance(v, str)}


def _check_content_type(event: dict[str, Any]) -> None:
    content_type = _headers(event).get("content-type")
    if content_type is None:
        return
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise RequestError(
            415,
            "UnsupportedMediaType",
            f"Content-Type {quoted(media_type)} is not application/json",
        )


def _body_text(event: dict[str, Any]) -> str:
    body = event.get("body")
    if body is None or body == "":
        raise bad_request("InvalidRequest", "the request has no body; send a JSON object")
    if not isinstance(body, str):
        raise bad_request("InvalidEvent", "the event body must be a string")
    if not event.get("isBase64Encoded"):
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


def _reject_constant(name: str) -> None:
    raise bad_request("InvalidJSON", f"{name} is not valid JSON; send finite numbers")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise bad_request("InvalidJSON", f"the key {quoted(key)} appears more than once")
        result[key] = value
    return result
