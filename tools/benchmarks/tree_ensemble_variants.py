"""Other encodings of the same forest, measured by the init-options study and never shipped.

``make convert`` ships ``convert.tree_ensemble.to_tree_ensemble_v5`` for large forests; these
variants answer "would another encoding build its session faster?" and live here, beside the
benchmark that asks, so that ``convert/`` holds only what ships.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper

from convert.tree_ensemble import ML_DOMAIN, classifier_node


def slim_classifier(model_bytes: bytes) -> bytes:
    """The same classifier without zero votes, hit rates and default missing-value tracks."""
    model = onnx.load_from_string(model_bytes)
    node = classifier_node(model)
    attributes = {a.name: a for a in node.attribute}
    weights = np.asarray(attributes["class_weights"].floats, dtype=np.float32)
    keep = weights != 0
    for name in ("class_ids", "class_nodeids", "class_treeids"):
        values = np.asarray(attributes[name].ints, dtype=np.int64)[keep]
        attributes[name].CopyFrom(helper.make_attribute(name, values.tolist()))
    attributes["class_weights"].CopyFrom(
        helper.make_attribute("class_weights", weights[keep].tolist())
    )
    tracks = attributes.get("nodes_missing_value_tracks_true")
    droppable = {"nodes_hitrates"} | ({tracks.name} if tracks and not any(tracks.ints) else set())
    kept = [a for a in node.attribute if a.name not in droppable]
    del node.attribute[:]
    node.attribute.extend(kept)
    return model.SerializeToString()


def tensor_thresholds(model_bytes: bytes, dtype: type = np.float32) -> bytes:
    """The same classifier with thresholds and votes as packed tensors of ``dtype``.

    skl2onnx writes them as repeated floats. onnxruntime picks the kernel's threshold type from
    the input type, so float64 thresholds need a float64 input: a ``Cast`` is put in front.
    Measures whether the attribute encoding or a float64 kernel builds differently.
    """
    model = onnx.load_from_string(model_bytes)
    node = classifier_node(model)
    swaps = {"nodes_values": "nodes_values_as_tensor", "class_weights": "class_weights_as_tensor"}
    kept = []
    for attribute in node.attribute:
        if attribute.name in swaps:
            tensor = numpy_helper.from_array(np.asarray(attribute.floats, dtype=dtype))
            kept.append(helper.make_attribute(swaps[attribute.name], tensor))
        else:
            kept.append(attribute)
    del node.attribute[:]
    node.attribute.extend(kept)
    if dtype is np.float64:
        cast_output = f"{node.input[0]}_as_double"
        cast = helper.make_node("Cast", [node.input[0]], [cast_output], to=onnx.TensorProto.DOUBLE)
        node.input[0] = cast_output
        nodes = [cast, *model.graph.node]
        del model.graph.node[:]
        model.graph.node.extend(nodes)
    for opset in model.opset_import:
        if opset.domain == ML_DOMAIN:
            opset.version = 3
    return model.SerializeToString()
