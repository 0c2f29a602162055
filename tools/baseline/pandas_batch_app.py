"""A batch scorer as teams commonly write one with pickle and pandas: a reference for the batch
benchmark, never deployed.

It loads the same ``model.pkl`` as the pickle baseline at init and answers the batch function's
direct event ``{"bucket", "key"}``: the object streamed through ``pandas.read_csv(body,
chunksize=...)``, the card's feature columns read as float64 (strings as text, for a pipeline
fitted on a DataFrame), ``predict_proba`` (``predict`` for a regressor), and every column but
the features passed through, followed by ``label`` and ``probability_<class>`` (or ``value``),
written by ``DataFrame.to_csv``.

There is no validation and no per-row reject on purpose: a malformed row fails the whole file
(or is scored as NaN), and nothing like the batch function's manifest is written. That is the
point of the reference: it measures what the common way costs, not what the batch function
guarantees.

Output goes up as a multipart upload through boto3's managed transfer (``upload_file``, which
splits at 8 MB and sends parts on its threads): each chunk is appended to a file under ``/tmp``
as it is scored, so memory holds one chunk of rows and not the whole output, which a single
``put_object`` would need (and a put caps at 5 GB). ``/tmp`` then bounds the output size
(512 MB by default on Lambda).

The chunk size is ``BATCH_CHUNK_ROWS``, the batch function's own knob: the benchmark sets it to
the function's default for every contender, so all read the file in chunks of the same rows.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import boto3
import joblib
import numpy as np
import pandas as pd

MODEL_DIR = Path(os.environ.get("MODEL_DIR") or Path(__file__).resolve().parent)
OUTPUT_PREFIX = "scored-pandas/"
CARD = json.loads((MODEL_DIR / "model.json").read_text())
MODEL = joblib.load(MODEL_DIR / "model.pkl")
CHUNK_ROWS = int(os.environ["BATCH_CHUNK_ROWS"])
FEATURES = [column["name"] for column in CARD["columns"]]
# Numbers as float64, what scikit-learn computes in; strings as text, missing as NaN.
DTYPES = {
    column["name"]: "float64" if column["type"] == "number" else "object"
    for column in CARD["columns"]
}
S3 = boto3.client("s3")


def scored(chunk: pd.DataFrame) -> pd.DataFrame:
    """The chunk's pass-through columns, then the model's answer columns."""
    features = chunk[FEATURES]
    # A model fitted on an array takes an array; a pipeline fitted on a DataFrame, the frame.
    rows = features.to_numpy(np.float64) if CARD["inputs"] == "matrix" else features
    out = chunk.drop(columns=FEATURES)
    if CARD["task"] != "classifier":
        out["value"] = MODEL.predict(rows)
        return out
    probabilities = MODEL.predict_proba(rows)
    out["label"] = MODEL.classes_[probabilities.argmax(axis=1)]
    for j, name in enumerate(CARD["classes"]):
        out[f"probability_{name}"] = probabilities[:, j]
    return out


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    """Score ``s3://bucket/key`` into ``s3://bucket/scored-pandas/key``; answer the rows written
    and where."""
    bucket, key = event["bucket"], event["key"]
    body = S3.get_object(Bucket=bucket, Key=key)["Body"]
    output_key = OUTPUT_PREFIX + key
    written = 0
    with tempfile.NamedTemporaryFile("w", suffix=".csv", newline="") as output:
        for chunk in pd.read_csv(body, chunksize=CHUNK_ROWS, dtype=DTYPES):
            scored(chunk).to_csv(output, header=written == 0, index=False)
            written += len(chunk)
        output.flush()
        S3.upload_file(output.name, bucket, output_key)
    return {"written": written, "output": f"s3://{bucket}/{output_key}"}
