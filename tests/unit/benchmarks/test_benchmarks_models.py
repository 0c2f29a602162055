"""The grid's models and the tree rewrites: deterministic, and answering as scikit-learn does."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

from convert.export import export_onnx
from convert.parity import check_parity, random_rows
from convert.train import train_iris
from convert.tree_ensemble import RewriteError, to_tree_ensemble_v5
from tools.benchmarks.grid_models import GridPoint, build_grid_model, default_grid
from tools.benchmarks.synthetic_forests import FEATURES, train_synthetic
from tools.benchmarks.tree_ensemble_variants import slim_classifier, tensor_thresholds

REWRITES = {
    "slim": slim_classifier,
    "v5": to_tree_ensemble_v5,
    "float32-tensors": tensor_thresholds,
    "float64": lambda data: tensor_thresholds(data, np.float64),
}


@pytest.fixture(scope="module")
def forests():
    """Iris (string labels, impure leaves), and synthetic full-depth (pure) and shallow trees."""
    iris = train_iris(n_estimators=15, max_depth=4)
    full = train_synthetic(n_estimators=3, max_depth=None)
    shallow = train_synthetic(n_estimators=4, max_depth=3)
    return {
        "iris": (iris, len(iris.feature_names)),
        "synthetic-full": (full, FEATURES),
        "synthetic-shallow": (shallow, FEATURES),
    }


def _rows(trained) -> np.ndarray:
    low, high = trained.x_train.min(axis=0), trained.x_train.max(axis=0)
    return np.vstack([trained.x_test, random_rows(low, high, 1000)])


def test_synthetic_training_is_deterministic():
    first = export_onnx(train_synthetic(2, 4).estimator, FEATURES)
    second = export_onnx(train_synthetic(2, 4).estimator, FEATURES)
    assert first == second


def test_default_grid():
    assert [p.key for p in default_grid()] == [
        "rf10-d5",
        "rf10-dfull",
        "rf100-d5",
        "rf100-dfull",
        "rf500-d5",
        "rf500-dfull",
    ]
    assert GridPoint(500, None).label == "500 × full"


@pytest.mark.parametrize("rewrite", REWRITES)
@pytest.mark.parametrize("forest", ["iris", "synthetic-full", "synthetic-shallow"])
def test_rewrites_keep_parity(forests, forest, rewrite):
    trained, n_features = forests[forest]
    model_bytes = export_onnx(trained.estimator, n_features)
    report = check_parity(trained.estimator, REWRITES[rewrite](model_bytes), _rows(trained))
    assert report.label_agreement == 1.0


def test_v5_graph_shape(forests):
    trained, n_features = forests["synthetic-full"]
    model = onnx.load_from_string(to_tree_ensemble_v5(export_onnx(trained.estimator, n_features)))
    ops = [n.op_type for n in model.graph.node]
    assert ops == ["TreeEnsemble", "Constant", "Div", "ArgMax", "Constant", "Gather"]
    assert {o.domain: o.version for o in model.opset_import}["ai.onnx.ml"] == 5
    ensemble = {a.name: a for a in model.graph.node[0].attribute}
    # Full-depth leaves are pure: each tree is written once, one leaf entry per leaf.
    leaves = sum(int((t.tree_.children_left == -1).sum()) for t in trained.estimator.estimators_)
    assert len(ensemble["leaf_targetids"].ints) == leaves


def test_slim_drops_zero_votes(forests):
    trained, n_features = forests["synthetic-full"]
    model_bytes = export_onnx(trained.estimator, n_features)
    slim = onnx.load_from_string(slim_classifier(model_bytes))
    attributes = {a.name: a for a in slim.graph.node[0].attribute}
    assert 0.0 not in attributes["class_weights"].floats
    assert "nodes_hitrates" not in attributes


def test_a_model_without_a_tree_classifier_is_refused():
    x = np.random.default_rng(0).normal(size=(50, 3)).astype(np.float32)
    y = (x[:, 0] > 0).astype(int)
    model_bytes = export_onnx(LogisticRegression().fit(x, y), 3)
    with pytest.raises(RewriteError, match="TreeEnsembleClassifier"):
        to_tree_ensemble_v5(model_bytes)


def test_grid_model_is_built_once_then_reused(tmp_path):
    point = GridPoint(2, 3)
    built = build_grid_model(point, tmp_path, n_jobs=1)
    stamp = (built.root / "stamp.json").stat().st_mtime_ns
    again = build_grid_model(point, tmp_path, n_jobs=1)
    assert again == built
    assert (again.root / "stamp.json").stat().st_mtime_ns == stamp
    for folder in (built.onnx_dir, built.v5_dir):
        assert {p.name for p in folder.iterdir()} == {"model.onnx", "model.json"}
    assert {p.name for p in built.pickle_dir.iterdir()} == {"model.pkl", "model.json"}


@pytest.mark.parametrize("depth", [3, None])
def test_v5_binary_forest_keeps_parity(depth):
    """skl2onnx writes one vote per leaf for two classes; the rewrite must add 1 - p itself."""
    x = np.random.default_rng(0).normal(size=(400, 4)).astype(np.float32)
    y = np.where(x[:, 0] + x[:, 1] > 0, "yes", "no")
    forest = RandomForestClassifier(n_estimators=5, max_depth=depth, random_state=0).fit(x, y)
    model_bytes = export_onnx(forest, 4)
    for trees_per_node in (None, 2):
        rewritten = to_tree_ensemble_v5(model_bytes, trees_per_node)
        assert check_parity(forest, rewritten, x).label_agreement == 1.0


def test_v5_split_into_nodes_is_summed(forests):
    trained, n_features = forests["iris"]
    rewritten = to_tree_ensemble_v5(export_onnx(trained.estimator, n_features), 4)
    ops = [n.op_type for n in onnx.load_from_string(rewritten).graph.node]
    assert ops.count("TreeEnsemble") == 4  # 15 trees: 4 + 4 + 4 + 3
    assert "Sum" in ops
    assert check_parity(trained.estimator, rewritten, _rows(trained)).label_agreement == 1.0
