"""Answer one BatchFunction event: read its shape, score each job, log one line per job."""

from __future__ import annotations

import json
import sys
from typing import Any

from ..answers import Model
from ..errors import RequestError
from .events import S3_NOTIFICATION, FileJob, read_event
from .metrics import JobMetrics
from .scoring import Batch, score_file, score_rows
from .settings import BatchSettings


def handle(
    event: object,
    context: object,
    model: Model,
    s3: Any,
    settings: BatchSettings,
    metrics: JobMetrics | None = None,
) -> dict[str, Any]:
    """The summary of each job; an event that is not a batch event gets the error shape.

    ``metrics``, made at init, adds each job's CloudWatch metrics to its log line.

    Refused files are answers, not exceptions: retrying a bad file cannot help. What raises is
    what a retry can fix (S3 throttling or outages after the client's own retries), and Lambda's
    retries of asynchronous events then rewrite the same output.
    """
    request_id = str(getattr(context, "aws_request_id", "local"))
    try:
        shape, jobs = read_event(event, settings.output_prefix)
    except RequestError as exc:
        _log(
            {
                "level": "INFO",
                "request_id": request_id,
                "status": exc.status,
                "error_type": exc.error_type,
            }
        )
        return exc.body(request_id)
    batch = Batch.for_invocation(model, s3, settings, context)
    summaries = []
    for job in jobs:
        summary = score_file(job, batch) if isinstance(job, FileJob) else score_rows(job, batch)
        summaries.append(summary)
        if settings.log_files or summary["status"] != "scored":
            record = {
                "level": "INFO",
                "request_id": request_id,
                "event": shape,
                **{k: summary[k] for k in ("status", "input", "rows", "rejected", "seconds")},
            }
            _log(record if metrics is None else metrics.line(record))
    return {"files": summaries} if shape == S3_NOTIFICATION else summaries[0]


def _log(record: dict[str, Any] | str) -> None:
    """One JSON line (a record, or a line already written): what happened, never a row's content."""
    sys.stdout.write((record if isinstance(record, str) else json.dumps(record)) + "\n")
    sys.stdout.flush()
