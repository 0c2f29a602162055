"""Load ``model.onnx`` once, prove it is the model the card describes, and run it.

Everything that can be wrong with a model is checked here, at init: a Lambda whose init raises is
reported as an init error and retried, which is loud; a half-initialised global that answers 500
forever is not.
"""

from __future__ import annotations

import os

import numpy as np
import onnxruntime as ort

from .digest import sha256_hex
from .model_card import ModelCard, ModelCardError

# One thread each: Lambda gives 1 vCPU below 1,769 MB, explicit counts stop onnxruntime from
# pinning threads (it logs pthread_setaffinity_np failures in restricted cpusets), and a fixed
# count fixes the float32 summation order of tree outputs, so answers are reproducible.
INTRA_OP_THREADS = 1
INTER_OP_THREADS = 1


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

    def predict(self, rows: np.ndarray) -> tuple[list[str], np.ndarray]:
        """Labels (as card class names) and float32 probabilities ``[n, classes]`` for ``rows``."""
        labels, probabilities = self._session.run(
            [self.card.label_output, self.card.probabilities_output],
            {self.card.input_name: rows},
        )
        return [str(label) for label in labels.tolist()], probabilities

    def _check_signature(self) -> None:
        """The graph's inputs and outputs must be those the card promises."""
        card = self.card
        inputs = self._session.get_inputs()
        if len(inputs) != 1 or inputs[0].name != card.input_name:
            raise self._error(
                f"expects inputs {[i.name for i in inputs]}, card says {card.input_name!r}"
            )
        if inputs[0].type != "tensor(float)" or inputs[0].shape[1:] != [card.n_features]:
            raise self._error(
                f"input is {inputs[0].type} {inputs[0].shape}, "
                f"card says tensor(float) [N, {card.n_features}]"
            )
        outputs = {o.name: o for o in self._session.get_outputs()}
        for name in (card.label_output, card.probabilities_output):
            if name not in outputs:
                raise self._error(f"has no output {name!r} (outputs: {sorted(outputs)})")
        probabilities = outputs[card.probabilities_output]
        if probabilities.shape[1:] not in ([len(card.classes)], [None]):
            raise self._error(
                f"probabilities are {probabilities.shape}, card says {len(card.classes)} classes"
            )

    def _self_test(self) -> None:
        """Reproduce the card's golden rows: a model that answers otherwise must not serve.

        The golden rows hold the reference scikit-learn model's answers, recorded by ``convert``
        on rows whose best class leads clearly. So a model that answers them within the parity
        tolerance is the model that was converted, whatever its SHA-256 says; and since each
        label must sit in the card's column of the highest probability, a card that lists the
        classes in another order than the model fails here instead of mislabelling answers.
        """
        card = self.card
        classes = card.classes
        rows = np.asarray([golden["features"] for golden in card.golden_rows], dtype=np.float32)
        try:
            labels, probabilities = self.predict(rows)
        except Exception as exc:
            raise self._error(f"fails on a golden row ({exc})") from exc
        unknown = [label for label in labels if label not in classes]
        if unknown:
            raise self._error(f"answered label {unknown[0]!r}, not one of {classes}")
        if probabilities.shape != (len(rows), len(classes)):
            raise self._error(f"answered probabilities of shape {probabilities.shape}")
        for label, best in zip(labels, probabilities.argmax(axis=1), strict=True):
            if classes[best] != label:
                raise self._error(
                    f"answered {label!r} with its highest probability at {classes[best]!r}: "
                    "the card lists the classes in another order than the model"
                )
        expected = np.asarray(
            [[golden["probabilities"][name] for name in classes] for golden in card.golden_rows]
        )
        gaps = np.abs(probabilities.astype(np.float64) - expected).max(axis=1)
        tolerance = card.parity["tolerance"]
        for i, (label, golden) in enumerate(zip(labels, card.golden_rows, strict=True)):
            if label != golden["label"] or gaps[i] > tolerance:
                raise self._error(
                    f"answers golden row {i} with {label!r} (probabilities up to {gaps[i]:.3g} "
                    f"from the reference, tolerance {tolerance:g}) where the converted model "
                    f"answered {golden['label']!r}: this is not the model the card was written for"
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
