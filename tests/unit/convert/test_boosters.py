"""XGBoost and LightGBM through their scikit-learn API: converted by the CLI and served by the
handler, answering as the libraries do on float64 rows, on their own split thresholds and with
missing values."""

from __future__ import annotations

import csv
import warnings

import joblib
import numpy as np
import onnxruntime as ort
import pytest
from lightgbm import LGBMClassifier, LGBMRegressor
from skl2onnx import to_onnx
from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from xgboost import XGBClassifier, XGBRegressor

from convert import __main__ as cli
from convert.boosters import booster_split_thresholds
from convert.check_rows import RANDOM_ROWS
from convert.export import TARGET_OPSET
from convert.schema import positional_schema
from convert.servable import UnsupportedModelError, check_servable
from onnx_serving.card import PROBABILITY_TOLERANCE, VALUE_TOLERANCE, value_gap
from onnx_serving.handler import ServingSettings, handle
from onnx_serving.model import load_model, session_options

TREES = 30
MISSING_SHARE = 0.1
QUIET = ServingSettings(log_requests=False)


def xgb_classifier() -> XGBClassifier:
    return XGBClassifier(n_estimators=TREES, random_state=0)


def lgbm_classifier() -> LGBMClassifier:
    return LGBMClassifier(n_estimators=TREES, random_state=0, verbose=-1)


def scaled_half(model: object) -> object:
    """A ColumnTransformer scaling the first half of the columns and passing the rest."""
    return make_pipeline(
        ColumnTransformer(
            [("scaled", StandardScaler(), slice(0, 15)), ("kept", "passthrough", slice(15, 30))]
        ),
        model,
    )


def with_missing(rows: np.ndarray, seed: int = 0) -> np.ndarray:
    """A copy of ``rows`` with ``MISSING_SHARE`` of the values missing (NaN), at random."""
    rows = rows.copy()
    rows[np.random.default_rng(seed).random(rows.shape) < MISSING_SHARE] = np.nan
    return rows


def session(model_bytes: bytes) -> ort.InferenceSession:
    return ort.InferenceSession(model_bytes, session_options(), providers=["CPUExecutionProvider"])


def convert_with_sample(tmp_path, estimator, x):
    """Pickle ``estimator``, write ``x`` as SAMPLE= rows and run the CLI; (status, out dir)."""
    model_path, sample = tmp_path / "model.pkl", tmp_path / "rows.csv"
    joblib.dump(estimator, model_path)
    with sample.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([f"f{i}" for i in range(x.shape[1])])
        writer.writerows(x.tolist())
    out = tmp_path / "out"
    argv = ["--from-pickle", str(model_path), "--out-dir", str(out), "--baseline-dir", ""]
    return cli.main([*argv, "--sample-csv", str(sample)]), out


@pytest.mark.parametrize(
    "build",
    [
        xgb_classifier,
        lgbm_classifier,
        lambda: make_pipeline(StandardScaler(), xgb_classifier()),
        lambda: make_pipeline(StandardScaler(), lgbm_classifier()),
        lambda: scaled_half(xgb_classifier()),
        lambda: scaled_half(lgbm_classifier()),
    ],
    ids=["xgb", "lgbm", "scaler-xgb", "scaler-lgbm", "columns-xgb", "columns-lgbm"],
)
def test_the_cli_converts_a_booster_that_is_served_with_missing_values(tmp_path, build):
    data = load_breast_cancer()
    estimator = build().fit(data.data, data.target)
    status, out = convert_with_sample(tmp_path, estimator, data.data)
    assert status == 0
    model = load_model(out)  # replays the golden rows through the graph, or refuses to load
    card = model.card
    assert (card.number_type, card.classes) == ("float64", ["0", "1"])
    assert {column.missing for column in card.columns} == {True}
    assert card.parity["rows"] > len(data.data) + RANDOM_ROWS
    assert card.parity["max_abs_probability_diff"] <= PROBABILITY_TOLERANCE
    rows = with_missing(data.data[:50])
    instances = [[None if np.isnan(v) else float(v) for v in row] for row in rows]
    answer = handle({"instances": instances}, None, model, QUIET)
    served = [[p["probabilities"][c] for c in card.classes] for p in answer["predictions"]]
    assert np.abs(np.asarray(served) - estimator.predict_proba(rows)).max() <= (
        PROBABILITY_TOLERANCE
    )
    assert [p["label"] for p in answer["predictions"]] == estimator.predict(rows).astype(
        str
    ).tolist()


def xgb_regressor() -> XGBRegressor:
    return XGBRegressor(n_estimators=TREES, random_state=0)


def lgbm_regressor() -> LGBMRegressor:
    return LGBMRegressor(n_estimators=TREES, random_state=0, verbose=-1)


@pytest.mark.parametrize(
    "build",
    [
        xgb_regressor,
        lgbm_regressor,
        lambda: make_pipeline(StandardScaler(), xgb_regressor()),
        lambda: make_pipeline(StandardScaler(), lgbm_regressor()),
    ],
    ids=["xgb", "lgbm", "scaler-xgb", "scaler-lgbm"],
)
def test_the_cli_converts_a_booster_regressor_that_is_served_with_missing_values(tmp_path, build):
    data = load_diabetes()
    estimator = build().fit(data.data, data.target)
    status, out = convert_with_sample(tmp_path, estimator, data.data)
    assert status == 0
    model = load_model(out)  # replays the golden rows through the graph, or refuses to load
    card = model.card
    assert (card.task, card.number_type, card.classes) == ("regressor", "float64", [])
    assert {column.missing for column in card.columns} == {True}
    assert card.parity["max_value_gap"] <= VALUE_TOLERANCE
    rows = with_missing(data.data[:50])
    instances = [[None if np.isnan(v) else float(v) for v in row] for row in rows]
    answer = handle({"instances": instances}, None, model, QUIET)
    served = [p["value"] for p in answer["predictions"]]
    expected = estimator.predict(rows)
    assert max(value_gap(v, e) for v, e in zip(served, expected, strict=True)) <= VALUE_TOLERANCE


def rows_on_thresholds(x: np.ndarray, estimator: object) -> np.ndarray:
    """Real rows with one feature set to a split threshold or one or two float64 steps away:
    where float32 rounding sends a row down the other branch if anything does."""
    features, thresholds = booster_split_thresholds(estimator)
    rng = np.random.default_rng(1)
    rows = x[rng.integers(0, len(x), 2000)].copy()
    for row, k in zip(rows, rng.integers(0, len(thresholds), len(rows)), strict=True):
        feature, value = features[k], thresholds[k]
        steps = int(rng.integers(-2, 3))
        for _ in range(abs(steps)):
            value = np.nextafter(value, np.inf if steps > 0 else -np.inf)
        row[feature] = value
    return rows


def gaps(estimator: object, model_bytes: bytes, rows: np.ndarray, dtype: type) -> np.ndarray:
    """Per row: |Δp| for a classifier, ``|Δv| / max(1, |v|)`` for a regressor."""
    outputs = session(model_bytes).run(None, {"input": rows.astype(dtype)})
    if hasattr(estimator, "predict_proba"):
        return np.abs(outputs[1] - estimator.predict_proba(rows)).max(axis=1)
    expected = estimator.predict(rows)
    return np.abs(np.ravel(outputs[0]) - expected) / np.maximum(1, np.abs(expected))


def exported(estimator: object, n_features: int, tensor_type: type) -> bytes:
    options = {id(estimator): {"zipmap": False}} if hasattr(estimator, "predict_proba") else None
    model = to_onnx(
        estimator,
        initial_types=[("input", tensor_type([None, n_features]))],
        options=options,
        target_opset=TARGET_OPSET,
    )
    return model.SerializeToString()


BOOSTERS = [
    ("XGBClassifier", xgb_classifier, load_wine),
    ("XGBRegressor", xgb_regressor, load_diabetes),
    ("LGBMClassifier", lgbm_classifier, load_wine),
    ("LGBMRegressor", lgbm_regressor, load_diabetes),
]


@pytest.mark.parametrize("missing", [False, True], ids=["complete", "missing"])
@pytest.mark.parametrize(("name", "build", "load"), BOOSTERS, ids=[b[0] for b in BOOSTERS])
def test_each_booster_answers_as_its_library_on_float64_rows_and_its_thresholds(
    name, build, load, missing
):
    data = load()
    x = with_missing(data.data) if missing else data.data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        estimator = build().fit(x, data.target)
    rows = np.vstack([x, rows_on_thresholds(data.data, estimator)])
    if missing:
        rows = with_missing(rows, seed=1)
    assert positional_schema(estimator, x.shape[1]).number_type == "float64"
    tolerance = PROBABILITY_TOLERANCE if name.endswith("Classifier") else VALUE_TOLERANCE
    assert gaps(
        estimator, exported(estimator, x.shape[1], DoubleTensorType), rows, np.float64
    ).max() <= (tolerance)


@pytest.mark.parametrize("build", [lgbm_classifier, lgbm_regressor])
def test_lightgbm_fed_float32_leaves_its_thresholds_on_rows_beside_them(build):
    """Why LightGBM gets a float64 input: its float64 thresholds, rounded, split differently."""
    data = load_diabetes() if build is not lgbm_classifier else load_wine()
    estimator = build().fit(data.data, data.target)
    rows = rows_on_thresholds(data.data, estimator)
    model_bytes = exported(estimator, rows.shape[1], FloatTensorType)
    assert (gaps(estimator, model_bytes, rows, np.float32) > 1e-3).sum() > 100


def test_xgboost_behind_a_float64_scaler_casts_to_float32_where_xgboost_does():
    data = load_breast_cancer()
    pipeline = make_pipeline(StandardScaler(), xgb_classifier()).fit(data.data, data.target)
    rows = np.vstack([data.data, with_missing(data.data)])
    model_bytes = exported(pipeline, rows.shape[1], DoubleTensorType)
    assert gaps(pipeline, model_bytes, rows, np.float64).max() <= PROBABILITY_TOLERANCE
    assert (gaps(pipeline, exported(pipeline, 30, FloatTensorType), rows, np.float32) > 1e-3).any()


class CatBoostLookalike(ClassifierMixin, BaseEstimator):
    """Stands for catboost.CatBoostClassifier, whose 268 MB wheel the tests do not install:
    the refusal goes by the library a class comes from."""

    def fit(self, x: np.ndarray, y: np.ndarray) -> CatBoostLookalike:
        self.classes_ = np.unique(y)
        return self


CatBoostLookalike.__module__ = "catboost.core"
CatBoostLookalike.__name__ = "CatBoostClassifier"


def test_catboost_is_refused_in_one_line_naming_it():
    data = load_wine()
    estimator = make_pipeline(StandardScaler(), CatBoostLookalike()).fit(data.data, data.target)
    with pytest.raises(UnsupportedModelError) as refused:
        check_servable(estimator)
    assert str(refused.value) == (
        "Pipeline(StandardScaler, CatBoostClassifier) uses CatBoostClassifier: CatBoost "
        "models are not converted: CatBoost exports its own ONNX (save_model(path, "
        "format='onnx')), which needs the catboost package, not carried here; XGBoost and "
        "LightGBM models convert"
    )
