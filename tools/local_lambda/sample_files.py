"""Batch input files made from a model card, for the demo, the tests and the batch benchmark.

Rows come from ``tools.example_rows`` (numbers across the card's range, written with three
decimals so that every value reads back from text exactly as the online handler would see the
same number in JSON; categories from the card; empty cells and nulls where a column may be
missing). Files are written block by block: two million rows never sit in memory at once.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from onnx_serving.card import MAX_STRING_CHARS, NUMBER, ModelCard
from tools.example_rows import example_objects, example_rows

BLOCK_ROWS = 200_000


def write_csv(path: Path, card: ModelCard, n: int, bad_rows: bool = False) -> int:
    """``id`` + the model's columns, ``n`` rows (then the rows of ``refused_rows`` if
    ``bad_rows``); the file's size."""
    with path.open("w", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["id", *card.feature_names])
        for start in range(0, n, BLOCK_ROWS):
            rows = example_rows(card, min(BLOCK_ROWS, n - start), seed=start)
            writer.writerows([f"r{start + i}", *row] for i, row in enumerate(rows))
        if bad_rows:
            writer.writerows(refused_rows(card))
    return path.stat().st_size


def refused_rows(card: ModelCard) -> list[list[object]]:
    """Rows any model refuses, each an example row with one bad cell: ``nan`` and ``n/a`` in
    the first number column, or, for a model of strings only, a string over the length limit."""
    good = example_rows(card, 1, seed=1)[0]
    numbers = [j for j, column in enumerate(card.columns) if column.type == NUMBER]
    if numbers:
        bad = [("bad-nan", numbers[0], "nan"), ("bad-text", numbers[0], "n/a")]
    else:
        bad = [("bad-long", 0, "s" * (MAX_STRING_CHARS + 1))]
    return [[name, *good[:j], cell, *good[j + 1 :]] for name, j, cell in bad]


def write_json_lines(path: Path, card: ModelCard, n: int) -> int:
    """``n`` objects keyed by column name, each with an ``id``; returns the file's size."""
    with path.open("w") as out:
        for start in range(0, n, BLOCK_ROWS):
            rows = example_objects(card, min(BLOCK_ROWS, n - start), seed=start)
            out.writelines(
                json.dumps({"id": start + i, **row}) + "\n" for i, row in enumerate(rows)
            )
    return path.stat().st_size
