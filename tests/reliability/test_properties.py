"""Properties over arbitrary input: the handler never raises, and agrees with scikit-learn."""

from __future__ import annotations

import json

import numpy as np
import pytest
import strategies
from conftest import FakeContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import CLIENT_STATUSES, FEATURES

LOW = [4.3, 2.0, 1.1, 0.1]
HIGH = [7.9, 4.4, 6.9, 2.5]
CONTEXT = FakeContext()


@pytest.fixture(scope="module")
def estimator(reference_estimator):
    return reference_estimator


json_values = strategies.json_values(
    strategies.any_json_leaf,
    st.sampled_from([*FEATURES, *strategies.REQUEST_KEYS, "x"]) | st.text(max_size=5),
    max_size=5,
    max_leaves=30,
)
rows = strategies.feature_rows(json_values, max_size=6)
payloads = (
    st.fixed_dictionaries({"features": rows})
    | st.fixed_dictionaries({"instances": st.lists(rows, max_size=4)})
    | json_values
)


def http_events(payload_strategy):
    """HTTP API / REST / Function URL events with bodies that may or may not be JSON."""
    bodies = payload_strategy.map(lambda p: json.dumps(p)) | st.text(max_size=30) | st.none()
    methods = st.sampled_from(["GET", "POST", "PUT", "DELETE", "post"])
    headers = st.none() | st.dictionaries(
        st.sampled_from(["content-type", "Content-Type", "x"]),
        st.sampled_from(["application/json", "text/plain", "application/x+json", ""]),
    )
    common = st.fixed_dictionaries(
        {"body": bodies, "headers": headers, "isBase64Encoded": st.booleans()}
    )
    v2 = st.builds(
        lambda c, m: {**c, "version": "2.0", "requestContext": {"http": {"method": m}}},
        common,
        methods,
    )
    v1 = st.builds(lambda c, m: {**c, "httpMethod": m}, common, methods)
    return v1 | v2


def check_well_formed(response):
    if "statusCode" in response:
        assert response["statusCode"] in CLIENT_STATUSES
        assert response["headers"]["Content-Type"] == "application/json"
        body = json.loads(response["body"], parse_constant=lambda c: 1 / 0)
    else:
        body = json.loads(json.dumps(response, allow_nan=False))
    if "error" in body:
        assert body["error"]["status"] in CLIENT_STATUSES - {200}
        assert set(body) == {"error", "request_id"}
        assert "Traceback" not in body["error"]["message"]
    else:
        assert set(body) in ({"predictions", "model"}, {"model"})


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(event=payloads | http_events(payloads) | json_values)
def test_any_event_gets_a_well_formed_answer(app, event):
    check_well_formed(app.handler(event, CONTEXT))


in_range_rows = st.lists(
    st.tuples(
        *[
            st.floats(float(np.float32(lo)), float(np.float32(hi)), width=32)
            for lo, hi in zip(LOW, HIGH, strict=True)
        ]
    ),
    min_size=1,
    max_size=50,
)


@settings(max_examples=150, deadline=None)
@given(batch=in_range_rows)
def test_in_range_answers_equal_scikit_learn(app, estimator, batch):
    x = np.array(batch, dtype=np.float32)
    body = app.handler({"instances": [list(r) for r in batch]}, CONTEXT)
    assert [p["label"] for p in body["predictions"]] == estimator.predict(x).tolist()
    got = np.array(
        [[p["probabilities"][c] for c in estimator.classes_] for p in body["predictions"]]
    )
    np.testing.assert_allclose(got, estimator.predict_proba(x), atol=1e-5)
    assert all(p["out_of_range"] == [] for p in body["predictions"])
