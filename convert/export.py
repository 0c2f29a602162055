"""Export a fitted classifier or regressor to ONNX; write it with its card only if parity holds."""

from __future__ import annotations

import copy
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
from onnx import helper, numpy_helper
from skl2onnx import to_onnx
from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType, StringTensorType
from skl2onnx.common.exceptions import MissingShapeCalculator
from skl2onnx.sklapi import CastTransformer
from sklearn.base import is_classifier
from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from convert.bins import feature_bins
from convert.boosters import register_booster_converters
from convert.check_rows import CheckRows, shortest_float32
from convert.golden import golden_rows
from convert.hist_gradient_boosting import (
    register_hist_gradient_boosting_converters,
    unsupported_hist_gradient_boosting,
)
from convert.imputer_ops import ImputerRewriteError, float64_imputers
from convert.parity import ParityReport, check_parity, onnx_session
from convert.schema import InputSchema
from convert.servable import (
    UnsupportedModelError,
    check_servable,
    describe_estimator,
    final_estimator,
    first_line,
    parts,
    unconvertible_part,
)
from convert.tree_ensemble import to_tree_ensemble_v5
from onnx_serving.card import (
    CARD_DIGEST_KEY,
    CLASSIFIER,
    COLUMNS,
    MATRIX,
    MISSING_STRING,
    NUMBER,
    REGRESSOR,
    SHARE_DECIMALS,
    STRING,
    ModelCard,
)

# Pinned so that the same estimator always exports to the same bytes, whatever skl2onnx's default
# becomes; opset 21 / ai.onnx.ml 3 run on every onnxruntime since 1.18.
TARGET_OPSET = {"": 21, "ai.onnx.ml": 3}
# As skl2onnx exports it, a large forest takes longer to become an InferenceSession than
# unpickling it; rewritten to ai.onnx.ml opset-5 TreeEnsemble nodes of 10 trees each it starts in
# a fraction of that and predicts batches faster (measured: docs/results.md, settled questions).
# Small forests gain nothing, so only forests past this size are rewritten.
LARGE_FOREST_NODES = 100_000
TREES_PER_NODE = 10

register_booster_converters()
register_hist_gradient_boosting_converters()


@dataclass(frozen=True)
class ModelInfo:
    """What the card says about a model besides what the export itself tells."""

    name: str
    version: str
    # Per column, the training range, or None when it is not known (then answers carry no
    # out_of_range); NaN for a string column.
    feature_min: np.ndarray | None
    feature_max: np.ndarray | None
    metrics: dict[str, float]
    # The rows the card's feature bins are taken from when they are not the real check rows:
    # the demo's training rows, more of them than its test set and what it was fitted on.
    bin_rows: CheckRows | None = None


def export_onnx(estimator: object, schema: InputSchema) -> bytes:
    """ONNX bytes taking rows as ``schema`` says; plain label and probability outputs for a
    classifier, one value per row for a regressor.

    A model the function cannot serve, or skl2onnx cannot convert, raises
    ``UnsupportedModelError`` with one line naming it.
    """
    check_servable(estimator)
    unsupported = unsupported_hist_gradient_boosting(estimator)
    if unsupported:
        raise UnsupportedModelError(
            f"{describe_estimator(estimator)} cannot be served: {unsupported}"
        )
    exported = export_copy(estimator, schema)
    final = final_estimator(exported)
    options = {id(final): {"zipmap": False}} if is_classifier(final) else None
    try:
        # skl2onnx reads attributes scikit-learn 1.9 deprecates (SVC's probA_, probB_): their
        # FutureWarnings are about skl2onnx's code, nothing the user can act on.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            model = to_onnx(
                exported,
                initial_types=initial_types(schema),
                options=options,
                target_opset=TARGET_OPSET,
            )
    except MissingShapeCalculator as exc:
        raise UnsupportedModelError(_unsupported_name(estimator, exc)) from None
    except Exception as exc:
        raise UnsupportedModelError(
            f"skl2onnx cannot convert {describe_estimator(estimator)}: "
            f"{type(exc).__name__}: {first_line(exc)}"
        ) from None
    if schema.inputs == COLUMNS:
        named_as_columns(model, schema.feature_names)
    if is_classifier(final):
        boolean_labels_as_strings(model, final.classes_)
    model_bytes = model.SerializeToString()
    if schema.number_type == "float64":
        try:
            model_bytes = float64_imputers(model_bytes, _numeric_statistics(estimator))
        except ImputerRewriteError as exc:
            raise UnsupportedModelError(
                f"{describe_estimator(estimator)} cannot be served: it uses {exc}"
            ) from None
    try:
        onnx_session(model_bytes)
    except Exception as exc:  # onnxruntime raises its own types, none of them shared
        raise UnloadableModelError(
            f"onnxruntime cannot load {describe_estimator(estimator)} converted to ONNX "
            f"({first_line(exc)})"
        ) from None
    return model_bytes


def export_loadable(estimator: object, schema: InputSchema) -> tuple[bytes, InputSchema]:
    """The export of ``export_onnx`` and the schema it takes, falling back to float32 where
    onnxruntime implements an operator for float32 only (``SVMRegressor``, say): parity then
    says whether float32 arithmetic answers as scikit-learn does."""
    try:
        return export_onnx(estimator, schema), schema
    except UnloadableModelError:
        if schema.number_type == "float32":
            raise
    float32 = replace(schema, number_type="float32", casts_before_final=False)
    return export_onnx(estimator, float32), float32


def named_as_columns(model: onnx.ModelProto, names: list[str]) -> None:
    """Name the graph's inputs exactly as the columns (in place): skl2onnx turns a column name
    such as ``sepal length (cm)`` into an identifier, and the card promises the column's name."""
    renamed = {
        graph_input.name: name
        for graph_input, name in zip(model.graph.input, names, strict=True)
        if graph_input.name != name
    }
    for graph_input in model.graph.input:
        graph_input.name = renamed.get(graph_input.name, graph_input.name)
    for node in model.graph.node:
        node.input[:] = [renamed.get(name, name) for name in node.input]


def boolean_labels_as_strings(model: onnx.ModelProto, classes: np.ndarray) -> None:
    """Make a classifier with classes False and True answer "False" and "True" (in place).

    skl2onnx writes boolean classes as the ints 0 and 1, while the card's classes are the
    classes as text (``str`` of each, as scikit-learn's labels print): the label output becomes
    the text of its value, picked from a constant by the int (False is 0, True is 1)."""
    if not all(isinstance(c, bool | np.bool_) for c in classes):
        return
    label = model.graph.output[0]
    as_int = f"{label.name}_int64"
    names = f"{label.name}_names"
    for node in model.graph.node:
        node.output[:] = [as_int if name == label.name else name for name in node.output]
    model.graph.initializer.append(
        numpy_helper.from_array(np.asarray([str(False), str(True)], dtype=object), names)
    )
    model.graph.node.append(
        helper.make_node("Gather", [names, as_int], [label.name], name=f"{label.name}_as_text")
    )
    label.type.tensor_type.elem_type = onnx.TensorProto.STRING


class UnloadableModelError(UnsupportedModelError):
    """skl2onnx converted the model, but onnxruntime has no kernel for a node of the graph."""


def initial_types(schema: InputSchema) -> list[tuple[str, object]]:
    """skl2onnx's input declarations: one matrix, or one ``[N, 1]`` input per column."""
    number = FloatTensorType if schema.number_type == "float32" else DoubleTensorType
    if schema.inputs == MATRIX:
        return [(schema.input_name, number([None, len(schema.columns)]))]
    return [
        (c.name, (StringTensorType if c.type == STRING else number)([None, 1]))
        for c in schema.columns
    ]


def export_copy(estimator: object, schema: InputSchema) -> object:
    """What is handed to skl2onnx: the model itself, or a copy with a float32 cast before its
    trees (where scikit-learn casts), string imputers that take "" for missing (what the
    function feeds for a missing string; skl2onnx converts string imputers of a string only)
    and one-hot encoders that answer an unknown category as "ignore" does written so.
    The user's model is never changed: it stays the reference parity holds ONNX to."""
    changed = _string_imputers(estimator) or _encoders_ignoring_unknown(estimator)
    exported = copy.deepcopy(estimator) if changed else estimator
    for imputer in _string_imputers(exported):
        imputer.missing_values = MISSING_STRING
    for encoder in _encoders_ignoring_unknown(exported):
        encoder.handle_unknown = "ignore"
    if schema.casts_before_final:
        cast = ("cast_to_float32", CastTransformer(dtype=np.float32))
        exported = Pipeline([*exported.steps[:-1], cast, exported.steps[-1]])
    return exported


def _numeric_statistics(estimator: object) -> list[np.ndarray]:
    """The float64 values the numeric SimpleImputers fill in."""
    return [
        np.asarray(p.statistics_, dtype=np.float64)
        for p in parts(estimator)
        if isinstance(p, SimpleImputer) and getattr(p, "_fit_dtype", np.dtype(object)).kind == "f"
    ]


def _encoders_ignoring_unknown(estimator: object) -> list[OneHotEncoder]:
    """OneHotEncoders with ``handle_unknown="infrequent_if_exist"`` that found no infrequent
    category: scikit-learn then encodes an unknown category as zeros, as ``"ignore"`` does,
    and skl2onnx's encoder answers zeros only when told ``"ignore"``."""
    return [
        p
        for p in parts(estimator)
        if isinstance(p, OneHotEncoder)
        and p.handle_unknown == "infrequent_if_exist"
        and (
            not p._infrequent_enabled  # neither min_frequency nor max_categories
            or all(found is None for found in p.infrequent_categories_)
        )
    ]


def _string_imputers(estimator: object) -> list[SimpleImputer]:
    """The SimpleImputers fitted on strings."""
    return [
        p
        for p in parts(estimator)
        if isinstance(p, SimpleImputer) and getattr(p, "_fit_dtype", np.dtype(float)).kind == "O"
    ]


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


def build_card(
    estimator: object,
    model_bytes: bytes,
    info: ModelInfo,
    schema: InputSchema,
    parity: ParityReport,
    real_rows: int = 0,
) -> ModelCard:
    """The card the handler reads: task, typed columns, how they are fed, classes, golden rows,
    provenance, SHA-256, and what the first ``real_rows`` check rows looked like (class shares,
    feature bins)."""
    final = final_estimator(estimator)
    classifier = is_classifier(final)
    classes = [str(c) for c in final.classes_] if classifier else []
    usable = ~parity.boundary
    columns = [
        replace(
            column,
            min=_bound(info.feature_min, j, schema.number_type),
            max=_bound(info.feature_max, j, schema.number_type),
        )
        if column.type == NUMBER
        else column
        for j, column in enumerate(schema.columns)
    ]
    reference = parity.reference
    return ModelCard(
        name=info.name,
        version=info.version,
        sha256=hashlib.sha256(model_bytes).hexdigest(),
        task=CLASSIFIER if classifier else REGRESSOR,
        columns=columns,
        classes=classes,
        inputs=schema.inputs,
        number_type=schema.number_type,
        input_name=schema.input_name,
        outputs=[o.name for o in onnx.load_from_string(model_bytes).graph.output],
        opset=model_opsets(model_bytes),
        metrics=dict(info.metrics),
        parity=parity.as_dict(),
        library_versions=library_versions(),
        golden_rows=golden_rows(estimator, reference, schema, usable, real_rows),
        class_shares=(class_shares(reference.labels[:real_rows], classes) if classifier else None),
        feature_bins=feature_bins(
            info.bin_rows
            if info.bin_rows is not None
            else reference.rows.take(np.arange(real_rows)),
            schema,
        ),
    )


def _bound(bounds: np.ndarray | None, j: int, number_type: str) -> float | None:
    """A number column's range bound as the card writes it, or None: the float32 the model
    compares (shortest decimal) for a float32 graph, the value itself for a float64 one."""
    if bounds is None or not np.isfinite(bounds[j]):
        return None
    return shortest_float32(bounds[j]) if number_type == "float32" else float(bounds[j])


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
    schema: InputSchema,
    rows: CheckRows,
    out_dir: Path,
    real_rows: int = 0,
) -> ModelCard:
    """Verify parity on ``rows`` (the first ``real_rows`` of them real data), then write
    ``model.onnx`` and ``model.json``.

    Nothing is written unless parity holds, and both files are replaced atomically, so a failed
    conversion never leaves a model beside a card that does not describe it.
    """
    parity = check_parity(estimator, model_bytes, rows, schema, real_rows)
    model_bytes, card = bind_card(
        model_bytes, build_card(estimator, model_bytes, info, schema, parity, real_rows)
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
