"""Prove the ONNX model answers as the scikit-learn model does, on every conversion.

Both sides get the same float32 rows (the handler feeds onnxruntime float32). Labels must agree
and probabilities must be within an absolute tolerance. Trees compare in float32 on both sides
(scikit-learn's trees cast their input to float32), so the same leaves are reached, but
scikit-learn averages leaf values in float64 while onnxruntime sums in float32 in its own order,
which moves the result by float32 rounding (~1e-7 per tree). The tolerance,
``onnx_serving.card.PROBABILITY_TOLERANCE`` (1e-5, the one every golden-row check uses too), is
two orders of magnitude above that and far below any difference that changes a decision.

Two kinds of disagreement are not conversion errors, and the card counts both:

- A *tie*: scikit-learn's two best classes have the same probability (20 trees voting 10
  against 10, common on random rows far from the data). scikit-learn names the first; ONNX's
  float32 sum of the same votes comes out 0.49999994 against 0.50000006 and may name the other.
  Accepted when the probabilities agree and ONNX names one of the tied classes.
- A *boundary row*: a Pipeline that scales before a forest computes the scaled value in float64
  then casts it (scikit-learn) or in float32 (ONNX); the two can differ in the last bit, and a
  tree threshold can lie in between (seen: 1 row in 5,150 for RobustScaler + a forest on Iris,
  a jump of one tree's vote). Accepted only when scikit-learn itself jumps to ONNX's answer a
  few float32 steps away along one feature, and for at most ``MAX_BOUNDARY_SHARE`` of the rows.

Anything else (a wrong graph, a wrong class order, arithmetic too imprecise for the model)
fails the conversion.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import onnxruntime as ort

from convert.servable import first_line
from onnx_serving.card import PROBABILITY_TOLERANCE
from onnx_serving.model import session_options

RANDOM_ROWS = 5000
MAX_BOUNDARY_SHARE = 0.01
# How far (in float32 steps, one feature at a time) a boundary row's neighbours are looked for.
NEIGHBOUR_STEPS = 4
# The converter feeds columns in the order of the model's own feature_names_in_, as a numpy
# array: scikit-learn's "X does not have valid feature names" warning says nothing then.
FEATURE_NAMES_WARNING = "X does not have valid feature names"


class ParityError(RuntimeError):
    """ONNX and scikit-learn disagree: the export must not be used."""


@dataclass(frozen=True)
class Reference:
    """scikit-learn's answers on the check rows: what the ONNX model is held to."""

    rows: np.ndarray
    labels: np.ndarray
    probabilities: np.ndarray


@dataclass(frozen=True)
class ParityReport:
    """What was compared and how closely the two agreed (boundary rows left out)."""

    rows: int
    label_agreement: float
    max_abs_probability_diff: float
    boundary_rows: int = 0
    tied_rows: int = 0
    tolerance: float = PROBABILITY_TOLERANCE
    reference: Reference | None = field(default=None, repr=False, compare=False)
    boundary: np.ndarray | None = field(default=None, repr=False, compare=False)

    def as_dict(self) -> dict[str, float]:
        """For the model card."""
        return {
            "rows": self.rows,
            "label_agreement": self.label_agreement,
            "max_abs_probability_diff": self.max_abs_probability_diff,
            "boundary_rows": self.boundary_rows,
            "tied_rows": self.tied_rows,
            "tolerance": self.tolerance,
        }


def random_rows(low: np.ndarray, high: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """Rows drawn uniformly across the training range: they reach leaves the test set misses."""
    rng = np.random.default_rng(seed)
    return rng.uniform(low, high, size=(n, len(low))).astype(np.float32)


def reference_answers(estimator: object, rows: np.ndarray) -> Reference:
    """scikit-learn's labels (as strings) and float64 probabilities for float32 ``rows``."""
    rows = np.ascontiguousarray(rows, dtype=np.float32)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=FEATURE_NAMES_WARNING, category=UserWarning)
        labels = np.asarray(estimator.predict(rows)).astype(str)
        probabilities = np.asarray(estimator.predict_proba(rows), dtype=np.float64)
    return Reference(rows, labels, probabilities)


def check_parity(estimator: object, model_bytes: bytes, x: np.ndarray) -> ParityReport:
    """Compare ``estimator`` with the ONNX model on ``x``; raise ``ParityError`` on disagreement."""
    try:
        reference = reference_answers(estimator, x)
    except Exception as exc:
        raise ParityError(
            "scikit-learn itself cannot answer rows of numbers "
            f"({type(exc).__name__}: {first_line(exc)})"
        ) from None
    session = ort.InferenceSession(
        model_bytes, session_options(), providers=["CPUExecutionProvider"]
    )
    graph_input = session.get_inputs()[0]
    rows = reference.rows.astype(np.float64 if graph_input.type == "tensor(double)" else np.float32)
    labels, probabilities = session.run(None, {graph_input.name: rows})
    labels = np.asarray(labels).astype(str)
    gaps = np.abs(probabilities - reference.probabilities).max(axis=1)
    tied = _ties_broken_the_other_way(estimator, reference, labels) & (
        gaps <= PROBABILITY_TOLERANCE
    )
    disagree = ((labels != reference.labels) | (gaps > PROBABILITY_TOLERANCE)) & ~tied
    boundary = np.zeros(len(labels), dtype=bool)
    suspects = np.flatnonzero(disagree)
    if 0 < len(suspects) <= MAX_BOUNDARY_SHARE * len(labels):
        explained = _on_a_float32_boundary(
            estimator, reference, suspects, labels[suspects], probabilities[suspects]
        )
        boundary[suspects[explained]] = True
    wrong = disagree & ~boundary
    if wrong.any():
        raise ParityError(_disagreement(reference, labels, gaps, wrong))
    kept = ~boundary & ~tied
    return ParityReport(
        rows=len(labels),
        label_agreement=float((labels[kept] == reference.labels[kept]).mean()),
        max_abs_probability_diff=float(gaps[~boundary].max()),
        boundary_rows=int(boundary.sum()),
        tied_rows=int(tied.sum()),
        reference=reference,
        boundary=boundary,
    )


def _ties_broken_the_other_way(
    estimator: object, reference: Reference, labels: np.ndarray
) -> np.ndarray:
    """Rows where ONNX names another class than scikit-learn, one whose probability is tied
    (within the tolerance) with the best."""
    classes = np.asarray(estimator.classes_).astype(str)
    column = {name: i for i, name in enumerate(classes)}
    index = np.asarray([column.get(label, -1) for label in labels])
    known = index >= 0
    theirs = reference.probabilities[np.arange(len(labels)), np.where(known, index, 0)]
    best = reference.probabilities.max(axis=1)
    return known & (labels != reference.labels) & (best - theirs <= PROBABILITY_TOLERANCE)


def float32_neighbours(rows: np.ndarray, steps: int = NEIGHBOUR_STEPS) -> np.ndarray:
    """``[m, 2 * steps * d, d]``: each row with one feature moved 1..steps float32 steps up or
    down, the others unchanged."""
    d = rows.shape[1]
    diagonal = np.arange(d)
    variants = []
    for direction in (np.float32(np.inf), np.float32(-np.inf)):
        moved = rows
        for _ in range(steps):
            moved = np.nextafter(moved, direction)
            variant = np.repeat(rows[:, None, :], d, axis=1)
            variant[:, diagonal, diagonal] = moved
            variants.append(variant)
    return np.concatenate(variants, axis=1)


def _on_a_float32_boundary(
    estimator: object,
    reference: Reference,
    suspects: np.ndarray,
    onnx_labels: np.ndarray,
    onnx_probabilities: np.ndarray,
) -> np.ndarray:
    """For each suspect row: does scikit-learn itself jump to ONNX's answer next door?"""
    near, jumps = _neighbour_answers(estimator, reference, suspects)
    matches_onnx = (near.labels == onnx_labels[:, None]) & (
        np.abs(near.probabilities - onnx_probabilities[:, None, :]).max(axis=2)
        <= PROBABILITY_TOLERANCE
    )
    return (matches_onnx & jumps).any(axis=1)


def float32_stable(estimator: object, reference: Reference, rows: np.ndarray) -> np.ndarray:
    """For each of ``rows`` (indices): scikit-learn gives the same answer a few float32 steps
    away along every feature, so last-bit differences of another CPU cannot change it."""
    if not len(rows):
        return np.zeros(0, dtype=bool)
    _, jumps = _neighbour_answers(estimator, reference, rows)
    return ~jumps.any(axis=1)


def _neighbour_answers(
    estimator: object, reference: Reference, rows: np.ndarray
) -> tuple[Reference, np.ndarray]:
    """scikit-learn's answers on the float32 neighbours of ``rows`` (shaped ``[m, k, ...]``), and
    where they jump away from its answer on the row itself."""
    neighbours = float32_neighbours(reference.rows[rows])
    m, k, d = neighbours.shape
    flat = reference_answers(estimator, neighbours.reshape(m * k, d))
    near = Reference(neighbours, flat.labels.reshape(m, k), flat.probabilities.reshape(m, k, -1))
    own = reference.probabilities[rows]
    jumps = (near.labels != reference.labels[rows][:, None]) | (
        np.abs(near.probabilities - own[:, None, :]).max(axis=2) > PROBABILITY_TOLERANCE
    )
    return near, jumps


def _disagreement(
    reference: Reference, labels: np.ndarray, gaps: np.ndarray, wrong: np.ndarray
) -> str:
    rows = len(labels)
    label_wrong = wrong & (labels != reference.labels)
    if label_wrong.any():
        first = int(np.flatnonzero(label_wrong)[0])
        return (
            f"labels differ on {int(label_wrong.sum())} of {rows} rows (first: row {first}, "
            f"ONNX {str(labels[first])!r} vs scikit-learn {str(reference.labels[first])!r})"
        )
    return (
        f"probabilities differ by up to {float(gaps[wrong].max()):.3g} on "
        f"{int(wrong.sum())} of {rows} rows (tolerance {PROBABILITY_TOLERANCE:g})"
    )
