"""Load ``model.onnx`` once, prove it is the model the card describes, and run it.

Everything that can be wrong with a model is checked here, at init: a Lambda whose init raises is
reported as an init error and retried, which is loud; a half-initialised global that answers 500
forever is not.

**Digest.** ``hashlib.sha256`` is OpenSSL's: importing ``hashlib`` maps libcrypto, which costs
init time and peak RSS for one digest of a model that is often under 100 KB. CPython also carries
its own SHA-256 (HACL*, the module ``hashlib`` falls back to without OpenSSL: ``_sha2`` on 3.12+,
``_sha256`` on 3.11), cheap to import but several times slower per byte than OpenSSL's SHA-NI
code. So a model up to ``SMALL_MODEL_BYTES`` is hashed by the built-in one and a bigger one by
OpenSSL (docs/serving.md has the measurements). Same digest either way.

**Init failures.** When importing the handler module raises, awslambdaric 4.2.2 posts the error to
Lambda's ``/runtime/init/error`` as ``{"errorMessage", "errorType", "requestId": "",
"stackTrace"}``, and Lambda returns that document as the payload of every invoke until an init
succeeds (with ``X-Amz-Function-Error: Unhandled``). For most exceptions ``stackTrace`` is the
formatted traceback: importlib's frames with the interpreter's path, then the function's own
files under ``/var/task``. An ``ImportError`` is the exception the runtime client reports without
frames (``Runtime.ImportModuleError``, ``stackTrace: []``, the message prefixed "Unable to import
module 'app': "). So the entry point turns any init failure into one (``init_failure``), whose
message names the problem and the model's files by name only; the full traceback goes to the
function's log, one JSON line at level ERROR, where the deployer looks for it.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Callable
from typing import Any

import numpy as np
import onnxruntime as ort

from .answers import answer_from
from .card import (
    CARD_DIGEST_KEY,
    MATRIX,
    NUMBER,
    STRING,
    ModelCard,
    ModelCardError,
    golden_mismatches,
)
from .errors import RequestError
from .rows import checked_columns, graph_feed

# One thread each: Lambda gives 1 vCPU below 1,769 MB, explicit counts stop onnxruntime from
# pinning threads (it logs pthread_setaffinity_np failures in restricted cpusets), and a fixed
# count fixes the float32 summation order of tree outputs, so answers are reproducible.
INTRA_OP_THREADS = 1
INTER_OP_THREADS = 1
# The tensor type a graph input or output of each kind has.
TENSOR_TYPES = {"float32": "tensor(float)", "float64": "tensor(double)", STRING: "tensor(string)"}
NUMBER_TENSORS = (TENSOR_TYPES["float32"], TENSOR_TYPES["float64"])


class ModelLoadError(RuntimeError):
    """The model cannot be served; the message names the file and the problem."""


class OnnxModel:
    """An ``InferenceSession`` checked against its model card."""

    def __init__(self, model_path: str | os.PathLike[str], card: ModelCard) -> None:
        self.card = card
        self._path = model_path
        model_bytes = _read(model_path)
        digest = sha256_hex(model_bytes)
        if digest != card.sha256:
            raise ModelLoadError(
                f"{model_path}: SHA-256 {digest} does not match the model card ({card.sha256}); "
                "the file is corrupted or the card belongs to another model"
            )
        try:
            self._session = ort.InferenceSession(
                model_bytes, sess_options=session_options(), providers=["CPUExecutionProvider"]
            )
        except Exception as exc:
            raise ModelLoadError(
                f"{model_path}: onnxruntime cannot load the model ({exc})"
            ) from exc
        self._check_signature()
        self._self_test()
        self._check_card_binding()

    def predict(self, feed: dict[str, np.ndarray]) -> list[np.ndarray]:
        """The card's outputs, in order, for the graph inputs ``feed`` (``rows.graph_feed``)."""
        return self._session.run(self.card.outputs, feed)

    def _check_signature(self) -> None:
        """The graph's inputs and outputs must be those the card promises: names, element types
        (numbers as ``number_type``, strings as strings) and shapes, for either input layout."""
        card = self.card
        inputs = {i.name: i for i in self._session.get_inputs()}
        if card.inputs == MATRIX:
            expected = {card.input_name: (card.number_type, [card.n_features])}
        else:
            expected = {
                c.name: (card.number_type if c.type == NUMBER else STRING, [1])
                for c in card.columns
            }
        if set(inputs) != set(expected):
            raise self._error(f"expects inputs {sorted(inputs)}, card says {sorted(expected)}")
        for name, (element, width) in expected.items():
            found = inputs[name]
            if found.type != TENSOR_TYPES[element] or found.shape[1:] != width:
                raise self._error(
                    f"input {name!r} is {found.type} {found.shape}, "
                    f"card says {TENSOR_TYPES[element]} [N, {width[0]}]"
                )
        outputs = {o.name: o for o in self._session.get_outputs()}
        for name in card.outputs:
            if name not in outputs:
                raise self._error(f"has no output {name!r} (outputs: {sorted(outputs)})")
        if card.is_classifier:
            probabilities = outputs[card.outputs[1]]
            if probabilities.shape[1:] not in ([len(card.classes)], [None]):
                raise self._error(
                    f"probabilities are {probabilities.shape}, "
                    f"card says {len(card.classes)} classes"
                )
            return
        value = outputs[card.outputs[0]]
        if value.type not in NUMBER_TENSORS or value.shape[1:] not in ([], [1]):
            raise self._error(
                f"value output is {value.type} {value.shape}, card says one number per row "
                "([N] or [N, 1]): one regression target"
            )

    def _self_test(self) -> None:
        """Reproduce the card's golden rows: a model that answers otherwise must not serve.

        The golden rows hold the reference scikit-learn model's answers, recorded by ``convert``
        (for a classifier, on rows whose best class leads clearly). They are fed as any request
        is, through the rows module, so strings and missing values reach the graph as they will
        in production. A model whose answer to them, rounded as callers get it, passes
        ``golden_mismatches`` (the check every reader of the card makes) is the model that was
        converted, whatever its SHA-256 says; and since each label must sit in the card's column
        of the highest probability, a card that lists the classes in another order than the
        model fails here instead of mislabelling answers.
        """
        card = self.card
        rows = [golden["features"] for golden in card.golden_rows]
        try:
            columns = checked_columns(rows, [f"golden_rows[{i}]" for i in range(len(rows))], card)
            outputs = self.predict(graph_feed(card, columns))
        except RequestError as exc:
            raise self._error(f"cannot take its card's golden rows: {exc.message}") from None
        except Exception as exc:
            raise self._error(f"fails on a golden row ({exc})") from exc
        if card.is_classifier:
            self._check_classes(outputs, len(rows))
        try:
            answer = answer_from(card, outputs)
        except ValueError as exc:
            raise self._error(f"answers its golden rows wrongly ({exc})") from None
        mismatches = golden_mismatches(card, answer.as_dict())
        if mismatches:
            raise ModelLoadError(
                f"{self._path}: {mismatches[0]}: this is not the model the card was written for"
            )

    def _check_classes(self, outputs: list[np.ndarray], rows: int) -> None:
        """Labels must be the card's classes, each where the model's highest probability is."""
        classes = self.card.classes
        labels = [str(label) for label in np.asarray(outputs[0]).reshape(-1).tolist()]
        probabilities = outputs[1]
        unknown = [label for label in labels if label not in classes]
        if unknown:
            raise self._error(f"answered label {unknown[0]!r}, not one of {classes}")
        if probabilities.shape != (rows, len(classes)):
            raise self._error(f"answered probabilities of shape {probabilities.shape}")
        for label, best in zip(labels, probabilities.argmax(axis=1), strict=True):
            if classes[best] != label:
                raise self._error(
                    f"answered {label!r} with its highest probability at {classes[best]!r}: "
                    "the card lists the classes in another order than the model"
                )

    def _check_card_binding(self) -> None:
        """The card must be the one ``convert`` wrote for this model, field for field.

        Checked last, once the model has proved to be the converted one: what is left to catch is
        a card edited afterwards (reordered feature names answer confidently and wrongly, and the
        golden rows, being positional, cannot see it).
        """
        bound = self._session.get_modelmeta().custom_metadata_map.get(CARD_DIGEST_KEY)
        if bound is None:
            raise self._error(
                f"carries no digest of its card ({CARD_DIGEST_KEY}): convert it again "
                "(make convert) so that the card is bound to it"
            )
        if sha256_hex(self.card.bound_content()) != bound:
            raise ModelLoadError(
                f"{self._path}: model.json is not the card this model was converted with (its "
                "content differs from the digest the model carries): it was edited after "
                "conversion; convert the model again (make convert)"
            )

    def _error(self, problem: str) -> ModelLoadError:
        return ModelLoadError(f"{self._path}: the model {problem}")


def session_options() -> ort.SessionOptions:
    """Session options shared by the handler and the benchmarks, so both measure the same thing."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = INTRA_OP_THREADS
    options.inter_op_num_threads = INTER_OP_THREADS
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return options


def load_model(model_dir: str | os.PathLike[str]) -> OnnxModel:
    """Read ``model.json`` and ``model.onnx`` in ``model_dir``; ``ModelLoadError`` if unfit."""
    try:
        card = ModelCard.load(os.path.join(model_dir, "model.json"))
    except ModelCardError as exc:
        raise ModelLoadError(str(exc)) from None
    return OnnxModel(os.path.join(model_dir, "model.onnx"), card)


def _read(path: str | os.PathLike[str]) -> bytes:
    try:
        with open(path, "rb") as file:
            return file.read()
    except FileNotFoundError:
        raise ModelLoadError(f"{path}: model file not found") from None
    except OSError as exc:
        raise ModelLoadError(f"{path}: model file unreadable ({exc.strerror})") from None


SMALL_MODEL_BYTES = 1 << 20


def _builtin_sha256() -> Callable[[bytes], Any]:
    """CPython's own SHA-256 constructor, or OpenSSL's where the interpreter has no such module."""
    try:
        from _sha2 import sha256
    except ImportError:
        try:
            from _sha256 import sha256
        except ImportError:
            from hashlib import sha256
    return sha256


def sha256_hex(data: bytes) -> str:
    """The hex SHA-256 of ``data``, from whichever implementation finishes first for its size."""
    if len(data) <= SMALL_MODEL_BYTES:
        return _builtin_sha256()(data).hexdigest()
    from hashlib import sha256

    return sha256(data).hexdigest()


class InitFailure(ImportError):
    """The handler module cannot serve: raised at import, reported by the runtime as such."""


def init_failure(exc: BaseException, model_dir: str | os.PathLike[str]) -> InitFailure:
    """Log ``exc`` with its traceback; return the frameless error to raise instead."""
    message = f"{type(exc).__name__}: {exc}".replace(f"{model_dir}{os.sep}", "")
    record = {
        "level": "ERROR",
        "event": "init",
        "error_type": type(exc).__name__,
        "message": message,
        "traceback": "".join(traceback.format_exception(exc)),
    }
    sys.stdout.write(json.dumps(record) + "\n")
    sys.stdout.flush()
    return InitFailure(message)
