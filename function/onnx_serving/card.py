"""The model card: everything the handler needs to know about ``model.onnx``, and its check.

One source of truth for the schema and for what reproducing the golden rows means. ``convert``
writes the card as ``model.json`` beside the model and the handler reads it at init; the
pre-traffic hook, the local runtime and the post-deploy smoke check read it with this same
reader and compare answers with this same ``golden_mismatches``. The module is stdlib only and
imports nothing else of the package: reading it never needs scikit-learn, onnx or protobuf (nor
numpy), and the hook's package carries a copy of this file, made at build time.

Two fields carry what the conversion knew, so that nothing has to be guessed later:

- ``golden_rows``: input rows with the answers of the *reference* scikit-learn model
  (``{"features": [...], "label": ..., "probabilities": {class: p}}``). Init reproduces them
  within ``ANSWER_TOLERANCE`` or refuses to start, so a file that is not the model that was
  converted (a same-schema model with a fixed-up SHA-256 included) never serves.
- ``feature_min``/``feature_max``: the training range when it is known (sample rows, or a
  leading MinMaxScaler), else both ``null``: an unknown range is said so, never invented.
- ``class_shares``: the share of each class among the reference model's predictions on real rows
  (``SAMPLE=`` rows, or the demo's test set), what the live prediction mix is compared with;
  ``null`` (or absent, in a card written before it existed) when conversion saw no real rows.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

# 2: golden_rows, and feature ranges that may be null; 3: bound to its model (CARD_DIGEST_KEY). A
# card of another format is refused with a message saying to convert the model again.
CARD_FORMAT = 3
# The metadata entry of ``model.onnx`` that holds the SHA-256 of its card's ``bound_content``:
# ``convert`` writes it, init compares it, so a card edited after conversion does not serve.
CARD_DIGEST_KEY = "onnx_lambda.card_sha256"
# Class shares are rounded to this many decimals, so they sum to 1 within half a unit of the
# last decimal per class.
SHARE_DECIMALS = 6
# The largest float32: a golden row is fed to the model as float32.
FLOAT32_MAX = 3.4028234663852886e38
GOLDEN_ROW_FIELDS = {"features", "label", "probabilities"}
# How far a probability may be from the reference model's: trees compare in float32 on both
# sides, but their float32 sums move by rounding and summation order (docs/convert.md has by how
# much), so labels are compared exactly and probabilities to this absolute tolerance. ``convert``
# checks parity with it and records it in the card (``parity["tolerance"]``).
PROBABILITY_TOLERANCE = 1e-5
# Answers round probabilities to this many decimals: float32 carries about 7 significant digits,
# and more would print summation noise as if it meant something (0.99999934 for a sure class).
PROBABILITY_DECIMALS = 6
# An answer is rounded after the model's tolerance applied: a probability at the tolerance may
# come back up to half a unit of the last printed decimal further away.
ANSWER_TOLERANCE = PROBABILITY_TOLERANCE + 0.5 * 10.0**-PROBABILITY_DECIMALS


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
    feature_min: list[float] | None
    feature_max: list[float] | None
    input_name: str = "input"
    label_output: str = "label"
    probabilities_output: str = "probabilities"
    opset: dict[str, int] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    parity: dict[str, float] = field(default_factory=dict)
    library_versions: dict[str, str] = field(default_factory=dict)
    golden_rows: list[dict[str, Any]] = field(default_factory=list)
    format: int = CARD_FORMAT
    class_shares: dict[str, float] | None = None

    def __post_init__(self) -> None:
        problems = _problems(self)
        if problems:
            raise ModelCardError("; ".join(problems))

    @property
    def n_features(self) -> int:
        """Number of input columns the model expects, in ``feature_names`` order."""
        return len(self.feature_names)

    @property
    def has_ranges(self) -> bool:
        """Whether the training range is known, and so whether answers carry ``out_of_range``."""
        return self.feature_min is not None

    def row_bounds(self) -> tuple[list[float], list[float]]:
        """Per-feature bounds to draw example rows from (soak, benchmarks): the training range
        when known, else the span of the golden rows, which are real inputs of the model."""
        if self.has_ranges:
            return list(self.feature_min), list(self.feature_max)
        columns = list(zip(*(row["features"] for row in self.golden_rows), strict=True))
        return [min(c) for c in columns], [max(c) for c in columns]

    def public(self) -> dict[str, Any]:
        """What a caller may see (GET /model): no parity internals, nothing secret."""
        return {
            "name": self.name,
            "version": self.version,
            "sha256": self.sha256,
            "features": list(self.feature_names),
            "classes": list(self.classes),
            "feature_ranges": (
                {
                    n: [lo, hi]
                    for n, lo, hi in zip(
                        self.feature_names, self.feature_min, self.feature_max, strict=True
                    )
                }
                if self.has_ranges
                else None
            ),
            "metrics": dict(self.metrics),
        }

    def bound_content(self) -> bytes:
        """What the model file vouches for: every field but ``sha256`` (the model's own digest,
        which the model cannot contain), as canonical JSON.

        The golden rows are positional and so cannot tell a card whose ``feature_names`` were
        reordered from the true one; the digest of this content, carried inside the model whose
        digest the card carries, makes any edit of the card visible at init.
        """
        fields = asdict(self)
        del fields["sha256"]
        return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()

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
    def load(cls, path: str | os.PathLike[str]) -> ModelCard:
        """Read ``model.json``; every failure names the file and what is wrong with it."""
        try:
            with open(path, encoding="utf-8") as file:
                data = json.loads(file.read())
        except FileNotFoundError:
            raise ModelCardError(f"{path}: model card not found") from None
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise ModelCardError(f"{path}: unreadable model card ({exc})") from None
        try:
            return cls.from_dict(data)
        except ModelCardError as exc:
            raise ModelCardError(f"{path}: invalid model card: {exc}") from None


def reference(card: ModelCard) -> dict[str, str]:
    """Which model answered: the ``model`` object of every prediction answer."""
    return {"name": card.name, "version": card.version, "sha256": card.sha256}


def golden_mismatches(
    card: ModelCard, answer: object, rows: Sequence[int] | None = None
) -> list[str]:
    """What differs between a prediction answer and the card's golden rows; empty when none.

    ``answer`` is an answer as callers read it (``{"predictions": [...], "model": {...}}``,
    parsed JSON or the handler's own dict) to a request for the golden rows numbered ``rows``,
    in that order (default: all of them). Labels must be the reference model's exactly, and
    probabilities within ``ANSWER_TOLERANCE``; anything that is not an answer is a mismatch.
    """
    wanted = list(range(len(card.golden_rows))) if rows is None else list(rows)
    predictions = answer.get("predictions") if isinstance(answer, dict) else None
    if not isinstance(predictions, list):
        return [f"no predictions in {json.dumps(answer, default=repr)[:300]}"]
    problems = []
    if answer.get("model") != reference(card):
        problems.append(f"answered for model {answer.get('model')}, expected {reference(card)}")
    if len(predictions) != len(wanted):
        return [*problems, f"{len(predictions)} predictions for {len(wanted)} golden rows"]
    for index, prediction in zip(wanted, predictions, strict=True):
        problem = _golden_mismatch(card, card.golden_rows[index], prediction)
        if problem:
            problems.append(f"golden row {index} {problem}")
    return problems


def _golden_mismatch(card: ModelCard, golden: dict[str, Any], prediction: object) -> str:
    """How one prediction differs from its golden row, or "" when it reproduces it."""
    if not isinstance(prediction, dict):
        return f"answered {prediction!r:.100}, not a prediction"
    label, probabilities = prediction.get("label"), prediction.get("probabilities")
    if not isinstance(probabilities, dict) or set(probabilities) != set(card.classes):
        return f"answered probabilities {probabilities!r:.200}, not one per class of the card"
    values = [probabilities[name] for name in card.classes]
    if not all(_is_finite_number(v) for v in values):
        return f"answered probabilities {probabilities!r:.200}, not all finite numbers"
    reference_values = [golden["probabilities"][name] for name in card.classes]
    gap = max(abs(v - r) for v, r in zip(values, reference_values, strict=True))
    differences = []
    if label != golden["label"]:
        differences.append(
            f"answered {label!r} where the reference model answered {golden['label']!r}"
        )
    if gap > ANSWER_TOLERANCE:
        differences.append(
            f"answered probabilities up to {gap:.3g} from the reference model's "
            f"(tolerance {ANSWER_TOLERANCE:.3g})"
        )
    return "; ".join(differences)


def _problems(card: ModelCard) -> list[str]:
    """List every inconsistency, so a hand-edited card fails with one complete message."""
    if card.format != CARD_FORMAT:
        return [
            f"format {card.format!r} is not {CARD_FORMAT}: convert the model again "
            "(make convert, or make convert MODEL=...) to write a current card"
        ]
    problems = []
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
    if problems:
        return problems
    problems += _range_problems(card)
    problems += _share_problems(card)
    tolerance = card.parity.get("tolerance") if isinstance(card.parity, dict) else None
    if not _is_finite_number(tolerance) or tolerance <= 0:
        problems.append("parity must record a positive tolerance")
    problems += _golden_problems(card)
    return problems


def _range_problems(card: ModelCard) -> list[str]:
    if card.feature_min is None and card.feature_max is None:
        return []
    problems = []
    for name in ("feature_min", "feature_max"):
        values = getattr(card, name)
        if not isinstance(values, list) or len(values) != card.n_features:
            problems.append(f"{name} must hold one number per feature (or both be null)")
        elif not all(_is_finite_number(v) for v in values):
            problems.append(f"{name} must hold finite numbers")
    ranges = [] if problems else zip(card.feature_min, card.feature_max, strict=True)
    if any(lo > hi for lo, hi in ranges):
        problems.append("feature_min must not exceed feature_max")
    return problems


def _share_problems(card: ModelCard) -> list[str]:
    shares = card.class_shares
    if shares is None:
        return []
    if not isinstance(shares, dict) or set(shares) != set(card.classes):
        return ["class_shares must give one share per class (or be null)"]
    if not all(_is_finite_number(v) and 0 <= v <= 1 for v in shares.values()):
        return ["class_shares must be numbers from 0 to 1"]
    if abs(sum(shares.values()) - 1) > 0.5 * len(shares) * 10.0**-SHARE_DECIMALS:
        return ["class_shares must sum to 1"]
    return []


def _golden_problems(card: ModelCard) -> list[str]:
    """The first malformed golden row, named: one is enough to say the card was damaged."""
    rows = card.golden_rows
    if not isinstance(rows, list) or not rows:
        return ["golden_rows must hold at least one row: convert the model again"]
    classes = set(card.classes)
    for i, row in enumerate(rows):
        where = f"golden_rows[{i}]"
        if not isinstance(row, dict) or set(row) != GOLDEN_ROW_FIELDS:
            return [f"{where} must be an object with exactly {sorted(GOLDEN_ROW_FIELDS)}"]
        features, label, probabilities = row["features"], row["label"], row["probabilities"]
        if not isinstance(features, list) or len(features) != card.n_features:
            return [f"{where}.features must hold {card.n_features} numbers"]
        if not all(_is_finite_number(v) and abs(v) <= FLOAT32_MAX for v in features):
            return [f"{where}.features must hold finite float32 numbers"]
        if not isinstance(label, str) or label not in classes:
            return [f"{where}.label {label!r} is not one of the classes"]
        if not isinstance(probabilities, dict) or set(probabilities) != classes:
            return [f"{where}.probabilities must give one probability per class"]
        if not all(_is_finite_number(p) and 0 <= p <= 1 for p in probabilities.values()):
            return [f"{where}.probabilities must be numbers from 0 to 1"]
    return []


def _is_finite_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
