"""Parity's two accepted disagreements (ties, float32 boundaries) and what stays an error."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import RobustScaler

from convert.export import export_onnx
from convert.hist_gradient_boosting import uses_hist_gradient_boosting
from convert.input_ranges import check_region
from convert.parity import (
    MAX_BOUNDARY_SHARE,
    NEIGHBOUR_STEPS,
    ParityError,
    check_parity,
    float32_neighbours,
    random_rows,
)


def test_neighbours_move_one_feature_by_one_to_n_float32_steps():
    rows = np.array([[1.0, -2.0]], dtype=np.float32)
    neighbours = float32_neighbours(rows, steps=2)
    assert neighbours.shape == (1, 2 * 2 * 2, 2)
    up = np.nextafter(np.float32(1.0), np.float32(2))
    down = np.nextafter(np.float32(1.0), np.float32(0))
    assert neighbours[0, 0].tolist() == [up, -2.0]
    assert neighbours[0, 2].tolist() == [np.nextafter(up, np.float32(2)), -2.0]
    assert neighbours[0, 4].tolist() == [down, -2.0]
    assert neighbours[0, 1].tolist() == [1.0, np.nextafter(np.float32(-2), np.float32(0))]
    assert NEIGHBOUR_STEPS == 4


def test_a_row_on_a_float32_boundary_is_accepted_and_counted():
    """RobustScaler scales in float64 in scikit-learn, in float32 in ONNX: training row 119 of
    Iris lands one float32 step from a tree threshold, on the other side."""
    x, y = load_iris(return_X_y=True)
    pipeline = make_pipeline(RobustScaler(), RandomForestClassifier(10, random_state=0)).fit(x, y)
    rows = np.vstack([x, random_rows(x.min(0), x.max(0), 5000)])
    report = check_parity(pipeline, export_onnx(pipeline, 4), rows)
    assert (report.boundary_rows, report.tied_rows) == (1, 0)
    assert np.flatnonzero(report.boundary).tolist() == [119]
    assert report.label_agreement == 1.0
    assert report.max_abs_probability_diff < 1e-6


def test_exact_ties_named_the_other_way_are_accepted_and_counted():
    """20 trees voting 10 against 10: scikit-learn names the first class, ONNX's float32 sum
    sometimes the second, with the same probabilities."""
    data = load_breast_cancer()
    forest = RandomForestClassifier(20, random_state=0)
    forest.fit(data.data, data.target_names[data.target])
    rows = random_rows(*check_region(forest), 5000)
    report = check_parity(forest, export_onnx(forest, 30), rows)
    assert report.tied_rows == 680
    assert report.boundary_rows == 0
    assert report.max_abs_probability_diff < 1e-6


def test_a_wrong_model_is_not_excused_as_boundary_rows():
    x, y = load_iris(return_X_y=True)
    model = RandomForestClassifier(10, random_state=0).fit(x, y)
    other = RandomForestClassifier(10, random_state=1).fit(x, y)
    rows = np.vstack([x, random_rows(x.min(0), x.max(0), 5000)])
    with pytest.raises(ParityError, match=r"^(labels|probabilities) differ"):
        check_parity(model, export_onnx(other, 4), rows)
    assert MAX_BOUNDARY_SHARE == 0.01


def test_hist_gradient_boosting_converts_with_int_flags_and_exact_thresholds():
    """skl2onnx 1.20 writes boolean flags onnx refuses, and nearest-float32 thresholds that
    moved breast-cancer probabilities by up to 0.15; both are fixed for this model only."""
    x, y = load_breast_cancer(return_X_y=True)
    model = HistGradientBoostingClassifier(max_iter=10, random_state=0).fit(x, y)
    assert uses_hist_gradient_boosting(model)
    model_bytes = export_onnx(model, 30)
    node = next(
        n for n in onnx.load_from_string(model_bytes).graph.node if n.op_type.startswith("Tree")
    )
    flags = next(a for a in node.attribute if a.name == "nodes_missing_value_tracks_true")
    assert set(flags.ints) <= {0, 1}
    rows = np.vstack([x, random_rows(x.min(0), x.max(0), 5000)])
    report = check_parity(model, model_bytes, rows)
    assert (report.boundary_rows, report.tied_rows) == (0, 0)
    assert report.max_abs_probability_diff < 1e-6
