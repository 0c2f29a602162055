"""Shared by the pre-traffic hook tests: a model card with golden rows, and the real handler's
answers to the hook's probes.

The card is the served model's own (``app.MODEL.card``) with ``golden_rows`` added: rows spread
over the training range with the model's answers, as ``convert`` records them with the
reference model's. Tests never depend on which model that is.
"""

from __future__ import annotations

import contextlib
import io
import json
from typing import Any

import numpy as np

from tools.reliability.inprocess import InProcessFunction

GOLDEN_ROWS = 5


def golden_card(app: Any) -> dict[str, Any]:
    """The served model's card as JSON, with golden rows answered by the served model."""
    card = json.loads(app.MODEL.card.to_json())
    low, high = (np.asarray(bounds, dtype=np.float64) for bounds in app.MODEL.card.row_bounds())
    steps = np.linspace(0.1, 0.9, GOLDEN_ROWS)[:, None]
    rows = (low + steps * (high - low)).astype(np.float32)
    labels, probabilities = app.MODEL.predict({card["input_name"]: rows})
    card["golden_rows"] = [
        {
            "features": [float(v) for v in row],
            "label": str(label),
            "probabilities": dict(zip(card["classes"], map(float, p), strict=True)),
        }
        for row, label, p in zip(rows, labels, probabilities, strict=True)
    ]
    return card


def handler_answers(events: list[dict[str, Any]]) -> list[tuple[bytes, str | None]]:
    """What the real handler, behind the runtime client's marshalling, answers each event."""
    function = InProcessFunction()
    answers = []
    with contextlib.redirect_stdout(io.StringIO()):
        for index, event in enumerate(events):
            answer = function.invoke(json.dumps(event).encode(), f"req-hook-{index}")
            answers.append((answer.payload, answer.function_error))
    return answers
