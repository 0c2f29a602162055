"""Bring your own model: convert a user's pickled or joblib-saved classifier.

Unpickling runs whatever code the file names, so this runs offline, on the user's machine, on a
file they trust; the point of the conversion is that nothing downstream ever unpickles again.
"""

from __future__ import annotations

import csv
import warnings
from dataclasses import dataclass
from pathlib import Path

import joblib
import sklearn
from sklearn.exceptions import InconsistentVersionWarning

from convert.servable import UnsupportedModelError, first_line


class InputError(ValueError):
    """The command line or the sample file cannot be used; the message says how to fix it."""


@dataclass(frozen=True)
class LoadedModel:
    """An unpickled estimator, and the scikit-learn version it was saved with if not ours."""

    estimator: object
    saved_with: str | None = None

    def version_note(self, path: Path) -> str | None:
        """One line for a pickle from another scikit-learn: which versions, and what holds."""
        if self.saved_with is None:
            return None
        return (
            f"note: {path.name} was saved with scikit-learn {self.saved_with} and is loaded "
            f"with {sklearn.__version__}; the parity check below holds ONNX to the model as "
            f"{sklearn.__version__} reads it, which is what makes the conversion safe"
        )


def load_estimator(path: Path) -> LoadedModel:
    """Load a pickle or joblib file (joblib reads both).

    scikit-learn warns once per estimator class (``InconsistentVersionWarning``) when a pickle
    comes from another version: a forest alone gives two. Those become one note; any other
    warning is shown as usual.
    """
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            estimator = joblib.load(path)
        except Exception as exc:
            raise InputError(
                f"{path}: cannot be unpickled ({type(exc).__name__}: {first_line(exc)})"
            ) from None
    saved_with = None
    for warning in caught:
        if isinstance(warning.message, InconsistentVersionWarning):
            saved_with = saved_with or warning.message.original_sklearn_version
        else:
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )
    return LoadedModel(estimator, saved_with)


def feature_names_for(estimator: object, given: list[str] | None) -> list[str]:
    """Names from the command line, else ``feature_names_in_``, else ``f0..fN``."""
    n = getattr(estimator, "n_features_in_", None)
    if n is None:
        raise UnsupportedModelError(f"{type(estimator).__name__} is not fitted (no n_features_in_)")
    remembered = getattr(estimator, "feature_names_in_", None)
    remembered = None if remembered is None else [str(v) for v in remembered]
    if given is not None:
        if len(given) != n:
            raise InputError(f"--feature-names lists {len(given)} names; the model takes {n}")
        if remembered is not None and given != remembered:
            raise InputError(
                f"the model was trained with feature names {remembered}: --feature-names must "
                "list them in that order, or be left out"
            )
        return given
    return remembered or [f"f{i}" for i in range(n)]


def read_sample_csv(path: Path, feature_names: list[str]) -> list[list[str]]:
    """The cells of a CSV, one list per row in ``feature_names`` order: a header naming the
    features (any order, extra columns ignored), or none when the first row is all numbers.
    Cells are kept as text: which columns are strings is the model's and the data's to say."""
    try:
        with path.open(newline="", encoding="utf-8") as f:
            table = [row for row in csv.reader(f) if row]
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror})") from None
    if not table:
        raise InputError(f"{path}: no rows")
    first = table[0]
    if set(feature_names) <= set(first):
        header, body = first, table[1:]
        body = [[_cell(row, header.index(n)) for n in feature_names] for row in body]
    elif _is_numeric(first):
        body = table
    else:
        missing = [n for n in feature_names if n not in first]
        raise InputError(f"{path}: header lacks features {missing}")
    if not body or any(len(row) != len(feature_names) for row in body):
        raise InputError(f"{path}: expected rows of {len(feature_names)} values")
    return body


def string_columns(cells: list[list[str]], feature_names: list[str]) -> set[str]:
    """The columns holding a non-empty cell that is not a number."""
    return {
        name
        for j, name in enumerate(feature_names)
        if not _is_numeric([row[j] for row in cells if row[j].strip()])
    }


def _cell(row: list[str], index: int) -> str:
    return row[index] if index < len(row) else ""


def _is_numeric(row: list[str]) -> bool:
    try:
        for value in row:
            float(value)
    except ValueError:
        return False
    return True
