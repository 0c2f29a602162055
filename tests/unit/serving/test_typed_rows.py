"""Rows of a typed card (``fixture_models.typed_card``): numbers that may be missing, strings of
known categories, free strings; positional and named rows; every refusal worded exactly, and the
columns, graph inputs, out-of-range flags and unusual-value counts the accepted rows make."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from fixture_models import typed_card

from onnx_serving.card import MATRIX, Column
from onnx_serving.errors import RequestError
from onnx_serving.rows import (
    RowPositions,
    checked_columns,
    graph_feed,
    out_of_range,
    to_columns,
    unusual_values,
)

CARD = typed_card()


def columns_of(rows, card=CARD):
    return to_columns(rows, RowPositions(len(rows)), card)


def refusal(rows, card=CARD):
    with pytest.raises(RequestError) as refused:
        columns_of(rows, card)
    assert (refused.value.status, refused.value.error_type) == (400, "InvalidFeatures")
    return refused.value.message


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            ["12", 8, "rain", None],
            "instances[0][0] (distance) must be a number, got a string",
        ),
        (
            [12, True, "rain", None],
            "instances[0][1] (hour) must be a number, got a boolean",
        ),
        (
            [12, None, "rain", None],
            "instances[0][1] (hour) is missing; the model needs a number for it",
        ),
        (
            [12, 8, 3, None],
            "instances[0][2] (weather) must be a string, got a number",
        ),
        (
            [12, 8, ["rain"], None],
            "instances[0][2] (weather) must be a string, got a list",
        ),
        (
            [12, 8, None, None],
            "instances[0][2] (weather) is missing; the model needs a string for it",
        ),
        (
            [12, 8, "", None],
            "instances[0][2] (weather) is missing; the model needs a string for it",
        ),
        (
            [12, 8, "hail", None],
            "instances[0][2] (weather) is 'hail', not a category the model knows: "
            "one of 'dry', 'rain', 'snow'",
        ),
        (
            [12, 8, "rain", "n" * 257],
            "instances[0][3] (note) is longer than 256 characters",
        ),
        (
            [12, 8, "rain", 1.5],
            "instances[0][3] (note) must be a string, got a number",
        ),
        (
            [float("nan"), 8, "rain", None],
            "instances[0][0] (distance) must be a finite number, got nan",
        ),
        (
            [12, 8, "rain"],
            "instances[0] has 3 values; the model takes 4: distance, hour, weather, note",
        ),
        (
            "12,8,rain",
            "instances[0] must be a list of 4 values or an object keyed by feature name",
        ),
        (
            {"distance": 12, "hour": 8, "weather": "hail", "note": None},
            "instances[0].weather is 'hail', not a category the model knows: "
            "one of 'dry', 'rain', 'snow'",
        ),
        (
            {"distance": 12, "hour": None, "weather": "rain", "note": None},
            "instances[0].hour is missing; the model needs a number for it",
        ),
        (
            {"distance": 12, "hour": 8, "weather": "rain"},
            "instances[0]: missing ['note'] features; "
            "expected exactly ['distance', 'hour', 'weather', 'note']",
        ),
    ],
    ids=[
        "number as text",
        "boolean",
        "missing number",
        "number for a string",
        "list for a string",
        "missing string",
        "empty string",
        "unknown category",
        "string too long",
        "number for a free string",
        "nan",
        "too few values",
        "not a row",
        "named unknown category",
        "named missing number",
        "named column left out",
    ],
)
def test_every_refusal_names_row_column_and_rule(row, message):
    assert refusal([row]) == message


def test_the_second_row_is_named():
    rows = [[12, 8, "rain", None], [12, 8, "sleet", None]]
    assert refusal(rows).startswith("instances[1][2] (weather) is 'sleet'")


def test_a_caller_string_is_echoed_at_most_40_characters():
    assert refusal([[12, 8, "h" * 200, None]]) == (
        f"instances[0][2] (weather) is '{'h' * 40}...', not a category the model knows: "
        "one of 'dry', 'rain', 'snow'"
    )


def test_float64_cards_take_numbers_float32_would_overflow_and_float32_cards_refuse_them():
    assert columns_of([[1e300, 8, "rain", None]])[0].tolist() == [1e300]
    narrow = dataclasses.replace(CARD, number_type="float32")
    assert refusal([[1e300, 8, "rain", None]], narrow) == (
        "instances[0][0] (distance) is too large for float32 (|x| > 3.4e38)"
    )
    assert refusal([[10**400, 8, "rain", None]]) == (
        "instances[0][0] (distance) is too large for float64 (|x| > 1.8e308)"
    )


def test_accepted_rows_become_typed_columns_and_per_column_inputs():
    rows = [
        [12, 8, "rain", None],
        {"distance": None, "hour": 23.5, "weather": "dry", "note": ""},
        [0.25, 0, "snow", "late pickup"],
    ]
    columns = columns_of(rows)
    assert [c.dtype for c in columns] == [np.float64, np.float64, object, object]
    assert np.array_equal(columns[0], [12.0, np.nan, 0.25], equal_nan=True)
    assert columns[2].tolist() == ["rain", "dry", "snow"]
    assert columns[3].tolist() == [None, "", "late pickup"]
    feed = graph_feed(CARD, columns)
    assert {name: (a.dtype, a.shape) for name, a in feed.items()} == {
        "distance": (np.float64, (3, 1)),
        "hour": (np.float64, (3, 1)),
        "weather": (object, (3, 1)),
        "note": (object, (3, 1)),
    }
    assert feed["note"][:, 0].tolist() == ["", "", "late pickup"]
    assert out_of_range(CARD, feed) == [[], ["hour"], ["distance"]]
    assert unusual_values(CARD, columns) == ({"distance": 1, "note": 2}, {})


def test_an_ignored_unknown_category_is_passed_on_and_counted():
    card = dataclasses.replace(
        CARD,
        columns=[
            *CARD.columns[:2],
            Column("weather", type="string", categories=["dry", "rain"], unknown="ignore"),
            CARD.columns[3],
        ],
    )
    columns = columns_of([[1, 2, "hail", None], [1, 2, "rain", None], [1, 2, "fog", "x"]], card)
    assert columns[2].tolist() == ["hail", "rain", "fog"]
    assert unusual_values(card, columns) == ({"note": 2}, {"weather": 2})


def test_a_number_card_that_allows_missing_values_takes_the_value_by_value_path():
    card = dataclasses.replace(
        CARD,
        columns=[Column("a", missing=True), Column("b")],
        inputs=MATRIX,
        golden_rows=[{"features": [None, 1.0], "value": 1.0}],
    )
    columns = columns_of([[None, 1], [2, 3]], card)
    assert np.array_equal(
        graph_feed(card, columns)["input"], [[np.nan, 1.0], [2.0, 3.0]], equal_nan=True
    )
    assert out_of_range(card, graph_feed(card, columns)) is None
    assert np.isnan(checked_columns([[None, 1]], ["row"], card)[0]).tolist() == [True]
