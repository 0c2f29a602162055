"""The classic way, for comparison only: the same model pickled, served with scikit-learn.

It shares every module of the ONNX function except the model backend, so that benchmarks compare
onnxruntime + numpy against scikit-learn + scipy + joblib + numpy and nothing else. It never ships
in the ONNX function package; tools/baseline/template.yaml deploys it for the AWS benchmark only
(make deploy-baseline).
"""

import os
import time
from pathlib import Path

import joblib
import numpy as np

from onnx_serving import INIT_STARTED
from onnx_serving.answers import RequestLimits
from onnx_serving.card import MATRIX, MISSING_STRING, NUMBER, ModelCard
from onnx_serving.handler import ServingSettings, handle
from onnx_serving.metrics import RequestMetrics, namespace_from_env

MODEL_DIR = Path(os.environ.get("MODEL_DIR") or Path(__file__).resolve().parent)


class PickledModel:
    """A scikit-learn classifier loaded with joblib; answers like ``model.OnnxModel``."""

    def __init__(self, model_dir: Path) -> None:
        self.card = ModelCard.load(model_dir / "model.json")
        self._estimator = joblib.load(model_dir / "model.pkl")

    def predict(self, feed: dict[str, np.ndarray]) -> list[np.ndarray]:
        """Labels and probabilities in the card's class order, or a regressor's values, for the
        inputs the card's graph takes: one matrix, or one column per input."""
        rows = feed[self.card.input_name] if self.card.inputs == MATRIX else self._frame(feed)
        if not self.card.is_classifier:
            return [np.asarray(self._estimator.predict(rows), dtype=np.float64)]
        probabilities = self._estimator.predict_proba(rows)
        return [self._estimator.classes_[probabilities.argmax(axis=1)], probabilities]

    def _frame(self, feed: dict[str, np.ndarray]) -> object:
        """The DataFrame a pipeline fitted on named columns takes, missing values as NaN.

        pandas is imported here, not at module level: only a layer serving such a pipeline
        carries it, and the baseline of a matrix model pays nothing for it.
        """
        import pandas as pd

        frame = {}
        for column in self.card.columns:
            values = feed[column.name][:, 0]
            if column.type == NUMBER:
                frame[column.name] = values.astype(np.float64)
            else:
                frame[column.name] = np.where(values == MISSING_STRING, np.nan, values)
        return pd.DataFrame(frame)


SETTINGS = ServingSettings.from_env(os.environ)
MODEL = PickledModel(MODEL_DIR)
LIMITS = RequestLimits.of(MODEL.card, SETTINGS.max_batch_rows)
METRICS = RequestMetrics(
    MODEL.card, namespace_from_env(os.environ), (time.perf_counter() - INIT_STARTED) * 1000
)


def handler(event: object, context: object) -> dict:
    """The same contract as ``function/app.py``."""
    return handle(event, context, MODEL, SETTINGS, LIMITS, METRICS)
