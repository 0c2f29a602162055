"""The hostile-request corpus: every case is the exact bytes Lambda would hand the runtime.

Stored cases live in ``tools/reliability/hostile_cases.jsonl`` (one readable JSON object per line);
cases too big or too regular to store (6 MB bodies, thousands of nesting levels, 5,000-digit
numbers) are generated here. An ``"entry": "http"`` case stands for four requests: the same
HTTP request through an API Gateway REST API (payload 1.0), an HTTP API (2.0), a Function URL
and an ALB, each built on the sample event of that entry point under ``events/``.
"""

from __future__ import annotations

import base64
import copy
import functools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from onnx_serving.card import (
    MAX_STRING_CHARS,
    MISSING_STRING,
    NUMBER,
    STRING,
    UNKNOWN_ERROR,
    Column,
    ModelCard,
)
from tools.example_rows import example_objects

ROOT = Path(__file__).resolve().parents[2]
CASES_FILE = ROOT / "tools" / "reliability" / "hostile_cases.jsonl"
DIRECT = "direct"
HTTP_SAMPLES = {
    "rest-api": "apigw-rest-v1",
    "http-api": "apigw-http-v2",
    "function-url": "function-url",
    "alb": "alb",
}
# Lambda's synchronous invoke limit; generated bodies stay just under it with room for the event.
INVOKE_LIMIT_BYTES = 6 * 1024 * 1024
BIG_BODY_BYTES = INVOKE_LIMIT_BYTES - 8 * 1024
# Deeper than any Python JSON parser accepts (3.11 stops near 1,000 levels, 3.13 near 10,000),
# so every runtime refuses it the same way.
DEEP_LEVELS = 100_000
# The stored and generated cases are written for the Iris demo's four features: what a case of
# a 200 or of InvalidFeatures answers depends on the model (``model_bound``).
CORPUS_FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
SETOSA = [5.1, 3.5, 1.4, 0.2]
NAMED_REST = '"sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2'
MAX_BATCH_ROWS = 1000
# Cases sized against the body bounds of the Iris demo's card: MAX_BATCH_ROWS rows of four
# features, and integers no longer than the largest float32's digits (a float64 card allows 309).
CARD_BOUND_IDS = frozenset(
    {
        "one-array-over-the-bound",
        "one-comma-over-the-bound",
        "commas-at-the-bound",
        "integer-of-40-digits",
        "negative-integer-of-40-digits",
    }
)


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
def _sample(name: str) -> dict[str, Any]:
    return json.loads((ROOT / "events" / f"{name}.json").read_text())


def http_event(entry: str, spec: dict[str, Any]) -> dict[str, Any]:
    """The sample event of ``entry`` (or ``spec["sample"]``) with the method, headers and body
    ``spec`` gives.

    A key absent from ``spec`` keeps the sample's value; ``headers`` and ``multi_value_headers``
    replace the sample's header maps as given; ``"content_type": null`` removes the header;
    ``body_base64`` is sent as is with ``isBase64Encoded: true``; ``event_fields`` are set last,
    as given (to send a malformed field).
    """
    event = copy.deepcopy(_sample(spec.get("sample", HTTP_SAMPLES[entry])))
    method = spec.get("method", "POST")
    if entry in ("rest-api", "alb"):
        event["httpMethod"] = method
        if entry == "rest-api":
            event["requestContext"]["httpMethod"] = method
    else:
        event["requestContext"]["http"]["method"] = method
    if "headers" in spec or "multi_value_headers" in spec:
        event.pop("headers", None)
        event.pop("multiValueHeaders", None)
        if "headers" in spec:
            event["headers"] = spec["headers"]
        if "multi_value_headers" in spec:
            event["multiValueHeaders"] = spec["multi_value_headers"]
    if "content_type" in spec:
        _set_content_type(event, entry, spec["content_type"])
    if "body_base64" in spec:
        event.update(body=spec["body_base64"], isBase64Encoded=True)
    else:
        event.update(body=spec.get("body"), isBase64Encoded=False)
    event.update(spec.get("event_fields", {}))
    return event


def _set_content_type(event: dict[str, Any], entry: str, value: str | None) -> None:
    """Replace every Content-Type of the event (either header map) with ``value``, or none."""
    multi_only = "headers" not in event and isinstance(event.get("multiValueHeaders"), dict)
    if not multi_only:
        event.pop("multiValueHeaders", None)
    field = "multiValueHeaders" if multi_only else "headers"
    headers = {k: v for k, v in event[field].items() if k.lower() != "content-type"}
    if value is not None:
        headers["Content-Type" if entry == "rest-api" else "content-type"] = (
            [value] if multi_only else value
        )
    event[field] = headers


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


def invoke_payload(entry: str, body: str, encoded: bool = False) -> bytes:
    """The invoke payload: the body itself, or an HTTP API event around it (base64 or not).

    A base64 body is ``body``'s bytes, surrogate escapes standing for raw non-UTF-8 bytes.
    """
    if entry == DIRECT:
        return body.encode()
    if encoded:
        raw = base64.b64encode(body.encode("utf-8", "surrogateescape")).decode()
        return json.dumps(http_event(entry, {"body_base64": raw})).encode()
    return json.dumps(http_event(entry, {"body": body})).encode()


def fitted_payload(entry: str, body: Callable[[int], str], encoded: bool = False) -> bytes:
    """The payload of ``body(n)`` for the largest ``n`` whose payload fits the invoke limit.

    Payload size grows linearly in ``n`` (or not at all: then ``n`` does not matter); two probes
    give the slope, then ``n`` steps down until the payload fits (JSON escaping can make the last
    unit a few bytes larger than the slope).
    """
    probe = 100_000

    def size(n: int) -> int:
        return len(invoke_payload(entry, body(n), encoded))

    small, large = size(probe), size(2 * probe)
    if large == small:
        return invoke_payload(entry, body(probe), encoded)
    slope = (large - small) / probe
    n = int((INVOKE_LIMIT_BYTES - (small - probe * slope)) / slope)
    while len(payload := invoke_payload(entry, body(n), encoded)) > INVOKE_LIMIT_BYTES:
        n -= max(1, n // 10_000)
    return payload


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
    # The body bounds of MAX_BATCH_ROWS rows of the four Iris features (events.BodyBounds): one
    # array per row plus two, four commas per row.
    commas = MAX_BATCH_ROWS * len(SETOSA)
    rows = [json.dumps(SETOSA)] * (MAX_BATCH_ROWS - 1)
    one_array_over = '{"instances": [' + ", ".join([*rows, "[[5.1], 3.5, 1.4, 0.2]"]) + "]}"
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
        ("100k-request-fields", "{" + many_keys + "}"),
        ("batch-at-limit", _rows_body(MAX_BATCH_ROWS)),
        ("integer-4301-digits", _first_value("9" * 4301)),
        ("one-array-over-the-bound", one_array_over),
        ("one-comma-over-the-bound", '{"features": [' + ", ".join(["0.5"] * (commas + 2)) + "]}"),
        ("commas-at-the-bound", '{"features": [' + ", ".join(["0.5"] * (commas + 1)) + "]}"),
        ("tiny-objects-6mb", '{"instances": [' + ", ".join(["{}"] * (BIG_BODY_BYTES // 4)) + "]}"),
    ]
    direct_expected = {
        "deep-array-nesting": (None, "Runtime.UnmarshalError"),
        "deep-object-nesting": (None, "Runtime.UnmarshalError"),
        "integer-5000-digits": (None, "Runtime.UnmarshalError"),
        "integer-4301-digits": (None, "Runtime.UnmarshalError"),
        "integer-10-pow-400": (400, "InvalidFeatures"),
        "100k-unknown-feature-names": (400, "InvalidFeatures"),
        "100k-request-fields": (400, "InvalidRequest"),
        "one-array-over-the-bound": (400, "InvalidFeatures"),
        "one-comma-over-the-bound": (400, "InvalidFeatures"),
        "tiny-objects-6mb": (413, "PayloadTooLarge"),
    }
    # HTTP bodies are bounded before they are parsed (events.BodyBounds): more arrays, objects or
    # commas than MAX_BATCH_ROWS rows can hold is a 413 without a parse, and an integer longer
    # than the largest float32 is refused before it is converted (events.MAX_INTEGER_DIGITS).
    http_expected = {
        "deep-array-nesting": (413, "PayloadTooLarge"),
        "deep-object-nesting": (413, "PayloadTooLarge"),
        "integer-5000-digits": (400, "InvalidJSON"),
        "integer-4301-digits": (400, "InvalidJSON"),
        "integer-10-pow-400": (400, "InvalidJSON"),
        "100k-unknown-feature-names": (413, "PayloadTooLarge"),
        "100k-request-fields": (413, "PayloadTooLarge"),
        "one-array-over-the-bound": (413, "PayloadTooLarge"),
        "one-comma-over-the-bound": (413, "PayloadTooLarge"),
        "tiny-objects-6mb": (413, "PayloadTooLarge"),
    }
    common = {
        "batch-over-limit": (413, "PayloadTooLarge"),
        "batch-6mb": (413, "PayloadTooLarge"),
        "valid-row-padded-to-6mb": (200, None),
        "feature-name-6mb": (400, "InvalidFeatures"),
        "value-string-6mb": (400, "InvalidFeatures"),
        "field-name-6mb": (400, "InvalidRequest"),
        "batch-at-limit": (200, None),
        "commas-at-the-bound": (400, "InvalidFeatures"),
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


def typed_specs(card: ModelCard) -> list[dict[str, Any]]:
    """Cases for the typed columns of ``card``, each on the first column it applies to: a
    string column sent a number, a number column sent a string, a category the model does not
    know (where unknown ones are refused), a string over ``MAX_STRING_CHARS`` and one of 6 MB,
    a missing value (null, and "" in a string column) where the column allows none: all 400
    ``InvalidFeatures``; a missing value where the column allows it: 200.

    Every case is one named row built on an example row of the model, so that only the value
    under test is wrong; a card whose columns allow none of them gives none.
    """
    base = example_objects(card, 1, seed=7)[0]
    strings = [c for c in card.columns if c.type == STRING]
    numbers = [c for c in card.columns if c.type == NUMBER]
    refusing = [c for c in strings if c.categories and c.unknown == UNKNOWN_ERROR]
    required = [c for c in card.columns if not c.missing]
    optional = [c for c in card.columns if c.missing]
    candidates: list[tuple[str, list[Column], Any, int, str | None]] = [
        ("string-column-sent-a-number", strings, 7, 400, "InvalidFeatures"),
        ("number-column-sent-a-string", numbers, "7", 400, "InvalidFeatures"),
        ("unknown-category", refusing, "not-a-category-of-this-model", 400, "InvalidFeatures"),
        (
            "string-over-the-length-limit",
            strings,
            "s" * (MAX_STRING_CHARS + 1),
            400,
            "InvalidFeatures",
        ),
        ("string-6mb", strings, "s" * BIG_BODY_BYTES, 400, "InvalidFeatures"),
        ("missing-where-not-allowed", required, None, 400, "InvalidFeatures"),
        (
            "empty-string-where-not-allowed",
            [c for c in required if c in strings],
            MISSING_STRING,
            400,
            "InvalidFeatures",
        ),
        ("missing-where-allowed", optional, None, 200, None),
    ]
    specs = []
    for case_id, columns, value, status, error_type in candidates:
        if not columns:
            continue
        text = json.dumps({"features": base | {columns[0].name: value}})
        for entry, field in ((DIRECT, "event"), ("http", "body")):
            specs.append(
                {
                    "id": f"typed-{case_id}",
                    "entry": entry,
                    field: text,
                    "status": status,
                    "error_type": error_type,
                }
            )
    return specs


def typed_cases(card: ModelCard) -> tuple[HostileCase, ...]:
    """``typed_specs(card)`` expanded per entry point."""
    return tuple(case for spec in typed_specs(card) for case in _expand(spec))


def model_bound(case: HostileCase) -> bool:
    """Whether the answer ``case`` expects holds only for a model taking the corpus's features:
    a prediction, a refusal of the row's values, or a body sized against the bounds its card
    gives (``events.BodyBounds``)."""
    return case.status == 200 or case.error_type == "InvalidFeatures" or case.id in CARD_BOUND_IDS


def cases_for(card: ModelCard) -> tuple[HostileCase, ...]:
    """The corpus as it applies to the model of ``card``: every case for a model taking the
    Iris features as float32 numbers, else the cases no model changes the answer of; then the typed
    cases of ``card``."""
    corpus_model = (
        card.feature_names == CORPUS_FEATURES and card.all_numbers and card.number_type == "float32"
    )
    kept = tuple(case for case in load_cases() if corpus_model or not model_bound(case))
    return kept + typed_cases(card)


@functools.cache
def load_cases() -> tuple[HostileCase, ...]:
    """Every case of the corpus, stored then generated, expanded per entry point."""
    specs = stored_specs() + generated_specs()
    return tuple(case for spec in specs for case in _expand(spec))
