"""The bulk row check agrees with the value-by-value one on every input: same columns, same error.

``to_columns`` takes a fast path for well-formed batches of number cards and falls back to
``checked_columns``, which words every refusal; these tests pin that the fast path accepts exactly
what the reference accepts, converts to the same bits (and the graph is fed the same float32
bits), and that the fallback keeps every message.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from fixture_models import synthetic_card
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import FEATURES

from onnx_serving.card import Column
from onnx_serving.errors import RequestError
from onnx_serving.rows import (
    RowPositions,
    checked_columns,
    graph_feed,
    out_of_range,
    request_rows,
    to_columns,
)

CARD = dataclasses.replace(
    synthetic_card(list(FEATURES), ["a", "b"]),
    columns=[
        Column(name, min=low, max=high)
        for name, low, high in zip(
            FEATURES, [4.3, 2.0, 1.1, 0.1], [7.9, 4.4, 6.9, 2.5], strict=True
        )
    ],
)
ONE_FEATURE = synthetic_card(["x"], ["a", "b"], name="one")

# Values around every boundary the checks draw: float32's largest finite value and just past it,
# integers past float64's range, bool (an int subclass), text that numpy would read as a number.
edge_values = st.sampled_from(
    [
        3.4028234663852886e38,
        3.4028235677973366e38,
        -3.5e38,
        10**39,
        10**400,
        -(10**400),
        2**63 + 1,
        float("inf"),
        float("-inf"),
        float("nan"),
        True,
        False,
        None,
        "1.5",
        [],
        {},
        0,
        -0.0,
        1e-45,
    ]
)
numbers = st.integers(min_value=-(10**30), max_value=10**30) | st.floats(
    min_value=-3.4e38, max_value=3.4e38, allow_nan=False
)
values = numbers | edge_values
list_rows = st.lists(values, min_size=3, max_size=5)
named_rows = st.dictionaries(st.sampled_from([*FEATURES, "other"]), values, min_size=3, max_size=5)
exact_rows = st.lists(numbers, min_size=4, max_size=4) | st.fixed_dictionaries(
    {name: numbers for name in FEATURES}
)
rows = exact_rows | list_rows | named_rows | values


def outcome(convert, batch, card=CARD):
    """The columns' bytes, or the refusal as (status, type, message)."""
    try:
        return np.column_stack(convert(batch, RowPositions(len(batch)), card)).tobytes()
    except RequestError as exc:
        return (exc.status, exc.error_type, exc.message)


def fed(batch, card=CARD):
    """The matrix the graph is fed for ``batch``."""
    return graph_feed(card, to_columns(batch, RowPositions(len(batch)), card))[card.input_name]


@settings(max_examples=400, deadline=None)
@given(st.lists(rows, min_size=1, max_size=6))
def test_bulk_path_agrees_with_the_value_by_value_path(batch):
    assert outcome(to_columns, batch) == outcome(checked_columns, batch)


@settings(max_examples=100, deadline=None)
@given(st.lists(exact_rows, min_size=1, max_size=30))
def test_well_formed_batches_convert_like_float_then_float32(batch):
    expected = np.array(
        [
            [
                float(row[n]) if isinstance(row, dict) else float(row[i])
                for i, n in enumerate(FEATURES)
            ]
            for row in batch
        ],
        dtype=np.float32,
    )
    assert fed(batch).tobytes() == expected.tobytes()


@pytest.mark.parametrize(
    ("batch", "message"),
    [
        ([[1, 2, 3, True]], "instances[0][3] (petal_width) must be a number, got a boolean"),
        ([[1, 2, 3, 4], [1, 2, 3, 10**400]], "instances[1][3] (petal_width) is too large"),
        ([[1, 2, 3, 4], {"sepal_length": 1}], "instances[1]: missing"),
        ([[1, 2, 3, 4], [1, 2, 3]], "instances[1] has 3 values; the model takes 4"),
    ],
)
def test_the_first_bad_value_is_named_whichever_path_saw_it(batch, message):
    with pytest.raises(RequestError) as refused:
        to_columns(batch, RowPositions(len(batch)), CARD)
    assert refused.value.message.startswith(message)


def test_a_one_feature_model_takes_lists_and_objects():
    batch = [[0.5], {"x": 2}]
    assert fed(batch, ONE_FEATURE).tolist() == [[0.5], [2.0]]
    assert outcome(to_columns, [{"y": 1}], ONE_FEATURE) == outcome(
        checked_columns, [{"y": 1}], ONE_FEATURE
    )


def test_row_positions_name_rows_only_when_asked():
    positions = RowPositions(3)
    assert (len(positions), positions[0], positions[-1]) == (3, "instances[0]", "instances[2]")
    assert list(positions) == ["instances[0]", "instances[1]", "instances[2]"]
    with pytest.raises(IndexError):
        positions[3]
    assert request_rows({"features": [1, 2, 3, 4]}, CARD, 10)[1] == ["features"]


def reference_out_of_range(matrix, card):
    """The per-row form this module shipped before it was vectorised."""
    low = np.asarray(card.feature_min, dtype=np.float32)
    high = np.asarray(card.feature_max, dtype=np.float32)
    outside = (matrix < low) | (matrix > high)
    return [[card.feature_names[j] for j in np.flatnonzero(row)] for row in outside]


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.lists(st.floats(min_value=-1, max_value=10, width=32), min_size=4, max_size=4),
        min_size=1,
        max_size=40,
    )
)
def test_out_of_range_flags_what_the_per_row_form_flagged(batch):
    matrix = np.array(batch, dtype=np.float32)
    assert out_of_range(CARD, list(matrix.T)) == reference_out_of_range(matrix, CARD)
