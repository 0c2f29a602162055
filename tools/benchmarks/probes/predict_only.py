"""The "predict alone" contender: the served model's onnxruntime session on the event's rows.

Placed beside the function's ``app.py``, it shares its init (the model loaded and checked once)
and answers each event with only ``InferenceSession.run`` on the rows, fed once per batch size
and then reused, and the time that run took in process. Through the runtime client its cost
beyond the empty handler is what predicting costs a direct invoke, with nothing of the
function's own request path around it.
"""

import time

from app import MODEL

from onnx_serving.rows import Columns, graph_feed, request_rows, to_columns

FEEDS: dict[int, dict] = {}


def handler(event: dict, context: object) -> dict:
    """Predict the event's ``instances`` and answer onnxruntime's own time, in ms."""
    rows = event["instances"]
    if len(rows) not in FEEDS:
        card = MODEL.card
        columns: Columns = to_columns(*request_rows(event, card, len(rows)), card)
        FEEDS[len(rows)] = graph_feed(card, columns)
    started = time.perf_counter()
    MODEL.predict(FEEDS[len(rows)])
    return {"predict_ms": (time.perf_counter() - started) * 1000}
