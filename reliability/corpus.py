"""The hostile-request corpus: every case is the exact bytes Lambda would hand the runtime.

Stored cases live in ``reliability/hostile_cases.jsonl`` (one readable JSON object per line);
cases too big or too regular to store (6 MB bodies, thousands of nesting levels, 5,000-digit
numbers) are generated here. An ``"entry": "http"`` case stands for three requests: the same
HTTP request through an API Gateway REST API (payload 1.0), an HTTP API (2.0) and a Function
URL, each built on the sample event of that entry point under ``events/``.
"""

from __future__ import annotations

import base64
import copy
import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CASES_FILE = ROOT / "reliability" / "hostile_cases.jsonl"
DIRECT = "direct"
HTTP_SAMPLES = {
    "rest-api": "apigw-rest-v1",
    "http-api": "apigw-http-v2",
    "function-url": "function-url",
}
# Lambda's synchronous invoke limit; generated bodies stay just under it with room for the event.
INVOKE_LIMIT_BYTES = 6 * 1024 * 1024
BIG_BODY_BYTES = INVOKE_LIMIT_BYTES - 8 * 1024
# Deeper than any Python JSON parser accepts (3.11 stops near 1,000 levels, 3.13 near 10,000),
# so every runtime refuses it the same way.
DEEP_LEVELS = 100_000
SETOSA = [5.1, 3.5, 1.4, 0.2]
NAMED_REST = '"sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2'
MAX_BATCH_ROWS = 1000


@dataclass(frozen=True)
class HostileCase:
    """One request and its exact expected answer.

    ``status`` is None when the runtime client refuses the payload before the handler runs (a
    function error of type ``error_type``); ``error_type`` is None for a 200, whose ``labels``
    are then checked too.
    """

    id: str
    entry: str
    raw: bytes
    status: int | None
    error_type: str | None
    labels: tuple[str, ...] | None = None

    @property
    def name(self) -> str:
        """A readable pytest id: entry point and case id."""
        return f"{self.entry}:{self.id}"


@functools.cache
def _sample(entry: str) -> dict[str, Any]:
    return json.loads((ROOT / "events" / f"{HTTP_SAMPLES[entry]}.json").read_text())


def http_event(entry: str, spec: dict[str, Any]) -> dict[str, Any]:
    """The sample event of ``entry`` with the method, headers and body ``spec`` gives.

    A key absent from ``spec`` keeps the sample's value; ``"content_type": null`` removes the
    header; ``body_base64`` is sent as is with ``isBase64Encoded: true``.
    """
    event = copy.deepcopy(_sample(entry))
    method = spec.get("method", "POST")
    if entry == "rest-api":
        event["httpMethod"] = method
        event["requestContext"]["httpMethod"] = method
    else:
        event["requestContext"]["http"]["method"] = method
    if "headers" in spec:
        event["headers"] = spec["headers"]
        event.pop("multiValueHeaders", None)
    if "content_type" in spec:
        event.pop("multiValueHeaders", None)
        headers = {k: v for k, v in event["headers"].items() if k.lower() != "content-type"}
        if spec["content_type"] is not None:
            headers["Content-Type" if entry == "rest-api" else "content-type"] = spec[
                "content_type"
            ]
        event["headers"] = headers
    if "body_base64" in spec:
        event.update(body=spec["body_base64"], isBase64Encoded=True)
    else:
        event.update(body=spec.get("body"), isBase64Encoded=False)
    return event


def _encode(event: Any) -> bytes:
    """The invoke payload: JSON as a client sends it (lone surrogates escaped, so valid UTF-8)."""
    return json.dumps(event).encode()


def _expand(spec: dict[str, Any]) -> Iterator[HostileCase]:
    """One ``HostileCase`` per entry point a spec stands for."""
    labels = tuple(spec["labels"]) if "labels" in spec else None
    expected = (spec["status"], spec["error_type"], labels)
    if spec["entry"] == DIRECT:
        if "event_base64" in spec:
            raw = base64.b64decode(spec["event_base64"])
        else:
            raw = spec["event"].encode("utf-8", "surrogatepass")
        yield HostileCase(spec["id"], DIRECT, raw, *expected)
        return
    entries = list(HTTP_SAMPLES) if spec["entry"] == "http" else [spec["entry"]]
    for entry in entries:
        yield HostileCase(spec["id"], entry, _encode(http_event(entry, spec)), *expected)


def stored_specs() -> list[dict[str, Any]]:
    """The hand-written cases, in file order."""
    lines = CASES_FILE.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _deep(levels: int) -> str:
    return "[" * levels + "]" * levels


def _padded(core: str, size: int) -> str:
    """``core`` (a JSON object text) grown to ``size`` characters with insignificant spaces."""
    return core[:-1] + " " * max(0, size - len(core)) + "}"


def _first_value(raw: str) -> str:
    """A one-row request whose first value is ``raw``, JSON text inserted verbatim."""
    return '{"features": [' + raw + ", 3.5, 1.4, 0.2]}"


def _rows_body(rows: int) -> str:
    return json.dumps({"instances": [SETOSA] * rows})


def generated_specs() -> list[dict[str, Any]]:
    """Cases built here rather than stored: big, deep or repetitive."""
    big_rows = BIG_BODY_BYTES // len(json.dumps(SETOSA) + ", ")
    big_key = "k" * BIG_BODY_BYTES
    many_keys = ", ".join(f'"f{i}": 0' for i in range(100_000))
    valid_big = _padded('{"features": [5.1, 3.5, 1.4, 0.2]}', BIG_BODY_BYTES)
    garbage = base64.b64encode(b"\xff" * (BIG_BODY_BYTES * 3 // 4)).decode()
    both = [
        ("deep-array-nesting", '{"features": ' + _deep(DEEP_LEVELS) + "}"),
        ("deep-object-nesting", '{"a": ' * DEEP_LEVELS + "1" + "}" * DEEP_LEVELS),
        ("integer-10-pow-400", _first_value(str(10**400))),
        ("integer-5000-digits", _first_value("9" * 5000)),
        ("batch-over-limit", _rows_body(MAX_BATCH_ROWS + 1)),
        ("batch-6mb", _rows_body(big_rows)),
        ("valid-row-padded-to-6mb", valid_big),
        ("feature-name-6mb", '{"features": {"' + big_key + '": 5.1, ' + NAMED_REST + "}}"),
        ("value-string-6mb", _first_value('"' + big_key + '"')),
        ("field-name-6mb", '{"' + big_key + '": 1}'),
        ("100k-unknown-feature-names", '{"features": {' + many_keys + "}}"),
        ("batch-at-limit", _rows_body(MAX_BATCH_ROWS)),
    ]
    direct_expected = {
        "deep-array-nesting": (None, "Runtime.UnmarshalError"),
        "deep-object-nesting": (None, "Runtime.UnmarshalError"),
        "integer-5000-digits": (None, "Runtime.UnmarshalError"),
    }
    http_expected = {
        "deep-array-nesting": (400, "InvalidJSON"),
        "deep-object-nesting": (400, "InvalidJSON"),
        "integer-5000-digits": (400, "InvalidJSON"),
    }
    common = {
        "integer-10-pow-400": (400, "InvalidFeatures"),
        "batch-over-limit": (413, "PayloadTooLarge"),
        "batch-6mb": (413, "PayloadTooLarge"),
        "valid-row-padded-to-6mb": (200, None),
        "feature-name-6mb": (400, "InvalidFeatures"),
        "value-string-6mb": (400, "InvalidFeatures"),
        "field-name-6mb": (400, "InvalidRequest"),
        "100k-unknown-feature-names": (400, "InvalidFeatures"),
        "batch-at-limit": (200, None),
    }
    labels = {
        "valid-row-padded-to-6mb": ["setosa"],
        "batch-at-limit": ["setosa"] * MAX_BATCH_ROWS,
    }
    specs: list[dict[str, Any]] = []
    for case_id, text in both:
        extra = {"labels": labels[case_id]} if case_id in labels else {}
        status, error = direct_expected.get(case_id) or common[case_id]
        specs.append(
            {"id": case_id, "entry": DIRECT, "event": text, "status": status, "error_type": error}
            | extra
        )
        status, error = http_expected.get(case_id) or common[case_id]
        specs.append(
            {"id": case_id, "entry": "http", "body": text, "status": status, "error_type": error}
            | extra
        )
    specs.append(
        {
            "id": "base64-6mb-non-utf8",
            "entry": "http",
            "body_base64": garbage,
            "status": 400,
            "error_type": "InvalidBody",
        }
    )
    specs.append(
        {
            "id": "base64-batch-6mb",
            "entry": "http",
            "body_base64": base64.b64encode(_rows_body(big_rows * 3 // 4).encode()).decode(),
            "status": 413,
            "error_type": "PayloadTooLarge",
        }
    )
    return specs


@functools.cache
def load_cases() -> tuple[HostileCase, ...]:
    """Every case of the corpus, stored then generated, expanded per entry point."""
    specs = stored_specs() + generated_specs()
    return tuple(case for spec in specs for case in _expand(spec))
