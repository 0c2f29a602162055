"""The model card's golden rows as one invoke (the card's ``golden_mismatches`` checks the
answer), and a sample of example rows of the model as another.

``convert`` records in the card a few rows with the reference scikit-learn model's answers. The
handler checks them at init; sending them through the runtime client as well shows the function
answering the user's own model end to end (the sample events under events/ hold Iris rows). The
sample (``tools.example_rows``: categories, ranges, missing values where allowed) shows it
taking rows it has not seen.
"""

from __future__ import annotations

import json

from onnx_serving.card import ModelCard
from tools.example_rows import example_rows

SAMPLE_ROWS = 5


def golden_event(card: ModelCard) -> bytes:
    """A direct invoke predicting every golden row in one batch."""
    return json.dumps({"instances": [row["features"] for row in card.golden_rows]}).encode()


def sample_event(card: ModelCard) -> bytes:
    """A direct invoke predicting ``SAMPLE_ROWS`` example rows of the model."""
    return json.dumps({"instances": example_rows(card, SAMPLE_ROWS)}).encode()
