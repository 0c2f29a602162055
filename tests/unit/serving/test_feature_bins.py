"""The card's ``feature_bins``: what init accepts, and how a request's rows are counted per bin."""

from __future__ import annotations

import json

import pytest
from fixture_models import typed_card

from onnx_serving.card import ModelCardError
from onnx_serving.rows import BISECT_ROWS, BinCounter, RowPositions, graph_feed, to_columns

BINS = {
    "distance": {"edges": [2.0, 10.0], "shares": [0.25, 0.5, 0.25]},
    "weather": {"categories": ["dry", "rain"], "shares": [0.6, 0.3, 0.1]},
}
CARD = typed_card(feature_bins=BINS)


def counts(rows, card=CARD):
    return BinCounter(card).counts(
        graph_feed(card, to_columns(rows, RowPositions(len(rows)), card))
    )


def test_rows_count_in_the_bin_whose_edges_enclose_them():
    rows = [
        [1.0, 8, "dry", None],
        [2.0, 8, "rain", None],
        [2.5, 8, "snow", None],
        [10.0, 8, "dry", "x"],
        [None, 8, "dry", None],
        [40.0, 8, "rain", None],
    ]
    assert counts(rows) == {"distance": [2, 2, 1], "weather": [3, 2, 1]}


def test_a_batch_counts_as_its_rows_one_by_one():
    """Few rows are counted value by value (``bisect``), a batch of ``BISECT_ROWS`` or more with
    one ``searchsorted`` per column: edges, missing values and float32 rounding alike."""
    rows = [
        [1.0, 0.1, "dry", None],
        [2.0, 0.2, "rain", None],
        [None, 0.3, "snow", "late"],
        [10.0, 0.1, "dry", ""],
    ]
    float32 = typed_card(
        number_type="float32",
        feature_bins={
            "distance": BINS["distance"],
            "hour": {"edges": [0.1, 0.2], "shares": [0.25, 0.5, 0.25]},
            "note": {"categories": ["late"], "shares": [0.5, 0.5]},
        },
    )
    few = {"distance": [2, 1, 0], "hour": [2, 1, 1], "note": [1, 0]}
    assert len(rows) < BISECT_ROWS <= len(rows * BISECT_ROWS)
    assert counts(rows, float32) == few
    assert counts(rows * BISECT_ROWS, float32) == {
        name: [count * BISECT_ROWS for count in in_bins] for name, in_bins in few.items()
    }


def test_a_missing_or_unknown_value_and_a_float32_card():
    card = typed_card(
        feature_bins={"note": {"categories": ["late"], "shares": [0.5, 0.5]}},
    )
    assert counts([[1.0, 8, "dry", None], [1.0, 8, "dry", ""], [1.0, 8, "dry", "late"]], card) == {
        "note": [1, 0]
    }
    # 0.1 is above the float64 edge 0.1f (0.10000000149...) but equal to it as a float32.
    float32 = typed_card(
        number_type="float32",
        feature_bins={"hour": {"edges": [0.1], "shares": [0.5, 0.5]}},
    )
    assert counts([[1.0, 0.1, "dry", None]], float32) == {"hour": [1, 0]}
    assert counts([[1.0, 8, "dry", None]], typed_card()) == {}


@pytest.mark.parametrize(
    ("bins", "problem"),
    [
        (
            {"speed": BINS["distance"]},
            "feature_bins must map column names to their bins (or be null)",
        ),
        ({}, "feature_bins must map column names to their bins (or be null)"),
        (
            {"distance": {"categories": ["a"], "shares": [0.5, 0.5]}},
            "feature_bins['distance'] must hold 'edges' and 'shares'",
        ),
        (
            {"distance": {"edges": [1.0], "shares": [1.0]}},
            "feature_bins['distance'] must have one share per bin, at most 10 bins",
        ),
        (
            {"distance": {"edges": list(range(10)), "shares": [0.0] * 10 + [1.0]}},
            "feature_bins['distance'] must have one share per bin, at most 10 bins",
        ),
        (
            {"distance": {"edges": [2.0, 2.0], "shares": [0.5, 0.0, 0.5]}},
            "feature_bins['distance'].edges must increase",
        ),
        (
            {"distance": {"edges": [float("nan")], "shares": [0.5, 0.5]}},
            "feature_bins['distance'].edges must be finite numbers",
        ),
        (
            {"weather": {"categories": ["dry", "dry"], "shares": [0.5, 0.5, 0.0]}},
            "feature_bins['weather'].categories must be distinct non-empty strings",
        ),
        (
            {"weather": {"categories": ["dry"], "shares": [0.5, 0.4]}},
            "feature_bins['weather'].shares must sum to 1",
        ),
        (
            {"weather": {"categories": ["dry"], "shares": [1.5, -0.5]}},
            "feature_bins['weather'].shares must be numbers from 0 to 1",
        ),
    ],
    ids=[
        "unknown column",
        "empty",
        "categories for a number",
        "too few shares",
        "too many bins",
        "tied edges",
        "nan edge",
        "repeated category",
        "shares short of 1",
        "negative share",
    ],
)
def test_a_damaged_feature_bins_is_named(bins, problem):
    with pytest.raises(ModelCardError) as failure:
        typed_card(feature_bins=bins)
    assert str(failure.value) == problem


def test_a_card_without_bins_is_bound_as_before_they_existed():
    """A card written before ``feature_bins`` was bound without the member: it still serves."""
    assert "feature_bins" not in json.loads(typed_card().bound_content())
    assert json.loads(CARD.bound_content())["feature_bins"] == BINS
