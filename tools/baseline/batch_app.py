"""The pickle baseline's batch entry point, for the batch benchmark only.

The very batch code of ``function/batch_app.py`` with the pickle backend of ``app.py`` (which
loads ``model.pkl`` with scikit-learn at import), so the benchmark compares backends, not code.
"""

import os

from app import MODEL

from onnx_serving.batch.handler import handle
from onnx_serving.batch.s3_io import s3_client
from onnx_serving.batch.settings import BatchSettings

SETTINGS = BatchSettings.from_env(os.environ)
S3 = s3_client()


def handler(event: object, context: object) -> dict:
    """The same contract as ``function/batch_app.py``."""
    return handle(event, context, MODEL, S3, SETTINGS)
