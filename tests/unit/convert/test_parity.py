"""Parity's two accepted disagreements (ties, float32 boundaries) and what stays an error."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import onnx
import pytest
from convert_support import export_matrix, parity_on_matrix, random_matrix
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import RobustScaler, StandardScaler

from convert.check_rows import rows_from_matrix
from convert.export import export_onnx
from convert.input_ranges import check_region
from convert.parity import (
    MAX_BOUNDARY_SHARE,
    NEIGHBOUR_STEPS,
    ParityError,
    check_parity,
    neighbours,
)
from convert.schema import positional_schema


def test_neighbours_move_one_column_by_one_to_n_steps_of_the_number_type():
    rows = rows_from_matrix(np.array([[1.0, -2.0]]))
    near = neighbours(rows.then(rows), "float32", steps=2)
    # The row as fed; column 0 up 1 and 2 steps, down 1 and 2 steps; then column 1 likewise.
    assert len(near) == 2 * (1 + 2 * 2 * 2)
    assert [near.columns[0][0], near.columns[1][0]] == [1.0, -2.0]
    near = near.take(np.arange(1, 9))
    up = np.nextafter(np.float32(1.0), np.float32(2))
    down = np.nextafter(np.float32(1.0), np.float32(0))
    assert near.columns[0].tolist()[:4] == [
        float(up),
        float(np.nextafter(up, np.float32(2))),
        float(down),
        float(np.nextafter(down, np.float32(0))),
    ]
    assert near.columns[1].tolist()[:4] == [-2.0] * 4
    assert near.columns[1][4] == float(np.nextafter(np.float32(-2), np.float32(0)))
    wide = neighbours(rows, "float64", steps=1)
    assert wide.columns[0].tolist() == [1.0, np.nextafter(1.0, 2), np.nextafter(1.0, 0), 1.0, 1.0]
    assert neighbours(rows_from_matrix(np.array([[0.1]])), "float32").columns[0][0] == float(
        np.float32(0.1)
    )
    assert NEIGHBOUR_STEPS == 4


def test_a_scaler_before_a_forest_computes_in_float64_and_casts_where_scikit_learn_does():
    """RobustScaler scaled in float32 put training row 119 of Iris one float32 step from a
    tree threshold, on the other side; scaled in float64 then cast, no row is off."""
    x, y = load_iris(return_X_y=True)
    pipeline = make_pipeline(RobustScaler(), RandomForestClassifier(10, random_state=0)).fit(x, y)
    model_bytes = export_matrix(pipeline, 4)
    graph = onnx.load_from_string(model_bytes).graph
    assert graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.DOUBLE
    assert "Cast" in [node.op_type for node in graph.node]
    rows = np.vstack([x, random_matrix(x.min(0), x.max(0), 5000)])
    report = parity_on_matrix(pipeline, model_bytes, rows)
    assert (report.boundary_rows, report.tied_rows) == (0, 0)
    assert report.label_agreement == 1.0
    assert report.max_abs_probability_diff < 1e-6


def test_exact_ties_named_the_other_way_are_accepted_and_counted():
    """20 trees voting 10 against 10: scikit-learn names the first class, ONNX's float32 sum
    sometimes the second, with the same probabilities."""
    data = load_breast_cancer()
    forest = RandomForestClassifier(20, random_state=0)
    forest.fit(data.data, data.target_names[data.target])
    rows = random_matrix(*check_region(forest), 5000)
    report = parity_on_matrix(forest, export_matrix(forest, 30), rows)
    assert report.tied_rows == 680
    assert report.boundary_rows == 0
    assert report.max_abs_probability_diff < 1e-6


def test_a_wrong_model_is_not_excused_as_boundary_rows():
    x, y = load_iris(return_X_y=True)
    model = RandomForestClassifier(10, random_state=0).fit(x, y)
    other = RandomForestClassifier(10, random_state=1).fit(x, y)
    rows = np.vstack([x, random_matrix(x.min(0), x.max(0), 5000)])
    message = r"^RandomForestClassifier converted to ONNX answers differently from scikit-learn"
    with pytest.raises(ParityError, match=message):
        parity_on_matrix(model, export_matrix(other, 4), rows)
    assert MAX_BOUNDARY_SHARE == 0.01


def test_boundary_rows_gathered_on_the_users_rows_fail_parity():
    """Scaled in float32 (as a graph taking float32 would), breast-cancer rows 39, 171 and 558
    land across a tree threshold: three boundary rows. Among 569 check rows that is accepted;
    when they are three of the first 100, which are the user's own, it is not."""
    data = load_breast_cancer()
    pipeline = make_pipeline(StandardScaler(), RandomForestClassifier(200, random_state=0))
    pipeline.fit(data.data, data.target)
    schema = replace(positional_schema(pipeline, 30), number_type="float32")
    schema = replace(schema, casts_before_final=False)
    model_bytes = export_onnx(pipeline, schema)
    order = [39, 171, 558, *(i for i in range(len(data.data)) if i not in (39, 171, 558))]
    rows = rows_from_matrix(data.data[order])
    report = check_parity(pipeline, model_bytes, rows, schema)
    assert np.flatnonzero(report.boundary).tolist() == [0, 1, 2]
    assert MAX_BOUNDARY_SHARE == 0.01
    with pytest.raises(ParityError, match=r"^Pipeline\(StandardScaler, RandomForestClassifier\)"):
        check_parity(pipeline, model_bytes, rows, schema, real_rows=100)
