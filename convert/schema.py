"""What the graph takes and in which number type: decided from the fitted model, as it reads data.

Fidelity is about where scikit-learn casts. Its preprocessing (scalers, imputers, encoders) and
its linear models, SVMs, neighbours and networks compute in float64; its trees and forests cast
X to float32 just before comparing with their float32 thresholds. So a model is fed float64
(``number_type`` "float64") unless its very first computation is such a cast (a bare tree
model, whose float32 input is exactly what scikit-learn compares), and a Pipeline that ends in a
tree model gets the same cast to float32 in its graph, just before the trees.

A model fitted on a DataFrame whose columns a ``ColumnTransformer`` routes (strings to an
encoder, numbers to a scaler) takes one graph input per column (``inputs`` "columns", as
skl2onnx converts it); any other model takes one matrix of numbers (``inputs`` "matrix").
A column is a string when the fitted encoder reading it learnt string categories, or when the
sample's values for it are not numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder
from sklearn.tree import BaseDecisionTree

from convert.input_ranges import TREE_ENSEMBLES
from convert.servable import final_estimator, parts
from onnx_serving.card import (
    COLUMNS,
    MATRIX,
    STRING,
    UNKNOWN_ERROR,
    UNKNOWN_IGNORE,
    Column,
)

INPUT_NAME = "input"
# Models whose graph compares float32: scikit-learn casts X to float32 before their trees. The
# histogram trees are not among them: they compare float64 with float64 thresholds, and so does
# their graph (convert.hist_gradient_boosting).
FLOAT32_MODELS = (BaseDecisionTree, *TREE_ENSEMBLES)
ENCODERS = (OneHotEncoder, OrdinalEncoder)


@dataclass(frozen=True)
class InputSchema:
    """How rows reach the graph: the card's ``columns``, ``inputs``, ``number_type`` and
    ``input_name``, which is all ``onnx_serving.rows.graph_feed`` reads of a card."""

    columns: list[Column]
    inputs: str
    number_type: str
    input_name: str = INPUT_NAME
    # Whether the graph casts to float32 before the model's trees (a Pipeline that ends in one).
    casts_before_final: bool = False

    @property
    def feature_names(self) -> list[str]:
        """Column names, in the order positional rows give them."""
        return [column.name for column in self.columns]


def compares_float32(estimator: object) -> bool:
    """Whether the estimator (a Pipeline's last step) casts its input to float32 first."""
    return isinstance(estimator, FLOAT32_MODELS)


def input_schema(
    estimator: object, names: list[str], sample_strings: set[str] | None = None
) -> InputSchema:
    """The schema of ``estimator`` over columns ``names``; ``sample_strings`` names the sample's
    columns whose values are not numbers. ``missing`` is decided later, by probing."""
    encoded = encoded_columns(estimator, names)
    strings = set(sample_strings or ()) | {
        name for name, (categories, _) in encoded.items() if categories is not None
    }
    columns = []
    for name in names:
        if name in strings:
            categories, unknown = encoded.get(name, (None, None))
            columns.append(Column(name, STRING, categories=categories, unknown=unknown))
        else:
            columns.append(Column(name))
    by_name = hasattr(estimator, "feature_names_in_") and _routes_columns(estimator)
    bare = not hasattr(estimator, "steps")
    return InputSchema(
        columns=columns,
        inputs=COLUMNS if by_name or strings else MATRIX,
        number_type="float32" if bare and compares_float32(estimator) else "float64",
        casts_before_final=not bare and compares_float32(final_estimator(estimator)),
    )


def _routes_columns(estimator: object) -> bool:
    """Whether a ColumnTransformer picks the model's input columns by name."""
    return any(isinstance(part, ColumnTransformer) for part in parts(estimator))


def encoded_columns(
    estimator: object, names: list[str]
) -> dict[str, tuple[list[str] | None, str | None]]:
    """Per input column a fitted encoder reads: its string categories (None when they are not
    strings) and its unknown-category policy."""
    found: dict[str, tuple[list[str] | None, str | None]] = {}
    for transformer in (p for p in parts(estimator) if isinstance(p, ColumnTransformer)):
        for _, step, selected in transformer.transformers_:
            encoder = next((p for p in parts(step) if isinstance(p, ENCODERS)), None)
            if encoder is None:
                continue
            for k, name in enumerate(_selected_names(selected, names)):
                found[name] = (_string_categories(encoder.categories_[k]), _unknown(encoder))
    return found


def _selected_names(selected: object, names: list[str]) -> list[str]:
    if isinstance(selected, str | int | np.integer):
        selected = [selected]
    if isinstance(selected, slice):
        return names[selected]
    selected = list(np.asarray(selected).ravel()) if selected is not None else []
    if selected and all(isinstance(s, bool | np.bool_) for s in selected):
        return [name for name, keep in zip(names, selected, strict=True) if keep]
    return [names[int(s)] if isinstance(s, int | np.integer) else str(s) for s in selected]


def _string_categories(categories: np.ndarray) -> list[str] | None:
    """The string categories an encoder learnt (a NaN category is missing, not a string)."""
    values = [c for c in categories.tolist() if isinstance(c, str)]
    return values or None


def _unknown(encoder: object) -> str:
    """``error`` only where scikit-learn raises on an unknown category."""
    return UNKNOWN_ERROR if encoder.handle_unknown == "error" else UNKNOWN_IGNORE


def positional_schema(estimator: object, n_features: int) -> InputSchema:
    """The schema of a model fitted on a matrix of ``n_features`` unnamed columns."""
    return input_schema(estimator, [f"f{i}" for i in range(n_features)])
