"""Lambda entry point: the model is loaded and checked once, at init, then serves every event.

A model that is missing, corrupted or not the one its card describes raises here, so Lambda
reports an init error instead of a function that answers 500 forever. Everything else lives in
the ``onnx_serving`` package beside this file (``/var/task/onnx_serving`` on Lambda).
"""

import os
from pathlib import Path

from onnx_serving.model import load_model
from onnx_serving.request_path import ServingSettings, handle

SETTINGS = ServingSettings.from_env(os.environ)
MODEL = load_model(Path(os.environ.get("MODEL_DIR") or Path(__file__).resolve().parent))


def handler(event: object, context: object) -> dict:
    """Answer a direct invoke, API Gateway (REST or HTTP API) or Function URL event."""
    return handle(event, context, MODEL, SETTINGS)
