"""What the real rows looked like column by column: the card's ``feature_bins``.

The function counts the rows of every request per bin (``function/onnx_serving/metrics.py``), so
CloudWatch can compare the live input mix with these shares (docs/observability.md). Number
columns are cut at their quantiles, so that each bin holds about as many training rows as the
next and a shift anywhere in the range moves rows between bins; string columns keep their most
frequent categories and put the rest in a last bin. Only real rows count (``SAMPLE=`` rows, the
demo's training rows): generated check rows say nothing of what traffic looks like.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from convert.check_rows import CheckRows, shortest_float32
from convert.schema import InputSchema
from onnx_serving.card import (
    BIN_CATEGORIES,
    BIN_EDGES,
    BIN_SHARES,
    FEATURE_BINS,
    NUMBER,
    SHARE_DECIMALS,
)


def feature_bins(rows: CheckRows, schema: InputSchema) -> dict[str, dict[str, list[Any]]] | None:
    """Per column holding a value in ``rows``, its bins and their shares; None without rows."""
    if not len(rows):
        return None
    bins = {}
    for column, values in zip(schema.columns, rows.columns, strict=True):
        if column.type == NUMBER:
            present = values[~np.isnan(values)]
            typed = present.astype(schema.number_type)
            described = number_bins(typed) if len(present) else None
        else:
            present = [value for value in values.tolist() if value is not None]
            described = category_bins(present) if present else None
        if described is not None:
            bins[column.name] = described
    return bins or None


def number_bins(values: np.ndarray) -> dict[str, list[Any]]:
    """Decile edges and the share of ``values`` per bin; a value ``v`` falls in bin ``k``, the
    number of edges ``< v`` (an edge is the largest value of its bin, as a decile is the
    smallest value with at least that share of the rows at or below it).

    ``values`` are in the model's number type, as the function compares them: the edges are
    values of the rows themselves, written as the card writes a float32 range bound (the
    shortest decimal that reads back as the same float32), so a request sending a training
    value lands in the bin that value had here. Tied deciles are one edge, and an edge at the
    largest value would leave its last bin empty: either way there are fewer, larger bins.
    """
    cuts = np.quantile(values, np.arange(1, FEATURE_BINS) / FEATURE_BINS, method="inverted_cdf")
    kept = np.unique(cuts)
    kept = kept[kept < values.max()]
    counts = np.bincount(np.searchsorted(kept, values, side="left"), minlength=len(kept) + 1)
    as_float32 = values.dtype == np.float32
    edges = [shortest_float32(edge) if as_float32 else float(edge) for edge in kept.tolist()]
    return {BIN_EDGES: edges, BIN_SHARES: _shares(counts.tolist())}


def category_bins(values: list[str]) -> dict[str, list[Any]]:
    """The most frequent categories (ties by name, so the card is the same for the same rows)
    and their shares, then the share of all the others."""
    counts = Counter(values)
    ranked = sorted(counts, key=lambda name: (-counts[name], name))[: FEATURE_BINS - 1]
    kept = [counts[name] for name in ranked]
    return {BIN_CATEGORIES: ranked, BIN_SHARES: _shares([*kept, len(values) - sum(kept)])}


def _shares(counts: list[int]) -> list[float]:
    total = sum(counts)
    return [round(count / total, SHARE_DECIMALS) for count in counts]
