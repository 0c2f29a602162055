"""The opset-5 TreeEnsemble rewrite ``make convert`` ships for large forests: same answers as
scikit-learn, the graph it promises, and a refusal for what it cannot rewrite."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from convert_support import export_matrix, parity_on_matrix, random_matrix
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

from convert.train import train_iris
from convert.tree_ensemble import RewriteError, to_tree_ensemble_v5

FEATURES = 8


def _noisy_forest(
    n_estimators: int, max_depth: int | None
) -> tuple[RandomForestClassifier, np.ndarray]:
    """A forest on noisy synthetic rows (full-depth trees grow many pure leaves), and its rows."""
    x, y = make_classification(
        n_samples=2_000,
        n_features=FEATURES,
        n_informative=5,
        n_classes=3,
        flip_y=0.05,
        random_state=0,
    )
    x = x.astype(np.float32)
    labels = np.array([f"c{label}" for label in y])
    forest = RandomForestClassifier(n_estimators=n_estimators, max_depth=max_depth, random_state=0)
    return forest.fit(x, labels), x


@pytest.mark.parametrize(("trees", "depth"), [(3, None), (4, 3)], ids=["full", "shallow"])
def test_rewrite_keeps_parity(trees, depth):
    forest, x = _noisy_forest(trees, depth)
    rows = np.vstack([x, random_matrix(x.min(axis=0), x.max(axis=0), 1000)])
    rewritten = to_tree_ensemble_v5(export_matrix(forest, FEATURES))
    assert parity_on_matrix(forest, rewritten, rows).label_agreement == 1.0


def test_v5_graph_shape():
    forest, _ = _noisy_forest(3, None)
    model = onnx.load_from_string(to_tree_ensemble_v5(export_matrix(forest, FEATURES)))
    ops = [n.op_type for n in model.graph.node]
    assert ops == ["TreeEnsemble", "Constant", "Div", "ArgMax", "Constant", "Gather"]
    assert {o.domain: o.version for o in model.opset_import}["ai.onnx.ml"] == 5
    ensemble = {a.name: a for a in model.graph.node[0].attribute}
    # Full-depth leaves are pure: each tree is written once, one leaf entry per leaf.
    leaves = sum(int((t.tree_.children_left == -1).sum()) for t in forest.estimators_)
    assert len(ensemble["leaf_targetids"].ints) == leaves


def test_a_model_without_a_tree_classifier_is_refused():
    x = np.random.default_rng(0).normal(size=(50, 3)).astype(np.float32)
    y = (x[:, 0] > 0).astype(int)
    model_bytes = export_matrix(LogisticRegression().fit(x, y), 3)
    with pytest.raises(RewriteError, match="TreeEnsembleClassifier"):
        to_tree_ensemble_v5(model_bytes)


@pytest.mark.parametrize("depth", [3, None])
def test_v5_binary_forest_keeps_parity(depth):
    """skl2onnx writes one vote per leaf for two classes; the rewrite must add 1 - p itself."""
    x = np.random.default_rng(0).normal(size=(400, 4)).astype(np.float32)
    y = np.where(x[:, 0] + x[:, 1] > 0, "yes", "no")
    forest = RandomForestClassifier(n_estimators=5, max_depth=depth, random_state=0).fit(x, y)
    model_bytes = export_matrix(forest, 4)
    for trees_per_node in (None, 2):
        rewritten = to_tree_ensemble_v5(model_bytes, trees_per_node)
        assert parity_on_matrix(forest, rewritten, x).label_agreement == 1.0


def test_v5_split_into_nodes_is_summed():
    trained = train_iris(n_estimators=15, max_depth=4)
    low, high = trained.x_train.min(axis=0), trained.x_train.max(axis=0)
    rows = np.vstack([trained.x_test, random_matrix(low, high, 1000)])
    rewritten = to_tree_ensemble_v5(export_matrix(trained.estimator, 4), 4)
    ops = [n.op_type for n in onnx.load_from_string(rewritten).graph.node]
    assert ops.count("TreeEnsemble") == 4  # 15 trees: 4 + 4 + 4 + 3
    assert "Sum" in ops
    assert parity_on_matrix(trained.estimator, rewritten, rows).label_agreement == 1.0
