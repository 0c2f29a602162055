"""Hypothesis strategies shared by the property and event-fuzz tests: one definition each.

JSON values are built from leaves that a caller can send (numbers of every size, strings, null,
booleans) and nest into lists and objects whose keys are often the model's own feature names,
so that generated requests reach the row validation instead of stopping at the first key.
"""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

# Every status the function documents for a request; a 500 is never an acceptable answer.
CLIENT_STATUSES = frozenset({200, 400, 405, 413, 415})
# The feature names of the test suite's fixture model (the Iris demo's).
FEATURES = ("sepal_length", "sepal_width", "petal_length", "petal_width")
REQUEST_KEYS = ("features", "instances")

any_json_leaf = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
finite_json_leaf = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(["POST", "GET", "DELETE", "application/json", "text/plain", "eyJ9"])
)


def json_values(
    leaves: SearchStrategy, keys: SearchStrategy, max_size: int, max_leaves: int
) -> SearchStrategy:
    """Leaves nested into lists and objects, at most ``max_size`` items a level."""
    return st.recursive(
        leaves,
        lambda inner: (
            st.lists(inner, max_size=max_size) | st.dictionaries(keys, inner, max_size=max_size)
        ),
        max_leaves=max_leaves,
    )


def feature_rows(values: SearchStrategy, max_size: int) -> SearchStrategy:
    """A row as a list of values or as an object keyed (mostly) by feature name."""
    return st.lists(values, max_size=max_size) | st.dictionaries(
        st.sampled_from([*FEATURES, "other"]), values, max_size=max_size
    )
