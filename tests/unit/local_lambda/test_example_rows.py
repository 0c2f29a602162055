"""The one example-row generator the tools share: typed values the model accepts, for any card."""

from __future__ import annotations

from fixture_models import synthetic_card, typed_card

from onnx_serving.card import NUMBER
from tools.example_rows import MISSING_EVERY, example_objects, example_rows


def test_typed_rows_take_categories_ranges_golden_strings_and_missing_values_where_allowed():
    card = typed_card(golden_rows=[{"features": [12.0, 8.0, "rain", "quiet"], "value": 31.5}])
    rows = example_rows(card, 400, seed=3)
    distances, hours, weathers, notes = zip(*rows, strict=True)
    assert set(weathers) == {"dry", "rain", "snow"}
    assert set(notes) == {"quiet", None}
    present = [v for v in distances if v is not None]
    assert min(present) >= 0.5 and max(present) <= 40.0 and len(present) < 400
    assert all(0.0 <= v <= 23.0 for v in hours)
    missing_share = (400 - len(present)) / 400
    assert 0.5 / MISSING_EVERY < missing_share < 2 / MISSING_EVERY
    assert all(round(v, 3) == v for v in present + list(hours))


def test_every_row_passes_the_card_columns_rules():
    card = typed_card()
    for row in example_rows(card, 200):
        for column, value in zip(card.columns, row, strict=True):
            typed = value if value is None or column.type != NUMBER else float(value)
            assert column.refusal(typed) == ""


def test_rows_are_reproducible_from_the_seed_and_keyed_as_the_card_names_them():
    card = synthetic_card(["a", "b"], ["x", "y"])
    assert example_rows(card, 5, seed=1) == example_rows(card, 5, seed=1)
    assert example_rows(card, 5, seed=1) != example_rows(card, 5, seed=2)
    first = example_rows(card, 2)
    assert example_objects(card, 2) == [dict(zip(["a", "b"], row, strict=True)) for row in first]


def test_a_card_without_ranges_draws_numbers_from_its_golden_rows_span():
    card = synthetic_card(["a", "b"], ["x", "y"], ranges=False)
    assert {tuple(row) for row in example_rows(card, 3)} == {(0.5, 0.5)}
