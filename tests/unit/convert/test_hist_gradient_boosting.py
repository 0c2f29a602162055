"""HistGradientBoosting in float64: answers as scikit-learn does on float64 rows, on its own split
thresholds, with missing values and after float64 preprocessing; categorical splits refused."""

from __future__ import annotations

import numpy as np
import onnx
import pandas as pd
import pytest
from convert_support import convert, export_matrix, parity_on_matrix, random_matrix
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from convert.compatibility import homes, typed_pipeline
from convert.export import export_onnx
from convert.input_ranges import split_thresholds
from convert.schema import positional_schema
from convert.servable import UnsupportedModelError
from onnx_serving.card import PROBABILITY_TOLERANCE, VALUE_TOLERANCE, value_gap
from onnx_serving.handler import ServingSettings, handle
from onnx_serving.model import load_model

ITERATIONS = 20
QUIET = ServingSettings(log_requests=False)


def rows_on_thresholds(x: np.ndarray, model: object) -> np.ndarray:
    """Rows of ``x`` carrying each split threshold, and the float64 values either side of it."""
    features, thresholds = split_thresholds(model)
    rows = np.repeat(x[np.arange(len(features)) % len(x)], 3, axis=0)
    for step, values in enumerate(
        [np.nextafter(thresholds, -np.inf), thresholds, np.nextafter(thresholds, np.inf)]
    ):
        rows[step::3][np.arange(len(features)), features] = values
    return rows


def with_missing(rows: np.ndarray, share: float = 0.1, seed: int = 0) -> np.ndarray:
    rows = rows.copy()
    rows[np.random.default_rng(seed).random(rows.shape) < share] = np.nan
    return rows


def tree_node(model_bytes: bytes) -> onnx.NodeProto:
    graph = onnx.load_from_string(model_bytes).graph
    return next(n for n in graph.node if n.op_type.startswith("TreeEnsemble"))


CASES = [
    (
        "binary",
        lambda: HistGradientBoostingClassifier(max_iter=ITERATIONS, random_state=0),
        load_breast_cancer,
    ),
    (
        "multiclass",
        lambda: HistGradientBoostingClassifier(max_iter=ITERATIONS, random_state=0),
        load_wine,
    ),
    (
        "regressor",
        lambda: HistGradientBoostingRegressor(max_iter=ITERATIONS, random_state=0),
        load_diabetes,
    ),
    (
        "poisson",
        lambda: HistGradientBoostingRegressor(max_iter=ITERATIONS, loss="poisson", random_state=0),
        load_diabetes,
    ),
]


@pytest.mark.parametrize("missing", [False, True], ids=["complete", "missing"])
@pytest.mark.parametrize(("name", "build", "load"), CASES, ids=[c[0] for c in CASES])
def test_answers_as_scikit_learn_on_float64_rows_beside_every_threshold(name, build, load, missing):
    """Every float64 threshold, and the float64 values either side of it, branch as in
    scikit-learn: no boundary rows left to excuse."""
    data = load()
    x = with_missing(data.data) if missing else data.data
    model = build().fit(x, data.target)
    assert positional_schema(model, x.shape[1]).number_type == "float64"
    model_bytes = export_matrix(model, x.shape[1])
    rows = np.vstack(
        [
            x,
            rows_on_thresholds(data.data, model),
            random_matrix(data.data.min(0), data.data.max(0), 2000),
        ]
    )
    if missing:
        rows = with_missing(rows, seed=1)
    report = parity_on_matrix(model, model_bytes, rows)
    assert (report.boundary_rows, report.tied_rows) == (0, 0)
    tolerance = VALUE_TOLERANCE if name in ("regressor", "poisson") else PROBABILITY_TOLERANCE
    assert report.max_gap <= tolerance / 10


def test_thresholds_weights_and_baseline_are_float64_tensors():
    data = load_breast_cancer()
    model = HistGradientBoostingClassifier(max_iter=ITERATIONS, random_state=0)
    model.fit(data.data, data.target)
    node = tree_node(export_matrix(model, 30))
    attributes = {a.name: a for a in node.attribute}
    assert {"nodes_values", "class_weights", "base_values"}.isdisjoint(attributes)
    thresholds = onnx.numpy_helper.to_array(attributes["nodes_values_as_tensor"].t)
    assert thresholds.dtype == np.float64
    splits = np.concatenate([p.nodes for it in model._predictors for p in it])
    inner = splits["is_leaf"] == 0
    assert np.array_equal(thresholds[inner], splits["num_threshold"][inner])
    assert np.array_equal(
        np.asarray(attributes["nodes_missing_value_tracks_true"].ints)[inner],
        splits["missing_go_to_left"][inner],
    )
    baseline = onnx.numpy_helper.to_array(attributes["base_values_as_tensor"].t)
    assert baseline.tolist() == np.ravel(model._baseline_prediction).tolist()
    assert attributes["post_transform"].s == b"LOGISTIC"


def test_after_a_float64_scaler_no_cast_and_no_row_off():
    """scikit-learn scales in float64 and the histogram trees compare float64: so does the graph."""
    data = load_breast_cancer()
    pipeline = make_pipeline(
        StandardScaler(), HistGradientBoostingClassifier(max_iter=ITERATIONS, random_state=0)
    ).fit(data.data, data.target)
    schema = positional_schema(pipeline, 30)
    assert (schema.number_type, schema.casts_before_final) == ("float64", False)
    model_bytes = export_onnx(pipeline, schema)
    casts = [n for n in onnx.load_from_string(model_bytes).graph.node if n.op_type == "Cast"]
    # The one cast is of the tree operator's float32 probabilities to the declared float64.
    assert [onnx.helper.get_attribute_value(c.attribute[0]) for c in casts] == [
        onnx.TensorProto.DOUBLE
    ]
    rows = np.vstack([data.data, with_missing(data.data)])
    report = parity_on_matrix(pipeline, model_bytes, rows)
    assert (report.boundary_rows, report.max_gap <= PROBABILITY_TOLERANCE / 10) == (0, True)


def test_categorical_splits_are_refused_in_one_line():
    frame = pd.DataFrame(
        {"size": np.arange(60.0), "colour": pd.Categorical(["red", "blue", "green"] * 20)}
    )
    model = HistGradientBoostingRegressor(max_iter=5, categorical_features="from_dtype")
    model.fit(frame, np.arange(60.0) % 7)
    with pytest.raises(UnsupportedModelError) as refused:
        export_matrix(model, 2)
    assert str(refused.value) == (
        "HistGradientBoostingRegressor cannot be served: HistGradientBoostingRegressor splits "
        "on categories (categorical_features), which ONNX's tree operators cannot express: "
        "encode those columns with a OneHotEncoder or OrdinalEncoder before it instead"
    )


def test_a_dataframe_pipeline_with_missing_values_converts_and_serves_them(tmp_path):
    """Imputed and scaled in float64, then histogram trees comparing float64: no row is off,
    with or without missing values (refused while the trees took float32)."""
    data = homes()
    pipeline = typed_pipeline(HistGradientBoostingRegressor(max_iter=ITERATIONS, random_state=0))
    pipeline.fit(data.x, data.y)
    status, out = convert(tmp_path, pipeline, data.x)
    assert status == 0
    card = load_model(out).card
    assert card.number_type == "float64"
    assert [c.name for c in card.columns if c.missing] == ["area", "rooms", "city", "kind"]
    assert (card.parity["boundary_rows"], card.parity["max_value_gap"] <= 1e-7) == (0, True)
    rows = data.x.head(60).astype(object).where(data.x.head(60).notna(), None)
    served = [
        p["value"]
        for p in handle({"instances": rows.values.tolist()}, None, load_model(out), QUIET)[
            "predictions"
        ]
    ]
    expected = pipeline.predict(data.x.head(60))
    assert max(value_gap(v, e) for v, e in zip(served, expected, strict=True)) <= VALUE_TOLERANCE


def test_trained_with_missing_values_and_no_sample_the_split_thresholds_stay_finite(tmp_path):
    """A split sending the missing values one way and every number the other has an infinite
    threshold; parity rows are drawn between the finite ones."""
    data = load_breast_cancer()
    x = with_missing(data.data)
    model = HistGradientBoostingClassifier(max_iter=ITERATIONS, random_state=0).fit(x, data.target)
    splits = np.concatenate([p.nodes for it in model._predictors for p in it])
    assert np.isinf(splits["num_threshold"][splits["is_leaf"] == 0]).any()
    assert np.isfinite(split_thresholds(model)[1]).all()
    status, out = convert(tmp_path, model)
    assert status == 0
    assert load_model(out).card.parity["boundary_rows"] == 0
