"""Answer one event: read it, validate its rows, predict, shape the response, log one line.

``handle`` is the whole request path of the online function, and each step is one module of
this package: ``events`` reads the event into a ``Request`` (entry point, headers, bounded strict
JSON), ``rows`` checks its rows and turns them into the graph's inputs, ``answers`` predicts and
shapes the answer for the entry point, ``errors`` is the one error shape. Settings come from the
environment once, at init. Kept apart from ``app.py`` so that the pickle baseline serves the very
same request handling with another model backend, and benchmarks compare backends, not code
paths. The OpenAPI description is built only when asked for (``GET /openapi.json``): no init pays
for a document that most functions never serve.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from collections.abc import Mapping
from typing import Any, NamedTuple

from .answers import (
    COMPACT,
    Answer,
    Model,
    RequestLimits,
    RowLimit,
    predicted,
    render,
)
from .errors import RequestError, error_body
from .events import (
    ALB,
    DESCRIBE_ACTION,
    OPENAPI_ACTION,
    Request,
    event_kind,
    is_multi_value,
    read_request,
)
from .metrics import RequestMetrics
from .rows import answer_layout, request_rows, to_columns

DEFAULT_MAX_BATCH_ROWS = 1000
# The largest MAX_BATCH_ROWS any model can honour through API Gateway or a Function URL: the most
# rows whose answer fits in 6 MB for the most compact card there can be (two one-letter classes,
# one one-letter feature; answers.worst_answer_size). The template's MaxBatchRows stops there too.
MAX_BATCH_ROWS_LIMIT = 67_647
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class ServingSettings(NamedTuple):
    """Per-deployment knobs, read once at init from the environment."""

    max_batch_rows: int = DEFAULT_MAX_BATCH_ROWS
    log_requests: bool = True

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ServingSettings:
        """A bad setting is a deployment mistake: fail init with a message, not each request."""
        raw_rows = env.get("MAX_BATCH_ROWS", str(DEFAULT_MAX_BATCH_ROWS))
        if not raw_rows.isdigit() or not 1 <= int(raw_rows) <= MAX_BATCH_ROWS_LIMIT:
            raise ValueError(
                f"MAX_BATCH_ROWS must be an integer from 1 to {MAX_BATCH_ROWS_LIMIT}, "
                f"got {raw_rows!r}"
            )
        level = env.get("LOG_LEVEL", "INFO").upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"LOG_LEVEL must be one of {LOG_LEVELS}, got {level!r}")
        return cls(max_batch_rows=int(raw_rows), log_requests=level in ("DEBUG", "INFO"))


def handle(
    event: object,
    context: object,
    model: Model,
    settings: ServingSettings,
    limits: RequestLimits | None = None,
    metrics: RequestMetrics | None = None,
) -> dict[str, Any]:
    """The whole request path; never raises, whatever ``event`` is.

    ``limits`` are computed at init by the entry point; without them they are computed here.
    ``metrics``, made at init too, adds CloudWatch metrics to the log line, and its counter
    counts the rows per feature bin for them; without it the line carries none and no row is
    counted.
    """
    started = time.perf_counter()
    request_id = str(getattr(context, "aws_request_id", "local"))
    kind = event_kind(event)
    multi_value = kind == ALB and is_multi_value(event)
    limits = limits or RequestLimits.of(model.card, settings.max_batch_rows)
    rows = 0
    detail = None
    try:
        request = read_request(event, kind, limits.body_bounds[kind])
        status, body, rows = 200, *_answer(request, model, limits.row_limits[kind], metrics)
    except RequestError as exc:
        status, body = exc.status, exc.body(request_id)
    except Exception:
        status = 500
        body = error_body(500, "InternalError", "the model could not answer; see logs", request_id)
        detail = traceback.format_exc()
    if detail or status != 200 or settings.log_requests:
        _log(request_id, kind, status, rows, started, body, detail, metrics)
    return render(kind, status, body, multi_value)


def _answer(
    request: Request, model: Model, row_limit: RowLimit, metrics: RequestMetrics | None
) -> tuple[dict[str, Any] | Answer, int]:
    card = model.card
    if request.action == DESCRIBE_ACTION:
        return {"model": card.public()}, 0
    if request.action == OPENAPI_ACTION:
        from .openapi import openapi_document

        return openapi_document(card, row_limit.rows), 0
    rows, where = request_rows(request.payload, card, row_limit.rows, row_limit.reason)
    layout = answer_layout(request.payload)
    bins = metrics.bins if metrics is not None else None
    answer = predicted(model, to_columns(rows, where, card), layout, bins)
    return answer, len(answer)


def _log(
    request_id: str,
    kind: str,
    status: int,
    rows: int,
    started: float,
    body: dict[str, Any] | Answer,
    detail: str | None,
    metrics: RequestMetrics | None,
) -> None:
    """One JSON line per request: what happened, never what was sent."""
    record: dict[str, Any] = {
        "level": "ERROR" if status >= 500 else "INFO",
        "request_id": request_id,
        "event": kind,
        "status": status,
        "rows": rows,
        "latency_ms": round((time.perf_counter() - started) * 1000, 3),
    }
    if isinstance(body, dict) and "error" in body:
        record["error_type"] = body["error"]["type"]
    if detail:
        record["traceback"] = detail
    if metrics is None:
        line = json.dumps(record, separators=COMPACT)
    else:
        line = metrics.line(record, None if isinstance(body, dict) else body)
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
