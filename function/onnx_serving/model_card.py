"""The model card: everything the handler needs to know about ``model.onnx``.

One source of truth for the schema. ``convert`` writes it as ``model.json`` beside the model and
the handler reads it at init. It lives in the function package (stdlib only) so that reading it
never needs scikit-learn, onnx or protobuf, and ``convert`` imports this same module to write it.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

CARD_FORMAT = 1


class ModelCardError(ValueError):
    """The card is missing, unreadable or inconsistent; raised at init, never per request."""


@dataclass(frozen=True)
class ModelCard:
    """Describes a classifier exported to ONNX: its inputs, outputs and provenance."""

    name: str
    version: str
    sha256: str
    feature_names: list[str]
    classes: list[str]
    feature_min: list[float]
    feature_max: list[float]
    input_name: str = "input"
    label_output: str = "label"
    probabilities_output: str = "probabilities"
    opset: dict[str, int] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    parity: dict[str, float] = field(default_factory=dict)
    library_versions: dict[str, str] = field(default_factory=dict)
    format: int = CARD_FORMAT

    def __post_init__(self) -> None:
        problems = _problems(self)
        if problems:
            raise ModelCardError("; ".join(problems))

    @property
    def n_features(self) -> int:
        """Number of input columns the model expects, in ``feature_names`` order."""
        return len(self.feature_names)

    def public(self) -> dict[str, Any]:
        """What a caller may see (GET /model): no parity internals, nothing secret."""
        return {
            "name": self.name,
            "version": self.version,
            "sha256": self.sha256,
            "features": list(self.feature_names),
            "classes": list(self.classes),
            "feature_ranges": {
                n: [lo, hi]
                for n, lo, hi in zip(
                    self.feature_names, self.feature_min, self.feature_max, strict=True
                )
            },
            "metrics": dict(self.metrics),
        }

    def to_json(self) -> str:
        """Serialise with sorted keys so that the same model always gives the same bytes."""
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_dict(cls, data: object) -> ModelCard:
        """Build a card from parsed JSON, naming the first field that is wrong."""
        if not isinstance(data, dict):
            raise ModelCardError("the card must be a JSON object")
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise ModelCardError(f"unknown fields {unknown}")
        try:
            return cls(**data)
        except TypeError as exc:
            raise ModelCardError(str(exc)) from None

    @classmethod
    def load(cls, path: Path) -> ModelCard:
        """Read ``model.json``; every failure names the file and what is wrong with it."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ModelCardError(f"{path}: model card not found") from None
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise ModelCardError(f"{path}: unreadable model card ({exc})") from None
        try:
            return cls.from_dict(data)
        except ModelCardError as exc:
            raise ModelCardError(f"{path}: invalid model card: {exc}") from None


def _problems(card: ModelCard) -> list[str]:
    """List every inconsistency, so a hand-edited card fails with one complete message."""
    problems = []
    if card.format != CARD_FORMAT:
        problems.append(f"format {card.format!r} is not {CARD_FORMAT}")
    for name in ("name", "version", "input_name", "label_output", "probabilities_output"):
        if not isinstance(getattr(card, name), str) or not getattr(card, name):
            problems.append(f"{name} must be a non-empty string")
    if not isinstance(card.sha256, str) or len(card.sha256) != 64:
        problems.append("sha256 must be 64 hex digits")
    for name in ("feature_names", "classes"):
        values = getattr(card, name)
        if not isinstance(values, list) or not values:
            problems.append(f"{name} must be a non-empty list")
        elif not all(isinstance(v, str) and v for v in values):
            problems.append(f"{name} must hold non-empty strings")
        elif len(set(values)) != len(values):
            problems.append(f"{name} must not repeat")
    if isinstance(card.classes, list) and len(card.classes) < 2:
        problems.append("classes must hold at least two classes")
    n = len(card.feature_names) if isinstance(card.feature_names, list) else -1
    for name in ("feature_min", "feature_max"):
        values = getattr(card, name)
        if not isinstance(values, list) or len(values) != n:
            problems.append(f"{name} must hold one number per feature")
        elif not all(_is_finite_number(v) for v in values):
            problems.append(f"{name} must hold finite numbers")
    ranges = [] if problems else zip(card.feature_min, card.feature_max, strict=True)
    if any(lo > hi for lo, hi in ranges):
        problems.append("feature_min must not exceed feature_max")
    return problems


def _is_finite_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
