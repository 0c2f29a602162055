"""Error messages quote caller text, but only a little of it: a 6 MB key must not come back in a
6 MB answer (Lambda refuses responses over 6 MB), and lone surrogates must come back escaped.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from onnx_serving.errors import ECHO_CHARS, quoted, quoted_list

CONTEXT = SimpleNamespace(aws_request_id="req-echo")
NAMED = {"sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("colour", "'colour'"),
        ("k" * 100, "'" + "k" * (ECHO_CHARS - 1) + "... (100 characters)"),
        ("\ud800x", "'\\ud800x'"),
        ("\udcff" * 30, "'" + "\\udcff" * 6 + "\\ud... (30 characters)"),
    ],
    ids=["short", "long", "lone-surrogate", "escapes-count-toward-the-cut"],
)
def test_quoted(text, shown):
    assert quoted(text) == shown


def test_quoted_list_shows_five_names_and_counts_the_rest():
    assert quoted_list([f"f{i}" for i in range(8)]) == "['f0', 'f1', 'f2', 'f3', 'f4'] and 3 more"
    assert quoted_list(["a"]) == "['a']"


def test_a_huge_unknown_feature_name_is_cut_in_the_answer(app):
    body = app.handler({"features": {"x" * 6_000_000: 5.1, **NAMED}}, CONTEXT)
    assert body["error"]["message"] == (
        "features: missing ['sepal_length']; unknown ['"
        + "x" * (ECHO_CHARS - 1)
        + "... (6000000 characters)] features; expected exactly "
        "['sepal_length', 'sepal_width', 'petal_length', 'petal_width']"
    )


def test_many_unknown_fields_are_counted_not_listed(app):
    body = app.handler({f"field{i:05d}": 0 for i in range(100_000)}, CONTEXT)
    assert body["error"]["message"].endswith(
        "got fields ['field00000', 'field00001', 'field00002', 'field00003', 'field00004'] "
        "and 99995 more"
    )
