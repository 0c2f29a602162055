"""Load ``model.onnx`` once, prove it is the model the card describes, and run it.

Everything that can be wrong with a model is checked here, at init: a Lambda whose init raises is
reported as an init error and retried, which is loud; a half-initialised global that answers 500
forever is not.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import onnxruntime as ort

from .model_card import ModelCard, ModelCardError

# One thread each: Lambda gives 1 vCPU below 1,769 MB, explicit counts stop onnxruntime from
# pinning threads (it logs pthread_setaffinity_np failures in restricted cpusets), and a fixed
# count fixes the float32 summation order of tree outputs, so answers are reproducible.
INTRA_OP_THREADS = 1
INTER_OP_THREADS = 1
# Probabilities of one row must sum to 1 within float32 rounding of a sum over trees.
PROBABILITY_SUM_TOLERANCE = 1e-4
# The init self-test runs the midpoint of the training range and this many fixed rows spread
# across it, so that every class the model predicts there has its column order checked.
PROBE_ROWS = 256


class ModelLoadError(RuntimeError):
    """The model cannot be served; the message names the file and the problem."""


class OnnxModel:
    """An ``InferenceSession`` checked against its model card."""

    def __init__(self, model_path: Path, card: ModelCard) -> None:
        self.card = card
        self._path = model_path
        model_bytes = _read(model_path)
        digest = hashlib.sha256(model_bytes).hexdigest()
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
        """Run probe rows at init: a model that cannot answer must not start serving.

        The label output names a class, the probabilities only index one: each row whose highest
        probability is unique must name the card's class at that index, or the card lists the
        classes in another order than the model and every answer would mislabel probabilities.
        """
        classes = self.card.classes
        rows = probe_rows(self.card)
        try:
            labels, probabilities = self.predict(rows)
        except Exception as exc:
            raise self._error(f"fails on a sample row ({exc})") from exc
        unknown = [label for label in labels if label not in classes]
        if unknown:
            raise self._error(f"answered label {unknown[0]!r}, not one of {classes}")
        if probabilities.shape != (len(rows), len(classes)):
            raise self._error(f"answered probabilities of shape {probabilities.shape}")
        worst_sum = float(np.abs(probabilities.sum(axis=1) - 1.0).max())
        if worst_sum > PROBABILITY_SUM_TOLERANCE:
            raise self._error(f"answered probabilities whose sum is off by {worst_sum}")
        top = probabilities.max(axis=1, keepdims=True)
        clear = (probabilities == top).sum(axis=1) == 1
        for label, best, is_clear in zip(labels, probabilities.argmax(axis=1), clear, strict=True):
            if is_clear and classes[best] != label:
                raise self._error(
                    f"answered {label!r} with its highest probability at {classes[best]!r}: "
                    "the card lists the classes in another order than the model"
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


def card_midpoint(card: ModelCard) -> list[float]:
    """A row in the middle of the training range: valid input for any model the card describes."""
    return [(lo + hi) / 2 for lo, hi in zip(card.feature_min, card.feature_max, strict=True)]


def probe_rows(card: ModelCard) -> np.ndarray:
    """The self-test's rows: the midpoint, then a fixed spread over the training range.

    The spread is the additive quasi-random sequence R_d (fractional parts of multiples of powers
    of the generalised golden ratio): even coverage in any dimension, the same rows every time,
    and no ``numpy.random``, whose import would add ~20 ms to every cold start.
    """
    d = card.n_features
    phi = 2.0
    for _ in range(64):
        phi = (1.0 + phi) ** (1.0 / (d + 1))
    steps = phi ** -np.arange(1, d + 1, dtype=np.float64)
    unit = np.modf(0.5 + np.arange(1, PROBE_ROWS + 1, dtype=np.float64)[:, None] * steps)[0]
    low = np.asarray(card.feature_min, dtype=np.float64)
    high = np.asarray(card.feature_max, dtype=np.float64)
    return np.vstack([card_midpoint(card), low + unit * (high - low)]).astype(np.float32)


def load_model(model_dir: Path) -> OnnxModel:
    """Read ``model.json`` and ``model.onnx`` in ``model_dir``; ``ModelLoadError`` if unfit."""
    try:
        card = ModelCard.load(model_dir / "model.json")
    except ModelCardError as exc:
        raise ModelLoadError(str(exc)) from None
    return OnnxModel(model_dir / "model.onnx", card)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ModelLoadError(f"{path}: model file not found") from None
    except OSError as exc:
        raise ModelLoadError(f"{path}: model file unreadable ({exc.strerror})") from None
