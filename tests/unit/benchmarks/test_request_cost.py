"""The request-cost benchmark's arithmetic: payloads fill the invoke limit, the ratios pick the
right cases, and the one-CPU quota wraps Lambda's command. (That each request is what it claims
is checked in tests/integration/test_request_cost_cases.py.)"""

from __future__ import annotations

from tools.benchmarks.request_cost import DIRECT, HTTP, ratios
from tools.reliability.corpus import INVOKE_LIMIT_BYTES, fitted_payload


def test_fitted_payloads_are_the_largest_that_fit():
    def body(n: int) -> str:
        return '{"features": [' + "1" * n + "]}"

    payload = fitted_payload(HTTP, body)
    assert len(payload) <= INVOKE_LIMIT_BYTES
    assert len(fitted_payload(DIRECT, body)) == INVOKE_LIMIT_BYTES
    # One more unit would not fit: the payload is within one digit of the limit.
    assert INVOKE_LIMIT_BYTES - len(payload) < 2


def test_ratios_take_the_worst_rejected_over_the_largest_legal():
    def case(entry, legal, duration, rss, handler):
        return {
            "entry": entry,
            "legal": legal,
            "duration_ms": duration,
            "peak_rss_mb": rss,
            "handler_ms": handler,
        }

    run = {
        "cases": {
            "a": case(HTTP, True, 10.0, 100.0, 5.0),
            "b": case(HTTP, True, 20.0, 90.0, 4.0),
            "c": case(HTTP, False, 15.0, 95.0, 1.0),
            "d": case(HTTP, False, 5.0, 99.0, None),
            "e": case(DIRECT, False, 500.0, 500.0, 9.0),
        }
    }
    assert ratios(run, HTTP) == {
        "duration_ms": {"largest_legal": "b", "worst_rejected": "c", "ratio": 0.75},
        "peak_rss_mb": {"largest_legal": "a", "worst_rejected": "d", "ratio": 0.99},
        "handler_ms": {"largest_legal": "a", "worst_rejected": "c", "ratio": 0.2},
    }
