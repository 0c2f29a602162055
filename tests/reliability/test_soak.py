"""The soak driver: a short run in the suite (exact counts, determinism; no timing asserted),
and its own checks proven on a fake runtime that misbehaves on purpose.
"""

from __future__ import annotations

import itertools
import json

import pytest
import sam_support
from fixture_models import typed_classifier, typed_regressor

from onnx_serving.card import ModelCard
from onnx_serving.handler import ServingSettings, handle
from onnx_serving.model import load_model
from tools.local_lambda import InvokeResult
from tools.reliability.sam_build_output import FUNCTION, built_lambda
from tools.reliability.soak import SoakReport, palette, run_soak
from tools.reliability.verdict import as_expected, judge

SHORT_SOAK = 2000
QUIET = ServingSettings(log_requests=False)


@pytest.fixture(scope="module")
def card(model_dir):
    return ModelCard.load(model_dir / "model.json")


def test_palette_mixes_valid_and_hostile_requests_on_every_entry_point(card):
    requests = palette(card)
    valid = [
        r for r in requests if r.expected.status == 200 and r.name.split(":")[1][:6] == "valid-"
    ]
    assert len(valid) * 2 == len(requests)
    assert {r.name.split(":")[0] for r in requests} == {
        "direct",
        "rest-api",
        "http-api",
        "function-url",
        "alb",
    }
    assert all(len(r.raw) <= 64 * 1024 for r in requests)
    assert [r.raw for r in palette(card)] == [r.raw for r in requests]


class FakeFunction:
    """Answers from a script of payloads; its request ids come from a counter."""

    pid = None

    def __init__(self, payloads) -> None:
        self.payloads = itertools.cycle(payloads)
        self.ids = itertools.count()

    def invoke(self, raw: bytes) -> InvokeResult:
        request_id = f"id-{next(self.ids)}"
        payload = next(self.payloads).replace("ID", request_id).encode()
        return InvokeResult(request_id, payload, None, 0.5, 0)


def direct_error(message: str) -> str:
    body = {"error": {"status": 400, "type": "InvalidEvent", "message": message}}
    return json.dumps(body | {"request_id": "ID"})


def one_hostile_request(card):
    return [r for r in palette(card) if r.name == "direct:json-null"]


def test_soak_holds_when_every_answer_is_right_and_stable(card):
    report = run_soak(FakeFunction([direct_error("same")]), one_hostile_request(card), 50)
    assert (report.sent, report.answered, report.unexpected, report.nondeterministic) == (
        50,
        50,
        0,
        0,
    )
    assert report.held


def test_soak_catches_an_answer_that_changes_between_invocations(card):
    fake = FakeFunction([direct_error("a"), direct_error("a"), direct_error("b")])
    report = run_soak(fake, one_hostile_request(card), 6)
    # The warm-up takes the first "a"; the six counted answers are a, b, a, a, b, a.
    assert (report.unexpected, report.nondeterministic, report.held) == (0, 2, False)


def test_soak_catches_a_wrong_answer_and_stops_on_its_budget(card):
    fake = FakeFunction([json.dumps({"predictions": [], "model": {}})])
    ticks = itertools.count()
    report = run_soak(fake, one_hostile_request(card), 10, max_seconds=4, clock=lambda: next(ticks))
    assert (report.sent, report.unexpected, report.held) == (4, 4, False)
    assert report.failures[-1] == "stopped by the 4 s budget after 4"


@pytest.mark.parametrize(
    ("end_kb", "held"),
    [(1000 + 5371 + 2048, True), (1000 + 5371 + 2049, False)],
    ids=["growth-the-runtime-client-explains", "growth-beyond-it"],
)
def test_soak_counts_only_rss_growth_the_runtime_client_does_not_explain(end_kb, held):
    report = SoakReport(requested=50_000, sent=50_000, answered=50_000)
    report.rss_start_kb, report.rss_end_kb = 1000, end_kb
    report.runtime_bytes_per_invoke = 110.0  # 50,000 x 110 B = 5371 kB
    assert report.held is held


@pytest.mark.slow
def test_short_soak_through_the_runtime_client(tmp_path):
    build_dir = sam_support.sam_build_dir()
    requests = palette(ModelCard.load(build_dir / FUNCTION / "model.json"))
    with (
        (tmp_path / "soak.log").open("wb") as logs,
        built_lambda(build_dir, logs) as function,
    ):
        report = run_soak(function, requests, SHORT_SOAK)
    assert (report.sent, report.answered, report.unexpected, report.nondeterministic) == (
        SHORT_SOAK,
        SHORT_SOAK,
        0,
        0,
    )
    assert report.failures == []
    assert len(report.latencies_ms) == SHORT_SOAK


@pytest.mark.parametrize("fixture", [typed_regressor, typed_classifier], ids=lambda f: f.__name__)
def test_a_typed_models_palette_gets_its_expected_answers_from_the_handler(fixture, context):
    """Converted DataFrame models: the example rows answer 200, and every hostile case that
    applies to them (the typed ones included) its exact status and error type."""
    model = load_model(fixture().model_dir)
    requests = palette(model.card)
    assert any(r.name.split(":")[1].startswith("typed-") for r in requests)
    wrong = []
    for request in requests:
        try:
            event = json.loads(request.raw)
        except ValueError:
            continue  # refused by the runtime client before any handler: no model involved
        if request.expected.status is None:
            continue
        answer = json.dumps(handle(event, context, model, QUIET)).encode()
        verdict = judge(answer, None, context.aws_request_id)
        if as_expected(verdict, request.expected) != request.expected:
            wrong.append((request.name, verdict.status, verdict.error_type))
    assert wrong == []
