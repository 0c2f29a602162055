"""The ONNX function with its metrics switched off, for the benchmark's overhead comparison.

``metrics_overhead.without_metrics`` copies the built function, renames its ``app.py`` to
``served_app.py`` and puts this file in its place: init is the served function's own (same
model, settings and limits), and each request goes through the same ``handle`` without the
``RequestMetrics``, so the log line is the one written before the metrics existed.
"""

from served_app import LIMITS, MODEL, SETTINGS

from onnx_serving.handler import handle


def handler(event: object, context: object) -> dict:
    """Answer exactly as the served function does, with a log line that carries no metrics."""
    return handle(event, context, MODEL, SETTINGS, LIMITS)
