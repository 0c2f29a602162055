"""Prove the ONNX model answers as the scikit-learn model does, on every conversion.

scikit-learn gets the check rows as it receives the user's data (a float64 matrix, or a
DataFrame with its dtypes, strings as strings: ``convert.check_rows.sklearn_input``); the graph
gets them through the function's own ``onnx_serving.rows.graph_feed``, so parity holds for
exactly what the function will feed. A classifier's labels must agree and its probabilities be
within ``PROBABILITY_TOLERANCE`` (absolute); a regressor's values within ``VALUE_TOLERANCE``
(``value_gap``: relative, absolute below 1). Where scikit-learn computes in float64 the graph
does too (where onnxruntime implements the operators in float64), and casts to float32 where
scikit-learn does (``convert.schema``), so what is left is
float rounding in sums and in the order onnxruntime adds tree outputs (~1e-7), two orders of
magnitude below the tolerances (docs/convert.md has the measured figures).

Two kinds of disagreement are not conversion errors, and the card counts both:

- A *tie*: scikit-learn's two best classes have the same probability (20 trees voting 10
  against 10, common on random rows far from the data). scikit-learn names the first; ONNX's
  float32 sum of the same votes may name the other. Accepted when the probabilities agree and
  ONNX names one of the tied classes.
- A *boundary row*: a value within a few steps of the number type from a threshold, on the
  other side of it after last-bit arithmetic differences.
  Accepted only when scikit-learn itself jumps to ONNX's answer there (on the row as fed, or a
  few steps away along one column), and for at most ``MAX_BOUNDARY_SHARE`` of the rows, and of
  the real (sample) rows among them (at least one of those): generated rows are many, and a
  model whose differences gather on the user's own rows must not pass on their strength.

Anything else (a wrong graph, a wrong class order, arithmetic too imprecise for the model)
fails the conversion with a message naming the model, the rows and what the user can do.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import onnxruntime as ort
from sklearn.base import is_classifier

from convert.check_rows import CheckRows, predict
from convert.schema import InputSchema
from convert.servable import describe_estimator, first_line
from onnx_serving.card import PROBABILITY_TOLERANCE, STRING, VALUE_TOLERANCE
from onnx_serving.model import session_options
from onnx_serving.rows import graph_feed

MAX_BOUNDARY_SHARE = 0.01
# How far (in steps of the number type, one column at a time) a boundary row's neighbours are
# looked for.
NEIGHBOUR_STEPS = 4
# How many of the first disagreeing row's values the message shows.
SHOWN_VALUES = 8


class ParityError(RuntimeError):
    """ONNX and scikit-learn disagree: the export must not be used."""


@dataclass(frozen=True)
class Answers:
    """One side's answers: labels (str) and probabilities for a classifier, values otherwise."""

    labels: np.ndarray | None = None
    probabilities: np.ndarray | None = None
    values: np.ndarray | None = None


@dataclass(frozen=True)
class Reference:
    """scikit-learn's answers on the check rows: what the ONNX model is held to."""

    rows: CheckRows
    answers: Answers

    @property
    def labels(self) -> np.ndarray | None:
        """A classifier's labels, as strings."""
        return self.answers.labels

    @property
    def probabilities(self) -> np.ndarray | None:
        """A classifier's float64 probabilities."""
        return self.answers.probabilities

    @property
    def values(self) -> np.ndarray | None:
        """A regressor's float64 values."""
        return self.answers.values


@dataclass(frozen=True)
class ParityReport:
    """What was compared and how closely the two agreed (boundary rows left out)."""

    rows: int
    # A classifier's share of identical labels and largest probability gap; a regressor's
    # largest ``value_gap``.
    label_agreement: float | None
    max_gap: float
    tolerance: float
    boundary_rows: int = 0
    tied_rows: int = 0
    reference: Reference | None = field(default=None, repr=False, compare=False)
    boundary: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def max_abs_probability_diff(self) -> float:
        """A classifier's largest probability gap."""
        return self.max_gap

    def as_dict(self) -> dict[str, float]:
        """For the model card."""
        common = {
            "rows": self.rows,
            "boundary_rows": self.boundary_rows,
            "tolerance": self.tolerance,
        }
        if self.label_agreement is None:
            return {**common, "max_value_gap": self.max_gap}
        return {
            **common,
            "label_agreement": self.label_agreement,
            "max_abs_probability_diff": self.max_gap,
            "tied_rows": self.tied_rows,
        }


def reference_answers(estimator: object, rows: CheckRows, schema: InputSchema) -> Reference:
    """scikit-learn's answers on ``rows``, fed as it receives the user's data."""
    if is_classifier(estimator):
        labels = predict(estimator.predict, rows, schema).astype(str)
        probabilities = predict(estimator.predict_proba, rows, schema).astype(np.float64)
        return Reference(rows, Answers(labels=labels, probabilities=probabilities))
    values = predict(estimator.predict, rows, schema).astype(np.float64).reshape(len(rows))
    return Reference(rows, Answers(values=values))


def onnx_session(model_bytes: bytes) -> ort.InferenceSession:
    """A session made as the handler makes it."""
    return ort.InferenceSession(model_bytes, session_options(), providers=["CPUExecutionProvider"])


def onnx_answers(
    session: ort.InferenceSession, rows: CheckRows, schema: InputSchema, classifier: bool
) -> Answers:
    """The graph's answers on ``rows``, fed as the function feeds it."""
    outputs = session.run(None, graph_feed(schema, rows.columns))
    if classifier:
        return Answers(
            labels=np.asarray(outputs[0]).astype(str).reshape(len(rows)),
            probabilities=np.asarray(outputs[1], dtype=np.float64),
        )
    return Answers(values=np.asarray(outputs[0], dtype=np.float64).reshape(len(rows)))


def row_gaps(answers: Answers, reference: Answers) -> np.ndarray:
    """Per row, how far ``answers`` are from ``reference``: the largest probability gap, or the
    ``value_gap`` of the value (vectorised)."""
    if reference.values is not None:
        return np.abs(answers.values - reference.values) / np.maximum(1.0, np.abs(reference.values))
    return np.abs(answers.probabilities - reference.probabilities).max(axis=1)


def check_parity(
    estimator: object,
    model_bytes: bytes,
    rows: CheckRows,
    schema: InputSchema,
    real_rows: int = 0,
) -> ParityReport:
    """Compare ``estimator`` with the ONNX model on ``rows`` (the first ``real_rows`` of them
    the user's own); raise ``ParityError`` when they disagree."""
    name = describe_estimator(estimator)
    try:
        reference = reference_answers(estimator, rows, schema)
    except Exception as exc:
        raise ParityError(
            f"{name}: scikit-learn itself cannot answer the check rows "
            f"({type(exc).__name__}: {first_line(exc)})"
        ) from None
    classifier = reference.labels is not None
    tolerance = PROBABILITY_TOLERANCE if classifier else VALUE_TOLERANCE
    try:
        ours = onnx_answers(onnx_session(model_bytes), rows, schema, classifier)
    except Exception as exc:  # onnxruntime raises its own types, none of them shared
        raise ParityError(
            f"{name} converted to ONNX fails on check rows scikit-learn answers "
            f"(onnxruntime: {first_line(exc)}); nothing was written"
        ) from None
    gaps = row_gaps(ours, reference.answers)
    tied = np.zeros(len(rows), dtype=bool)
    disagree = gaps > tolerance
    if classifier:
        tied = _ties_broken_the_other_way(estimator, reference, ours.labels) & ~disagree
        disagree = (disagree | (ours.labels != reference.labels)) & ~tied
    boundary = np.zeros(len(rows), dtype=bool)
    suspects = np.flatnonzero(disagree)
    if 0 < len(suspects) <= MAX_BOUNDARY_SHARE * len(rows) and np.count_nonzero(
        suspects < real_rows
    ) <= max(1, math.ceil(MAX_BOUNDARY_SHARE * real_rows)):
        explained = _on_a_boundary(estimator, reference, schema, suspects, ours, tolerance)
        boundary[suspects[explained]] = True
    wrong = disagree & ~boundary
    if wrong.any():
        raise ParityError(_disagreement(name, reference, schema, ours, gaps, wrong, tolerance))
    kept = ~boundary & ~tied
    return ParityReport(
        rows=len(rows),
        label_agreement=(
            float((ours.labels[kept] == reference.labels[kept]).mean()) if classifier else None
        ),
        max_gap=float(gaps[~boundary].max()),
        tolerance=tolerance,
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


def neighbours(rows: CheckRows, number_type: str, steps: int = NEIGHBOUR_STEPS) -> CheckRows:
    """For each row, in order: the row with every number as ``number_type`` holds it (what the
    function feeds), then ``2 * steps`` variants per number column: that column moved 1..steps
    steps of ``number_type`` up, then down, the others unchanged."""
    kind = np.dtype(number_type).type
    variants = [
        [v if v.dtype == object else v.astype(number_type).astype(np.float64) for v in rows.columns]
    ]
    for j, values in enumerate(rows.columns):
        if values.dtype == object:
            continue
        for direction in (kind(np.inf), kind(-np.inf)):
            moved = values.astype(number_type)
            for _ in range(steps):
                moved = np.nextafter(moved, direction)
                columns = list(rows.columns)
                columns[j] = moved.astype(np.float64)
                variants.append(columns)
    return CheckRows(
        [
            np.stack([variant[j] for variant in variants], axis=1).ravel()
            for j in range(len(rows.columns))
        ]
    )


def _neighbour_answers(
    estimator: object, reference: Reference, schema: InputSchema, rows: np.ndarray
) -> tuple[Answers, np.ndarray, int]:
    """scikit-learn's answers on the neighbours of ``rows`` (row-major, k per row), where they
    jump away from its answer on the row itself (``[m, k]``), and k."""
    near_rows = neighbours(reference.rows.take(rows), schema.number_type)
    k = len(near_rows) // max(len(rows), 1)
    near = reference_answers(estimator, near_rows, schema).answers if k else Answers()
    own = _repeat(_pick(reference.answers, rows), k)
    if not k:
        return near, np.zeros((len(rows), 0), dtype=bool), 0
    tolerance = PROBABILITY_TOLERANCE if own.values is None else VALUE_TOLERANCE
    jumps = row_gaps(near, own) > tolerance
    if near.labels is not None:
        jumps |= near.labels != own.labels
    return near, jumps.reshape(len(rows), k), k


def _on_a_boundary(
    estimator: object,
    reference: Reference,
    schema: InputSchema,
    suspects: np.ndarray,
    ours: Answers,
    tolerance: float,
) -> np.ndarray:
    """For each suspect row: does scikit-learn itself jump to ONNX's answer next door?"""
    near, jumps, k = _neighbour_answers(estimator, reference, schema, suspects)
    if not k:
        return np.zeros(len(suspects), dtype=bool)
    onnx_here = _repeat(_pick(ours, suspects), k)
    matches = row_gaps(near, onnx_here) <= tolerance
    if near.labels is not None:
        matches &= near.labels == onnx_here.labels
    return (matches.reshape(len(suspects), k) & jumps).any(axis=1)


def number_stable(
    estimator: object, reference: Reference, schema: InputSchema, rows: np.ndarray
) -> np.ndarray:
    """For each of ``rows`` (indices): scikit-learn gives the same answer a few steps of the
    number type away along every number column, so last-bit differences of another CPU cannot
    change it."""
    if not len(rows):
        return np.zeros(0, dtype=bool)
    _, jumps, _ = _neighbour_answers(estimator, reference, schema, rows)
    return ~jumps.any(axis=1)


def _pick(answers: Answers, index: np.ndarray) -> Answers:
    return Answers(
        *(None if part is None else part[index] for part in _parts(answers)),
    )


def _repeat(answers: Answers, k: int) -> Answers:
    return Answers(
        *(None if part is None else np.repeat(part, k, axis=0) for part in _parts(answers))
    )


def _parts(answers: Answers) -> tuple[np.ndarray | None, ...]:
    return answers.labels, answers.probabilities, answers.values


def _disagreement(
    name: str,
    reference: Reference,
    schema: InputSchema,
    ours: Answers,
    gaps: np.ndarray,
    wrong: np.ndarray,
    tolerance: float,
) -> str:
    """Four lines: the model and how many rows, the first row's values, the two answers, and
    what the user can do."""
    first = int(np.flatnonzero(wrong)[0])
    values = reference.rows.json_row(first, schema)
    shown = ", ".join(
        f"{column.name}={value!r}"
        for column, value in zip(schema.columns[:SHOWN_VALUES], values, strict=False)
    )
    if len(values) > SHOWN_VALUES:
        shown += f", ... ({len(values)} columns)"
    if reference.labels is not None:
        answers = (
            f"ONNX answers {str(ours.labels[first])!r} with probabilities up to "
            f"{gaps[first]:.3g} from scikit-learn's {str(reference.labels[first])!r} "
            f"(tolerance {tolerance:g})"
        )
    else:
        answers = (
            f"ONNX answers {float(ours.values[first])!r} where scikit-learn answers "
            f"{float(reference.values[first])!r} (relative gap {gaps[first]:.3g}, tolerance "
            f"{tolerance:g})"
        )
    strings = any(column.type == STRING for column in schema.columns)
    return "\n".join(
        [
            f"{name} converted to ONNX answers differently from scikit-learn on "
            f"{int(wrong.sum())} of {len(gaps)} check rows; nothing was written",
            f"first such row: {shown}",
            answers,
            "what you can do: check that SAMPLE= rows are data the model was trained on"
            + (" (strings as the encoder saw them)" if strings else "")
            + "; if they are, this model's arithmetic does not survive conversion: the "
            "compatibility table in README.md lists the models that do",
        ]
    )
