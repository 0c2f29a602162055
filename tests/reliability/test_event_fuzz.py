"""Properties over event *structure*, through the runtime client's own unmarshal and marshal.

tests/reliability/test_properties.py varies payloads inside well-formed events; here the
events themselves are damaged (any key of a real sample event deleted or replaced by any JSON
value), bodies are assembled from JSON tokens, and one request is sent through every entry point
at once. Every answer must pass ``judge``: strict JSON, a status the function documents, an
error body with the request id, no trace and no internal path; and a 500 never.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import io
import json
from typing import Any

import pytest
import strategies
from conftest import event_names, load_event
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from strategies import CLIENT_STATUSES

from onnx_serving.events import MAX_INTEGER_DIGITS
from tools.reliability.corpus import HTTP_SAMPLES, http_event
from tools.reliability.inprocess import InProcessFunction
from tools.reliability.verdict import ERROR_TYPES, judge, log_problems

REQUEST_ID = "req-property"
SETTINGS = settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def function(app):
    return InProcessFunction()


def answer(function, event: Any) -> tuple[int | None, str | None, bytes]:
    """Status, error type and payload of ``event``, after checking the answer and the log."""
    log = io.StringIO()
    with contextlib.redirect_stdout(log):
        result = function.invoke(json.dumps(event).encode(), REQUEST_ID)
    verdict = judge(result.payload, result.function_error, REQUEST_ID)
    assert verdict.problems == ()
    assert verdict.status in CLIENT_STATUSES
    assert verdict.error_type in ERROR_TYPES | {None}
    lines = log.getvalue().splitlines()
    assert [log_problems(line, {REQUEST_ID}) for line in lines] == [[]] * len(lines)
    return verdict.status, verdict.error_type, result.payload


json_values = strategies.json_values(
    strategies.finite_json_leaf, st.text(max_size=8), max_size=4, max_leaves=12
)


def node_paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path (keys and indexes) into ``node``, the root included."""
    paths = [prefix]
    if isinstance(node, dict):
        for key, child in node.items():
            paths += node_paths(child, (*prefix, key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            paths += node_paths(child, (*prefix, index))
    return paths


def damage(event: Any, path: tuple, value: Any, delete: bool) -> Any:
    """``event`` with the node at ``path`` deleted or replaced by ``value``."""
    if not path:
        return value
    parent = event
    for step in path[:-1]:
        parent = parent[step]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return event


@st.composite
def damaged_events(draw) -> Any:
    """A real sample event with one to four nodes deleted or replaced by arbitrary JSON."""
    event = copy.deepcopy(load_event(draw(st.sampled_from(event_names()))))
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(node_paths(event)))
        event = damage(event, path, draw(json_values), draw(st.booleans()))
    return event


@SETTINGS
@given(event=damaged_events())
def test_any_damaged_sample_event_gets_a_well_formed_answer(function, event):
    answer(function, event)


tokens = st.sampled_from(
    [
        "{", "}", "[", "]", ",", ":", " ", '"features"', '"instances"', '"sepal_length"',
        '"action"', "5.1", "-0", "0.2", "1e400", "-1e400", "NaN", "Infinity", "true", "null",
        '"5.1"', '"\\ud800"', '"\\u0000"', "9" * 40, "1.5e-320", '"\uff46"',
        '"layout"', '"columns"', '"rows"',
    ]
)  # fmt: skip
bodies = st.lists(tokens, max_size=30).map("".join)


@SETTINGS
@given(
    entry=st.sampled_from(list(HTTP_SAMPLES)),
    body=bodies,
    as_base64=st.booleans(),
)
def test_bodies_built_from_json_tokens_get_a_well_formed_answer(function, entry, body, as_base64):
    if as_base64:
        spec = {"body_base64": base64.b64encode(body.encode("utf-8", "surrogatepass")).decode()}
    else:
        spec = {"body": body}
    status, error_type, _ = answer(function, http_event(entry, spec))
    assert (status, error_type) == (200, None) or error_type in {
        "InvalidJSON",
        "InvalidRequest",
        "InvalidFeatures",
        "InvalidBody",
    }


rows = strategies.feature_rows(json_values, max_size=5)
request_objects = (
    st.fixed_dictionaries({"features": rows})
    | st.fixed_dictionaries({"instances": st.lists(rows, max_size=3)})
    | st.dictionaries(
        st.sampled_from(["features", "instances", "rows", "layout"]), json_values, max_size=3
    )
)


@SETTINGS
@given(request=request_objects)
@example(request={"features": [10**39, 3.5, 1.4, 0.2]})
def test_one_request_gets_one_answer_through_every_entry_point(function, request):
    """Direct, REST API, HTTP API, Function URL, base64 or not: the same body every time."""
    text = json.dumps(request)
    events = [request]
    for entry in HTTP_SAMPLES:
        events.append(http_event(entry, {"body": text}))
        events.append(http_event(entry, {"body_base64": base64.b64encode(text.encode()).decode()}))
    bodies = []
    for event in events:
        status, _, payload = answer(function, event)
        document = json.loads(payload)
        bodies.append((status, json.loads(document["body"]) if "body" in document else document))
    if _longest_integer(request) <= MAX_INTEGER_DIGITS:
        assert all(body == bodies[0] for body in bodies)
        return
    # An integer longer than any float32 is refused by HTTP before it is converted; a direct
    # invoke receives it already converted by the runtime client, and refuses it later.
    assert bodies[0][0] in CLIENT_STATUSES - {200}
    assert all(body == bodies[1] for body in bodies[1:])
    assert (bodies[1][0], bodies[1][1]["error"]["type"]) == (400, "InvalidJSON")


def _longest_integer(value: object) -> int:
    """The most digits of any integer in a JSON value (0 when it holds none)."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return len(str(abs(value)))
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return max(map(_longest_integer, value), default=0)
    return 0
