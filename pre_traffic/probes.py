"""The requests the hook sends a new version, each with the answer it must give.

The sample events under ``events/`` are the shapes of every entry point (a direct invoke, API
Gateway REST and HTTP APIs, a Function URL with a base64 body), but their rows are the demo's:
another model would refuse them. So the hook keeps each event's envelope and puts the card's
golden rows in it, and builds its bad requests from the card too (one value too many, a value of
the wrong type for its column, an empty batch, broken JSON, a wrong method, a wrong media type).
Golden rows carry numbers, strings and nulls as the card's columns take them, so every probe
works for any model, classifier or regressor, and every expected answer is exact: golden labels
and probabilities within the card's ``ANSWER_TOLERANCE`` or golden values within its
``VALUE_TOLERANCE``, the card's identity and columns, or one status with one error type.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

from onnx_serving.card import NUMBER, ModelCard

GOLDEN = "golden"
DESCRIBE = "describe"
ERROR = "error"


@dataclass(frozen=True)
class Probe:
    """One event for the new version and what its answer must be.

    ``expect`` is ``golden`` (the predictions of ``rows`` golden rows, by index), ``describe``
    (the card's identity and schema) or ``error`` (``status`` and ``error_type``). ``http`` says
    whether the answer comes wrapped in an HTTP response (statusCode, headers, body).
    """

    name: str
    event: dict[str, Any]
    expect: str
    http: bool
    rows: list[int] = field(default_factory=list)
    status: int = 200
    error_type: str = ""


def is_http(event: dict[str, Any]) -> bool:
    """API Gateway REST (``httpMethod``) or payload format 2.0 (``requestContext.http``)."""
    context = event.get("requestContext")
    return "httpMethod" in event or (isinstance(context, dict) and "http" in context)


def http_method(event: dict[str, Any]) -> str:
    """The method of an HTTP event, upper-cased."""
    if "httpMethod" in event:
        return str(event["httpMethod"]).upper()
    return str(event["requestContext"]["http"]["method"]).upper()


def with_method(event: dict[str, Any], method: str) -> dict[str, Any]:
    """A copy of an HTTP event with another method, wherever its format keeps it."""
    if "httpMethod" in event:
        return {**event, "httpMethod": method}
    context = event["requestContext"]
    return {**event, "requestContext": {**context, "http": {**context["http"], "method": method}}}


def with_body(event: dict[str, Any], text: str, content_type: str = "application/json") -> dict:
    """A copy of an HTTP POST event carrying ``text``, base64 if the envelope was."""
    headers = {k: v for k, v in (event.get("headers") or {}).items() if k.lower() != "content-type"}
    headers["content-type"] = content_type
    encoded = bool(event.get("isBase64Encoded"))
    body = base64.b64encode(text.encode()).decode() if encoded else text
    return {**event, "headers": headers, "body": body, "isBase64Encoded": encoded}


def build_probes(card: ModelCard, samples: dict[str, dict[str, Any]]) -> list[Probe]:
    """Direct probes from the card, then one per sample event, then bad requests."""
    rows = card.golden_rows
    everything = list(range(len(rows)))
    first = rows[0]["features"]
    named_first = dict(zip(card.feature_names, first, strict=True))
    probes = [
        Probe(
            "direct batch", {"instances": [r["features"] for r in rows]}, GOLDEN, False, everything
        ),
        Probe("direct row", {"features": first}, GOLDEN, False, [0]),
        Probe("direct named row", {"features": named_first}, GOLDEN, False, [0]),
        Probe("direct describe", {"action": "describe"}, DESCRIBE, False),
        _error(
            "direct, one value too many", {"features": [*first, first[-1]]}, 400, "InvalidFeatures"
        ),
        _error("direct, wrong type", {"features": wrong_type(card, first)}, 400, "InvalidFeatures"),
        _error("direct, empty batch", {"instances": []}, 400, "InvalidRequest"),
    ]
    posts = []
    for name, event in sorted(samples.items()):
        if not is_http(event):
            continue
        if http_method(event) == "GET":
            probes.append(Probe(f"{name} (GET)", event, DESCRIBE, True))
            continue
        posts.append(event)
        batch = json.dumps({"instances": [r["features"] for r in rows]})
        probes.append(
            Probe(f"{name} (golden rows)", with_body(event, batch), GOLDEN, True, everything)
        )
    if posts:
        post = posts[0]
        probes += [
            _error("HTTP, broken JSON", with_body(post, "{"), 400, "InvalidJSON", http=True),
            _error("HTTP, DELETE", with_method(post, "DELETE"), 405, "MethodNotAllowed", http=True),
            _error(
                "HTTP, text/plain",
                with_body(post, json.dumps({"features": first}), "text/plain"),
                415,
                "UnsupportedMediaType",
                http=True,
            ),
        ]
    return probes


def wrong_type(card: ModelCard, row: list[Any]) -> list[Any]:
    """``row`` with its first value of the other type: text for a number, a number for a string
    (both refused, whatever the model, before the model sees them)."""
    replacement: Any = "0" if card.columns[0].type == NUMBER else 0.0
    return [replacement, *row[1:]]


def _error(
    name: str, event: dict[str, Any], status: int, error_type: str, http: bool = False
) -> Probe:
    return Probe(name, event, ERROR, http, status=status, error_type=error_type)
