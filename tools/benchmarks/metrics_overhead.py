"""What the request lines' CloudWatch metrics cost: bytes per line, price, and warm latency.

The function's one log line per request carries its metrics (``onnx_serving.metrics``). They
cost in three ways, each measured by ``make benchmark``:

- *bytes*: every byte of the line is billed as log ingestion. ``warm_lines`` writes the warm
  line of each case in process, with the served model and the function's own code, with and
  without metrics;
- *money*: the added bytes at the log ingestion list price (``LineBytes.usd_per_million``); the
  custom metrics are a fixed monthly price per metric that does not grow with traffic;
- *latency*: the local benchmark's warm contenders include ``onnx-no-metrics``, the built
  function with the metrics switched off in its own copy (``without_metrics``; the probe
  ``no_metrics_app.py``), measured through the runtime client beside the served function.
"""

from __future__ import annotations

import io
import json
import shutil
from contextlib import redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from onnx_serving.answers import RequestLimits
from onnx_serving.handler import ServingSettings, handle
from onnx_serving.metrics import RequestMetrics
from onnx_serving.model import load_model
from tools.benchmarks.packages import BUILD, PROBES, ROOT, Contender

NO_METRICS = "onnx-no-metrics"
NO_METRICS_APP = PROBES / "no_metrics_app.py"
# The served function's entry point, renamed in the copy so the probe can import its init.
SERVED_APP = "served_app.py"
HTTP_API_EVENT = ROOT / "events" / "apigw-http-v2.json"
ONE_ROW_DIRECT, ONE_ROW_HTTP, HUNDRED_ROWS = "1 row, direct", "1 row, HTTP API", "100 rows, direct"
NAMESPACE = "onnx-lambda/onnx-lambda"
# CloudWatch list prices, US East, first tiers: log ingestion (Standard class; Lambda's logs are
# billed in volume tiers starting at this price) per GB, and a custom metric per month for the
# first 10,000 (aws.amazon.com/cloudwatch/pricing, read 2026-12-04). EMF adds no charge per value.
LOG_INGESTION_USD_PER_GB = 0.50
CUSTOM_METRIC_USD_PER_MONTH = 0.30
PRICES_READ = "2026-12-04"
GB = 10**9


@dataclass(frozen=True)
class LineBytes:
    """A warm request's log line, in bytes (newline included), without and with its metrics."""

    without: int
    with_metrics: int

    @property
    def added(self) -> int:
        """Bytes the metrics add to the line."""
        return self.with_metrics - self.without

    @property
    def usd_per_million(self) -> float:
        """Log ingestion of the added bytes, per million requests."""
        return self.added * 1_000_000 / GB * LOG_INGESTION_USD_PER_GB


def case_events(rows: list[list[Any]]) -> dict[str, object]:
    """The measured requests, from rows of the served model (one row first, at least 100)."""
    one = {"features": rows[0]}
    http = json.loads(HTTP_API_EVENT.read_text())
    http["body"] = json.dumps(one)
    http["headers"]["content-length"] = str(len(http["body"]))
    return {
        ONE_ROW_DIRECT: one,
        ONE_ROW_HTTP: http,
        HUNDRED_ROWS: {"instances": rows[:100]},
    }


def warm_lines(model_dir: Path, events: dict[str, object]) -> dict[str, tuple[str, str]]:
    """Each event's warm log line without and with metrics, written by the function's code."""
    model = load_model(model_dir)
    settings = ServingSettings()
    limits = RequestLimits.of(model.card, settings.max_batch_rows)
    metrics = RequestMetrics(model.card, NAMESPACE, 100.0)
    context = SimpleNamespace(aws_request_id="8b7f8c1e-3c2a-4b7e-9d0e-2f1a6c5d4e3b")

    def logged(event: object, with_metrics: RequestMetrics | None) -> str:
        out = io.StringIO()
        with redirect_stdout(out):
            handle(event, context, model, settings, limits, with_metrics)
        return out.getvalue()

    logged(next(iter(events.values())), metrics)  # the first line of an environment is larger
    return {name: (logged(event, None), logged(event, metrics)) for name, event in events.items()}


def line_bytes(lines: dict[str, tuple[str, str]]) -> dict[str, LineBytes]:
    """The bytes of each case's lines (``warm_lines``), newline included."""
    return {
        name: LineBytes(len(without.encode()), len(with_metrics.encode()))
        for name, (without, with_metrics) in lines.items()
    }


def without_metrics(onnx: Contender) -> Contender:
    """A copy of the built function whose handler writes its line without metrics."""
    task_root = BUILD / "functions" / NO_METRICS
    shutil.rmtree(task_root, ignore_errors=True)
    shutil.copytree(onnx.task_root, task_root)
    # Its compiled app.py would shadow the probe's (the build's .pyc skip the source check).
    for compiled in (task_root / "__pycache__").glob("app.*.pyc"):
        compiled.unlink()
    (task_root / "app.py").rename(task_root / SERVED_APP)
    shutil.copyfile(NO_METRICS_APP, task_root / "app.py")
    return Contender(NO_METRICS, task_root, onnx.layers)
