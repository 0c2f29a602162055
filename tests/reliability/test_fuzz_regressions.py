"""Every input the fuzzer ever found, replayed with the fuzzer's own checks."""

from __future__ import annotations

import json

import pytest
from conftest import ROOT

from tools.reliability.corpus import load_cases
from tools.reliability.fuzz import SEED_BYTES, FuzzTarget, invocation, seeds

REGRESSIONS = ROOT / "tools" / "reliability" / "fuzz_regressions"
FOUND = sorted(p for p in REGRESSIONS.iterdir() if p.name != "README.md")


@pytest.fixture(scope="module")
def target(app):
    return FuzzTarget()


@pytest.mark.parametrize("path", FOUND, ids=[p.name for p in FOUND])
def test_found_input_now_passes(target, path):
    target(path.read_bytes())


def test_every_regression_is_documented():
    readme = (REGRESSIONS / "README.md").read_text()
    assert all(f"`{path.name}`" in readme for path in FOUND)


def test_direct_seeds_decode_back_to_their_payloads():
    """The fuzzer starts from the corpus: a direct case's seed is exactly its payload."""
    direct = [case for case in load_cases() if case.entry == "direct"]
    assert [invocation(data) for case in direct for data in seeds(case)] == [
        case.raw for case in direct
    ]


def has_surrogates(text: str) -> bool:
    return any(0xD800 <= ord(ch) <= 0xDFFF for ch in text)


def test_http_seeds_carry_their_bodies():
    """Same body, same base64 flag; lone surrogates cannot survive the trip through bytes."""
    http = [c for c in load_cases() if c.entry != "direct" and len(c.raw) <= SEED_BYTES * 4]
    checked = 0
    for case in http:
        event = json.loads(case.raw)
        for data in seeds(case):
            decoded = json.loads(invocation(data))
            assert decoded["isBase64Encoded"] == event["isBase64Encoded"]
            if not has_surrogates(event["body"]):
                assert decoded["body"] == event["body"]
                checked += 1
    assert checked > 100
