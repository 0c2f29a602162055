"""Prove the ONNX model answers as the scikit-learn model does, on every conversion.

Labels must agree exactly. Probabilities are compared with an absolute tolerance: the forest's
thresholds are compared in float32 on both sides (scikit-learn's trees store float32 thresholds),
so the same leaves are reached, but scikit-learn averages leaf values in float64 while onnxruntime
sums in float32 in its own order, which moves the result by float32 rounding (~1e-7 per tree).
1e-5 is two orders of magnitude above that and far below any difference that changes a decision.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import onnxruntime as ort

from onnx_serving.model import session_options

PROBABILITY_TOLERANCE = 1e-5
RANDOM_ROWS = 5000


class ParityError(RuntimeError):
    """ONNX and scikit-learn disagree: the export must not be used."""


@dataclass(frozen=True)
class ParityReport:
    """What was compared and how closely the two agreed."""

    rows: int
    label_agreement: float
    max_abs_probability_diff: float
    tolerance: float = PROBABILITY_TOLERANCE

    def as_dict(self) -> dict[str, float]:
        """For the model card."""
        return {k: float(v) for k, v in asdict(self).items()}


def random_rows(low: np.ndarray, high: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """Rows drawn uniformly across the training range: they reach leaves the test set misses."""
    rng = np.random.default_rng(seed)
    return rng.uniform(low, high, size=(n, len(low))).astype(np.float32)


def check_parity(estimator: object, model_bytes: bytes, x: np.ndarray) -> ParityReport:
    """Compare ``estimator`` with the ONNX model on ``x``; raise ``ParityError`` on disagreement."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    session = ort.InferenceSession(
        model_bytes, session_options(), providers=["CPUExecutionProvider"]
    )
    labels, probabilities = session.run(None, {session.get_inputs()[0].name: x})
    expected_labels = estimator.predict(x)
    expected_probabilities = estimator.predict_proba(x)
    agree = np.asarray(labels).astype(str) == np.asarray(expected_labels).astype(str)
    report = ParityReport(
        rows=len(x),
        label_agreement=float(agree.mean()),
        max_abs_probability_diff=float(np.abs(probabilities - expected_probabilities).max()),
    )
    if report.label_agreement != 1.0:
        first = int(np.flatnonzero(~agree)[0])
        raise ParityError(
            f"labels differ on {int((~agree).sum())} of {len(x)} rows (first: row {first}, "
            f"ONNX {labels[first]!r} vs scikit-learn {expected_labels[first]!r})"
        )
    if report.max_abs_probability_diff > PROBABILITY_TOLERANCE:
        raise ParityError(
            f"probabilities differ by up to {report.max_abs_probability_diff:.3g} "
            f"(tolerance {PROBABILITY_TOLERANCE})"
        )
    return report
