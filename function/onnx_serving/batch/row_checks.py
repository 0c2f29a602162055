"""The one place batch code feeds the model and reads its answers.

Validated rows arrive column by column (``typed_columns``) and reach the graph through
``rows.graph_feed``, the one way the handler, the batch function and convert's parity build the
graph's inputs; the backend answers the graph's outputs (``answers.Model``). Answers are
checked against the card and printed as the online answers print them (``answers``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..answers import Model, answered_values, check_output, rounded
from ..rows import graph_feed
from .records import Answers

# How a row is named in a rejection reason; the manifest gives its line number beside it.
ROW = "row"


def predictions(model: Model, columns: Sequence[np.ndarray]) -> Answers:
    """The model's answers for validated rows given as typed columns in card order."""
    card = model.card
    if not len(columns[0]):
        if card.is_classifier:
            return Answers([], np.empty((0, len(card.classes))), None)
        return Answers(None, None, [])
    outputs = model.predict(graph_feed(card, columns))
    if not card.is_classifier:
        return Answers(None, None, answered_values(outputs[0]).tolist())
    labels = [str(label) for label in np.asarray(outputs[0]).reshape(-1).tolist()]
    check_output(labels, outputs[1], card)
    return Answers(labels, rounded(outputs[1]), None)
