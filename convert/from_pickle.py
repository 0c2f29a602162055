"""Bring your own model: convert a user's pickled or joblib-saved classifier.

Unpickling runs whatever code the file names, so this runs offline, on the user's machine, on a
file they trust; the point of the conversion is that nothing downstream ever unpickles again.
"""

from __future__ import annotations

import csv
from pathlib import Path

import joblib
import numpy as np

from convert.export import UnsupportedModelError


class InputError(ValueError):
    """The command line or the sample file cannot be used; the message says how to fix it."""


def load_estimator(path: Path) -> object:
    """Load a pickle or joblib file (joblib reads both)."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        return joblib.load(path)
    except Exception as exc:
        raise InputError(f"{path}: cannot be unpickled ({type(exc).__name__}: {exc})") from None


def feature_names_for(estimator: object, given: list[str] | None) -> list[str]:
    """Names from the command line, else ``feature_names_in_``, else ``f0..fN``."""
    n = getattr(estimator, "n_features_in_", None)
    if n is None:
        raise UnsupportedModelError(f"{type(estimator).__name__} is not fitted (no n_features_in_)")
    if given is not None:
        if len(given) != n:
            raise InputError(f"--feature-names lists {len(given)} names; the model takes {n}")
        return given
    names = getattr(estimator, "feature_names_in_", None)
    if names is not None:
        return [str(v) for v in names]
    return [f"f{i}" for i in range(n)]


def read_sample_csv(path: Path, feature_names: list[str]) -> np.ndarray:
    """Rows from a CSV: a header naming the features (any order, extra columns ignored) or none."""
    try:
        with path.open(newline="", encoding="utf-8") as f:
            table = [row for row in csv.reader(f) if row]
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror})") from None
    if not table:
        raise InputError(f"{path}: no rows")
    header, body = (table[0], table[1:]) if not _is_numeric(table[0]) else (None, table)
    if header is not None:
        missing = [n for n in feature_names if n not in header]
        if missing:
            raise InputError(f"{path}: header lacks features {missing}")
        body = [[row[header.index(n)] for n in feature_names] for row in body]
    try:
        rows = np.asarray(body, dtype=np.float64)
    except ValueError as exc:
        raise InputError(f"{path}: not a table of numbers ({exc})") from None
    if rows.ndim != 2 or rows.shape[1] != len(feature_names) or not len(rows):
        raise InputError(f"{path}: expected rows of {len(feature_names)} numbers")
    if not np.isfinite(rows).all():
        raise InputError(f"{path}: contains NaN or infinite values")
    return rows.astype(np.float32)


def training_range(estimator: object) -> tuple[np.ndarray, np.ndarray]:
    """Guess the input range from what the fitted model remembers, when no sample rows are given.

    A leading scaler knows its training mean and scale (±3σ) or min and max; a tree ensemble's
    split thresholds span the region where its answers change.
    """
    first = estimator.steps[0][1] if hasattr(estimator, "steps") else estimator
    if hasattr(first, "mean_") and hasattr(first, "scale_"):
        return first.mean_ - 3 * first.scale_, first.mean_ + 3 * first.scale_
    if hasattr(first, "data_min_") and hasattr(first, "data_max_"):
        return first.data_min_, first.data_max_
    if hasattr(first, "estimators_"):
        return _threshold_range(first)
    raise InputError(
        f"cannot tell the input range of {type(first).__name__}; pass --sample-csv with real rows"
    )


def _threshold_range(ensemble: object) -> tuple[np.ndarray, np.ndarray]:
    n = ensemble.n_features_in_
    low, high = np.full(n, np.inf), np.full(n, -np.inf)
    for tree in np.ravel(ensemble.estimators_):
        splits = tree.tree_.feature >= 0
        features, thresholds = tree.tree_.feature[splits], tree.tree_.threshold[splits]
        np.minimum.at(low, features, thresholds)
        np.maximum.at(high, features, thresholds)
    unused = ~np.isfinite(low)
    low[unused], high[unused] = 0.0, 1.0
    margin = np.maximum((high - low) * 0.1, 1.0)
    return low - margin, high + margin


def _is_numeric(row: list[str]) -> bool:
    try:
        for value in row:
            float(value)
    except ValueError:
        return False
    return True
