"""One cold start of each contender through the real runtime: the benchmark's plumbing works.

Builds both layers (cached under build/benchmarks) and needs the target interpreter; measures
nothing worth quoting, so it asserts only that every contender initialised and answered.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from layer.interpreters import find_interpreter
from tools.benchmarks.cold_start import cold_starts
from tools.benchmarks.packages import build_packages
from tools.local_lambda.template import function_config

ROOT = Path(__file__).resolve().parents[2]
EVENT = b'{"features": [5.1, 3.5, 1.4, 0.2]}'


@pytest.mark.slow
def test_one_cold_start_of_each_contender(model_dir, baseline_dir):
    interpreter = find_interpreter("python3.13")
    if not interpreter.matches_runtime:
        pytest.skip("python3.13 is not installed here")
    built = build_packages(model_dir=model_dir, baseline_dir=baseline_dir)
    base = function_config(ROOT / "template.yaml", "InferenceFunction")
    ticks: list[str] = []
    samples = cold_starts(
        [built.onnx, built.pickle, built.floor], 1, EVENT, base, interpreter, ticks.append
    )
    assert set(samples) == {"onnx", "pickle", "floor"}
    for name, [sample] in samples.items():
        assert sample.init_ms > 0, name
        assert sample.peak_rss_mb > 0, name
    assert len(ticks) == 3
