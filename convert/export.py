"""Export a fitted classifier to ONNX and write it with its model card, only if parity holds."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import skl2onnx
import sklearn
from skl2onnx import to_onnx
from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType
from skl2onnx.common.exceptions import MissingShapeCalculator
from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier

from convert.boosters import (
    accepts_missing,
    needs_float64_input,
    register_booster_converters,
)
from convert.golden import golden_rows, shortest_float32
from convert.hist_gradient_boosting import hist_gradient_boosting_fixed, uses_hist_gradient_boosting
from convert.parity import ParityReport, check_parity
from convert.servable import (
    UnsupportedModelError,
    check_servable,
    describe_estimator,
    final_estimator,
    first_line,
    unconvertible_part,
)
from convert.tree_ensemble import to_tree_ensemble_v5
from onnx_serving.card import CARD_DIGEST_KEY, CLASSIFIER, SHARE_DECIMALS, Column, ModelCard

# Pinned so that the same estimator always exports to the same bytes, whatever skl2onnx's default
# becomes; opset 21 / ai.onnx.ml 3 run on every onnxruntime since 1.18.
TARGET_OPSET = {"": 21, "ai.onnx.ml": 3}
INPUT_NAME = "input"
# As skl2onnx exports it, a large forest takes longer to become an InferenceSession than
# unpickling it; rewritten to ai.onnx.ml opset-5 TreeEnsemble nodes of 10 trees each it starts in
# a fraction of that and predicts batches faster (measured: docs/results.md, settled questions).
# Small forests gain nothing, so only forests past this size are rewritten.
LARGE_FOREST_NODES = 100_000
TREES_PER_NODE = 10
# The graph input's element type (onnx.TensorProto) and the card's number_type for it.
NUMBER_TYPES = {onnx.TensorProto.FLOAT: "float32", onnx.TensorProto.DOUBLE: "float64"}

register_booster_converters()


@dataclass(frozen=True)
class ModelInfo:
    """What the card says about a model besides what the export itself tells."""

    name: str
    version: str
    feature_names: list[str]
    # The training range, or None when it is not known (then answers carry no out_of_range).
    feature_min: np.ndarray | None
    feature_max: np.ndarray | None
    metrics: dict[str, float]


def export_onnx(estimator: object, n_features: int) -> bytes:
    """ONNX bytes: a ``[None, n_features]`` input, plain label and probability outputs.

    The input is float32, or float64 for a model that compares float64 inputs with float64
    thresholds (LightGBM: ``convert.boosters``).

    A model the function cannot serve, or skl2onnx cannot convert, raises
    ``UnsupportedModelError`` with one line naming it.
    """
    check_servable(estimator)
    tensor_type = DoubleTensorType if needs_float64_input(estimator) else FloatTensorType
    fix = (
        hist_gradient_boosting_fixed()
        if uses_hist_gradient_boosting(estimator)
        else contextlib.nullcontext()
    )
    try:
        # skl2onnx reads attributes scikit-learn 1.9 deprecates (SVC's probA_, probB_): their
        # FutureWarnings are about skl2onnx's code, nothing the user can act on.
        with fix, warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            model = to_onnx(
                estimator,
                initial_types=[(INPUT_NAME, tensor_type([None, n_features]))],
                options={id(final_estimator(estimator)): {"zipmap": False}},
                target_opset=TARGET_OPSET,
            )
    except MissingShapeCalculator as exc:
        raise UnsupportedModelError(_unsupported_name(estimator, exc)) from None
    except Exception as exc:
        raise UnsupportedModelError(
            f"skl2onnx cannot convert {describe_estimator(estimator)}: "
            f"{type(exc).__name__}: {first_line(exc)}"
        ) from None
    return model.SerializeToString()


def serving_model(
    estimator: object, model_bytes: bytes, min_nodes: int = LARGE_FOREST_NODES
) -> bytes:
    """The bytes to serve: large random forests rewritten for fast session creation."""
    final = final_estimator(estimator)
    if not isinstance(final, RandomForestClassifier | ExtraTreesClassifier):
        return model_bytes
    nodes = sum(tree.tree_.node_count for tree in final.estimators_)
    if nodes < min_nodes:
        return model_bytes
    return to_tree_ensemble_v5(model_bytes, TREES_PER_NODE)


def model_opsets(model_bytes: bytes) -> dict[str, int]:
    """The opsets the model really imports (skl2onnx imports the lowest that suffices)."""
    model = onnx.load_from_string(model_bytes)
    return {o.domain: o.version for o in sorted(model.opset_import, key=lambda o: o.domain)}


def graph_number_type(model_bytes: bytes) -> str:
    """The card's ``number_type``: what the graph's one input takes."""
    graph_input = onnx.load_from_string(model_bytes).graph.input[0]
    return NUMBER_TYPES[graph_input.type.tensor_type.elem_type]


def build_card(
    estimator: object,
    model_bytes: bytes,
    info: ModelInfo,
    parity: ParityReport,
    real_rows: int = 0,
) -> ModelCard:
    """The card the handler reads: names, classes, ranges, golden rows, provenance, SHA-256."""
    classes = [str(c) for c in final_estimator(estimator).classes_]
    usable = ~parity.boundary
    has_ranges = info.feature_min is not None
    missing = accepts_missing(estimator)
    columns = [
        Column(
            name=name,
            missing=missing,
            min=shortest_float32(info.feature_min[j]) if has_ranges else None,
            max=shortest_float32(info.feature_max[j]) if has_ranges else None,
        )
        for j, name in enumerate(info.feature_names)
    ]
    return ModelCard(
        name=info.name,
        version=info.version,
        sha256=hashlib.sha256(model_bytes).hexdigest(),
        task=CLASSIFIER,
        columns=columns,
        classes=classes,
        input_name=INPUT_NAME,
        number_type=graph_number_type(model_bytes),
        opset=model_opsets(model_bytes),
        metrics=dict(info.metrics),
        parity=parity.as_dict(),
        library_versions=library_versions(),
        golden_rows=golden_rows(estimator, parity.reference, usable, classes, real_rows),
        class_shares=class_shares(parity.reference.labels[:real_rows], classes),
    )


def class_shares(labels: np.ndarray, classes: list[str]) -> dict[str, float] | None:
    """Each class's share of the reference model's ``labels`` on real rows, or None without
    any: what the served model's live prediction mix is compared with (docs/observability.md).
    Random check rows are left out, since they say nothing of what traffic looks like."""
    if not len(labels):
        return None
    return {
        name: round(float(np.count_nonzero(labels == name)) / len(labels), SHARE_DECIMALS)
        for name in classes
    }


def verify_and_write(
    estimator: object,
    model_bytes: bytes,
    info: ModelInfo,
    check_rows: np.ndarray,
    out_dir: Path,
    real_rows: int = 0,
) -> ModelCard:
    """Verify parity on ``check_rows`` (the first ``real_rows`` of them real data), then write
    ``model.onnx`` and ``model.json``.

    Nothing is written unless parity holds, and both files are replaced atomically, so a failed
    conversion never leaves a model beside a card that does not describe it.
    """
    parity = check_parity(estimator, model_bytes, check_rows)
    model_bytes, card = bind_card(
        model_bytes, build_card(estimator, model_bytes, info, parity, real_rows)
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    _write_atomic(out_dir / "model.onnx", model_bytes)
    _write_atomic(out_dir / "model.json", card.to_json().encode())
    return card


def bind_card(model_bytes: bytes, card: ModelCard) -> tuple[bytes, ModelCard]:
    """The model with its card's content digest in its metadata, and the card with the bound
    model's SHA-256: each then vouches for the other, and init checks both.

    The digest is taken from the card as the handler will read it (through its JSON), so that
    a value whose Python type JSON does not keep cannot make the two sides differ.
    """
    as_read = ModelCard.from_dict(json.loads(card.to_json()))
    model = onnx.load_from_string(model_bytes)
    kept = [entry for entry in model.metadata_props if entry.key != CARD_DIGEST_KEY]
    del model.metadata_props[:]
    model.metadata_props.extend(kept)
    model.metadata_props.add(
        key=CARD_DIGEST_KEY, value=hashlib.sha256(as_read.bound_content()).hexdigest()
    )
    bound = model.SerializeToString()
    return bound, replace(as_read, sha256=hashlib.sha256(bound).hexdigest())


def library_versions() -> dict[str, str]:
    """Versions that produced the export, for reproducing it later."""
    return {
        "numpy": np.__version__,
        "onnx": onnx.__version__,
        "onnxruntime": onnxruntime.__version__,
        "scikit-learn": sklearn.__version__,
        "skl2onnx": skl2onnx.__version__,
    }


def _unsupported_name(estimator: object, exc: Exception) -> str:
    part = unconvertible_part(estimator) or first_line(exc)
    return (
        f"{describe_estimator(estimator)} cannot be converted: skl2onnx has no converter for "
        f"{part}, and only what skl2onnx converts can be served"
    )


def _write_atomic(path: Path, data: bytes) -> None:
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", delete=False) as f:
        f.write(data)
    os.chmod(f.name, 0o644)
    os.replace(f.name, path)
