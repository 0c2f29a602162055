"""Pick the golden rows: a few check rows with the reference model's answers, for the card.

The handler reproduces them at init (``onnx_serving.model``) and a deployment check can replay
them against a new function version. They are chosen so that a correct model never fails them,
on this CPU or another: only rows that passed parity, whose best class leads the next by
``MIN_MARGIN`` (no rounding changes the label), whose label is that best class (an SVC with
probability=True may predict otherwise from its decision function), and, when arithmetic runs
before the model's decisions (a scaler before a forest, a distance in KNN), where scikit-learn
gives the same answer a few steps of the number type away, so that a last-bit difference in
another CPU's arithmetic cannot cross a threshold. A bare tree model compares the float32
inputs themselves, which no CPU computes differently (and real rows often sit exactly on its
thresholds: seen with scikit-learn 1.9 on Iris), so its rows are not held to that.

They are also chosen to catch a model that is not the converted one: every class the model
predicts is represented in turn, real rows (sample or test rows) before random ones, and the
least certain first, since a row every forest answers with probability 1.0 tells models apart
less well than one answered 0.6 / 0.4. A regressor's rows are spread over the range of its
answers, and held to the same stability: a value that jumps a few float steps away (a tree's
threshold) could fail on another CPU.
"""

from __future__ import annotations

import numpy as np

from convert.input_ranges import split_thresholds
from convert.parity import Reference, number_stable
from convert.schema import InputSchema

GOLDEN_ROWS = 12
MIN_MARGIN = 1e-3
# Candidates examined per golden row wanted: some fail the stability check.
POOL_FACTOR = 3


class GoldenRowsError(ValueError):
    """No check row is clear enough to be a golden row: the model answers ties everywhere."""


def golden_rows(
    estimator: object,
    reference: Reference,
    schema: InputSchema,
    usable: np.ndarray,
    real_rows: int = 0,
) -> list[dict]:
    """At least ``GOLDEN_ROWS`` rows (one per predicted class if there are more classes); the
    first ``real_rows`` check rows are real data, the others generated."""
    generated = np.arange(len(usable)) >= real_rows
    if reference.labels is None:
        per_group = _by_value(reference.values, usable, generated)
    else:
        per_group = _by_class(estimator, reference, usable, generated)
    wanted = max(GOLDEN_ROWS, sum(1 for rows in per_group if rows))
    candidates = np.asarray(_round_robin(per_group, POOL_FACTOR * wanted), dtype=np.int64)
    if _compares_its_inputs_directly(estimator):
        stable = candidates
    else:
        stable = candidates[number_stable(estimator, reference, schema, candidates)]
    if not len(stable):
        raise GoldenRowsError(
            "no check row gives an answer that stays the same a few float steps away (for a "
            f"classifier, with a best class leading by more than {MIN_MARGIN:g}): cannot "
            "record golden rows for this model"
        )
    classes = [str(c) for c in getattr(estimator, "classes_", [])]
    return [_golden_row(reference, schema, classes, int(i)) for i in stable[:wanted]]


def _by_class(
    estimator: object, reference: Reference, usable: np.ndarray, generated: np.ndarray
) -> list[list[int]]:
    """Per class, the clear rows predicting it: real before generated, least certain first."""
    classes = np.asarray(estimator.classes_).astype(str)
    probabilities = reference.probabilities
    ordered = np.sort(probabilities, axis=1)
    margin = ordered[:, -1] - ordered[:, -2]
    best = classes[probabilities.argmax(axis=1)]
    eligible = usable & (margin > MIN_MARGIN) & (reference.labels == best)
    certainty = ordered[:, -1]
    per_class = []
    for name in classes:
        rows = np.flatnonzero(eligible & (reference.labels == name))
        per_class.append(list(rows[np.lexsort((certainty[rows], generated[rows]))]))
    return per_class


def _by_value(values: np.ndarray, usable: np.ndarray, generated: np.ndarray) -> list[list[int]]:
    """Rows in ``GOLDEN_ROWS`` bands of value, from low to high: answers across the range
    tell models apart better than a cluster of similar values; real rows first in each band."""
    rows = np.flatnonzero(usable & np.isfinite(values))
    if not len(rows):
        return []
    edges = np.quantile(values[rows], np.linspace(0, 1, GOLDEN_ROWS + 1)[1:-1])
    band = np.searchsorted(edges, values[rows])
    bands = []
    for b in range(GOLDEN_ROWS):
        inside = rows[band == b]
        bands.append(list(inside[np.argsort(generated[inside], kind="stable")]))
    return bands


def _compares_its_inputs_directly(estimator: object) -> bool:
    """A tree model with no step before it: its splits see the float32 inputs unchanged."""
    return not hasattr(estimator, "steps") and split_thresholds(estimator) is not None


def _round_robin(per_class: list[list[int]], count: int) -> list[int]:
    """Take one row of each group in turn until ``count`` rows or none are left."""
    queues = [list(rows) for rows in per_class]
    chosen: list[int] = []
    while len(chosen) < count and any(queues):
        for queue in queues:
            if queue and len(chosen) < count:
                chosen.append(queue.pop(0))
    return chosen


def _golden_row(reference: Reference, schema: InputSchema, classes: list[str], i: int) -> dict:
    features = reference.rows.json_row(i, schema)
    if reference.labels is None:
        return {"features": features, "value": float(reference.values[i])}
    return {
        "features": features,
        "label": str(reference.labels[i]),
        "probabilities": {
            name: float(p) for name, p in zip(classes, reference.probabilities[i], strict=True)
        },
    }
