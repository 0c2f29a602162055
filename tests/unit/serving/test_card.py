"""``Column.refusal``: the one wording of the missing-value, string-length and unknown-category
rules, which every entry point puts after "<where>.<column> "."""

from __future__ import annotations

import pytest

from onnx_serving.card import MAX_STRING_CHARS, STRING, Column

CITY = Column("city", type=STRING, categories=["lyon", "nice", "paris"], unknown="error")


@pytest.mark.parametrize(
    ("column", "value", "refusal"),
    [
        (Column("x"), 1.5, ""),
        (Column("x"), None, "is missing; the model needs a number for it"),
        (Column("x", missing=True), None, ""),
        (CITY, "nice", ""),
        (CITY, None, "is missing; the model needs a string for it"),
        (CITY, "", "is missing; the model needs a string for it"),
        (Column("note", type=STRING, missing=True), "", ""),
        (
            CITY,
            "berlin",
            "is 'berlin', not a category the model knows: one of 'lyon', 'nice', 'paris'",
        ),
        (
            CITY,
            "b" * 41,
            f"is '{'b' * 40}...', not a category the model knows: one of 'lyon', 'nice', 'paris'",
        ),
        (CITY, "x" * (MAX_STRING_CHARS + 1), "is longer than 256 characters"),
        (Column("note", type=STRING), "x" * MAX_STRING_CHARS, ""),
        (Column("city", type=STRING, categories=["lyon"], unknown="ignore"), "berlin", ""),
    ],
    ids=[
        "number",
        "missing number",
        "missing number allowed",
        "known category",
        "missing string",
        "empty string is missing",
        "empty string allowed",
        "unknown category",
        "unknown category echoed to 40 characters",
        "string too long",
        "free string at the limit",
        "unknown category ignored",
    ],
)
def test_each_rule_is_worded_once(column, value, refusal):
    assert column.refusal(value) == refusal


def test_long_category_lists_stop_at_20_and_point_to_get_model():
    many = Column("code", type=STRING, categories=[f"c{i:02d}" for i in range(30)], unknown="error")
    listed = ", ".join(f"'c{i:02d}'" for i in range(20))
    assert many.refusal("zz") == (
        f"is 'zz', not a category the model knows: one of {listed}, ... "
        "(30 in all: GET /model lists them)"
    )


def test_long_category_names_stop_at_300_characters():
    """Each name is quoted cut to 40 characters (45 with quotes and ellipsis): six fit in 300."""
    names = [f"{i}" + "n" * 79 for i in range(10)]
    wide = Column("code", type=STRING, categories=names, unknown="error")
    six = ", ".join(f"'{i}{'n' * 39}...'" for i in range(6))
    assert wide.refusal("x") == (
        f"is 'x', not a category the model knows: one of {six}, ... "
        "(10 in all: GET /model lists them)"
    )
