"""The request-cost benchmark measures what it says: each request fits Lambda's invoke limit,
and the ones it calls legal are answered 200 while the others are refused, with well-formed
answers (run in-process, behind the runtime client's own parser)."""

from __future__ import annotations

import pytest

from tools.benchmarks.request_cost import cases
from tools.reliability.corpus import INVOKE_LIMIT_BYTES
from tools.reliability.inprocess import InProcessFunction
from tools.reliability.verdict import judge

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def all_cases(app):
    return cases(app.MODEL.card, 1000)


def test_every_case_is_what_it_claims(app, all_cases, capsys):
    function = InProcessFunction()
    verdicts = {}
    for case in all_cases:
        answer = function.invoke(case.raw, "req-cost")
        verdict = judge(answer.payload, answer.function_error, "req-cost")
        verdicts[f"{case.entry}: {case.name}"] = (
            case.legal,
            verdict.status == 200,
            verdict.problems,
        )
        assert len(case.raw) <= INVOKE_LIMIT_BYTES
    capsys.readouterr()
    assert {name: v for name, v in verdicts.items() if v[0] != v[1] or v[2]} == {}
    assert sum(case.legal for case in all_cases) == 10
    assert len(all_cases) == 25
