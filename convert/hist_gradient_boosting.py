"""Export HistGradientBoosting models with skl2onnx 1.20: two fixes, applied only to it.

1. skl2onnx writes ``nodes_missing_value_tracks_true`` as Python ``False`` for every leaf
   (``skl2onnx/common/tree_ensemble.py``, ``add_tree_to_attribute_pairs_hist_gradient_boosting``)
   and onnx 1.23 refuses booleans in an integer attribute: ``TypeError: Field
   onnx.AttributeProto.ints: Expected an int, got a boolean``. The flags are turned into ints.
2. It stores each float64 threshold rounded to the *nearest* float32. scikit-learn's histogram
   trees compare the (float64) input with the float64 threshold, so a float32 input equal to
   a threshold rounded up goes left in ONNX and right in scikit-learn: on the breast-cancer
   data, probabilities differed by up to 0.15. skl2onnx already knows the cure and applies it to
   the other trees (``sklearn_threshold``: the largest float32 not above the threshold, for which
   ``x <= t32`` holds exactly when ``x <= t64`` for every float32 ``x``); it is switched on here.

Both are done by wrapping the function skl2onnx calls per tree, for the duration of one export.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Iterator
from typing import Any
from unittest import mock

from skl2onnx.operator_converters import random_forest
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

from convert.servable import parts

_ADD_TREE = "add_tree_to_attribute_pairs_hist_gradient_boosting"


def uses_hist_gradient_boosting(estimator: object) -> bool:
    """Whether the estimator, or a step of it, is a HistGradientBoosting model."""
    return any(
        isinstance(part, HistGradientBoostingClassifier | HistGradientBoostingRegressor)
        for part in parts(estimator)
    )


@contextlib.contextmanager
def hist_gradient_boosting_fixed() -> Iterator[None]:
    """While active, skl2onnx writes histogram trees onnx accepts and scikit-learn agrees with."""
    original = getattr(random_forest, _ADD_TREE)
    signature = inspect.signature(original)

    def add_tree(*args: Any, **kwargs: Any) -> None:
        bound = signature.bind(*args, **kwargs)
        bound.arguments["adjust_threshold_for_sklearn"] = True
        original(*bound.args, **bound.kwargs)
        flags = bound.arguments["attr_pairs"]["nodes_missing_value_tracks_true"]
        flags[:] = [int(flag) for flag in flags]

    with mock.patch.object(random_forest, _ADD_TREE, add_tree):
        yield
