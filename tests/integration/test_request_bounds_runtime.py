"""The template's bounds, recomputed through the real runtime client on the ``sam build`` output.

- ``MaxBatchRows`` MaxValue: at that many rows the most compact model's answer fits Lambda's
  6 MB response limit (the runtime API here refuses more, as Lambda does); one more row is a
  413 before any prediction.
- The served model's own answer-size limit: its largest legal batch is answered within 6 MB, one
  more row is a 413 naming the response limit, before the work (the log line counts no rows).
- ``MemorySize`` MinValue: the peak RSS of the heaviest requests (``memory_bound``: the largest
  legal ones, and the densest direct payload, which peaks highest), with the margin, rounded up
  to 64 MB. A real measurement, never a timing.
"""

from __future__ import annotations

import json
import subprocess

import pytest
import sam_support
from sam_support import load_template

from onnx_serving.answers import LAMBDA_RESPONSE_BYTES, RequestLimits
from onnx_serving.card import ModelCard
from onnx_serving.events import DIRECT, HTTP_API
from onnx_serving.handler import MAX_BATCH_ROWS_LIMIT
from tools.reliability.corpus import http_event
from tools.reliability.memory_bound import (
    compact_model,
    densest_payload,
    indented_batch,
    measure,
    memory_floor_mb,
    task_copy,
    with_rows,
)
from tools.reliability.sam_build_output import FUNCTION, built_config, built_lambda

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def build_dir():
    return sam_support.sam_build_dir()


@pytest.fixture(scope="module")
def config(build_dir):
    return with_rows(built_config(build_dir), MAX_BATCH_ROWS_LIMIT)


@pytest.fixture(scope="module")
def compact(build_dir, tmp_path_factory):
    root = task_copy(build_dir, tmp_path_factory.mktemp("compact") / "task")
    return root, compact_model(root)


@pytest.fixture(scope="module")
def served(build_dir):
    root = build_dir / FUNCTION
    return root, ModelCard.load(root / "model.json")


def batch(entry: str, card: ModelCard, rows: int) -> bytes:
    """``rows`` positional rows of ``card``'s width, as a direct or HTTP API payload."""
    body = json.dumps({"instances": [[0.5] * card.n_features] * rows})
    if entry == DIRECT:
        return body.encode()
    return json.dumps(http_event(HTTP_API, {"body": body})).encode()


def test_max_batch_rows_is_the_template_limit():
    assert load_template()["Parameters"]["MaxBatchRows"]["MaxValue"] == MAX_BATCH_ROWS_LIMIT


@pytest.fixture(scope="module")
def peaks(build_dir, config, compact, served):
    """Peak RSS of the heaviest legal requests (both models, HTTP and direct) and of the
    densest direct payload, each in a fresh process."""
    found = {}
    for name, (root, card) in {"compact": compact, "served": served}.items():
        limits = RequestLimits.of(card, MAX_BATCH_ROWS_LIMIT)
        for entry in (HTTP_API, DIRECT):
            rows = limits.row_limits[entry].rows
            requests = [indented_batch(card, rows, entry)]
            found[name, entry] = rows, measure(build_dir, root, config, requests)
    found["densest", DIRECT] = 0, measure(build_dir, served[0], config, [densest_payload()])
    return found


def test_the_largest_legal_answers_fit_lambdas_response_limit(peaks):
    assert peaks["compact", HTTP_API][0] == MAX_BATCH_ROWS_LIMIT
    legal = {key: value for key, value in peaks.items() if key[0] != "densest"}
    for (name, entry), (rows, measured) in legal.items():
        assert {status for status, _ in measured.answers} == {200}, (name, entry)
        assert max(size for _, size in measured.answers) <= LAMBDA_RESPONSE_BYTES, (name, rows)


def test_the_densest_payload_is_refused_and_peaks_highest(peaks):
    densest = peaks["densest", DIRECT][1]
    assert {status for status, _ in densest.answers} == {400}
    assert densest.peak_rss_mb == max(measured.peak_rss_mb for _, measured in peaks.values())


def test_memory_size_min_value_is_the_measured_peak_with_its_margin(peaks):
    peak = max(measured.peak_rss_mb for _, measured in peaks.values())
    template_floor = load_template()["Parameters"]["MemorySize"]["MinValue"]
    assert memory_floor_mb(peak) == template_floor, f"peak {peak:.1f} MB"


def test_one_row_over_an_answer_limit_is_refused_before_the_work(
    build_dir, config, served, tmp_path
):
    root, card = served
    limits = RequestLimits.of(card, MAX_BATCH_ROWS_LIMIT).row_limits
    fits, direct_fits = limits[HTTP_API].rows, limits[DIRECT].rows
    log = tmp_path / "log"
    with log.open("wb") as sink, built_lambda(build_dir, sink, config, root) as function:
        refused = function.invoke(batch(HTTP_API, card, fits + 1))
        direct = function.invoke(batch(DIRECT, card, direct_fits + 1))
    body = json.loads(json.loads(refused.payload)["body"])
    # The HTTP body is refused by its bounds, before it is even parsed.
    assert body["error"] == {
        "status": 413,
        "type": "PayloadTooLarge",
        "message": f"the body holds {fits + 3} arrays and objects; a request of at most {fits} "
        f"rows of {card.n_features} features holds at most {fits + 2}: send at most {fits} rows "
        f"(more rows of this model could answer more than the {LAMBDA_RESPONSE_BYTES} bytes a "
        "response may have)",
    }
    # A direct invoke is parsed by the runtime client; the rows are counted before any value.
    assert json.loads(direct.payload)["error"]["message"] == (
        f"{direct_fits + 1} rows is more than the limit of {direct_fits}; more rows of this "
        f"model could answer more than the {LAMBDA_RESPONSE_BYTES} bytes a response may have"
    )
    records = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    assert [(r["status"], r["rows"]) for r in records] == [(413, 0), (413, 0)]


def test_the_compact_model_answers_the_template_limit_and_refuses_one_more(
    build_dir, config, compact
):
    root, card = compact
    assert (card.classes, card.feature_names) == (["a", "b"], ["x"])
    with built_lambda(build_dir, subprocess.DEVNULL, config, root) as function:
        one_more = function.invoke(batch(DIRECT, card, MAX_BATCH_ROWS_LIMIT + 1))
    assert json.loads(one_more.payload)["error"]["type"] == "PayloadTooLarge"
