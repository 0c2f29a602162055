"""Request costs bounded before the work: the body's structure before it is parsed, the rows of
a batch before any value is converted, and the answer's size before any row is predicted.

Each bound is pinned exactly: the largest legal request passes it, one more array, comma or row
does not, and the numbers the bounds come from are recomputed here from their definitions.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from fixture_models import synthetic_card, typed_card

from onnx_serving.answers import (
    ALB_RESPONSE_BYTES,
    LAMBDA_RESPONSE_BYTES,
    RequestLimits,
    response_limit,
    worst_answer_size,
)
from onnx_serving.card import MAX_STRING_CHARS, STRING, Column, ModelCard
from onnx_serving.errors import RequestError
from onnx_serving.events import (
    ALB,
    DIRECT,
    FUNCTION_URL,
    HTTP_API,
    MAX_INTEGER_DIGITS,
    REST_API,
    BodyBounds,
    parse_body,
    parse_json,
)
from onnx_serving.handler import MAX_BATCH_ROWS_LIMIT, ServingSettings, handle
from onnx_serving.rows import RowPositions, to_columns

CONTEXT = SimpleNamespace(aws_request_id="req-bounds")


def card_with(feature_names, classes, name="m", version="1") -> ModelCard:
    return synthetic_card(feature_names, classes, name=name, version=version)


# Names holding the characters the bounds count: a legal request naming them must still pass.
AWKWARD = card_with(["a[0]", "b{x}", "c,d", "plain"], ["yes", "no"])


def refusal(text: str, bounds: BodyBounds) -> tuple[int, str, str] | None:
    try:
        parse_body(text, bounds)
    except RequestError as exc:
        return exc.status, exc.error_type, exc.message
    return None


def largest_batch(card: ModelCard, rows: int, named: bool, indent: int | None) -> str:
    row = dict.fromkeys(card.feature_names, 0.5) if named else [0.5] * card.n_features
    return json.dumps({"instances": [row] * rows}, indent=indent)


def test_bounds_follow_from_the_card_and_the_rows():
    bounds = BodyBounds.for_rows(AWKWARD, 10)
    # Per row: its own object plus the "[" of "a[0]" and the "{" of "b{x}"; two more overall.
    assert (bounds.containers, bounds.commas) == (2 + 10 * 3, 10 * (4 + 1))


@pytest.mark.parametrize("named", [True, False], ids=["named", "positional"])
@pytest.mark.parametrize("indent", [None, 2], ids=["compact", "indented"])
def test_the_largest_legal_body_passes(named, indent):
    bounds = BodyBounds.for_rows(AWKWARD, 50)
    body = largest_batch(AWKWARD, 50, named, indent)
    assert refusal(body, bounds) is None
    assert len(parse_body(body, bounds)["instances"]) == 50


def test_one_more_array_than_a_legal_body_holds_is_a_413():
    plain = card_with(["a", "b", "c", "d"], ["yes", "no"])
    bounds = BodyBounds.for_rows(plain, 50)
    rows = [[0.5] * 4] * 50
    assert refusal(json.dumps({"instances": rows}), bounds) is None
    body = json.dumps({"instances": [[[0.5], 0.5, 0.5, 0.5], *rows[1:]]})
    assert refusal(body, bounds) == (
        413,
        "PayloadTooLarge",
        "the body holds 53 arrays and objects; a request of at most 50 rows of 4 features holds "
        "at most 52: send at most 50 rows",
    )


def test_one_more_comma_than_a_legal_body_holds_is_a_413():
    bounds = BodyBounds.for_rows(AWKWARD, 1)
    assert bounds.commas == 5
    body = '{"features": [' + ", ".join(["0.5"] * 7) + "]}"
    assert refusal(body, bounds) == (
        413,
        "PayloadTooLarge",
        "the body holds 6 commas; a request of at most 1 rows of 4 features holds at most 5: "
        "send at most 1 rows",
    )


# Two free string columns: a legal value may be MAX_STRING_CHARS brackets or commas.
STRINGS = typed_card(
    columns=[
        Column("a"),
        Column("s", type=STRING),
        Column("t", type=STRING),
    ],
    golden_rows=[{"features": [1.0, "x", "y"], "value": 1.0}],
)


def test_string_columns_allow_for_brackets_and_commas_in_their_values():
    bounds = BodyBounds.for_rows(STRINGS, 10)
    in_strings = 2 * MAX_STRING_CHARS
    assert (bounds.containers, bounds.commas) == (2 + 10 * (1 + in_strings), 10 * (3 + in_strings))


@pytest.mark.parametrize("named", [True, False], ids=["named", "positional"])
def test_the_largest_legal_body_of_strings_passes(named):
    """Every string value at its longest and made of brackets: one more array is too many."""
    bounds = BodyBounds.for_rows(STRINGS, 50)
    values = [0.5, "[" * MAX_STRING_CHARS, "{" * MAX_STRING_CHARS]
    row = dict(zip(STRINGS.feature_names, values, strict=True)) if named else values
    body = parse_body(json.dumps({"instances": [row] * 50}), bounds)
    columns = to_columns(body["instances"], RowPositions(50), STRINGS)
    assert columns[2].tolist() == ["{" * MAX_STRING_CHARS] * 50
    one_more = json.dumps({"instances": [row] * 50 + [[]]})
    assert refusal(one_more, bounds)[:2] == (413, "PayloadTooLarge")


def test_short_bodies_are_not_counted_and_deep_ones_stop_at_the_container_bound():
    bounds = BodyBounds.for_rows(AWKWARD, 1000)
    assert refusal("[" * 400 + "]" * 400, bounds) is None
    assert refusal("[" * 100_000 + "]" * 100_000, bounds)[:2] == (413, "PayloadTooLarge")


def test_an_over_long_integer_is_refused_without_interpreter_advice():
    bounds = BodyBounds.for_rows(AWKWARD, 1)
    status, error_type, message = refusal('{"features": [' + "9" * 5000 + "]}", bounds)
    assert (status, error_type, message) == (
        400,
        "InvalidJSON",
        "the body holds an integer of 5000 digits; features are float32 numbers, whose integers "
        "have at most 39 digits",
    )


def test_integers_are_held_to_the_digits_of_the_largest_float32():
    assert MAX_INTEGER_DIGITS == len("340282346638528859811704183484516925440") == 39
    bounds = BodyBounds.for_rows(AWKWARD, 1)
    widest = "9" * 39
    body = '{"features": [' + ", ".join([widest, "-" + widest, "1", "-2"]) + "]}"
    assert parse_body(body, bounds)["features"] == [int(widest), -int(widest), 1, -2]
    assert refusal('{"features": [-1' + "0" * 39 + "]}", bounds) == (
        400,
        "InvalidJSON",
        "the body holds an integer of 40 digits; features are float32 numbers, whose integers "
        "have at most 39 digits",
    )


def test_a_float64_card_takes_integers_up_to_the_digits_of_the_largest_float64():
    bounds = BodyBounds.for_rows(typed_card(), 1)
    widest = "1" + "0" * 308
    body = '{"features": [' + widest + ', 8, "rain", null]}'
    assert parse_body(body, bounds)["features"][0] == 10**308
    assert refusal('{"features": [1' + "0" * 309 + ', 8, "rain", null]}', bounds) == (
        400,
        "InvalidJSON",
        "the body holds an integer of 310 digits; features are float64 numbers, whose integers "
        "have at most 309 digits",
    )


def test_a_body_of_the_longest_integers_python_converts_is_refused_at_the_first():
    many = BodyBounds.for_rows(card_with(["x"], ["a", "b"]), 1462)
    body = "[" + ", ".join(["9" * 4300] * 1462) + "]"
    assert refusal(body, many)[2].startswith("the body holds an integer of 4300 digits;")


def test_json_lines_keep_the_interpreter_bound_for_pass_through_integers():
    assert parse_json('{"id": ' + "9" * 60 + "}") == {"id": int("9" * 60)}


# --- the answer's size --------------------------------------------------------------------------

COMPACT = card_with(["x"], ["a", "b"])


def test_worst_answer_sizes_are_exact_for_a_known_card():
    """Hand-counted: the direct answer is the runtime client's JSON (', ' and ': ')."""
    row = '{"label": "a", "probabilities": {"a": 0.123456, "b": 0.123456}, "out_of_range": ["x"]}'
    model = '"model": {"name": "m", "version": "1", "sha256": "' + "0" * 64 + '"}'
    one = '{"predictions": [' + row + "], " + model + "}"
    size = worst_answer_size(COMPACT, DIRECT)
    assert (size.fixed + size.per_row, size.per_row) == (len(one), len(row) + 2)
    assert size.bytes_for(3) == len(
        '{"predictions": [' + ", ".join([row] * 3) + "], " + model + "}"
    )


def test_a_regressors_worst_answer_is_the_longest_float64_and_every_feature():
    row = (
        '{"value": -2.2250738585072014e-308, '
        '"out_of_range": ["distance", "hour", "weather", "note"]}'
    )
    model = '"model": {"name": "typed", "version": "1", "sha256": "' + "0" * 64 + '"}'
    size = worst_answer_size(typed_card(), DIRECT)
    assert (size.fixed + size.per_row, size.per_row) == (
        len('{"predictions": [' + row + "], " + model + "}"),
        len(row) + 2,
    )
    assert len(repr(-2.2250738585072014e-308)) == len(repr(-1.2345678901234567e-100)) == 24


def test_http_answers_count_the_escaping_of_the_body_string():
    """A row in an HTTP body is compact JSON inside a JSON string: each of its 14 quotes is
    escaped once more, and a comma joins it to the next row."""
    row = '{"label":"a","probabilities":{"a":0.123456,"b":0.123456},"out_of_range":["x"]}'
    assert worst_answer_size(COMPACT, HTTP_API).per_row == len(row) + 14 + 1


def test_the_template_row_limit_is_what_the_most_compact_card_can_answer():
    """MAX_BATCH_ROWS_LIMIT (and the template's MaxValue) is the most rows the smallest possible
    answer rows fit in 6 MB through API Gateway and Function URLs: any higher value could never
    be honoured, whatever the model."""
    fits = {
        kind: worst_answer_size(COMPACT, kind).rows_within(LAMBDA_RESPONSE_BYTES)
        for kind in (REST_API, HTTP_API, FUNCTION_URL)
    }
    assert set(fits.values()) == {MAX_BATCH_ROWS_LIMIT}
    assert worst_answer_size(COMPACT, HTTP_API).bytes_for(MAX_BATCH_ROWS_LIMIT) <= (
        LAMBDA_RESPONSE_BYTES
    )
    assert worst_answer_size(COMPACT, HTTP_API).bytes_for(MAX_BATCH_ROWS_LIMIT + 1) > (
        LAMBDA_RESPONSE_BYTES
    )


def test_alb_answers_are_held_to_one_megabyte():
    assert (response_limit(ALB), response_limit(HTTP_API)) == (ALB_RESPONSE_BYTES, 6_291_556)
    limits = RequestLimits.of(COMPACT, MAX_BATCH_ROWS_LIMIT)
    alb = limits.row_limits[ALB]
    multi = worst_answer_size(COMPACT, ALB, multi_value=True)
    assert alb.rows == multi.rows_within(ALB_RESPONSE_BYTES)
    assert "1000000 bytes" in alb.reason
    assert limits.row_limits[HTTP_API].reason == ""


class RecordingModel:
    """A backend that must never be asked: the answer-size refusal comes before the work."""

    def __init__(self, card: ModelCard) -> None:
        self.card = card
        self.calls = 0

    def predict(self, rows):
        self.calls += 1
        raise AssertionError("predict was called")


def test_a_batch_whose_answer_would_pass_6_mb_is_a_413_before_any_prediction():
    long_names = card_with(["x"], ["c" * 2000, "d" * 2000])
    model = RecordingModel(long_names)
    settings = ServingSettings(max_batch_rows=5000)
    limits = RequestLimits.of(long_names, settings.max_batch_rows)
    fits = limits.row_limits[DIRECT].rows
    assert worst_answer_size(long_names, DIRECT).bytes_for(fits) <= LAMBDA_RESPONSE_BYTES
    assert worst_answer_size(long_names, DIRECT).bytes_for(fits + 1) > LAMBDA_RESPONSE_BYTES
    body = handle({"instances": [[0.5]] * (fits + 1)}, CONTEXT, model, settings, limits)
    assert body["error"] == {
        "status": 413,
        "type": "PayloadTooLarge",
        "message": f"{fits + 1} rows is more than the limit of {fits}; more rows of this model "
        f"could answer more than the {LAMBDA_RESPONSE_BYTES} bytes a response may have",
    }
    assert model.calls == 0


@pytest.mark.parametrize("kind", [DIRECT, HTTP_API, ALB])
def test_real_answers_never_pass_their_worst_case_size(app, kind):
    """The size law holds for what the handler really answers, rows out of range included:
    the refusal before the work can only be right if no real answer is larger than the law."""
    card = app.MODEL.card
    rows = [[7.9, 4.4, 6.9, 2.5], [0.0, 0.0, 0.0, 0.0], [5.8, 3.0, 4.35, 1.3], [99.0, -9, 1, 1]]
    body = {"instances": rows * 25}
    event = (
        body
        if kind == DIRECT
        else {
            "requestContext": {"http": {"method": "POST"}, "domainName": "x"},
            "body": json.dumps(body),
            "isBase64Encoded": False,
        }
    )
    if kind == ALB:
        event = {**event, "requestContext": {"elb": {}}, "httpMethod": "POST"}
    response = app.handler(event, CONTEXT)
    size = worst_answer_size(card, kind)
    assert len(json.dumps(response).encode()) <= size.bytes_for(100)
    assert len(json.dumps(response).encode()) > size.bytes_for(100) * 0.6
