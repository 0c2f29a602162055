"""XGBoost and LightGBM through their scikit-learn API, converted by onnxmltools inside skl2onnx.

skl2onnx knows scikit-learn's estimators only; onnxmltools has converters for
``XGBClassifier``, ``XGBRegressor``, ``LGBMClassifier`` and ``LGBMRegressor``.
``register_booster_converters`` adds them to skl2onnx's registry
(``update_registered_converter``), so that one ``to_onnx`` call converts a booster alone or as
the last step of a Pipeline, with the options this project asks of every classifier (zipmap off).

Each library's own arithmetic decides what the graph must compute to answer as it does:

- XGBoost casts every input to float32 and compares it with float32 thresholds. A float32 graph
  input reproduces that exactly; when the graph reaches the booster in float64 (a float64
  scaler before it, or the float64 rows ``convert.schema`` gives every model but scikit-learn's
  own trees), the booster's input is cast to float32 first, as XGBoost casts it.
- LightGBM compares the float64 input with float64 thresholds. onnxmltools writes them as
  float32 (``nodes_values``), and a float32 input one float32 step from a threshold then takes
  the other branch: rows on the thresholds themselves answer differently. Fed float64, the
  trees here keep float64 thresholds (``nodes_values_as_tensor``), which onnxruntime compares
  with the float64 input (``convert.schema`` feeds float64 to every model but scikit-learn's own
  trees), so every row takes LightGBM's branch; the leaf sums stay float32,
  well inside the tolerance. LightGBM also reads any input within 1e-35 of zero as zero, and
  places splits at plus or minus that distance (between a zero and its neighbours): the graph
  does the same before the trees.

Both send a missing value (NaN) down the branch they learnt for it, and so do their graphs:
``convert.missing_values`` finds, column by column, that parity holds on rows with NaN.

CatBoost is refused in one line (``convert.servable``): its own ONNX export would need its
wheel, which alone outweighs every other dependency of the converter.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from lightgbm import LGBMClassifier, LGBMRegressor
from onnx import TensorProto, numpy_helper
from onnxmltools.convert.lightgbm.operator_converters.LightGbm import convert_lightgbm
from onnxmltools.convert.xgboost.operator_converters.XGBoost import convert_xgboost
from skl2onnx import update_registered_converter
from skl2onnx.common.data_types import DoubleTensorType
from skl2onnx.common.shape_calculator import (
    calculate_linear_classifier_output_shapes,
    calculate_linear_regressor_output_shapes,
)
from xgboost import XGBClassifier, XGBRegressor

# LightGBM reads an input within this distance of zero as zero (``kZeroThreshold``, the float
# 1e-35f, in its C++ source), and it places splits at plus or minus this value.
LIGHTGBM_ZERO_THRESHOLD = float(np.float32(1e-35))
CLASSIFIER_OPTIONS = {"nocl": [True, False], "zipmap": [True, False, "columns"]}
TREE_ENSEMBLES = ("TreeEnsembleClassifier", "TreeEnsembleRegressor")
# Float attributes of the opset-3 tree ops and the float64 tensor attribute each has.
FLOAT64_ATTRIBUTES = {
    "nodes_values": "nodes_values_as_tensor",
    "class_weights": "class_weights_as_tensor",
    "target_weights": "target_weights_as_tensor",
    "base_values": "base_values_as_tensor",
}


class _RetypedContainer:
    """Stands in for skl2onnx's container while an onnxmltools converter adds its nodes.

    Every node is passed on, with three changes: the operator's float64 input is replaced by
    ``input_name`` (a float32 cast, for XGBoost); a node writing one of the operator's float64
    outputs writes a float32 tensor that is then cast to float64 (onnxmltools' trees answer
    float32); and, with ``float64_thresholds``, tree ops keep their thresholds and weights in
    float64.
    """

    def __init__(
        self,
        container: Any,
        scope: Any,
        operator: Any,
        input_name: str,
        float64_thresholds: bool,
    ) -> None:
        self._container = container
        self._scope = scope
        self._original_input = operator.inputs[0].full_name
        self._input_name = input_name
        self._float64_outputs = {
            o.full_name for o in operator.outputs if isinstance(o.type, DoubleTensorType)
        }
        self._float64_thresholds = float64_thresholds

    def __getattr__(self, name: str) -> Any:
        return getattr(self._container, name)

    def add_node(
        self, op_type: str, inputs: Any, outputs: Any, *args: Any, **attributes: Any
    ) -> None:
        """Add the node as described in the class docstring."""
        inputs = [inputs] if isinstance(inputs, str) else list(inputs)
        outputs = [outputs] if isinstance(outputs, str) else list(outputs)
        inputs = [self._input_name if i == self._original_input else i for i in inputs]
        if self._float64_thresholds and op_type in TREE_ENSEMBLES:
            for name, tensor_name in FLOAT64_ATTRIBUTES.items():
                if name in attributes:
                    attributes[tensor_name] = numpy_helper.from_array(
                        np.asarray(attributes.pop(name), dtype=np.float64)
                    )
        casts = []
        for k, name in enumerate(outputs):
            if name in self._float64_outputs:
                outputs[k] = self._scope.get_unique_variable_name(f"{name}_float32")
                casts.append((outputs[k], name))
        self._container.add_node(op_type, inputs, outputs, *args, **attributes)
        for float32_name, name in casts:
            self._container.add_node(
                "Cast",
                float32_name,
                name,
                name=self._scope.get_unique_operator_name("Cast"),
                to=TensorProto.DOUBLE,
            )


def _convert_xgboost(scope: Any, operator: Any, container: Any) -> None:
    """onnxmltools' XGBoost converter on a float32 input, as XGBoost itself casts its input."""
    source = operator.inputs[0]
    input_name = source.full_name
    if isinstance(source.type, DoubleTensorType):
        input_name = scope.get_unique_variable_name(f"{source.full_name}_float32")
        container.add_node(
            "Cast",
            source.full_name,
            input_name,
            name=scope.get_unique_operator_name("Cast"),
            to=TensorProto.FLOAT,
        )
    convert_xgboost(
        scope, operator, _RetypedContainer(container, scope, operator, input_name, False)
    )


def _convert_lightgbm(scope: Any, operator: Any, container: Any) -> None:
    """onnxmltools' LightGBM converter on the input as LightGBM reads it, keeping float64
    thresholds for a float64 input."""
    source = operator.inputs[0]
    float64 = isinstance(source.type, DoubleTensorType)
    element = TensorProto.DOUBLE if float64 else TensorProto.FLOAT
    names = {
        part: scope.get_unique_variable_name(f"{source.full_name}_{part}")
        for part in ("limit", "zero", "magnitude", "tiny", "as_lightgbm_reads")
    }
    container.add_initializer(names["limit"], element, [], [LIGHTGBM_ZERO_THRESHOLD])
    container.add_initializer(names["zero"], element, [], [0.0])
    for op_type, inputs, output in [
        ("Abs", [source.full_name], "magnitude"),
        ("LessOrEqual", [names["magnitude"], names["limit"]], "tiny"),
        ("Where", [names["tiny"], names["zero"], source.full_name], "as_lightgbm_reads"),
    ]:
        container.add_node(
            op_type, inputs, names[output], name=scope.get_unique_operator_name(op_type)
        )
    convert_lightgbm(
        scope,
        operator,
        _RetypedContainer(container, scope, operator, names["as_lightgbm_reads"], float64),
    )


def register_booster_converters() -> None:
    """Teach skl2onnx the four boosters (idempotent: registering again replaces the entry)."""
    for model, alias, shapes, converter in [
        (XGBClassifier, "XGBoostXGBClassifier", "classifier", _convert_xgboost),
        (XGBRegressor, "XGBoostXGBRegressor", "regressor", _convert_xgboost),
        (LGBMClassifier, "LightGbmLGBMClassifier", "classifier", _convert_lightgbm),
        (LGBMRegressor, "LightGbmLGBMRegressor", "regressor", _convert_lightgbm),
    ]:
        classifier = shapes == "classifier"
        update_registered_converter(
            model,
            alias,
            calculate_linear_classifier_output_shapes
            if classifier
            else calculate_linear_regressor_output_shapes,
            converter,
            options=CLASSIFIER_OPTIONS if classifier else None,
        )


def booster_split_thresholds(model: object) -> tuple[np.ndarray, np.ndarray] | None:
    """(feature index, threshold) of every numeric split of an XGBoost or LightGBM model, as
    the library stores it; None for other models."""
    if isinstance(model, XGBClassifier | XGBRegressor):
        booster = model.get_booster()
        table = booster.trees_to_dataframe()
        table = table[(table.Feature != "Leaf") & table.Split.notna()]
        names = booster.feature_names or [f"f{i}" for i in range(model.n_features_in_)]
        index = {name: i for i, name in enumerate(names)}
        features = [index[name] for name in table.Feature]
        return np.asarray(features, dtype=np.int64), table.Split.to_numpy(dtype=np.float64)
    if isinstance(model, LGBMClassifier | LGBMRegressor):
        splits = []
        pending = [tree["tree_structure"] for tree in model.booster_.dump_model()["tree_info"]]
        while pending:
            node = pending.pop()
            if "split_feature" in node:
                if node["decision_type"] != "==":
                    splits.append((node["split_feature"], float(node["threshold"])))
                pending += [node["left_child"], node["right_child"]]
        features, thresholds = zip(*splits, strict=True) if splits else ((), ())
        return np.asarray(features, dtype=np.int64), np.asarray(thresholds, dtype=np.float64)
    return None
