"""Judge one marshalled answer: what it says (status, error type, labels) and what is wrong
with it (not strict JSON, a stack trace or an internal path, a malformed error body).

The same judge serves the corpus tests, the soak and the fuzz target, so all three hold every
answer to one standard.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from onnx_serving.metrics import COUNT_PREFIXES
from onnx_serving.metrics import MEMBERS as METRIC_MEMBERS
from tools.local_lambda.runner import strict_json

ROOT = Path(__file__).resolve().parents[2]
# Text that would betray the function's insides: Lambda's paths, Python tracebacks, this checkout.
FORBIDDEN = ("/var/task", "/var/runtime", "/opt/", "Traceback", '.py"', str(ROOT))
# Advice about the server's interpreter, meaningless to a caller: never in the function's own
# answers (the runtime client's refusal of a direct payload quotes Python's message as it is).
INTERPRETER_HINTS = ("set_int_max_str_digits",)
STATUSES = frozenset({200, 400, 405, 413, 415, 500})
HTTP_HEADERS = {
    "Content-Type": "application/json",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
# Error bodies quote at most a few short names; anything longer echoes the caller's payload.
MAX_ERROR_BYTES = 2048
ERROR_FIELDS = {"error", "request_id"}


@dataclass(frozen=True)
class Verdict:
    """``status`` None: a function error; ``labels`` None: not a prediction."""

    status: int | None
    error_type: str | None
    labels: tuple[str, ...] | None
    problems: tuple[str, ...] = ()


def as_expected(verdict: Verdict, expected: Verdict) -> Verdict:
    """``verdict`` in ``expected``'s terms (labels kept only where pinned), to compare with ==."""
    labels = verdict.labels if expected.labels is not None else None
    return Verdict(verdict.status, verdict.error_type, labels, verdict.problems)


def _error_problems(body: dict[str, Any], status: int, request_id: str, size: int) -> list[str]:
    problems = []
    if set(body) != ERROR_FIELDS:
        problems.append(f"error body has fields {sorted(body)}")
    if body.get("request_id") != request_id:
        problems.append(f"request_id {body.get('request_id')!r} is not {request_id!r}")
    if body["error"].get("status") != status:
        problems.append(f"error status {body['error'].get('status')} but answer status {status}")
    if size > MAX_ERROR_BYTES:
        problems.append(f"error answer is {size} bytes: it echoes the request")
    return problems


def _header_problems(response: dict[str, Any]) -> list[str]:
    """An HTTP answer's headers, single- or multi-value, must be exactly the ones it promises."""
    if "multiValueHeaders" in response:
        headers = {name: values[0] for name, values in response["multiValueHeaders"].items()}
        if any(len(values) != 1 for values in response["multiValueHeaders"].values()):
            return ["multi-value answer with a header given more than once"]
    else:
        headers = response.get("headers", {})
    missing = {k: v for k, v in HTTP_HEADERS.items() if headers.get(k) != v}
    return [f"HTTP answer without {name}: {value}" for name, value in missing.items()]


def judge(payload: bytes, function_error: str | None, request_id: str) -> Verdict:
    """What ``payload`` answers and everything wrong with it."""
    try:
        text = payload.decode("utf-8")
        document = strict_json(text)
    except ValueError as exc:
        return Verdict(None, None, None, (f"payload is not strict UTF-8 JSON: {exc}",))
    problems = [f"payload contains {s!r}" for s in FORBIDDEN if s in text]
    if function_error is not None:
        if document.get("stackTrace"):
            problems.append("function error carries a stack trace")
        return Verdict(None, document.get("errorType"), None, tuple(problems))
    problems += [f"answer contains {s!r}" for s in INTERPRETER_HINTS if s in text]
    if "statusCode" in document:
        status = document["statusCode"]
        problems += _header_problems(document)
        try:
            body = strict_json(document["body"])
        except (TypeError, ValueError) as exc:
            return Verdict(status, None, None, (*problems, f"body is not strict JSON: {exc}"))
    else:
        body = document
        status = body["error"]["status"] if isinstance(body, dict) and "error" in body else 200
    if status not in STATUSES:
        problems.append(f"status {status} is not one the function answers")
    if "error" in body:
        problems += _error_problems(body, status, request_id, len(payload))
        return Verdict(status, body["error"].get("type"), None, tuple(problems))
    # A regressor's predictions carry a value, no label.
    labels = tuple(p["label"] for p in body.get("predictions", []) if "label" in p)
    return Verdict(status, None, labels, tuple(problems))


LOG_FIELDS = frozenset({"level", "request_id", "event", "status", "rows", "latency_ms"})
ERROR_TYPES = frozenset(
    {
        "InvalidEvent",
        "InvalidBody",
        "InvalidJSON",
        "InvalidRequest",
        "InvalidFeatures",
        "MethodNotAllowed",
        "PayloadTooLarge",
        "UnsupportedMediaType",
        "InvalidHeaders",
    }
)
ENTRY_KINDS = frozenset({"direct", "rest-api", "http-api", "function-url", "alb"})


def log_problems(line: str, request_ids: set[str]) -> list[str]:
    """What is wrong with one request log line: it must hold only fields the function fills in
    from values it chose (ids, kinds, counts, known error types), so no part of a request can
    reach the log, whatever the request held.
    """
    try:
        record = json.loads(line)
    except ValueError:
        return [f"log line is not JSON: {line[:80]!r}"]
    problems = []
    fields = {key for key in record if not key.startswith(COUNT_PREFIXES)}
    if not fields <= LOG_FIELDS | METRIC_MEMBERS | {"error_type"}:
        problems.append(f"log record has fields {sorted(record)}")
    if record.get("request_id") not in request_ids:
        problems.append("log record without the request id")
    if record.get("event") not in ENTRY_KINDS:
        problems.append(f"log record with event {record.get('event')!r}")
    if record.get("error_type", "InvalidEvent") not in ERROR_TYPES:
        problems.append(f"log record with error type {record.get('error_type')!r}")
    if type(record.get("status")) is not int or type(record.get("rows")) is not int:
        problems.append("log record with a non-integer status or row count")
    return problems
