"""Lambda entry point of BatchFunction: the same model, card and checks as ``app.py``.

The model is loaded and proved at init exactly as for the online handler (a broken model fails
init loudly); the S3 client is created once per execution environment. Everything else lives in
``onnx_serving.batch``.
"""

import os
from pathlib import Path

from onnx_serving.batch.handler import handle
from onnx_serving.batch.metrics import JobMetrics, batch_namespace
from onnx_serving.batch.s3_io import s3_client
from onnx_serving.batch.settings import BatchSettings
from onnx_serving.model import load_model

SETTINGS = BatchSettings.from_env(os.environ)
MODEL = load_model(Path(os.environ.get("MODEL_DIR") or Path(__file__).resolve().parent))
S3 = s3_client()
METRICS = JobMetrics(MODEL.card, batch_namespace(os.environ))


def handler(event: object, context: object) -> dict:
    """Score the file(s) or rows ``event`` names; answer their summaries."""
    return handle(event, context, MODEL, S3, SETTINGS, METRICS)
