"""Run by the target interpreter in a fresh process: what a batch costs beyond ``predict``.

``python -s -S handler_overhead.py EVENTS_DIR ROWS ROUNDS`` with the built function and its layer
on ``PYTHONPATH`` (and ``MODEL_DIR`` if the model is not beside ``app.py``); prints one JSON
object. The handler is imported as Lambda imports it; ``ROWS`` rows drawn across the card's
range are sent as an HTTP API request (rows as lists, and as objects keyed by feature name) and
as a direct invoke, alternating with ``predict`` on the same rows, so every case sees the same
machine. The handler's time beyond ``predict`` is what validation, ``out_of_range`` and building
the answer cost: the HTTP cases include parsing the body and writing the JSON answer, a direct
invoke neither (the runtime client does both, outside the handler). ``json.loads`` of the HTTP
body alone is timed too: the stdlib parse every HTTP request pays, whatever the handler does.
"""

import gc
import json
import sys
import time
from functools import partial
from pathlib import Path
from types import SimpleNamespace

import app
import numpy as np

events_dir, rows, rounds = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
card = app.MODEL.card
low, high = card.row_bounds()
values = np.round(np.random.default_rng(0).uniform(low, high, (rows, card.n_features)), 3)
matrix = values.astype(np.float32)
as_lists = values.tolist()
as_objects = [dict(zip(card.feature_names, row, strict=True)) for row in as_lists]
http = json.loads((events_dir / "apigw-http-v2.json").read_text())
context = SimpleNamespace(aws_request_id="overhead")


def http_event(instances: list) -> dict:
    """The sample HTTP API event carrying ``instances`` as its JSON body."""
    return {**http, "body": json.dumps({"instances": instances}), "isBase64Encoded": False}


def answered(event: dict) -> None:
    """Invoke the handler; a refusal would time the wrong path, so it stops the probe."""
    answer = app.handler(event, context)
    status = answer.get("statusCode", 200)
    if status != 200 or "error" in answer:
        raise SystemExit(f"the handler refused the probe's request: {str(answer)[:300]}")


events = {
    "http-api, rows as lists": http_event(as_lists),
    "http-api, rows as objects": http_event(as_objects),
    "direct, rows as lists": {"instances": as_lists},
}
cases = {
    "predict": lambda: app.MODEL.predict(matrix),
    "json.loads of the http-api body": partial(
        json.loads, events["http-api, rows as lists"]["body"]
    ),
}
cases.update({name: partial(answered, event) for name, event in events.items()})
app.SETTINGS = type(app.SETTINGS)(app.SETTINGS.max_batch_rows, log_requests=False)
samples: dict[str, list[float]] = {name: [] for name in cases}
for _ in range(5):
    for call in cases.values():
        call()
gc.collect()
for _ in range(rounds):
    for name, call in cases.items():
        started = time.perf_counter()
        call()
        samples[name].append((time.perf_counter() - started) * 1000)
print(json.dumps({"rows": rows, "rounds": rounds, "samples_ms": samples}))
