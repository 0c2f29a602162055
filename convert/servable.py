"""What this project can serve, and a one-line refusal for everything else.

The function answers a label and one probability per class, or one number per row, for rows of
numbers and strings (categories) given column by column. So the model must be a fitted
classifier with ``predict_proba`` or a single-output regressor, reading columns, not text or
dicts. These checks run before skl2onnx, so that a model the project cannot serve is refused
with a line naming it and saying why, not with whatever skl2onnx raises.
"""

from __future__ import annotations

import numpy as np
from skl2onnx import supported_converters
from sklearn.base import is_classifier, is_regressor
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

# Transformers whose inputs are not numbers, and what they take instead.
NON_NUMERIC_INPUTS = {
    "CountVectorizer": "text",
    "HashingVectorizer": "text",
    "TfidfVectorizer": "text",
    "DictVectorizer": "dicts of features",
    "FeatureHasher": "dicts or strings of features",
}


# Libraries whose models are refused by name, and why.
REFUSED_LIBRARIES = {
    "catboost": (
        "CatBoost models are not converted: CatBoost exports its own ONNX "
        "(save_model(path, format='onnx')), which needs the catboost package, not carried here; "
        "XGBoost and LightGBM models convert"
    ),
}


class UnsupportedModelError(ValueError):
    """The estimator cannot be served by this project; the message names it and says why."""


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message, cut short: never a page of library output."""
    line = (str(exc).strip().splitlines() or [""])[0]
    return line if len(line) <= 200 else line[:200] + "..."


def describe_estimator(estimator: object) -> str:
    """``RandomForestClassifier``, or ``Pipeline(StandardScaler, LogisticRegression)``."""
    steps = getattr(estimator, "steps", None)
    if isinstance(steps, list):
        return f"Pipeline({', '.join(describe_estimator(step) for _, step in steps)})"
    return type(estimator).__name__


def final_estimator(estimator: object) -> object:
    """The step that answers: a Pipeline's last step, or the estimator itself."""
    steps = getattr(estimator, "steps", None)
    return final_estimator(steps[-1][1]) if isinstance(steps, list) and steps else estimator


def parts(estimator: object) -> list[object]:
    """The estimator and every step inside it (Pipelines, ColumnTransformers, FeatureUnions)."""
    children: list[object] = []
    for attribute in ("steps", "transformers_", "transformers", "transformer_list"):
        entries = getattr(estimator, attribute, None)
        if isinstance(entries, list):
            children = [entry[1] for entry in entries if isinstance(entry, tuple)]
            break
    return [estimator, *(part for child in children for part in parts(child))]


def check_servable(estimator: object) -> None:
    """Raise ``UnsupportedModelError`` with one line unless the function can serve the model."""
    name = describe_estimator(estimator)
    for part in parts(estimator):
        why = REFUSED_LIBRARIES.get(type(part).__module__.partition(".")[0])
        if why:
            raise UnsupportedModelError(f"{name} uses {type(part).__name__}: {why}")
    final = final_estimator(estimator)
    final_name = type(final).__name__
    if not is_classifier(final) and not is_regressor(final):
        raise UnsupportedModelError(
            f"{name} is neither a classifier nor a regressor: the function answers a label and "
            "one probability per class, or one number per row"
        )
    try:
        check_is_fitted(estimator)
    except NotFittedError:
        raise UnsupportedModelError(f"{name} is not fitted: fit it, then save it") from None
    except TypeError as exc:
        raise UnsupportedModelError(f"{name} is not a scikit-learn estimator ({exc})") from None
    if is_regressor(final):
        if _outputs(final) > 1:
            raise UnsupportedModelError(
                f"{name} predicts {_outputs(final)} numbers per row: only single-output "
                "regressors are served"
            )
    elif not hasattr(estimator, "predict_proba"):
        advice = (
            "refit it with SVC(probability=True) or wrap it in CalibratedClassifierCV"
            if final_name in ("SVC", "NuSVC")
            else "wrap it in CalibratedClassifierCV"
        )
        raise UnsupportedModelError(
            f"{name} has no predict_proba, and the function answers probabilities: {advice}"
        )
    else:
        classes = getattr(final, "classes_", None)
        if not isinstance(classes, np.ndarray) or classes.ndim != 1:
            raise UnsupportedModelError(
                f"{name} predicts several outputs at once: only single-output classifiers are "
                "served"
            )
    for part in parts(estimator):
        takes = NON_NUMERIC_INPUTS.get(type(part).__name__)
        if takes:
            raise UnsupportedModelError(
                f"{name} uses {type(part).__name__}, which takes {takes}: the function takes "
                "numbers and categories (strings) column by column only"
            )


def _outputs(regressor: object) -> int:
    """How many numbers a fitted regressor predicts per row."""
    n = getattr(regressor, "n_outputs_", None)
    if n is not None:
        return int(n)
    coef = getattr(regressor, "coef_", None)
    return int(np.asarray(coef).shape[0]) if coef is not None and np.ndim(coef) == 2 else 1


def unconvertible_part(estimator: object) -> str | None:
    """The first step skl2onnx has no converter for (a custom estimator, say), by class name."""
    known = set(supported_converters(from_sklearn=True))
    return next((type(p).__name__ for p in parts(estimator) if type(p).__name__ not in known), None)
