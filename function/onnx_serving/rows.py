"""Validate a prediction request's rows and turn them into the inputs the graph takes.

onnxruntime accepts NaN and infinity without complaint and, for NaN, answers differently from
scikit-learn; numpy quietly turns ``True``, ``"1.5"`` and ``None`` into numbers. So every value is
checked here, before onnxruntime sees it, and every refusal says which row and column is wrong.
A number column takes a JSON number (never a boolean), finite and within the number type fed; a
string column a JSON string; ``null`` (or ``""`` in a string column) is a missing value. The
rules about missing values, string length and unknown categories are the card's own
(``Column.refusal``): every entry point words them the same way.

Validated rows are held column by column (``to_columns``): a number column as float64 with NaN
where a value is missing, a string column as an object array with None there; ``graph_feed``
turns them into the graph's inputs, for the handler, the batch function and convert's parity.

Two paths give one answer. A batch of well-formed rows of a card whose every column is a number
that may not be missing is checked in bulk (one pass over the values' types, one numpy comparison
for finiteness and the float32 range), which costs about as much as predicting it; the first
anomaly, and any other card, takes the value-by-value path, which is the one that words the
refusal, so a message never depends on which path found the problem.
"""

from __future__ import annotations

import math
import sys
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from operator import itemgetter
from typing import Any

import numpy as np

from .card import (
    BIN_CATEGORIES,
    BIN_EDGES,
    FLOAT32_MAX,
    MATRIX,
    MISSING_STRING,
    NUMBER,
    Column,
    ModelCard,
)
from .errors import RequestError, bad_request, quoted, quoted_list

# Validated rows, column by column in card order: a list of 1-D arrays, or a 2-D float64 array
# whose rows are the columns.
Columns = Sequence[np.ndarray] | np.ndarray

# How a prediction request may ask its answer to be laid out (``answers``): one object per row,
# the default, or one list per field.
LAYOUT_FIELD = "layout"
ROWS_LAYOUT = "rows"
COLUMNS_LAYOUT = "columns"
LAYOUTS = (ROWS_LAYOUT, COLUMNS_LAYOUT)


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
    fields = len(payload) - (LAYOUT_FIELD in payload)
    if fields == 1 and "features" in payload:
        return [payload["features"]], ["features"]
    if fields != 1 or "instances" not in payload:
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


def answer_layout(payload: dict[str, Any]) -> str:
    """The layout a prediction request asks its answer in: ``rows`` unless it says otherwise."""
    layout = payload.get(LAYOUT_FIELD, ROWS_LAYOUT)
    if layout not in LAYOUTS:
        raise bad_request(
            "InvalidRequest",
            f"{LAYOUT_FIELD} must be one of {quoted_list(LAYOUTS)}, got "
            + (quoted(layout) if isinstance(layout, str) else json_type(layout)),
        )
    return layout


def to_columns(rows: list[Any], where: Sequence[str], card: ModelCard) -> Columns:
    """The rows' values column by column, in card order, or a 400 naming the first bad value.

    A number column is float64 with NaN where a value is missing, a string column an object array
    of ``str`` with None where a value is missing: what ``graph_feed`` takes. The bulk path gives
    the transpose of its float64 matrix, whose rows are the columns, without copying it.
    """
    if card.all_numbers:
        matrix = _bulk_matrix(rows, card)
        if matrix is not None:
            return matrix.T
    return checked_columns(rows, where, card)


def checked_columns(rows: list[Any], where: Sequence[str], card: ModelCard) -> Columns:
    """The value-by-value path: the reference for ``to_columns`` and the one that words errors."""
    values = [_row_values(row, at, card) for row, at in zip(rows, where, strict=True)]
    by_column = list(zip(*values, strict=True)) if values else [()] * card.n_features
    return [
        np.array(column_values, dtype=np.float64 if column.type == NUMBER else object)
        for column, column_values in zip(card.columns, by_column, strict=True)
    ]


def out_of_range(card: ModelCard, feed: dict[str, np.ndarray]) -> list[list[str]] | None:
    """Per row, the number columns outside their training range: answers there are extrapolation.

    None when the card knows no range: a guessed range would flag real data. ``feed`` is what
    ``graph_feed`` made of the rows, so values are compared as the model takes them (in
    ``number_type``); an unknown range and a missing value (NaN) never compare as outside.
    """
    if not card.has_ranges:
        return None
    dtype = card.number_type
    if card.inputs == MATRIX:
        columns = card.columns
        values = feed[card.input_name]
    else:
        columns = [column for column in card.columns if column.has_range]
        values = np.hstack([feed[column.name] for column in columns])
    low = np.array([column.min for column in columns], dtype=dtype)
    high = np.array([column.max for column in columns], dtype=dtype)
    outside_rows, outside_columns = np.nonzero((values < low) | (values > high))
    flagged: list[list[str]] = [[] for _ in range(len(values))]
    for row, column in zip(outside_rows.tolist(), outside_columns.tolist(), strict=True):
        flagged[row].append(columns[column].name)
    return flagged


def unusual_values(card: ModelCard, columns: Columns) -> tuple[dict[str, int], dict[str, int]]:
    """Per column, how many rows miss a value and how many carry a category the model does not
    know (answered as the encoder ignores it); columns with none are left out."""
    missing: dict[str, int] = {}
    unknown: dict[str, int] = {}
    for column, values in zip(card.columns, columns, strict=True):
        if column.type == NUMBER:
            count = int(np.isnan(values).sum()) if column.missing else 0
        else:
            count = sum(1 for value in values.tolist() if value is None or value == MISSING_STRING)
            if column.categories is not None:
                known = frozenset(column.categories)
                strange = sum(1 for value in values.tolist() if value and value not in known)
                if strange:
                    unknown[column.name] = strange
        if count:
            missing[column.name] = count
    return missing, unknown


# Below this many rows a number column is counted value by value with ``bisect``, from it with
# one ``searchsorted``: each numpy call costs as much as bisecting a few values, so a one-row
# request is counted in Python and a batch in numpy (docs/observability.md has the timings).
BISECT_ROWS = 16


class NumberBins:
    """A number column's bins: its edges in the model's number type, as an array for
    ``searchsorted`` and as Python floats for ``bisect`` (the same values: a float32 widens to
    float64 exactly, so both compare alike)."""

    __slots__ = ("bins", "edge_values", "edges", "missing")

    def __init__(self, edges: list[float], number_type: str, missing: bool) -> None:
        self.edges = np.asarray(edges, dtype=number_type)
        self.edge_values: list[float] = self.edges.tolist()
        self.bins = len(edges) + 1
        self.missing = missing

    def count(self, values: np.ndarray) -> list[int]:
        """Rows per bin of ``values`` (the column as fed, NaN where missing): a value falls in
        the bin numbered by the edges below it, a missing one in none."""
        if len(values) < BISECT_ROWS:
            in_bins = [0] * self.bins
            for value in values.tolist():
                if value == value:
                    in_bins[bisect_left(self.edge_values, value)] += 1
            return in_bins
        if self.missing:
            values = values[~np.isnan(values)]
        return np.bincount(np.searchsorted(self.edges, values), minlength=self.bins).tolist()


class CategoryBins:
    """A string column's bins: one per category of the card, in its order, then every other."""

    __slots__ = ("bin_of", "bins", "other")

    def __init__(self, categories: list[str]) -> None:
        self.bin_of = {category: k for k, category in enumerate(categories)}
        self.other = len(categories)
        self.bins = self.other + 1

    def count(self, values: np.ndarray) -> list[int]:
        """Rows per bin of ``values`` (the column as fed, ``MISSING_STRING`` where missing)."""
        in_bins = [0] * self.bins
        bin_of, other = self.bin_of, self.other
        for value in values.tolist():
            if value != MISSING_STRING:
                in_bins[bin_of.get(value, other)] += 1
        return in_bins


class BinCounter:
    """Counts a request's rows per bin of the card's ``feature_bins``; made once per card.

    The bins are prepared here, at init (edges as arrays and lists, categories as a lookup):
    per request only the counting is left. Rows are counted as the graph takes them (the feed
    ``graph_feed`` made): a number is compared with the edges in the model's number type, as
    the card's edges were taken; a string other than the card's categories counts in the last
    bin. A missing value counts in none, as in training's shares.
    """

    def __init__(self, card: ModelCard) -> None:
        described = card.feature_bins or {}
        self._matrix_input = card.input_name if card.inputs == MATRIX else None
        self._columns: list[tuple[str, int, NumberBins | CategoryBins]] = [
            (
                column.name,
                position,
                NumberBins(described[column.name][BIN_EDGES], card.number_type, column.missing)
                if column.type == NUMBER
                else CategoryBins(described[column.name][BIN_CATEGORIES]),
            )
            for position, column in enumerate(card.columns)
            if column.name in described
        ]

    def counts(self, feed: dict[str, np.ndarray]) -> dict[str, list[int]]:
        """Per binned column, in card order, the rows of ``feed`` in each of its bins."""
        if self._matrix_input is None:
            return {name: bins.count(feed[name][:, 0]) for name, _, bins in self._columns}
        matrix = feed[self._matrix_input]
        return {name: bins.count(matrix[:, at]) for name, at, bins in self._columns}


def graph_feed(card: ModelCard, columns: Columns) -> dict[str, np.ndarray]:
    """The inputs of the graph for validated rows given column by column, in card order.

    A number column is float64 with NaN where a value is missing; a string column an object
    array of ``str`` with None where a value is missing. A ``matrix`` graph takes them as one
    ``[n, columns]`` array of ``card.number_type``; a ``columns`` graph one ``[n, 1]`` input per
    column, named as the column, a missing string fed as ``MISSING_STRING``. ``columns`` may be a
    2-D array whose rows are the columns (``to_columns``' bulk path): a matrix graph then takes
    it with one cast, no copy before it. ``convert`` feeds
    the graph through this same function when it checks parity, so both see the same inputs.
    """
    if card.inputs == MATRIX:
        matrix = columns.T if isinstance(columns, np.ndarray) else np.column_stack(columns)
        return {card.input_name: matrix.astype(card.number_type, copy=False)}
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
    """The float64 ``[n, columns]`` matrix of a batch whose every row and value is well-formed,
    else None.

    Exactly the rows ``checked_columns`` accepts pass: lists of ``n_features`` values, or objects
    with exactly the column names (``n_features`` distinct keys, all of them names), values of
    type ``int`` or ``float`` (``bool`` is neither), finite, within float32 when the model is fed
    float32; anything else, NaN and infinity included (they fail the ``<=``), returns None and
    leaves the wording to the value-by-value path. Integers convert as ``float()`` would.
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
    if not (np.abs(wide) <= _largest(card)).all():
        return None
    return wide.reshape(len(rows), n)


_NUMBER_TYPES = frozenset({int, float})


# The largest magnitude a number fed as each number type may have, and how messages print it.
LARGEST = {"float32": (FLOAT32_MAX, "3.4e38"), "float64": (sys.float_info.max, "1.8e308")}


def _largest(card: ModelCard) -> float:
    return LARGEST[card.number_type][0]


def _row_values(row: object, where: str, card: ModelCard) -> list[float | str | None]:
    if isinstance(row, dict):
        return _named_row(row, where, card)
    if not isinstance(row, list):
        raise bad_request(
            "InvalidFeatures",
            f"{where} must be a list of {card.n_features} "
            f"{'numbers' if card.all_numbers else 'values'} or an object keyed by feature name",
        )
    if len(row) != card.n_features:
        raise bad_request(
            "InvalidFeatures",
            f"{where} has {len(row)} values; the model takes {card.n_features}: "
            f"{', '.join(card.feature_names)}",
        )
    return [
        _value(value, column, f"{where}[{j}] ({column.name})", card)
        for j, (value, column) in enumerate(zip(row, card.columns, strict=True))
    ]


def _named_row(row: dict[str, Any], where: str, card: ModelCard) -> list[float | str | None]:
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
    return [
        _value(row[column.name], column, f"{where}.{column.name}", card) for column in card.columns
    ]


def _value(value: object, column: Column, where: str, card: ModelCard) -> float | str | None:
    """``value`` as the column holds it (NaN or None where missing), or a 400 saying why not."""
    if value is None:
        checked: float | str | None = None
    elif column.type == NUMBER:
        checked = _number(value, where, card)
    elif type(value) is str:
        checked = value
    else:
        raise bad_request("InvalidFeatures", f"{where} must be a string, got {json_type(value)}")
    refusal = column.refusal(checked)
    if refusal:
        raise bad_request("InvalidFeatures", f"{where} {refusal}")
    if checked is None and column.type == NUMBER:
        return math.nan
    return checked


def _number(value: object, where: str, card: ModelCard) -> float:
    kind = type(value)
    if kind is not float and kind is not int:
        raise bad_request("InvalidFeatures", f"{where} must be a number, got {json_type(value)}")
    if value != value or value in (math.inf, -math.inf):
        raise bad_request("InvalidFeatures", f"{where} must be a finite number, got {value}")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if abs(number) > _largest(card):
        raise bad_request("InvalidFeatures", f"{where} {too_large(card.number_type)}")
    return number


def json_type(value: object) -> str:
    """How a refusal names the JSON type of ``value``."""
    return _JSON_TYPES.get(type(value), type(value).__name__)


_JSON_TYPES = {
    bool: "a boolean",
    int: "a number",
    float: "a number",
    str: "a string",
    type(None): "null",
    list: "a list",
    dict: "an object",
}


def too_large(number_type: str) -> str:
    """The refusal of a number beyond what ``number_type`` holds."""
    return f"is too large for {number_type} (|x| > {LARGEST[number_type][1]})"
