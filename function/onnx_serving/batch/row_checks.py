"""The one place batch code feeds the model and reads its answers.

Validated rows arrive column by column (``typed_columns``) and reach the graph through
``rows.graph_feed``, the one way the handler, the batch function and convert's parity build the
graph's inputs. A matrix graph's backend takes the matrix the feed holds (the ``Model``
protocol the pickle baseline shares); a per-column graph's takes the feed itself. Answers are
checked against the card and rounded as the online answers are.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..answers import Model, check_output, rounded
from ..card import MATRIX
from ..rows import graph_feed
from .records import Answers

# How a row is named in a rejection reason; the manifest gives its line number beside it.
ROW = "row"


def predictions(model: Model, columns: Sequence[np.ndarray]) -> Answers:
    """The model's answers for validated rows given as typed columns in card order."""
    card = model.card
    if not len(columns) or not len(columns[0]):
        return (
            Answers([], np.empty((0, len(card.classes))), None)
            if card.is_classifier
            else (Answers(None, None, []))
        )
    feed = graph_feed(card, columns)
    given = feed[card.input_name] if card.inputs == MATRIX else feed
    if not card.is_classifier:
        values = np.asarray(model.predict(given)).reshape(-1)
        if not np.isfinite(values).all():
            raise ValueError("the model answered a value that is not a finite number")
        return Answers(None, None, values.astype(str).tolist())
    labels, probabilities = model.predict(given)
    check_output(labels, probabilities, card)
    return Answers(labels, rounded(probabilities), None)
