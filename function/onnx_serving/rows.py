"""Validate a prediction request and turn its rows into the float32 matrix the model takes.

onnxruntime accepts NaN and infinity without complaint and, for NaN, answers differently from
scikit-learn; numpy quietly turns ``True``, ``"1.5"`` and ``None`` into numbers. So every value is
checked here, before onnxruntime sees it, and every refusal says which row and feature is wrong.

Two paths give one answer. A batch of well-formed rows is checked in bulk (one pass over the
values' types, one numpy comparison for finiteness and the float32 range), which costs about as
much as predicting it; the first anomaly sends the request down the value-by-value path, which is
the one that words the refusal, so a message never depends on which path found the problem.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from operator import itemgetter
from typing import Any

import numpy as np

from .card import FLOAT32_MAX, MATRIX, MISSING_STRING, NUMBER, ModelCard
from .errors import RequestError, bad_request, quoted_list


class RowPositions(Sequence[str]):
    """``instances[0]``, ``instances[1]``, ...: made only when an error message needs one."""

    def __init__(self, count: int) -> None:
        self._count = count

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index: int) -> str:
        if not -self._count <= index < self._count:
            raise IndexError(index)
        return f"instances[{index % self._count}]"

    def __iter__(self) -> Iterator[str]:
        return (f"instances[{i}]" for i in range(self._count))


def request_rows(
    payload: object, card: ModelCard, max_rows: int, limit_reason: str = ""
) -> tuple[list[Any], Sequence[str]]:
    """The raw rows of a request and where each came from, for error messages.

    ``limit_reason`` says why ``max_rows`` is the limit when it is not MAX_BATCH_ROWS.
    """
    if not isinstance(payload, dict):
        raise bad_request("InvalidRequest", "the request must be a JSON object")
    if len(payload) == 1 and "features" in payload:
        return [payload["features"]], ["features"]
    if len(payload) != 1 or "instances" not in payload:
        raise bad_request(
            "InvalidRequest",
            'send {"features": row} for one row or {"instances": [row, ...]} for a batch, '
            f"got fields {quoted_list(payload)}",
        )
    rows = payload["instances"]
    if not isinstance(rows, list):
        raise bad_request("InvalidRequest", "instances must be a list of rows")
    if not rows:
        raise bad_request("InvalidRequest", "instances is empty; send at least one row")
    if len(rows) > max_rows:
        raise RequestError(
            413,
            "PayloadTooLarge",
            f"{len(rows)} rows is more than the limit of {max_rows}"
            + (f"; {limit_reason}" if limit_reason else ""),
        )
    return rows, RowPositions(len(rows))


def to_matrix(rows: list[Any], where: Sequence[str], card: ModelCard) -> np.ndarray:
    """A ``[n, features]`` float32 matrix, or a 400 naming the first bad value."""
    matrix = _bulk_matrix(rows, card)
    if matrix is not None:
        return matrix
    return checked_matrix(rows, where, card)


def checked_matrix(rows: list[Any], where: Sequence[str], card: ModelCard) -> np.ndarray:
    """The value-by-value path: the reference for ``to_matrix`` and the one that words errors."""
    values = [_row_values(row, at, card) for row, at in zip(rows, where, strict=True)]
    return np.asarray(values, dtype=np.float32)


def out_of_range(matrix: np.ndarray, card: ModelCard) -> list[list[str]] | None:
    """Per row, the features outside the training range: answers there are extrapolation.

    None when the card does not know the range: a guessed range would flag real data.
    """
    if not card.has_ranges:
        return None
    low = np.asarray(card.feature_min, dtype=np.float32)
    high = np.asarray(card.feature_max, dtype=np.float32)
    outside_rows, outside_columns = np.nonzero((matrix < low) | (matrix > high))
    names = card.feature_names
    flagged: list[list[str]] = [[] for _ in range(len(matrix))]
    for row, column in zip(outside_rows.tolist(), outside_columns.tolist(), strict=True):
        flagged[row].append(names[column])
    return flagged


def graph_feed(card: ModelCard, columns: Sequence[np.ndarray]) -> dict[str, np.ndarray]:
    """The inputs of the graph for validated rows given column by column, in card order.

    A number column is float64 with NaN where a value is missing; a string column an object
    array of ``str`` with None where a value is missing. A ``matrix`` graph takes them as one
    ``[n, columns]`` array of ``card.number_type``; a ``columns`` graph one ``[n, 1]`` input per
    column, named as the column, a missing string fed as ``MISSING_STRING``. ``convert`` feeds
    the graph through this same function when it checks parity, so both see the same inputs.
    """
    if card.inputs == MATRIX:
        return {card.input_name: np.column_stack(columns).astype(card.number_type)}
    feed = {}
    for column, values in zip(card.columns, columns, strict=True):
        if column.type == NUMBER:
            feed[column.name] = values.astype(card.number_type).reshape(-1, 1)
        else:
            strings = np.asarray(values, dtype=object).copy()
            strings[strings == None] = MISSING_STRING  # noqa: E711 (elementwise, not identity)
            feed[column.name] = strings.reshape(-1, 1)
    return feed


def _bulk_matrix(rows: list[Any], card: ModelCard) -> np.ndarray | None:
    """The matrix of a batch whose every row and value is well-formed, else None.

    Exactly the rows ``checked_matrix`` accepts pass: lists of ``n_features`` values, or objects
    with exactly the feature names (``n_features`` distinct keys, all of them names), values of
    type ``int`` or ``float`` (``bool`` is neither) whose magnitude fits float32; anything else,
    NaN and infinity included (they fail the ``<=``), returns None and leaves the wording to the
    value-by-value path. Integers convert as ``float()`` would, then round to float32 once.
    """
    n = card.n_features
    names = card.feature_names
    by_name = itemgetter(*names) if n > 1 else (lambda row: (row[names[0]],))
    values: list[Any] = []
    for row in rows:
        kind = type(row)
        if kind is list and len(row) == n:
            values.extend(row)
        elif kind is dict and len(row) == n:
            try:
                values.extend(by_name(row))
            except KeyError:
                return None
        else:
            return None
    if not set(map(type, values)) <= _NUMBER_TYPES:
        return None
    try:
        wide = np.array(values, dtype=np.float64)
    except OverflowError:
        return None
    if not (np.abs(wide) <= FLOAT32_MAX).all():
        return None
    return wide.astype(np.float32).reshape(len(rows), n)


_NUMBER_TYPES = frozenset({int, float})


def _row_values(row: object, where: str, card: ModelCard) -> list[float]:
    if isinstance(row, dict):
        return _named_row(row, where, card)
    if not isinstance(row, list):
        raise bad_request(
            "InvalidFeatures",
            f"{where} must be a list of {card.n_features} numbers "
            "or an object keyed by feature name",
        )
    if len(row) != card.n_features:
        raise bad_request(
            "InvalidFeatures",
            f"{where} has {len(row)} values; the model takes {card.n_features}: "
            f"{', '.join(card.feature_names)}",
        )
    return [
        _number(v, f"{where}[{j}] ({name})")
        for j, (v, name) in enumerate(zip(row, card.feature_names, strict=True))
    ]


def _named_row(row: dict[str, Any], where: str, card: ModelCard) -> list[float]:
    missing = [n for n in card.feature_names if n not in row]
    unknown_count = len(row) - (card.n_features - len(missing))
    if missing or unknown_count:
        known = set(card.feature_names)
        unknown = (name for name in row if name not in known)
        parts = [
            f"missing {missing}" if missing else "",
            f"unknown {quoted_list(unknown, unknown_count)}" if unknown_count else "",
        ]
        raise bad_request(
            "InvalidFeatures",
            f"{where}: {'; '.join(p for p in parts if p)} features; "
            f"expected exactly {list(card.feature_names)}",
        )
    return [_number(row[name], f"{where}.{name}") for name in card.feature_names]


def _number(value: object, where: str) -> float:
    kind = type(value)
    if kind is not float and kind is not int:
        raise bad_request("InvalidFeatures", f"{where} must be a number, got {_json_type(value)}")
    if value != value or value in (float("inf"), float("-inf")):
        raise bad_request("InvalidFeatures", f"{where} must be a finite number, got {value}")
    if abs(value) > FLOAT32_MAX:
        raise bad_request("InvalidFeatures", f"{where} is too large for float32 (|x| > 3.4e38)")
    return float(value)


def _json_type(value: object) -> str:
    names = {
        bool: "a boolean",
        str: "a string",
        type(None): "null",
        list: "a list",
        dict: "an object",
    }
    return names.get(type(value), type(value).__name__)
