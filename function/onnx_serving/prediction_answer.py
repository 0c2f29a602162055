"""The answer to a prediction request, built for the entry point that asked.

A direct invoke returns a dict, which the runtime client encodes. An HTTP entry point returns the
body as JSON text, and for a batch that text is most of the handler's time: ``json.dumps`` of
1,000 predictions walks 1,000 dicts built only to be encoded. ``as_json`` writes the same bytes
straight from the rounded numbers, one ``%``-format per row with every class name encoded once,
at about a third of the cost; ``tests/unit/serving/test_prediction_answer.py`` pins that it is
byte for byte what ``json.dumps(as_dict(), separators=(",", ":"))`` writes.
"""

from __future__ import annotations

import json
from typing import Any

from .model_card import ModelCard

COMPACT = (",", ":")


class PredictionAnswer:
    """Labels, rounded probabilities and (when the card knows ranges) out-of-range names."""

    def __init__(
        self,
        card: ModelCard,
        labels: list[str],
        probabilities: list[list[float]],
        out_of_range: list[list[str]] | None,
        model_reference: dict[str, str],
    ) -> None:
        self._classes = card.classes
        self._labels = labels
        self._probabilities = probabilities
        self._out_of_range = out_of_range
        self._model = model_reference

    def __len__(self) -> int:
        return len(self._labels)

    def as_dict(self) -> dict[str, Any]:
        """``{"predictions": [{"label", "probabilities", "out_of_range"?}, ...], "model"}``."""
        classes = self._classes
        predictions = [
            {"label": label, "probabilities": dict(zip(classes, p, strict=True))}
            for label, p in zip(self._labels, self._probabilities, strict=True)
        ]
        if self._out_of_range is not None:
            for prediction, names in zip(predictions, self._out_of_range, strict=True):
                prediction["out_of_range"] = names
        return {"predictions": predictions, "model": self._model}

    def as_json(self) -> str:
        """``as_dict()`` as compact JSON text (ASCII, as ``json.dumps`` writes it by default)."""
        labels = {name: json.dumps(name) for name in self._classes}
        keys = ",".join(json.dumps(name).replace("%", "%%") + ":%r" for name in self._classes)
        row = '{"label":%s,"probabilities":{' + keys + "}"
        if self._out_of_range is None:
            rows = [
                row % (labels[label], *p) + "}"
                for label, p in zip(self._labels, self._probabilities, strict=True)
            ]
        else:
            row += ',"out_of_range":%s}'
            rows = [
                row % (labels[label], *p, json.dumps(names, separators=COMPACT) if names else "[]")
                for label, p, names in zip(
                    self._labels, self._probabilities, self._out_of_range, strict=True
                )
            ]
        model = json.dumps(self._model, separators=COMPACT)
        return '{"predictions":[' + ",".join(rows) + '],"model":' + model + "}"
