"""Shared by the batch tests: files made from the model card, S3 listings, exact outputs.

Rows are drawn across the card's training range (or [0, 10] where a card has no ranges) and
written with three decimals, so every value survives text -> float -> float32 exactly as the
online handler would see the same number in JSON.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from pathlib import Path
from typing import Any

import numpy as np

from onnx_serving.model_card import ModelCard


def feature_rows(card: ModelCard, n: int, seed: int = 0) -> list[list[float]]:
    """``n`` valid rows of the card's features, in card order."""
    low = card.feature_min if card.feature_min else [0.0] * card.n_features
    high = card.feature_max if card.feature_max else [10.0] * card.n_features
    rng = np.random.default_rng(seed)
    return np.round(rng.uniform(low, high, size=(n, card.n_features)), 3).tolist()


def csv_text(card: ModelCard, rows: list[list[Any]], columns: list[str] | None = None) -> str:
    """A CSV with ``id`` first, the features reversed (order is free) and a ``note`` last."""
    features = list(reversed(card.feature_names))
    header = columns or ["id", *features, "note"]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for i, row in enumerate(rows):
        by_name = dict(zip(card.feature_names, row, strict=True))
        writer.writerow([f"r{i}", *(by_name[name] for name in features), f"note {i}"])
    return buffer.getvalue()


def write_csv(path: Path, card: ModelCard, n: int, block: int = 200_000) -> int:
    """A CSV of ``n`` rows written block by block (bounded memory); returns its size."""
    with path.open("w", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["id", *card.feature_names])
        for start in range(0, n, block):
            rows = feature_rows(card, min(block, n - start), seed=start)
            writer.writerows([f"r{start + i}", *row] for i, row in enumerate(rows))
    return path.stat().st_size


def write_json_lines(path: Path, card: ModelCard, n: int, block: int = 200_000) -> int:
    """A JSON Lines file of ``n`` objects keyed by feature name, with an id; returns its size."""
    with path.open("w") as out:
        for start in range(0, n, block):
            rows = feature_rows(card, min(block, n - start), seed=start)
            out.writelines(
                json.dumps({"id": start + i, **dict(zip(card.feature_names, row, strict=True))})
                + "\n"
                for i, row in enumerate(rows)
            )
    return path.stat().st_size


def new_bucket(s3: Any) -> str:
    """A fresh, empty bucket on the local S3 server."""
    name = f"batch-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name


def keys(s3: Any, bucket: str, prefix: str = "") -> list[str]:
    """Every key under ``prefix``, sorted."""
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


def body(s3: Any, uri: str) -> bytes:
    """The bytes of ``s3://bucket/key``."""
    bucket, key = uri.removeprefix("s3://").split("/", 1)
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def manifest_of(s3: Any, summary: dict[str, Any]) -> dict[str, Any]:
    """The manifest a summary points at."""
    return json.loads(body(s3, summary["manifest"]))
