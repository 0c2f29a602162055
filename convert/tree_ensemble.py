"""Rewrite the ``TreeEnsembleClassifier`` skl2onnx emits: large forests start much faster.

``make convert`` applies ``to_tree_ensemble_v5`` to large random forests (``convert.export.
serving_model``), and parity is checked on the rewritten bytes. How it compares with the plain
export and the other variants tried is a settled question in ``docs/results.md``.

``to_tree_ensemble_v5``
    The ai.onnx.ml opset-5 ``TreeEnsemble`` op: interior nodes and leaves in separate arrays,
    split modes as a uint8 tensor instead of one string per node, followed by ``ArgMax`` and a
    ``Gather`` of the class labels. An opset-5 leaf feeds one target only, so a tree whose leaves
    each vote for a single class is written once and any other tree once per class.
    onnxruntime 1.31 converts this op back to the opset-3 layout inside its kernel constructor,
    which bounds what it can gain.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import onnx
from onnx import helper, numpy_helper

ML_DOMAIN = "ai.onnx.ml"
CLASSIFIER = "TreeEnsembleClassifier"
LEAF = b"LEAF"
BRANCH_MODES = {b"BRANCH_LEQ": 0, b"BRANCH_LT": 1, b"BRANCH_GTE": 2, b"BRANCH_GT": 3}
AGGREGATE_SUM = 1
ONE = np.ones((1, 1), dtype=np.float32)


class RewriteError(ValueError):
    """The model is not a shape this rewrite handles; the message says what differs."""


@dataclass(frozen=True)
class Forest:
    """The opset-3 classifier's attributes as arrays, one row per node / per class vote."""

    tree_ids: np.ndarray
    node_ids: np.ndarray
    is_leaf: np.ndarray
    modes: np.ndarray
    feature_ids: np.ndarray
    thresholds: np.ndarray
    true_ids: np.ndarray
    false_ids: np.ndarray
    vote_tree_ids: np.ndarray
    vote_node_ids: np.ndarray
    vote_class_ids: np.ndarray
    vote_weights: np.ndarray
    n_classes: int


def to_tree_ensemble_v5(model_bytes: bytes, trees_per_node: int | None = None) -> bytes:
    """Replace the classifier by ``TreeEnsemble`` (ai.onnx.ml 5) + ``ArgMax`` + label ``Gather``.

    ``trees_per_node`` splits the forest over several ``TreeEnsemble`` nodes whose scores are
    summed: onnxruntime walks every tree of a node for one row before the next row, so a node
    small enough to stay in the CPU cache answers a large batch faster.
    """
    model = onnx.load_from_string(model_bytes)
    node = classifier_node(model)
    forest = read_forest(node)
    label_output, probability_output = node.output
    binary = forest.n_classes == 2 and len(set(forest.vote_class_ids.tolist())) == 1
    if binary:
        # skl2onnx writes one vote per leaf for a binary forest (the positive class's share,
        # under class id 0) and the opset-3 op answers [1 - p, p]; the opset-5 op sums that
        # single target and the graph adds 1 - p.
        forest = dataclasses.replace(
            forest, vote_class_ids=np.zeros_like(forest.vote_class_ids), n_classes=1
        )
    score = "positive_score" if binary else probability_output
    # skl2onnx's votes are class fractions / n_trees. Summing the fractions themselves and
    # dividing once keeps exact ties exact (a full-depth forest's leaves vote 0 or 1, whole
    # numbers in float32), whatever the grouping into nodes; scikit-learn breaks a tie towards
    # the first class, and so does ArgMax.
    n_trees = int(forest.tree_ids.max()) + 1
    fractions = (forest.vote_weights.astype(np.float64) * n_trees).astype(np.float32)
    forest = dataclasses.replace(forest, vote_weights=fractions)
    total = f"{score}_votes"
    parts = _split_trees(forest, trees_per_node)
    part_outputs = [total] if len(parts) == 1 else [f"{total}_{i}" for i in range(len(parts))]
    ensembles = [
        helper.make_node(
            "TreeEnsemble",
            [node.input[0]],
            [output],
            domain=ML_DOMAIN,
            name=f"TreeEnsembleV5_{index}",
            **_v5_attributes(part),
        )
        for index, (part, output) in enumerate(zip(parts, part_outputs, strict=True))
    ]
    if len(parts) > 1:
        ensembles.append(helper.make_node("Sum", part_outputs, [total]))
    tree_count = numpy_helper.from_array(np.full((1, 1), n_trees, np.float32), "tree_count")
    ensembles += [
        helper.make_node("Constant", [], ["tree_count"], value=tree_count),
        helper.make_node("Div", [total, "tree_count"], [score]),
    ]
    complement = [
        helper.make_node("Constant", [], ["one"], value=numpy_helper.from_array(ONE, "one")),
        helper.make_node("Sub", ["one", "positive_score"], ["negative_score"]),
        helper.make_node(
            "Concat", ["negative_score", "positive_score"], [probability_output], axis=1
        ),
    ]
    labels = _class_labels(node)
    label_nodes = [
        helper.make_node("ArgMax", [probability_output], ["class_index"], axis=1, keepdims=0),
        helper.make_node("Constant", [], ["class_labels"], value=labels),
        helper.make_node("Gather", ["class_labels", "class_index"], [label_output], axis=0),
    ]
    position = list(model.graph.node).index(node)
    nodes = list(model.graph.node)
    nodes[position : position + 1] = [*ensembles, *(complement if binary else []), *label_nodes]
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    for opset in model.opset_import:
        if opset.domain == ML_DOMAIN:
            opset.version = 5
    onnx.checker.check_model(model)
    return model.SerializeToString()


def _split_trees(forest: Forest, trees_per_node: int | None) -> list[Forest]:
    """The forest as consecutive groups of at most ``trees_per_node`` trees, renumbered from 0."""
    n_trees = int(forest.tree_ids.max()) + 1
    size = trees_per_node or n_trees
    parts = []
    for first in range(0, n_trees, size):
        last = min(first + size, n_trees)
        rows = (forest.tree_ids >= first) & (forest.tree_ids < last)
        votes = (forest.vote_tree_ids >= first) & (forest.vote_tree_ids < last)
        parts.append(
            dataclasses.replace(
                forest,
                tree_ids=forest.tree_ids[rows] - first,
                node_ids=forest.node_ids[rows],
                is_leaf=forest.is_leaf[rows],
                modes=forest.modes[rows],
                feature_ids=forest.feature_ids[rows],
                thresholds=forest.thresholds[rows],
                true_ids=forest.true_ids[rows],
                false_ids=forest.false_ids[rows],
                vote_tree_ids=forest.vote_tree_ids[votes] - first,
                vote_node_ids=forest.vote_node_ids[votes],
                vote_class_ids=forest.vote_class_ids[votes],
                vote_weights=forest.vote_weights[votes],
            )
        )
    return parts


def read_forest(node: onnx.NodeProto) -> Forest:
    """The classifier's attributes as numpy arrays, checked for the layout skl2onnx writes."""
    attributes = {a.name: a for a in node.attribute}
    post_transform = attributes.get("post_transform")
    if post_transform is not None and post_transform.s not in (b"", b"NONE"):
        raise RewriteError(f"post_transform {post_transform.s!r} is not handled")
    modes = np.asarray(attributes["nodes_modes"].strings, dtype=object)
    unknown = set(modes.tolist()) - set(BRANCH_MODES) - {LEAF}
    if unknown:
        raise RewriteError(f"node modes {sorted(unknown)} are not handled")
    forest = Forest(
        tree_ids=_ints(attributes, "nodes_treeids"),
        node_ids=_ints(attributes, "nodes_nodeids"),
        is_leaf=modes == LEAF,
        modes=modes,
        feature_ids=_ints(attributes, "nodes_featureids"),
        thresholds=np.asarray(attributes["nodes_values"].floats, dtype=np.float32),
        true_ids=_ints(attributes, "nodes_truenodeids"),
        false_ids=_ints(attributes, "nodes_falsenodeids"),
        vote_tree_ids=_ints(attributes, "class_treeids"),
        vote_node_ids=_ints(attributes, "class_nodeids"),
        vote_class_ids=_ints(attributes, "class_ids"),
        vote_weights=np.asarray(attributes["class_weights"].floats, dtype=np.float32),
        n_classes=_n_classes(attributes),
    )
    _check_layout(forest)
    return forest


def _v5_attributes(forest: Forest) -> dict[str, object]:
    """Interior nodes and leaves of every tree, one copy per class unless the tree is pure."""
    tree_start = _tree_starts(forest.tree_ids)
    leaf_votes = np.zeros((len(forest.tree_ids), forest.n_classes), dtype=np.float32)
    vote_rows = tree_start[forest.vote_tree_ids] + forest.vote_node_ids
    np.add.at(leaf_votes, (vote_rows, forest.vote_class_ids), forest.vote_weights)
    leaf_rows = np.flatnonzero(forest.is_leaf)
    leaf_nonzero = (leaf_votes[leaf_rows] != 0).sum(axis=1)
    impure_trees = set(forest.tree_ids[leaf_rows[leaf_nonzero > 1]].tolist())
    interior_rank = np.cumsum(~forest.is_leaf) - 1
    leaf_rank = np.cumsum(forest.is_leaf) - 1
    columns: dict[str, list[np.ndarray]] = {key: [] for key in _V5_COLUMNS}
    n_interior = n_leaves = 0
    for tree in range(len(tree_start) - 1):
        rows = np.arange(tree_start[tree], tree_start[tree + 1])
        if forest.is_leaf[rows[0]]:
            raise RewriteError(f"tree {tree} is a single leaf; not handled")
        targets = range(forest.n_classes) if tree in impure_trees else [None]
        for target in targets:
            _append_tree(
                forest,
                rows,
                interior_rank,
                leaf_rank,
                leaf_votes,
                target,
                (n_interior, n_leaves),
                columns,
            )
            n_interior += int((~forest.is_leaf[rows]).sum())
            n_leaves += int(forest.is_leaf[rows].sum())
    joined = {key: np.concatenate(parts) for key, parts in columns.items()}
    return {
        "aggregate_function": AGGREGATE_SUM,
        "n_targets": forest.n_classes,
        "post_transform": 0,
        "tree_roots": joined["tree_roots"].tolist(),
        "nodes_featureids": joined["nodes_featureids"].tolist(),
        "nodes_modes": numpy_helper.from_array(joined["nodes_modes"].astype(np.uint8)),
        "nodes_splits": numpy_helper.from_array(joined["nodes_splits"].astype(np.float32)),
        "nodes_truenodeids": joined["nodes_truenodeids"].tolist(),
        "nodes_trueleafs": joined["nodes_trueleafs"].tolist(),
        "nodes_falsenodeids": joined["nodes_falsenodeids"].tolist(),
        "nodes_falseleafs": joined["nodes_falseleafs"].tolist(),
        "leaf_targetids": joined["leaf_targetids"].tolist(),
        "leaf_weights": numpy_helper.from_array(joined["leaf_weights"].astype(np.float32)),
    }


_V5_COLUMNS = (
    "tree_roots",
    "nodes_featureids",
    "nodes_modes",
    "nodes_splits",
    "nodes_truenodeids",
    "nodes_trueleafs",
    "nodes_falsenodeids",
    "nodes_falseleafs",
    "leaf_targetids",
    "leaf_weights",
)


def _append_tree(
    forest: Forest,
    rows: np.ndarray,
    interior_rank: np.ndarray,
    leaf_rank: np.ndarray,
    leaf_votes: np.ndarray,
    target: int | None,
    offsets: tuple[int, int],
    columns: dict[str, list[np.ndarray]],
) -> None:
    """One tree as opset-5 arrays; ``target`` None writes each leaf's single class vote."""
    interior_offset, leaf_offset = offsets
    first_interior = interior_rank[rows[0]]
    first_leaf = leaf_rank[rows[np.argmax(forest.is_leaf[rows])]]
    inner = rows[~forest.is_leaf[rows]]
    leaves = rows[forest.is_leaf[rows]]

    def child(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        target_rows = rows[0] + ids
        is_leaf = forest.is_leaf[target_rows]
        index = np.where(
            is_leaf,
            leaf_rank[target_rows] - first_leaf + leaf_offset,
            interior_rank[target_rows] - first_interior + interior_offset,
        )
        return index, is_leaf.astype(np.int64)

    true_index, true_leaf = child(forest.true_ids[inner])
    false_index, false_leaf = child(forest.false_ids[inner])
    votes = leaf_votes[leaves]
    if target is None:
        leaf_targets = votes.argmax(axis=1)
        leaf_weights = votes[np.arange(len(leaves)), leaf_targets]
    else:
        leaf_targets = np.full(len(leaves), target)
        leaf_weights = votes[:, target]
    columns["tree_roots"].append(np.array([interior_offset]))
    columns["nodes_featureids"].append(forest.feature_ids[inner])
    columns["nodes_modes"].append(np.array([BRANCH_MODES[m] for m in forest.modes[inner]]))
    columns["nodes_splits"].append(forest.thresholds[inner])
    columns["nodes_truenodeids"].append(true_index)
    columns["nodes_trueleafs"].append(true_leaf)
    columns["nodes_falsenodeids"].append(false_index)
    columns["nodes_falseleafs"].append(false_leaf)
    columns["leaf_targetids"].append(leaf_targets)
    columns["leaf_weights"].append(leaf_weights)


def _tree_starts(tree_ids: np.ndarray) -> np.ndarray:
    """Row where each tree starts, plus the end: trees are contiguous and numbered 0..n-1."""
    counts = np.bincount(tree_ids)
    return np.concatenate([[0], np.cumsum(counts)])


def _check_layout(forest: Forest) -> None:
    """Trees in order, node ids 0..k-1 within each: what skl2onnx writes and the index relies on."""
    if np.any(np.diff(forest.tree_ids) < 0):
        raise RewriteError("nodes are not grouped by tree")
    starts = _tree_starts(forest.tree_ids)
    expected = np.arange(len(forest.tree_ids)) - starts[forest.tree_ids]
    if not np.array_equal(forest.node_ids, expected):
        raise RewriteError("node ids are not 0..k-1 in order within each tree")


def classifier_node(model: onnx.ModelProto) -> onnx.NodeProto:
    found = [n for n in model.graph.node if n.op_type == CLASSIFIER and n.domain == ML_DOMAIN]
    if len(found) != 1:
        raise RewriteError(f"expected one {CLASSIFIER}, found {len(found)}")
    return found[0]


def _class_labels(node: onnx.NodeProto) -> onnx.TensorProto:
    attributes = {a.name: a for a in node.attribute}
    if "classlabels_strings" in attributes:
        values = np.array([s.decode() for s in attributes["classlabels_strings"].strings])
        return numpy_helper.from_array(values.astype(object), "class_labels")
    return numpy_helper.from_array(_ints(attributes, "classlabels_int64s"), "class_labels")


def _n_classes(attributes: dict[str, onnx.AttributeProto]) -> int:
    labels = attributes.get("classlabels_strings") or attributes["classlabels_int64s"]
    return len(labels.strings) or len(labels.ints)


def _ints(attributes: dict[str, onnx.AttributeProto], name: str) -> np.ndarray:
    return np.asarray(attributes[name].ints, dtype=np.int64)
