"""Lambda entry point: the model is loaded and checked once, at init, then serves every event.

A model that is missing, corrupted or not the one its card describes, or a bad setting, fails
init: Lambda reports an init error instead of a function that answers 500 forever. The error
invokers see names the problem and the model's files, without stack frames
(``model.init_failure``). Everything else lives in the ``onnx_serving`` package beside this file
(``/var/task``); docs/serving.md follows one request through it. Paths are plain strings here and
in the package: ``pathlib`` is not otherwise imported in the Lambda process, and importing it
would add to every cold start.
"""

import os
import time

# The model module first: it imports onnxruntime right after numpy, before the request path's
# modules, the order that keeps init's peak RSS lowest (docs/serving.md).
from onnx_serving.model import init_failure, load_model  # isort: split

from onnx_serving import INIT_STARTED
from onnx_serving.answers import RequestLimits
from onnx_serving.handler import ServingSettings, handle
from onnx_serving.metrics import RequestMetrics, namespace_from_env

MODEL_DIR = os.path.normpath(
    os.environ.get("MODEL_DIR") or os.path.dirname(os.path.realpath(__file__))
)
try:
    SETTINGS = ServingSettings.from_env(os.environ)
    MODEL = load_model(MODEL_DIR)
    LIMITS = RequestLimits.of(MODEL.card, SETTINGS.max_batch_rows)
    METRICS = RequestMetrics(
        MODEL.card, namespace_from_env(os.environ), (time.perf_counter() - INIT_STARTED) * 1000
    )
except Exception as exc:
    raise init_failure(exc, MODEL_DIR) from None


def handler(event: object, context: object) -> dict:
    """Answer a direct invoke, API Gateway (REST or HTTP API), Function URL or ALB event."""
    return handle(event, context, MODEL, SETTINGS, LIMITS, METRICS)
