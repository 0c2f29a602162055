"""The "generated" contender: the forest compiled to plain Python, nothing else on the path.

``model_code.py`` beside this file is m2cgen's export of the forest (``score(row)`` returns the
class probabilities); ``card.json`` holds what an answer needs from the model card. Only the
standard library is imported, so the cold start is the runtime's own plus loading the code: the
floor for a forest small enough to generate. Values are rounded to float32 as the ONNX function
feeds onnxruntime (and scikit-learn its trees), so the same leaves are reached. It answers direct
invokes with the ONNX function's shape; bad input gets ``{"error": message}``, never a crash.
"""

import json
import math
import struct
from pathlib import Path

from model_code import score

CARD = json.loads((Path(__file__).resolve().parent / "card.json").read_text())
CLASSES = CARD["classes"]
FEATURES = CARD["features"]
BOUNDS = CARD["bounds"]
MODEL = CARD["model"]
FLOAT32_ROW = struct.Struct(f"{len(FEATURES)}f")


def handler(event: object, context: object) -> dict:
    """``{"features": row}`` or ``{"instances": [row, ...]}`` → one prediction per row."""
    if isinstance(event, dict) and len(event) == 1 and "features" in event:
        rows = [event["features"]]
    elif isinstance(event, dict) and len(event) == 1 and isinstance(event.get("instances"), list):
        rows = event["instances"]
    else:
        return {"error": 'send {"features": row} or {"instances": [row, ...]}'}
    predictions = []
    for index, row in enumerate(rows):
        values = as_float32(row)
        if values is None:
            return {"error": f"row {index} must be {len(FEATURES)} finite float32 numbers"}
        predictions.append(predict(values))
    return {"predictions": predictions, "model": MODEL}


def as_float32(row: object) -> tuple[float, ...] | None:
    """The row rounded to float32, or None unless it is ``len(FEATURES)`` finite numbers."""
    if not isinstance(row, list) or len(row) != len(FEATURES):
        return None
    if not all(type(v) in (int, float) for v in row):
        return None
    try:
        values = FLOAT32_ROW.unpack(FLOAT32_ROW.pack(*row))
    except (OverflowError, struct.error):
        return None
    return values if all(map(math.isfinite, values)) else None


def predict(values: tuple[float, ...]) -> dict:
    """Label (the first most probable class, as scikit-learn names it), rounded probabilities
    and, when the card knows the training range, the features outside it."""
    probabilities = score(values)
    best = probabilities.index(max(probabilities))
    answer = {
        "label": CLASSES[best],
        "probabilities": {c: round(p, 6) for c, p in zip(CLASSES, probabilities, strict=True)},
    }
    if BOUNDS is not None:
        answer["out_of_range"] = [
            name
            for name, v, (low, high) in zip(FEATURES, values, BOUNDS, strict=True)
            if v < low or v > high
        ]
    return answer
