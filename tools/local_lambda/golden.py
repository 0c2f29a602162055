"""The model card's golden rows as an invoke, and whether the answer reproduces them.

``convert`` records in the card a few rows with the reference scikit-learn model's answers. The
handler checks them at init; sending them through the runtime client as well shows the function
answering the user's own model end to end (the sample events under events/ hold Iris rows).
"""

from __future__ import annotations

import json
from typing import Any

from onnx_serving.model_card import ModelCard

# Answers carry probabilities rounded to 6 decimals: half a unit of the last one more.
ROUNDING = 5e-7


def golden_event(card: ModelCard) -> bytes:
    """A direct invoke predicting every golden row in one batch."""
    return json.dumps({"instances": [row["features"] for row in card.golden_rows]}).encode()


def golden_mismatches(card: ModelCard, answer: Any) -> list[str]:
    """What differs between the answer and the golden rows (empty when it reproduces them)."""
    predictions = answer.get("predictions") if isinstance(answer, dict) else None
    if not isinstance(predictions, list) or len(predictions) != len(card.golden_rows):
        return [f"the answer holds no prediction per golden row: {json.dumps(answer)[:200]}"]
    tolerance = card.parity["tolerance"] + ROUNDING
    problems = []
    for i, (row, prediction) in enumerate(zip(card.golden_rows, predictions, strict=True)):
        gap = max(
            abs(prediction["probabilities"][name] - p) for name, p in row["probabilities"].items()
        )
        if prediction["label"] != row["label"] or gap > tolerance:
            problems.append(
                f"golden row {i}: answered {prediction['label']!r} (probabilities up to "
                f"{gap:.3g} away), the reference model {row['label']!r}"
            )
    return problems
