"""The one place batch code calls the online row validation, and the model's answers.

Every value a batch row carries passes ``rows.to_columns``, the same checks and the same
messages the online handler gives (NaN, infinity, float32 overflow, booleans, strings, wrong
counts, missing names). Only its public function is used, and only here, so a change inside
``rows`` (say, vectorised checks) reaches batch scoring without touching it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..answers import Model, check_output
from ..card import PROBABILITY_DECIMALS, ModelCard
from ..errors import RequestError
from ..rows import graph_feed, to_columns

# How a row is named in a rejection reason; the manifest gives its line number beside it.
ROW = "row"


def checked_rows(rows: list[Any], card: ModelCard) -> tuple[np.ndarray, dict[int, str]]:
    """The float32 matrix of the valid rows and, by position, why each other row is refused.

    A chunk is checked whole first (one call, the fast path); only a chunk holding a bad row is
    checked row by row, to name every bad row and keep the good ones.
    """
    try:
        return _matrix(to_columns(rows, [ROW] * len(rows), card), card), {}
    except RequestError:
        pass
    good: list[np.ndarray] = []
    refused: dict[int, str] = {}
    for position, row in enumerate(rows):
        try:
            good.append(_matrix(to_columns([row], [ROW], card), card)[0])
        except RequestError as exc:
            refused[position] = exc.message
    matrix = np.asarray(good, dtype=np.float32).reshape(len(good), card.n_features)
    return matrix, refused


def _matrix(columns: list[np.ndarray], card: ModelCard) -> np.ndarray:
    return graph_feed(card, columns)[card.input_name]


def predictions(model: Model, matrix: np.ndarray) -> tuple[list[str], list[list[float]]]:
    """Labels and probabilities rounded as the online answers round them (plain floats)."""
    if not len(matrix):
        return [], []
    labels, probabilities = model.predict({model.card.input_name: matrix})
    labels = [str(label) for label in labels.tolist()]
    check_output(labels, probabilities, model.card)
    return labels, np.round(probabilities.astype(np.float64), PROBABILITY_DECIMALS).tolist()
