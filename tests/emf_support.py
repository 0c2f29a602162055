"""Check request log lines as CloudWatch would read them, and against the answers they count.

``emf_problems`` is the Embedded Metric Format: ``emf_schema.json`` (written from the
specification) plus what a JSON Schema cannot say, that every name a directive references is a
member of the root node of the right type. ``count_problems`` is what the metrics must say about
one request, derived from its answer alone: rows, per-class counts, out-of-range counts, errors.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from onnx_serving.metrics import BIN_PREFIX, MISSING_PREFIX, OUT_OF_RANGE_PREFIX, PREDICTED_PREFIX

SCHEMA = json.loads((Path(__file__).parent / "emf_schema.json").read_text())
VALIDATOR = Draft202012Validator(SCHEMA)
# The specification: dimension targets are strings of at most 1024 characters; metric targets
# are numbers or arrays of at most 100 numbers.
DIMENSION_VALUE_CHARS = 1024
VALUES_PER_METRIC = 100
# Members of a line whose values are counts and that the metrics derive from the answer.
COUNTED = ("rows", "client_errors", "server_errors", "out_of_range_rows")


def emf_problems(record: dict[str, Any]) -> list[str]:
    """Why ``record`` is not a valid EMF document; empty when it is."""
    problems = [error.message for error in VALIDATOR.iter_errors(record)]
    if problems:
        return problems
    for directive in record["_aws"]["CloudWatchMetrics"]:
        for key in {key for dimensions in directive["Dimensions"] for key in dimensions}:
            value = record.get(key)
            if not isinstance(value, str) or len(value) > DIMENSION_VALUE_CHARS:
                problems.append(f"dimension {key!r} is {value!r:.60}, not a string target")
        for definition in directive["Metrics"]:
            if not _is_metric_value(record.get(definition["Name"])):
                problems.append(f"metric {definition['Name']!r} has no numeric target")
    return problems


def _is_metric_value(value: object) -> bool:
    if isinstance(value, list):
        return len(value) <= VALUES_PER_METRIC and all(map(_is_number, value))
    return _is_number(value)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def declared(record: dict[str, Any]) -> dict[str, set[tuple[str, ...]]]:
    """Each metric the line declares, with every dimension set it is published under."""
    sets: dict[str, set[tuple[str, ...]]] = {}
    for directive in record["_aws"]["CloudWatchMetrics"]:
        for definition in directive["Metrics"]:
            names = sets.setdefault(definition["Name"], set())
            names.update(tuple(dimensions) for dimensions in directive["Dimensions"])
    return sets


def expected_counts(status: int, body: dict[str, Any], has_ranges: bool) -> dict[str, int]:
    """The count members a request's line must hold, from the answer the caller got."""
    predictions = body.get("predictions", []) if status == 200 else []
    counts = {
        "rows": len(predictions),
        "client_errors": int(400 <= status < 500),
        "server_errors": int(status >= 500),
    }
    outside = [p.get("out_of_range", []) for p in predictions]
    if has_ranges:
        counts["out_of_range_rows"] = sum(1 for names in outside if names)
    for label, n in Counter(p["label"] for p in predictions).items():
        counts[PREDICTED_PREFIX + label] = n
    for name, n in Counter(name for names in outside for name in names).items():
        counts[OUT_OF_RANGE_PREFIX + name] = n
    return counts


def counted(record: dict[str, Any]) -> dict[str, int]:
    """The count members of a log line."""
    return {
        key: value
        for key, value in record.items()
        if key in COUNTED or key.startswith((PREDICTED_PREFIX, OUT_OF_RANGE_PREFIX))
    }


def count_problems(record: dict[str, Any], status: int, body: dict[str, Any]) -> list[str]:
    """How the line's counts differ from what the answer says; empty when they agree."""
    problems = []
    wanted = expected_counts(status, body, "out_of_range_rows" in record)
    if counted(record) != wanted:
        problems.append(f"counts {counted(record)} where the answer says {wanted}")
    predicted = sum(v for k, v in record.items() if k.startswith(PREDICTED_PREFIX))
    if predicted != record["rows"]:
        problems.append(f"{predicted} rows counted by class, {record['rows']} answered")
    for feature, in_bins in _bin_totals(record).items():
        holding = record["rows"] - record.get(MISSING_PREFIX + feature, 0)
        if in_bins != holding:
            problems.append(f"{in_bins} rows counted in {feature}'s bins, {holding} hold a value")
    error_type = body.get("error", {}).get("type") if status != 200 else None
    if record.get("error_type") != error_type:
        problems.append(f"error type {record.get('error_type')!r}, answered {error_type!r}")
    if error_type is not None:
        errors = "server_errors" if status >= 500 else "client_errors"
        if ("model", "model_version", "error_type") not in declared(record).get(errors, set()):
            problems.append(f"{errors} is not published by error type")
    return problems


def _bin_totals(record: dict[str, Any]) -> dict[str, int]:
    """Per feature, the rows the line counts in its bins (``bin:<feature>#<bin>``)."""
    totals: Counter[str] = Counter()
    for key, value in record.items():
        if key.startswith(BIN_PREFIX):
            totals[key[len(BIN_PREFIX) :].rpartition("#")[0]] += value
    return dict(totals)


def status_and_body(answer: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """The status and body of a handler's answer, direct or HTTP."""
    if "statusCode" in answer:
        return answer["statusCode"], json.loads(answer["body"])
    status = answer["error"]["status"] if "error" in answer else 200
    return status, answer


def line_problems(line: str, answer: dict[str, Any]) -> list[str]:
    """Everything wrong with one request's log line, given the answer the caller got."""
    record = json.loads(line)
    problems = emf_problems(record)
    return problems or count_problems(record, *status_and_body(answer))
