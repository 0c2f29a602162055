"""Pick the golden rows: a few check rows with the reference model's answers, for the card.

The handler reproduces them at init (``onnx_serving.model``) and a deployment check can replay
them against a new function version. They are chosen so that a correct model never fails them,
on this CPU or another: only rows that passed parity, whose best class leads the next by
``MIN_MARGIN`` (no rounding changes the label), whose label is that best class (an SVC with
probability=True may predict otherwise from its decision function), and, when arithmetic runs
before the model's decisions (a scaler before a forest, a distance in KNN), where scikit-learn
gives the same answer a few float32 steps away, so that a last-bit difference in another CPU's
arithmetic cannot cross a threshold. A bare tree model compares the float32 inputs themselves,
which no CPU computes differently (and real rows often sit exactly on its thresholds: seen with
scikit-learn 1.9 on Iris), so its rows are not held to that.

They are also chosen to catch a model that is not the converted one: every class the model
predicts is represented in turn, real rows (sample or test rows) before random ones, and the
least certain first, since a row every forest answers with probability 1.0 tells models apart
less well than one answered 0.6 / 0.4.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from convert.input_ranges import split_thresholds
from convert.parity import Reference, float32_stable

GOLDEN_ROWS = 12
MIN_MARGIN = 1e-3
# Candidates examined per golden row wanted: some fail the float32-stability check.
POOL_FACTOR = 3


class GoldenRowsError(ValueError):
    """No check row is clear enough to be a golden row: the model answers ties everywhere."""


def golden_rows(
    estimator: object,
    reference: Reference,
    usable: np.ndarray,
    classes: list[str],
    real_rows: int = 0,
) -> list[dict]:
    """At least ``GOLDEN_ROWS`` rows (one per predicted class if there are more classes); the
    first ``real_rows`` check rows are real data, the others random."""
    probabilities = reference.probabilities
    ordered = np.sort(probabilities, axis=1)
    margin = ordered[:, -1] - ordered[:, -2]
    best = np.asarray(classes)[probabilities.argmax(axis=1)]
    eligible = usable & (margin > MIN_MARGIN) & (reference.labels == best)
    certainty = ordered[:, -1]
    random = np.arange(len(certainty)) >= real_rows
    per_class = []
    for name in classes:
        rows = np.flatnonzero(eligible & (reference.labels == name))
        per_class.append(list(rows[np.lexsort((certainty[rows], random[rows]))]))
    wanted = max(GOLDEN_ROWS, sum(1 for rows in per_class if rows))
    candidates = np.asarray(_round_robin(per_class, POOL_FACTOR * wanted), dtype=np.int64)
    if _compares_its_inputs_directly(estimator):
        stable = candidates
    else:
        stable = candidates[float32_stable(estimator, reference, candidates)]
    if not len(stable):
        raise GoldenRowsError(
            f"no check row has a best class leading by more than {MIN_MARGIN:g} that stays "
            "the same a few float32 steps away: cannot record golden rows for this model"
        )
    return [_golden_row(reference, int(i), classes) for i in stable[:wanted]]


def _compares_its_inputs_directly(estimator: object) -> bool:
    """A tree model with no step before it: its splits see the float32 inputs unchanged."""
    return not hasattr(estimator, "steps") and split_thresholds(estimator) is not None


def _round_robin(per_class: list[list[int]], count: int) -> list[int]:
    """Take one row of each class in turn until ``count`` rows or none are left."""
    queues = [list(rows) for rows in per_class]
    chosen: list[int] = []
    while len(chosen) < count and any(queues):
        for queue in queues:
            if queue and len(chosen) < count:
                chosen.append(queue.pop(0))
    return chosen


def _golden_row(reference: Reference, i: int, classes: list[str]) -> dict[str, Any]:
    return {
        "features": [None if np.isnan(v) else shortest_float32(v) for v in reference.rows[i]],
        "label": str(reference.labels[i]),
        "probabilities": {
            name: float(p) for name, p in zip(classes, reference.probabilities[i], strict=True)
        },
    }


def shortest_float32(value: float) -> float:
    """The shortest decimal that is the same float32: 4.3, not 4.300000190734863."""
    return float(np.format_float_positional(np.float32(value), unique=True, trim="0"))
