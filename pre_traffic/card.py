"""What the hook needs from the model card: the model's identity, its schema and its golden rows.

The hook ships with the ``model.json`` of the build being deployed and reads it as plain JSON: it
runs beside the function, not inside it, so it carries none of the serving code. Golden rows are
input rows with the reference (scikit-learn) model's answers, recorded by ``convert``; a card
without them gives the hook nothing to compare against, which is a failed check, not a pass.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class CardError(ValueError):
    """The card the hook ships with cannot be checked against: the deployment must fail."""


@dataclass(frozen=True)
class GoldenRow:
    """One input row and the reference model's answer to it."""

    features: list[float]
    label: str
    probabilities: dict[str, float]


@dataclass(frozen=True)
class HookCard:
    """The fields of ``model.json`` the checks use."""

    name: str
    version: str
    sha256: str
    feature_names: list[str]
    classes: list[str]
    tolerance: float
    golden_rows: list[GoldenRow]

    @property
    def model_ref(self) -> dict[str, str]:
        """The ``model`` object every prediction answer carries."""
        return {"name": self.name, "version": self.version, "sha256": self.sha256}

    @classmethod
    def from_dict(cls, data: Any) -> HookCard:
        """Parse a card, naming the first thing that makes it unusable for the check."""
        if not isinstance(data, dict):
            raise CardError("the model card is not a JSON object")
        identity = {key: _text(data, key) for key in ("name", "version", "sha256")}
        features = _names(data, "feature_names")
        classes = _names(data, "classes")
        tolerance = _tolerance(data.get("parity"))
        rows = data.get("golden_rows")
        if not isinstance(rows, list) or not rows:
            raise CardError("the model card has no golden_rows: nothing to check the version by")
        golden = [_golden_row(row, i, len(features), classes) for i, row in enumerate(rows)]
        return cls(
            **identity,
            feature_names=features,
            classes=classes,
            tolerance=tolerance,
            golden_rows=golden,
        )

    @classmethod
    def load(cls, path: Path) -> HookCard:
        """Read the card the hook was built with."""
        try:
            return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            if isinstance(exc, CardError):
                raise
            raise CardError(f"{path}: unreadable model card ({exc})") from None


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise CardError(f"the model card's {key} must be a non-empty string")
    return value


def _names(data: dict[str, Any], key: str) -> list[str]:
    value = data.get(key)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise CardError(f"the model card's {key} must be a list of names")
    return list(value)


def _tolerance(parity: Any) -> float:
    value = parity.get("tolerance") if isinstance(parity, dict) else None
    if not _is_number(value) or value < 0:
        raise CardError("the model card's parity.tolerance must be a number >= 0")
    return float(value)


def _golden_row(row: Any, index: int, n_features: int, classes: list[str]) -> GoldenRow:
    where = f"golden_rows[{index}]"
    if not isinstance(row, dict):
        raise CardError(f"{where} is not an object")
    features, label, probabilities = (row.get(k) for k in ("features", "label", "probabilities"))
    if not isinstance(features, list) or len(features) != n_features:
        raise CardError(f"{where}.features must hold {n_features} numbers")
    if not all(_is_number(v) for v in features):
        raise CardError(f"{where}.features must hold finite numbers")
    if label not in classes:
        raise CardError(f"{where}.label {label!r} is not one of the card's classes")
    if not isinstance(probabilities, dict) or sorted(probabilities) != sorted(classes):
        raise CardError(f"{where}.probabilities must name exactly the card's classes")
    if not all(_is_number(v) for v in probabilities.values()):
        raise CardError(f"{where}.probabilities must be finite numbers")
    return GoldenRow([float(v) for v in features], label, dict(probabilities))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
