"""The HTTP body written from the numbers is, byte for byte, ``json.dumps`` of the dict answer."""

from __future__ import annotations

import json

import numpy as np
import pytest
from fixture_models import synthetic_card
from hypothesis import given, settings
from hypothesis import strategies as st

from onnx_serving.answers import PredictionAnswer, ValueAnswer, answered_values

# Names that need escaping or could upset a %-format: quotes, backslashes, controls, percent
# signs, non-ASCII (encoded as \\u escapes, as json.dumps does by default).
names = st.text(min_size=1, max_size=6).filter(str.strip)
rounded = st.floats(min_value=0, max_value=1).map(lambda p: round(p, 6))


@st.composite
def answers(draw):
    classes = draw(st.lists(names, min_size=2, max_size=4, unique=True))
    features = draw(st.lists(names, min_size=1, max_size=3, unique=True))
    with_ranges = draw(st.booleans())
    card = synthetic_card(features, classes, name=draw(names), ranges=with_ranges)
    n = draw(st.integers(min_value=0, max_value=5))
    labels = draw(st.lists(st.sampled_from(classes), min_size=n, max_size=n))
    probabilities = np.array(
        draw(
            st.lists(
                st.lists(rounded, min_size=len(classes), max_size=len(classes)),
                min_size=n,
                max_size=n,
            )
        ),
        dtype=np.float64,
    ).reshape(n, len(classes))
    outside = (
        draw(st.lists(st.lists(st.sampled_from(features), unique=True), min_size=n, max_size=n))
        if with_ranges
        else None
    )
    reference = {"name": card.name, "version": "1", "sha256": "0" * 64}
    return PredictionAnswer(card, labels, probabilities, outside, reference)


@st.composite
def value_answers(draw):
    """A regressor's answer: any finite float64 or float32 values, out-of-range names or none."""
    n = draw(st.integers(min_value=0, max_value=5))
    width = draw(st.sampled_from([32, 64]))
    values = draw(
        st.lists(
            st.floats(allow_nan=False, allow_infinity=False, width=width), min_size=n, max_size=n
        )
    )
    output = np.array(values, dtype=np.float32 if width == 32 else np.float64)
    features = draw(st.lists(names, min_size=1, max_size=3, unique=True))
    outside = draw(
        st.none()
        | st.lists(st.lists(st.sampled_from(features), unique=True), min_size=n, max_size=n)
    )
    return ValueAnswer(answered_values(output.reshape(n, 1)), outside, {"name": draw(names)})


@settings(max_examples=300, deadline=None)
@given(answers() | value_answers())
def test_the_text_is_json_dumps_of_the_dict(answer):
    assert answer.as_json() == json.dumps(answer.as_dict(), allow_nan=False, separators=(",", ":"))


def test_a_card_without_ranges_answers_without_out_of_range():
    card = synthetic_card(["x"], ["no", "yes"], ranges=False)
    answer = PredictionAnswer(card, ["yes"], np.array([[0.25, 0.75]]), None, {"name": "m"})
    assert answer.as_dict() == {
        "predictions": [{"label": "yes", "probabilities": {"no": 0.25, "yes": 0.75}}],
        "model": {"name": "m"},
    }
    assert answer.as_json() == (
        '{"predictions":[{"label":"yes","probabilities":{"no":0.25,"yes":0.75}}],'
        '"model":{"name":"m"}}'
    )
    assert len(answer) == 1


def test_a_negative_zero_is_answered_as_zero():
    card = synthetic_card(["x"], ["no", "yes"], ranges=False)
    answer = PredictionAnswer(card, ["yes"], np.array([[-0.0, 1.0]]), None, {"name": "m"})
    assert '"no":0.0,' in answer.as_json()
    assert repr(answer.as_dict()["predictions"][0]["probabilities"]["no"]) == "0.0"


def test_float32_values_print_as_the_shortest_decimal_of_the_float32():
    """The float64 of 0.1f is 0.10000000149011612: answers print the digits the model computed."""
    output = np.array([[0.1], [1 / 3], [3.4028235e38], [-7.0]], dtype=np.float32)
    assert answered_values(output).tolist() == [0.1, 0.33333334, 3.4028235e38, -7.0]
    assert answered_values(np.array([0.1 + 0.2])).tolist() == [0.30000000000000004]


def test_values_that_are_not_one_finite_number_per_row_are_a_fault():
    with pytest.raises(ValueError, match=r"values of shape \(2, 2\), not one per row"):
        answered_values(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="not a finite number"):
        answered_values(np.array([1.0, np.nan]))
