"""Numeric imputation in standard ONNX ops, for graphs that compute in float64.

skl2onnx converts a numeric ``SimpleImputer`` to the ai.onnx.ml ``Imputer`` op, which
onnxruntime implements for float32 only: a float64 graph fails to load ("Could not find an
implementation for Imputer(1)"). Each such node becomes ``IsNaN`` then ``Where`` against the
fitted statistics as a float64 constant: the same values scikit-learn fills in, in its own type
(the node's attribute holds them rounded to float32, which would move a filled-in value).
"""

from __future__ import annotations

import math

import numpy as np
import onnx
from onnx import helper, numpy_helper

ML_DOMAIN = "ai.onnx.ml"


class ImputerRewriteError(ValueError):
    """An ``Imputer`` this rewrite does not reproduce (one that replaces a value other than NaN)."""


def float64_imputers(model_bytes: bytes, statistics: list[np.ndarray]) -> bytes:
    """``model_bytes`` with every numeric ``Imputer`` node written as ``IsNaN`` + ``Where``.

    ``statistics`` are the fitted imputers' float64 values: the node's own attribute holds them
    rounded to float32, so each node takes the float64 values that round to its own."""
    model = onnx.load_from_string(model_bytes)
    graph = model.graph
    rewritten = []
    changed = False
    for node in graph.node:
        if node.op_type != "Imputer" or node.domain != ML_DOMAIN:
            rewritten.append(node)
            continue
        rewritten.extend(_standard_ops(node, graph, statistics))
        changed = True
    if not changed:
        return model_bytes
    del graph.node[:]
    graph.node.extend(rewritten)
    return model.SerializeToString()


def _standard_ops(
    node: onnx.NodeProto, graph: onnx.GraphProto, statistics: list[np.ndarray]
) -> list[onnx.NodeProto]:
    attributes = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    replaced = attributes.get("replaced_value_float", math.nan)
    if not math.isnan(replaced) or "imputed_value_floats" not in attributes:
        raise ImputerRewriteError(
            f"an imputer replacing {replaced!r} (only NaN is replaced in float64 graphs)"
        )
    rounded = np.asarray(attributes["imputed_value_floats"], dtype=np.float32)
    filled = next(
        (
            np.asarray(values, dtype=np.float64)
            for values in statistics
            if np.shape(values) == rounded.shape
            and np.array_equal(np.asarray(values, dtype=np.float32), rounded)
        ),
        rounded.astype(np.float64),
    )
    prefix = f"{node.name or node.output[0]}_float64"
    constant = f"{prefix}_statistics"
    mask = f"{prefix}_isnan"
    graph.initializer.append(numpy_helper.from_array(filled, constant))
    return [
        helper.make_node("IsNaN", [node.input[0]], [mask], name=f"{prefix}_IsNaN"),
        helper.make_node(
            "Where", [mask, constant, node.input[0]], [node.output[0]], name=f"{prefix}_Where"
        ),
    ]
