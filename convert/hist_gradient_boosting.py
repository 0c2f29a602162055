"""HistGradientBoosting exported as scikit-learn computes it: float64 thresholds, leaves, baseline.

scikit-learn's histogram trees compare the float64 input with float64 thresholds
(``num_threshold``), add float64 leaf values to a float64 baseline and apply the loss's inverse
link: the logistic function for two classes, softmax for more, ``exp`` for a log-link regressor
(``loss="poisson"`` or ``"gamma"``), nothing otherwise. skl2onnx 1.20 writes the thresholds as
float32 (the graph then answers otherwise for every float64 value whose float32 rounding crosses
a threshold, and for many more after float64 preprocessing), writes boolean missing-value flags
onnx refuses, and applies no link for a regressor.

``register_hist_gradient_boosting_converters`` puts this module's converter in skl2onnx's place
for both estimators. It writes the trees with the float64 tensor attributes of ai.onnx.ml opset 3
(``nodes_values_as_tensor``, ``class_weights_as_tensor``/``target_weights_as_tensor``,
``base_values_as_tensor``), which onnxruntime 1.31 compares with a float64 input; an input of
another number type is cast to float64 first (exactly). A missing value (NaN) goes where
scikit-learn sends it: ``missing_go_to_left`` becomes ``nodes_missing_value_tracks_true`` on the
left, true, branch of ``x <= threshold``. Categorical splits (bitsets of categories) have no
counterpart in the tree operators: such a model is refused in one line.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from onnx import TensorProto, numpy_helper
from skl2onnx import update_registered_converter
from skl2onnx.common.data_types import DoubleTensorType
from skl2onnx.common.shape_calculator import (
    calculate_linear_classifier_output_shapes,
    calculate_linear_regressor_output_shapes,
)
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

from convert.boosters import CLASSIFIER_OPTIONS
from convert.servable import parts

ML_DOMAIN = "ai.onnx.ml"
# The loss's inverse link as the tree operators' post_transform (classifiers), or the node
# applied after the sum (regressors); the names are scikit-learn's link classes.
CLASSIFIER_LINKS = {"LogitLink": "LOGISTIC", "MultinomialLogit": "SOFTMAX"}
REGRESSOR_LINKS = {"IdentityLink": None, "LogLink": "Exp"}


class HistGradientBoostingExportError(ValueError):
    """A HistGradientBoosting model this converter cannot reproduce."""


def unsupported_hist_gradient_boosting(estimator: object) -> str | None:
    """Why a HistGradientBoosting part of ``estimator`` cannot be exported, or None."""
    for part in parts(estimator):
        if not isinstance(part, HistGradientBoostingClassifier | HistGradientBoostingRegressor):
            continue
        name = type(part).__name__
        if part.is_categorical_ is not None and bool(np.any(part.is_categorical_)):
            return (
                f"{name} splits on categories (categorical_features), which ONNX's tree "
                "operators cannot express: encode those columns with a OneHotEncoder or "
                "OrdinalEncoder before it instead"
            )
        link = type(part._loss.link).__name__
        links = (
            CLASSIFIER_LINKS
            if isinstance(part, HistGradientBoostingClassifier)
            else REGRESSOR_LINKS
        )
        if link not in links:
            return f"{name} with loss {part.loss!r} answers through {link}, which is not exported"
    return None


def tree_attributes(model: object, classifier: bool) -> dict[str, Any]:
    """The TreeEnsemble attributes of ``model``'s trees, thresholds and weights in float64.

    Tree ``t`` of iteration ``i`` adds to class (or target) ``t`` of that iteration: for two
    classes, one tree per iteration scores the second class, as the LOGISTIC transform expects.
    """
    per_iteration = model.n_trees_per_iteration_
    prefix = "class" if classifier else "target"
    nodes: dict[str, list[Any]] = {
        key: []
        for key in [
            "nodes_treeids",
            "nodes_nodeids",
            "nodes_featureids",
            "nodes_modes",
            "nodes_values",
            "nodes_truenodeids",
            "nodes_falsenodeids",
            "nodes_missing_value_tracks_true",
            f"{prefix}_treeids",
            f"{prefix}_nodeids",
            f"{prefix}_ids",
            f"{prefix}_weights",
        ]
    }
    for iteration, trees in enumerate(model._predictors):
        for k, predictor in enumerate(trees):
            tree_id = iteration * per_iteration + k
            for node_id, node in enumerate(predictor.nodes):
                leaf = bool(node["is_leaf"])
                nodes["nodes_treeids"].append(tree_id)
                nodes["nodes_nodeids"].append(node_id)
                nodes["nodes_featureids"].append(0 if leaf else int(node["feature_idx"]))
                nodes["nodes_modes"].append("LEAF" if leaf else "BRANCH_LEQ")
                nodes["nodes_values"].append(0.0 if leaf else float(node["num_threshold"]))
                nodes["nodes_truenodeids"].append(0 if leaf else int(node["left"]))
                nodes["nodes_falsenodeids"].append(0 if leaf else int(node["right"]))
                nodes["nodes_missing_value_tracks_true"].append(
                    0 if leaf else int(node["missing_go_to_left"])
                )
                if leaf:
                    nodes[f"{prefix}_treeids"].append(tree_id)
                    nodes[f"{prefix}_nodeids"].append(node_id)
                    nodes[f"{prefix}_ids"].append(k)
                    nodes[f"{prefix}_weights"].append(float(node["value"]))
    attributes: dict[str, Any] = {
        name: values for name, values in nodes.items() if not name.endswith(("values", "weights"))
    }
    attributes["nodes_values_as_tensor"] = _float64(nodes["nodes_values"])
    attributes[f"{prefix}_weights_as_tensor"] = _float64(nodes[f"{prefix}_weights"])
    attributes["base_values_as_tensor"] = _float64(np.ravel(model._baseline_prediction))
    return attributes


def _float64(values: Any) -> TensorProto:
    return numpy_helper.from_array(np.asarray(values, dtype=np.float64))


def _float64_input(scope: Any, operator: Any, container: Any) -> str:
    """The operator's input as float64: itself, or a cast (exact for any narrower number)."""
    source = operator.inputs[0]
    if isinstance(source.type, DoubleTensorType):
        return source.full_name
    name = scope.get_unique_variable_name(f"{source.full_name}_float64")
    _cast(scope, container, source.full_name, name, TensorProto.DOUBLE)
    return name


def _cast(scope: Any, container: Any, source: str, target: str, to: int) -> None:
    container.add_node("Cast", source, target, name=scope.get_unique_operator_name("Cast"), to=to)


def _output_as_declared(scope: Any, operator: Any, container: Any, index: int) -> str:
    """Where the tree operator writes output ``index`` (float32): the declared output itself,
    or a float32 tensor then cast to the declared float64."""
    output = operator.outputs[index]
    if not isinstance(output.type, DoubleTensorType):
        return output.full_name
    name = scope.get_unique_variable_name(f"{output.full_name}_float32")
    _cast(scope, container, name, output.full_name, TensorProto.DOUBLE)
    return name


def convert_hist_gradient_boosting_classifier(scope: Any, operator: Any, container: Any) -> None:
    """A TreeEnsembleClassifier answering scikit-learn's label and ``predict_proba``."""
    model = operator.raw_operator
    _refuse_unsupported(model)
    classes = model.classes_
    attributes = tree_attributes(model, classifier=True)
    if all(isinstance(c, str) for c in classes):
        attributes["classlabels_strings"] = [str(c) for c in classes]
    else:
        attributes["classlabels_int64s"] = [int(c) for c in classes]
    attributes["post_transform"] = CLASSIFIER_LINKS[type(model._loss.link).__name__]
    container.add_node(
        "TreeEnsembleClassifier",
        _float64_input(scope, operator, container),
        [operator.outputs[0].full_name, _output_as_declared(scope, operator, container, 1)],
        op_domain=ML_DOMAIN,
        op_version=3,
        name=scope.get_unique_operator_name("TreeEnsembleClassifier"),
        **attributes,
    )


def convert_hist_gradient_boosting_regressor(scope: Any, operator: Any, container: Any) -> None:
    """A TreeEnsembleRegressor adding the trees to the baseline, then the inverse link."""
    model = operator.raw_operator
    _refuse_unsupported(model)
    link = REGRESSOR_LINKS[type(model._loss.link).__name__]
    output = operator.outputs[0]
    raw = scope.get_unique_variable_name(f"{output.full_name}_raw")
    container.add_node(
        "TreeEnsembleRegressor",
        _float64_input(scope, operator, container),
        raw,
        op_domain=ML_DOMAIN,
        op_version=3,
        name=scope.get_unique_operator_name("TreeEnsembleRegressor"),
        n_targets=1,
        post_transform="NONE",
        **tree_attributes(model, classifier=False),
    )
    element = TensorProto.DOUBLE if isinstance(output.type, DoubleTensorType) else TensorProto.FLOAT
    if link is None:
        _cast(scope, container, raw, output.full_name, element)
        return
    typed = scope.get_unique_variable_name(f"{output.full_name}_score")
    _cast(scope, container, raw, typed, element)
    container.add_node(link, typed, output.full_name, name=scope.get_unique_operator_name(link))


def _refuse_unsupported(model: object) -> None:
    reason = unsupported_hist_gradient_boosting(model)
    if reason:
        raise HistGradientBoostingExportError(reason)


def register_hist_gradient_boosting_converters() -> None:
    """Put this module's converters in skl2onnx's place (idempotent)."""
    update_registered_converter(
        HistGradientBoostingClassifier,
        "SklearnHistGradientBoostingClassifier",
        calculate_linear_classifier_output_shapes,
        convert_hist_gradient_boosting_classifier,
        options=CLASSIFIER_OPTIONS,
    )
    update_registered_converter(
        HistGradientBoostingRegressor,
        "SklearnHistGradientBoostingRegressor",
        calculate_linear_regressor_output_shapes,
        convert_hist_gradient_boosting_regressor,
    )
