"""The metrics in the log, through the real runtime client on the ``sam build`` output.

Every request's line is read back from the function's log, as CloudWatch Logs receives it, and
checked against the answer the runtime client returned: valid EMF per the specification
(``tests/emf_schema.json``), per-class counts summing to the rows answered, out-of-range counts
matching the answers, errors counted by type, and the cold start marked on the first line only.
"""

from __future__ import annotations

import json

import pytest
import sam_support
from conftest import event_names, load_event
from emf_support import line_problems

from onnx_serving.card import ModelCard
from tools.local_lambda.metrics_table import metric_rows, records
from tools.reliability.corpus import load_cases
from tools.reliability.sam_build_output import FUNCTION, built_lambda

pytestmark = pytest.mark.slow


def one_case_per_error(cases) -> list[bytes]:
    """The first hostile case of each entry point and error type the function answers."""
    chosen = {}
    for case in cases:
        if case.status is not None:
            chosen.setdefault((case.entry, case.error_type), case.raw)
    return list(chosen.values())


def test_every_line_through_the_runtime_client_is_emf_counting_its_answer(tmp_path):
    build_dir = sam_support.sam_build_dir()
    card = ModelCard.load(build_dir / FUNCTION / "model.json")
    golden = [row["features"] for row in card.golden_rows]
    beyond = [
        [hi + 1.0 for hi in card.feature_max],
        golden[0],
        [lo - 1.0 for lo in card.feature_min],
    ]
    requests = [
        *(json.dumps(load_event(name)).encode() for name in event_names()),
        json.dumps({"instances": golden}).encode(),
        json.dumps({"instances": beyond}).encode(),
        *one_case_per_error(load_cases()),
    ]
    log = tmp_path / "log"
    answers = {}
    with log.open("wb") as sink, built_lambda(build_dir, sink) as function:
        assert function.init_error is None
        for raw in requests:
            result = function.invoke(raw)
            answers[result.request_id] = json.loads(result.payload)
    lines = [line for line in log.read_text().splitlines() if line.startswith("{")]
    by_id = {json.loads(line)["request_id"]: line for line in lines}
    assert len(lines) == len(by_id) == len(answers) == len(requests)
    problems = {rid: line_problems(by_id[rid], answer) for rid, answer in answers.items()}
    assert {rid: found for rid, found in problems.items() if found} == {}
    cold = [json.loads(line).get("cold_start") for line in lines]
    assert cold == [1] + [None] * (len(lines) - 1)
    init_ms = json.loads(lines[0])["init_ms"]
    assert isinstance(init_ms, float) and init_ms > 0
    # What CloudWatch would extract (make metrics): one latency sample per request, every row.
    totals = {
        row.metric: (len(row.values), row.total)
        for row in metric_rows(records(lines))
        if row.dimensions == ()
    }
    answered = sum(len(answer.get("predictions", [])) for answer in map(body_of, answers.values()))
    assert totals["latency_ms"][0] == totals["rows"][0] == len(requests)
    assert totals["rows"][1] == answered
    assert totals["cold_start"] == (1, 1)


def body_of(answer: dict) -> dict:
    """The body of a direct or HTTP answer."""
    return json.loads(answer["body"]) if "statusCode" in answer else answer
