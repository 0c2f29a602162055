"""Compare one answer of the new version with what its probe expects: pure, no AWS.

Each function returns the list of problems found, empty when the answer is right, so the hook
can report every mismatch of a deployment at once instead of the first. Predictions are held to
the golden rows by the card's own ``golden_mismatches``, the check the function makes of itself
at init: one comparison, one tolerance.
"""

from __future__ import annotations

import json
from typing import Any

from onnx_serving.card import ModelCard, golden_mismatches, reference
from pre_traffic.probes import DESCRIBE, ERROR, GOLDEN, Probe


def answer_problems(
    probe: Probe, card: ModelCard, payload: bytes, function_error: str | None
) -> list[str]:
    """Everything wrong with the answer ``payload`` to ``probe``."""
    if function_error:
        return [f"{probe.name}: function error {function_error}: {payload[:300]!r}"]
    try:
        answer = json.loads(payload)
    except ValueError:
        return [f"{probe.name}: the answer is not JSON: {payload[:300]!r}"]
    status, body = _unwrap(answer) if probe.http else (None, answer)
    if probe.http and status is None:
        return [f"{probe.name}: not an HTTP response: {payload[:300]!r}"]
    if probe.expect == ERROR:
        return _error_problems(probe, status, body)
    if probe.http and status != 200:
        return [f"{probe.name}: HTTP {status}, expected 200: {str(body)[:300]}"]
    if probe.expect == DESCRIBE:
        return [f"{probe.name}: {p}" for p in describe_problems(body, card)]
    if probe.expect == GOLDEN:
        return [f"{probe.name}: {p}" for p in golden_mismatches(card, body, probe.rows)]
    raise ValueError(f"unknown expectation {probe.expect!r}")


# What a description must repeat of the card, besides its identity.
DESCRIBED = ("task", "features", "columns", "classes")


def describe_problems(body: Any, card: ModelCard) -> list[str]:
    """The model described must be the card's: identity, task, columns and classes."""
    model = body.get("model") if isinstance(body, dict) else None
    if not isinstance(model, dict):
        return [f"no model description in {str(body)[:300]}"]
    public = card.public()
    expected = {**reference(card), **{key: public[key] for key in DESCRIBED}}
    return [
        f"{key} is {model.get(key)!r}, the card says {value!r}"
        for key, value in expected.items()
        if model.get(key) != value
    ]


def _error_problems(probe: Probe, status: int | None, body: Any) -> list[str]:
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return [f"{probe.name}: expected a {probe.status} error, got {str(body)[:300]}"]
    found = (status if probe.http else error.get("status"), error.get("type"))
    expected = (probe.status, probe.error_type)
    problems = [] if found == expected else [f"{probe.name}: answered {found}, expected {expected}"]
    if probe.http and error.get("status") != status:
        problems.append(
            f"{probe.name}: body status {error.get('status')} differs from HTTP {status}"
        )
    if not isinstance(error.get("message"), str) or not error["message"]:
        problems.append(f"{probe.name}: the error has no message")
    return problems


def _unwrap(answer: Any) -> tuple[int | None, Any]:
    """HTTP status and parsed body of an API Gateway / Function URL response."""
    if not isinstance(answer, dict) or not isinstance(answer.get("statusCode"), int):
        return None, None
    try:
        return answer["statusCode"], json.loads(answer.get("body") or "null")
    except (TypeError, ValueError):
        return answer["statusCode"], answer.get("body")
