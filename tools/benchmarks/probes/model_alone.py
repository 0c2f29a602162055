"""The ceiling of batch scoring with one backend: its model alone on a file's feature rows,
already parsed.

Run by the batch benchmark as ``model_alone.py TASK_ROOT FILE.csv CHUNK_ROWS`` in a fresh
process of the runtime's Python that sees only the standard library, the package at
``TASK_ROOT`` and its layer (``local_lambda.function.isolated_python``). The backend is the one
the package's batch entry point serves: the ONNX function's ``load_model`` (its session options:
one intra-op thread) on the ONNX layer, or the pickle baseline's ``app.MODEL`` (scikit-learn) on
its own layer when the package holds ``model.pkl``. Parsing the file and building the inputs
(``rows.graph_feed``: numbers as the card's ``number_type``) happen before the clock starts;
what is timed is ``predict`` on each chunk of ``CHUNK_ROWS`` rows, in this process's CPU time, so
no reading, checking or writing with that backend can beat it. Prints one JSON line: the backend's
class, the rows, the chunks, the CPU seconds and the wall seconds of the runs.
"""

import csv
import json
import math
import os
import sys
import time

import numpy as np

from onnx_serving.answers import Model
from onnx_serving.card import NUMBER, ModelCard
from onnx_serving.rows import graph_feed


def parsed_columns(path: str, card: ModelCard) -> list[np.ndarray]:
    """The card's columns of the CSV at ``path`` as the batch function reads its cells: a number
    through ``float()``, a string as it is, an empty cell missing (NaN, None)."""
    with open(path, newline="") as file:
        reader = csv.reader(file)
        header = [name.strip() for name in next(reader)]
        cells = list(zip(*reader, strict=True))
    columns = []
    for column in card.columns:
        texts = cells[header.index(column.name)]
        if column.type == NUMBER:
            columns.append(np.array([float(text) if text else math.nan for text in texts]))
        else:
            columns.append(np.array([text or None for text in texts], dtype=object))
    return columns


def served_model(task_root: str) -> Model:
    """The backend the package at ``task_root`` serves, loaded as its init loads it (each layer
    holds only its own backend's libraries, so each is imported only where it is used)."""
    if os.path.exists(os.path.join(task_root, "model.pkl")):
        from app import MODEL

        return MODEL
    from onnx_serving.model import load_model

    return load_model(task_root)


def main(task_root: str, path: str, chunk_rows: int) -> dict[str, object]:
    """Load the model of the package at ``task_root``, then time ``predict`` chunk by chunk."""
    model = served_model(task_root)
    feed = graph_feed(model.card, parsed_columns(path, model.card))
    rows = len(next(iter(feed.values())))
    chunks = [
        {name: values[start : start + chunk_rows] for name, values in feed.items()}
        for start in range(0, rows, chunk_rows)
    ]
    cpu_started, started = time.process_time(), time.perf_counter()
    for chunk in chunks:
        model.predict(chunk)
    cpu_seconds, seconds = time.process_time() - cpu_started, time.perf_counter() - started
    return {
        "backend": type(model).__name__,
        "rows": rows,
        "chunks": len(chunks),
        "cpu_seconds": cpu_seconds,
        "seconds": seconds,
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2], int(sys.argv[3]))))
