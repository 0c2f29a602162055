"""The hostile-request corpus, in-process and through the real runtime client.

Every case has its exact expected status and error type. Each answer is judged as it leaves the
function, after the runtime client marshalled it: strict JSON, no stack trace, no internal path,
an error body with the request id that stays small whatever the request held. The log lines are
checked too: one JSON record per request, holding no part of any request.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
import sam_support
from fixture_models import typed_card

from tools.reliability.corpus import DIRECT, HTTP_SAMPLES, load_cases, typed_cases, typed_specs
from tools.reliability.inprocess import InProcessFunction
from tools.reliability.sam_build_output import built_lambda
from tools.reliability.verdict import (
    ENTRY_KINDS,
    ERROR_TYPES,
    Verdict,
    as_expected,
    judge,
    log_problems,
)

CASES = load_cases()
IDS = [case.name for case in CASES]


def expected(case) -> Verdict:
    return Verdict(case.status, case.error_type, case.labels)


def test_corpus_covers_every_entry_point_and_kind_of_hostility():
    assert len(CASES) >= 60
    assert {case.entry for case in CASES} == ENTRY_KINDS
    assert len({case.name for case in CASES}) == len(CASES)
    by_entry = {entry: {c.error_type for c in CASES if c.entry == entry} for entry in ENTRY_KINDS}
    for entry in HTTP_SAMPLES:
        assert by_entry[entry] >= ERROR_TYPES | {None}
    assert by_entry[DIRECT] >= {"InvalidEvent", "InvalidRequest", "InvalidFeatures", None}


@pytest.fixture(scope="module")
def in_process(app):
    return InProcessFunction()


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_in_process(in_process, case, capsys):
    answer = in_process.invoke(case.raw, "req-hostile")
    verdict = judge(answer.payload, answer.function_error, "req-hostile")
    assert as_expected(verdict, expected(case)) == expected(case)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == (0 if case.status is None else 1)
    assert [log_problems(line, {"req-hostile"}) for line in lines] == [[]] * len(lines)


def test_typed_cases_of_the_served_model_get_their_exact_answers(app, in_process, capsys):
    cases = typed_cases(app.MODEL.card)
    # The fixture model takes four numbers, none missing: only the number rules apply.
    assert sorted({case.id for case in cases}) == [
        "typed-missing-where-not-allowed",
        "typed-number-column-sent-a-string",
    ]
    assert {case.entry for case in cases} == ENTRY_KINDS
    for case in cases:
        answer = in_process.invoke(case.raw, "req-typed")
        verdict = judge(answer.payload, answer.function_error, "req-typed")
        assert as_expected(verdict, expected(case)) == expected(case), case.name
    capsys.readouterr()


def test_typed_specs_cover_every_typed_rule_a_card_has():
    specs = typed_specs(typed_card())
    direct = {spec["id"]: (spec["status"], spec["error_type"]) for spec in specs[::2]}
    assert direct == {
        "typed-string-column-sent-a-number": (400, "InvalidFeatures"),
        "typed-number-column-sent-a-string": (400, "InvalidFeatures"),
        "typed-unknown-category": (400, "InvalidFeatures"),
        "typed-string-over-the-length-limit": (400, "InvalidFeatures"),
        "typed-string-6mb": (400, "InvalidFeatures"),
        "typed-missing-where-not-allowed": (400, "InvalidFeatures"),
        "typed-empty-string-where-not-allowed": (400, "InvalidFeatures"),
        "typed-missing-where-allowed": (200, None),
    }
    assert [spec["entry"] for spec in specs] == ["direct", "http"] * 8
    unknown = json.loads(specs[4]["event"])["features"]
    assert unknown["weather"] == "not-a-category-of-this-model"
    assert set(unknown) == {"distance", "hour", "weather", "note"}


@dataclass(frozen=True)
class RuntimeRun:
    """Every case's verdict through the runtime client, and the function's whole log."""

    verdicts: dict[str, Verdict]
    request_ids: set[str]
    log: str


@pytest.fixture(scope="module")
def runtime_run(tmp_path_factory) -> RuntimeRun:
    """One warm runtime answers the whole corpus; the tests then read the results."""
    log_path = tmp_path_factory.mktemp("hostile") / "runtime.log"
    verdicts = {}
    request_ids = set()
    with (
        log_path.open("wb") as logs,
        built_lambda(sam_support.sam_build_dir(), logs) as function,
    ):
        assert function.init_error is None
        for case in CASES:
            result = function.invoke(case.raw)
            request_ids.add(result.request_id)
            verdicts[case.name] = judge(result.payload, result.function_error, result.request_id)
    return RuntimeRun(verdicts, request_ids, log_path.read_text("utf-8", "replace"))


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_through_the_runtime_client(runtime_run, case):
    assert as_expected(runtime_run.verdicts[case.name], expected(case)) == expected(case)


@pytest.mark.slow
def test_runtime_log_holds_records_and_runtime_errors_only(runtime_run):
    """The function logs one record per request; the runtime client logs its refusals."""
    records = [line for line in runtime_run.log.splitlines() if line.startswith("{")]
    others = [line for line in runtime_run.log.splitlines() if not line.startswith("{")]
    assert len(records) == sum(case.status is not None for case in CASES)
    assert [log_problems(line, runtime_run.request_ids) for line in records] == [[]] * len(records)
    refused = sum(case.status is None for case in CASES)
    unmarshal = [line for line in others if "Runtime.UnmarshalError" in line]
    assert len(unmarshal) == refused
    assert all(len(line) < 500 for line in others)
