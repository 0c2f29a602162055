"""The card's ``feature_bins``: training deciles and category shares of the real rows."""

from __future__ import annotations

import numpy as np

from convert.bins import category_bins, feature_bins, number_bins
from convert.check_rows import CheckRows, empty_rows
from convert.schema import InputSchema
from onnx_serving.card import COLUMNS, STRING, Column

SCHEMA = InputSchema(
    columns=[Column("size", missing=True), Column("city", type=STRING, missing=True)],
    inputs=COLUMNS,
    number_type="float64",
)


def test_number_bins_cut_at_deciles_of_the_rows_themselves():
    bins = number_bins(np.arange(1.0, 21.0))
    assert bins == {
        "edges": [2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0, 16.0, 18.0],
        "shares": [0.1] * 10,
    }


def test_tied_deciles_merge_and_no_bin_is_left_empty_above_the_largest_value():
    values = np.array([0.0] * 6 + [1.0] * 3 + [2.0])
    assert number_bins(values) == {"edges": [0.0, 1.0], "shares": [0.6, 0.3, 0.1]}
    assert number_bins(np.array([4.0, 4.0])) == {"edges": [], "shares": [1.0]}


def test_float32_edges_are_written_as_the_card_writes_float32_bounds():
    values = np.array([0.1, 0.2, 0.3, 0.4, 0.5], dtype=np.float32)
    assert number_bins(values) == {
        "edges": [0.1, 0.2, 0.3, 0.4],
        "shares": [0.2, 0.2, 0.2, 0.2, 0.2],
    }


def test_category_bins_keep_the_nine_most_frequent_and_share_the_rest():
    values = [f"c{i:02d}" for i in range(12) for _ in range(12 - i)]
    bins = category_bins(values)
    assert bins["categories"] == [f"c{i:02d}" for i in range(9)]
    total = len(values)
    assert bins["shares"] == [round((12 - i) / total, 6) for i in range(9)] + [round(6 / total, 6)]
    assert category_bins(["b", "a", "b"]) == {
        "categories": ["b", "a"],
        "shares": [0.666667, 0.333333, 0.0],
    }


def test_missing_values_belong_to_no_bin_and_an_empty_column_is_left_out():
    rows = CheckRows(
        [
            np.array([1.0, np.nan, 2.0, 3.0]),
            np.array([None, None, None, None], dtype=object),
        ]
    )
    assert feature_bins(rows, SCHEMA) == {
        "size": {"edges": [1.0, 2.0], "shares": [0.333333, 0.333333, 0.333333]}
    }


def test_no_real_rows_no_bins():
    assert feature_bins(empty_rows(SCHEMA), SCHEMA) is None
