"""The HTTP body written from the numbers is, byte for byte, ``json.dumps`` of the dict answer."""

from __future__ import annotations

import json

import numpy as np
from fixture_models import synthetic_card
from hypothesis import given, settings
from hypothesis import strategies as st

from onnx_serving.answers import PredictionAnswer

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


@settings(max_examples=300, deadline=None)
@given(answers())
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
