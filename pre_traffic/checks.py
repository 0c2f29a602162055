"""Compare one answer of the new version with what its probe expects: pure, no AWS.

Each function returns the list of problems found, empty when the answer is right, so the hook
can report every mismatch of a deployment at once instead of the first.

Probabilities are compared with the card's parity tolerance plus half the last digit the handler
prints: answers are rounded to 6 decimals, so a probability exactly at the tolerance can come
back up to 5e-7 further away.
"""

from __future__ import annotations

import json
import math
from typing import Any

from pre_traffic.card import HookCard
from pre_traffic.probes import DESCRIBE, ERROR, GOLDEN, Probe

ROUNDING = 0.5e-6


def answer_problems(
    probe: Probe, card: HookCard, payload: bytes, function_error: str | None
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
        return [f"{probe.name}: {p}" for p in prediction_problems(body, card, probe.rows)]
    raise ValueError(f"unknown expectation {probe.expect!r}")


def prediction_problems(body: Any, card: HookCard, rows: list[int]) -> list[str]:
    """The predictions must be the golden rows' answers, in order, from the card's model."""
    if not isinstance(body, dict) or not isinstance(body.get("predictions"), list):
        return [f"no predictions in {str(body)[:300]}"]
    problems = []
    if body.get("model") != card.model_ref:
        problems.append(f"answered for model {body.get('model')}, expected {card.model_ref}")
    predictions = body["predictions"]
    if len(predictions) != len(rows):
        return [*problems, f"{len(predictions)} predictions for {len(rows)} rows"]
    for index, prediction in zip(rows, predictions, strict=True):
        problems += [f"golden row {index}: {p}" for p in _golden_problems(prediction, card, index)]
    return problems


def describe_problems(body: Any, card: HookCard) -> list[str]:
    """The model described must be the card's: identity, features and classes."""
    model = body.get("model") if isinstance(body, dict) else None
    if not isinstance(model, dict):
        return [f"no model description in {str(body)[:300]}"]
    expected = {**card.model_ref, "features": card.feature_names, "classes": card.classes}
    return [
        f"{key} is {model.get(key)!r}, the card says {value!r}"
        for key, value in expected.items()
        if model.get(key) != value
    ]


def _golden_problems(prediction: Any, card: HookCard, index: int) -> list[str]:
    golden = card.golden_rows[index]
    if not isinstance(prediction, dict):
        return [f"not an object: {prediction!r}"]
    problems = []
    if prediction.get("label") != golden.label:
        problems.append(f"label {prediction.get('label')!r}, golden {golden.label!r}")
    probabilities = prediction.get("probabilities")
    if not isinstance(probabilities, dict) or sorted(probabilities) != sorted(card.classes):
        return [*problems, f"probabilities {probabilities!r} do not name the card's classes"]
    allowed = card.tolerance + ROUNDING
    for name, reference in golden.probabilities.items():
        value = probabilities[name]
        is_number = isinstance(value, int | float) and not isinstance(value, bool)
        if not is_number or not math.isfinite(value) or abs(value - reference) > allowed:
            problems.append(f"p({name}) = {value!r}, golden {reference!r} (allowed ±{allowed:.2g})")
    return problems


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
