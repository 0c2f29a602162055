"""Batch input files made from a model card, for the demo, the tests and the batch benchmark.

Rows are drawn across the card's training range (or [0, 10] where a card has no ranges) and
written with three decimals, so every value reads back from text exactly as the online handler
would see the same number in JSON. Files are written block by block: two million rows never
sit in memory at once.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from onnx_serving.card import ModelCard

BLOCK_ROWS = 200_000


def feature_rows(card: ModelCard, n: int, seed: int = 0) -> list[list[float]]:
    """``n`` valid rows of the card's features, in card order, reproducible from ``seed``."""
    low, high = card.row_bounds()
    rng = np.random.default_rng(seed)
    return np.round(rng.uniform(low, high, size=(n, card.n_features)), 3).tolist()


def write_csv(path: Path, card: ModelCard, n: int, bad_rows: bool = False) -> int:
    """``id`` + the features, ``n`` rows (then a NaN and a text row if ``bad_rows``); size."""
    with path.open("w", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["id", *card.feature_names])
        for start in range(0, n, BLOCK_ROWS):
            rows = feature_rows(card, min(BLOCK_ROWS, n - start), seed=start)
            writer.writerows([f"r{start + i}", *row] for i, row in enumerate(rows))
        if bad_rows:
            rest = [1.0] * (card.n_features - 1)
            writer.writerows([["bad-nan", "nan", *rest], ["bad-text", "n/a", *rest]])
    return path.stat().st_size


def write_json_lines(path: Path, card: ModelCard, n: int) -> int:
    """``n`` objects keyed by feature name, each with an ``id``; returns the file's size."""
    with path.open("w") as out:
        for start in range(0, n, BLOCK_ROWS):
            rows = feature_rows(card, min(BLOCK_ROWS, n - start), seed=start)
            out.writelines(
                json.dumps({"id": start + i, **dict(zip(card.feature_names, row, strict=True))})
                + "\n"
                for i, row in enumerate(rows)
            )
    return path.stat().st_size
