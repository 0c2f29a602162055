"""Lambda entry point: the model is loaded and checked once, at init, then serves every event.

A model that is missing, corrupted or not the one its card describes, or a bad setting, fails
init: Lambda reports an init error instead of a function that answers 500 forever. The error
invokers see names the problem and the model's files, without stack frames (``init_failure``).
Everything else lives in the ``onnx_serving`` package beside this file (``/var/task``).

Python's cyclic garbage collector is paused for init: importing numpy and onnxruntime allocates
hundreds of thousands of objects, none of them garbage, and each collection would walk them all
again. What init built is then frozen (never traversed again) and collection resumes for the
requests (``benchmarks/results/summary.md`` measures what this saves on one CPU).
"""

import gc

gc.disable()

import os  # noqa: E402
from pathlib import Path  # noqa: E402

from onnx_serving.init_failure import init_failure  # noqa: E402
from onnx_serving.model import load_model  # noqa: E402
from onnx_serving.request_limits import RequestLimits  # noqa: E402
from onnx_serving.request_path import ServingSettings, handle  # noqa: E402

MODEL_DIR = Path(os.environ.get("MODEL_DIR") or Path(__file__).resolve().parent)
try:
    SETTINGS = ServingSettings.from_env(os.environ)
    MODEL = load_model(MODEL_DIR)
    LIMITS = RequestLimits.of(MODEL.card, SETTINGS.max_batch_rows)
except Exception as exc:
    raise init_failure(exc, MODEL_DIR) from None
finally:
    gc.freeze()
    gc.enable()


def handler(event: object, context: object) -> dict:
    """Answer a direct invoke, API Gateway (REST or HTTP API), Function URL or ALB event."""
    return handle(event, context, MODEL, SETTINGS, LIMITS)
