"""In-process ``predict`` cost: onnxruntime against scikit-learn, same rows, one thread each.

This isolates the model backend from everything a handler also does (JSON, validation,
response). onnxruntime runs with the handler's own session options (one intra-op and one
inter-op thread); scikit-learn predicts with ``n_jobs=1`` inside ``threadpool_limits(1)``.
Both run in the dev environment, with the versions the layers pin.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial

import numpy as np
import onnxruntime as ort
from threadpoolctl import threadpool_limits

from onnx_serving.model import session_options


def _seconds(call: Callable[[], object], repeats: int) -> list[float]:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples


def predict_seconds(
    models: dict[str, bytes], estimator: object, rows: np.ndarray, repeats: int, blocks: int = 5
) -> dict[str, list[float]]:
    """Seconds per ``predict`` call on ``rows``: each ONNX model and scikit-learn, in turns."""
    sessions = {
        name: ort.InferenceSession(
            data, sess_options=session_options(), providers=["CPUExecutionProvider"]
        )
        for name, data in models.items()
    }
    batch = np.ascontiguousarray(rows, dtype=np.float32)
    calls: dict[str, Callable[[], object]] = {
        name: partial(session.run, None, {session.get_inputs()[0].name: batch})
        for name, session in sessions.items()
    }
    calls["scikit-learn"] = partial(estimator.predict_proba, batch)
    per_block = max(1, repeats // blocks)
    samples: dict[str, list[float]] = {name: [] for name in calls}
    with threadpool_limits(1):
        # One job wherever the model has the knob (a forest, a forest inside a Pipeline).
        jobs = [name for name in estimator.get_params() if name.split("__")[-1] == "n_jobs"]
        estimator.set_params(**dict.fromkeys(jobs, 1))
        for call in calls.values():
            call()
        for index in range(blocks):
            order = list(calls) if index % 2 == 0 else list(reversed(calls))
            for name in order:
                samples[name] += _seconds(calls[name], per_block)
    return samples
