"""Example rows for any served model, from its card alone: the one generator the tools share.

Soak, the benchmarks' request draws, the batch sample files, the memory bound and the test
support all send rows the model must accept, whatever it is: a number column gets values drawn
across its training range (or, when the card knows none, the span of its golden rows, which are
real inputs of the model; ``[0, 10]`` when neither says anything), rounded to three decimals so
that the text and JSON forms read back as the same number; a string column gets its categories
(or, for a free string column, the strings its golden rows hold); a column that may be missing
gets a missing value (None) in about one row in ``MISSING_EVERY``. Rows are reproducible from
``seed``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from onnx_serving.card import NUMBER, Column, ModelCard

# About one row in this many is missing a value, in each column that allows it.
MISSING_EVERY = 8
# Where a card gives a number column neither a range nor a golden value.
DEFAULT_SPAN = (0.0, 10.0)
# The free string used when a string column has neither categories nor golden values.
DEFAULT_STRING = "example"
DECIMALS = 3


def example_rows(card: ModelCard, n: int, seed: int = 0) -> list[list[Any]]:
    """``n`` rows the card's model accepts, values in card order (None where missing)."""
    rng = np.random.default_rng(seed)
    low, high = card.row_bounds()
    columns = [
        _column_values(column, golden_values(card, j), lo, hi, n, rng)
        for j, (column, lo, hi) in enumerate(zip(card.columns, low, high, strict=True))
    ]
    return [list(row) for row in zip(*columns, strict=True)] if columns else []


def example_objects(card: ModelCard, n: int, seed: int = 0) -> list[dict[str, Any]]:
    """The same rows as ``example_rows``, keyed by column name."""
    names = card.feature_names
    return [dict(zip(names, row, strict=True)) for row in example_rows(card, n, seed)]


def golden_values(card: ModelCard, j: int) -> list[Any]:
    """The values the card's golden rows give column ``j``, missing ones left out."""
    return [row["features"][j] for row in card.golden_rows if row["features"][j] is not None]


def _column_values(
    column: Column,
    golden: list[Any],
    low: float | None,
    high: float | None,
    n: int,
    rng: np.random.Generator,
) -> list[Any]:
    if column.type == NUMBER:
        span = (low, high) if low is not None and high is not None else DEFAULT_SPAN
        values: list[Any] = np.round(rng.uniform(*span, size=n), DECIMALS).tolist()
    else:
        choices = column.categories or sorted(set(golden)) or [DEFAULT_STRING]
        values = [choices[k] for k in rng.integers(0, len(choices), size=n).tolist()]
    if column.missing:
        for position in np.flatnonzero(rng.integers(0, MISSING_EVERY, size=n) == 0).tolist():
            values[position] = None
    return values
