"""The rows parity is checked on, held column by column as the function holds validated rows.

A number column is float64 with NaN for missing, a string column an object array of ``str``
with None for missing: exactly what ``onnx_serving.rows.graph_feed`` turns into the graph's
inputs. scikit-learn gets the same rows as it receives the user's data: a float64 matrix, or a
DataFrame with float64 number columns and object string columns (NaN where missing, as pandas
reads an empty CSV cell).

Generated rows reach what the user's rows may miss (numbers in the graph's number type, so that
they are values the function feeds unchanged): uniform draws over each number's range,
the split thresholds of a tree model that sees the raw columns (values exactly on a threshold
are where float arithmetic decides a branch), every category, an unknown category where the
encoder ignores them, and missing values where the model takes them.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from convert.schema import InputSchema
from onnx_serving.card import COLUMNS, NUMBER, STRING, UNKNOWN_IGNORE, Column

RANDOM_ROWS = 5000
# A string no encoder learnt: parity checks how ``ignore`` answers it.
UNSEEN_CATEGORY = "unseen category"
# The converter feeds columns in the order of the model's own feature_names_in_, as a numpy
# array: scikit-learn's "X does not have valid feature names" warning says nothing then.
FEATURE_NAMES_WARNING = "X does not have valid feature names"


@dataclass(frozen=True)
class CheckRows:
    """Rows by column: float64 (NaN missing) or object ``str`` (None missing) arrays."""

    columns: list[np.ndarray]

    def __len__(self) -> int:
        return len(self.columns[0])

    def take(self, index: np.ndarray) -> CheckRows:
        """The rows at ``index``, in that order."""
        return CheckRows([values[index] for values in self.columns])

    def then(self, other: CheckRows) -> CheckRows:
        """These rows followed by ``other``'s."""
        return CheckRows(
            [np.concatenate([a, b]) for a, b in zip(self.columns, other.columns, strict=True)]
        )

    def with_missing(self, j: int) -> CheckRows:
        """The same rows with column ``j`` missing."""
        columns = list(self.columns)
        columns[j] = _missing_like(columns[j], len(self))
        return CheckRows(columns)

    def json_row(self, i: int, schema: InputSchema) -> list[float | str | None]:
        """Row ``i`` as the card's golden rows and requests give it."""
        return [_json_value(values[i], schema.number_type) for values in self.columns]


def empty_rows(schema: InputSchema) -> CheckRows:
    """No rows, typed as ``schema`` says."""
    return CheckRows([_typed([], column.type) for column in schema.columns])


def rows_from_matrix(matrix: np.ndarray) -> CheckRows:
    """A matrix of numbers, column by column."""
    wide = np.asarray(matrix, dtype=np.float64)
    return CheckRows([np.ascontiguousarray(wide[:, j]) for j in range(wide.shape[1])])


def rows_from_cells(cells: list[list[str]], schema: InputSchema) -> CheckRows:
    """CSV cells (one list per row, in column order): an empty cell is missing, a string cell
    kept as is; ``ValueError`` names a number cell that is not one."""
    columns = []
    for j, column in enumerate(schema.columns):
        texts = [row[j] for row in cells]
        if column.type == STRING:
            columns.append(_typed([t if t != "" else None for t in texts], STRING))
            continue
        values = [_number_cell(text, i, column.name) for i, text in enumerate(texts)]
        columns.append(np.asarray(values, dtype=np.float64))
    return CheckRows(columns)


def _number_cell(text: str, i: int, name: str) -> float:
    if not text.strip():
        return np.nan
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"row {i + 1}, {name}: {text[:40]!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"row {i + 1}, {name}: {text[:40]!r} is not a finite number")
    return value


def sklearn_input(rows: CheckRows, schema: InputSchema) -> object:
    """The rows as scikit-learn receives the user's data: a float64 matrix, or a DataFrame."""
    if schema.inputs != COLUMNS:
        return np.column_stack(rows.columns).astype(np.float64)
    frame = {}
    for column, values in zip(schema.columns, rows.columns, strict=True):
        if column.type == NUMBER:
            frame[column.name] = values
        else:
            strings = values.copy()
            strings[_is_none(strings)] = np.nan
            frame[column.name] = strings
    return pd.DataFrame(frame)


def predict(method: object, rows: CheckRows, schema: InputSchema) -> np.ndarray:
    """``method`` (a bound predict or predict_proba) on the rows as scikit-learn receives them."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=FEATURE_NAMES_WARNING, category=UserWarning)
        return np.asarray(method(sklearn_input(rows, schema)))


def generated_rows(
    schema: InputSchema,
    low: np.ndarray,
    high: np.ndarray,
    thresholds: tuple[np.ndarray, np.ndarray] | None = None,
    n: int = RANDOM_ROWS,
    seed: int = 0,
) -> CheckRows:
    """``n`` uniform rows over ``[low, high]`` per number column (categories drawn uniformly,
    an unseen one among them where the encoder ignores it), then rows carrying each split
    threshold in its column."""
    rng = np.random.default_rng(seed)
    columns = []
    for j, column in enumerate(schema.columns):
        if column.type == NUMBER:
            columns.append(_as_fed(rng.uniform(low[j], high[j], size=n), schema.number_type))
        else:
            columns.append(_typed(list(rng.choice(_draws(column), size=n)), STRING))
    rows = CheckRows(columns)
    if thresholds is None or not len(thresholds[0]):
        return rows
    features, values = thresholds[0], _as_fed(thresholds[1], schema.number_type)
    on_thresholds = rows.take(rng.integers(0, n, size=len(values)))
    for j in np.unique(features):
        chosen = features == j
        on_thresholds.columns[j][chosen] = values[chosen]
    return rows.then(on_thresholds)


def _as_fed(values: np.ndarray, number_type: str) -> np.ndarray:
    """Generated numbers as the graph holds them: values the function feeds unchanged."""
    return np.asarray(values, dtype=number_type).astype(np.float64)


def _draws(column: Column) -> list[str]:
    categories = list(column.categories or [UNSEEN_CATEGORY])
    if column.categories and column.unknown == UNKNOWN_IGNORE:
        categories.append(UNSEEN_CATEGORY)
    return categories


def _typed(values: list[object], kind: str) -> np.ndarray:
    if kind == NUMBER:
        return np.asarray(values, dtype=np.float64)
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def _missing_like(values: np.ndarray, n: int) -> np.ndarray:
    if values.dtype == object:
        return np.full(n, None, dtype=object)
    return np.full(n, np.nan)


def _is_none(values: np.ndarray) -> np.ndarray:
    return np.asarray([v is None for v in values], dtype=bool)


def _json_value(value: object, number_type: str) -> float | str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, str):
        return value
    if number_type == "float32":
        return shortest_float32(value)
    return float(value)


def shortest_float32(value: float) -> float:
    """The shortest decimal that is the same float32: 4.3, not 4.300000190734863."""
    return float(np.format_float_positional(np.float32(value), unique=True, trim="0"))
