"""The whole default run, one sample of each kind, the model pairs too: the benchmark's plumbing
works end to end.

Builds both layers (cached under build/benchmarks) and needs the target interpreter; measures
nothing worth quoting, so it checks what was measured and written, never how fast.
"""

from __future__ import annotations

import pytest

from layer.interpreters import find_interpreter
from tools.benchmarks.__main__ import write_outputs
from tools.benchmarks.local import LocalSettings, run
from tools.benchmarks.metrics_overhead import HUNDRED_ROWS, NO_METRICS, ONE_ROW_DIRECT, ONE_ROW_HTTP
from tools.benchmarks.tables import all_tables


@pytest.mark.slow
def test_one_sample_of_everything_the_default_run_measures(model_dir, baseline_dir, tmp_path):
    if not find_interpreter("python3.13").matches_runtime:
        pytest.skip("python3.13 is not installed here")
    ticks: list[str] = []
    totals: list[int] = []
    settings = LocalSettings(
        cold_starts=1, warm_rounds=1, free=False, pair_cold_starts=1, pair_warm_rounds=1
    )
    measured = run(settings, ticks.append, totals.append, model_dir, baseline_dir)
    assert len(measured.modes) == 1
    main = measured.main
    assert list(main.cold) == ["onnx", "pickle", "empty", "floor"]
    for name, [sample] in main.cold.items():
        assert sample.init_ms > 0, name
        assert sample.peak_rss_mb > 0, name
    assert {name: list(by_event) for name, by_event in main.warm_ms.items()} == {
        name: ["1 row", "1000 rows"] for name in ("onnx", "pickle", "floor", NO_METRICS)
    }
    assert set(measured.sizes) == {"onnx", "pickle"}
    assert list(measured.log_lines) == [ONE_ROW_DIRECT, ONE_ROW_HTTP, HUNDRED_ROWS]
    for case, sizes in measured.log_lines.items():
        assert sizes["with_metrics"] > sizes["without"] > 0, case
    assert [(p.name, p.task, p.cold_starts, p.warm_rounds) for p in measured.pairs] == [
        ("forest-regressor", "regressor", 1, 1),
        ("dataframe-pipeline", "classifier", 1, 1),
    ]
    for pair in measured.pairs:
        assert pair.measured.mode == main.mode
        assert list(pair.measured.cold) == ["onnx", "pickle", "empty"]
        for name, [sample] in pair.measured.cold.items():
            assert sample.init_ms > 0, (pair.name, name)
            assert sample.peak_rss_mb > 0, (pair.name, name)
        assert {name: list(by_event) for name, by_event in pair.measured.warm_ms.items()} == {
            name: ["1 row", "100 rows"] for name in ("onnx", "pickle")
        }
        assert pair.sizes["onnx"].layer_unzipped == measured.sizes["onnx"].layer_unzipped
    regressor, pipeline = (pair.sizes["pickle"] for pair in measured.pairs)
    assert regressor.layer_unzipped == measured.sizes["pickle"].layer_unzipped
    assert pipeline.layer_unzipped > regressor.layer_unzipped, "pandas is in the pipeline's layer"
    assert "pandas" in measured.versions
    assert totals == [len(ticks)]
    pair_keys = [
        f"{pair}-{table}"
        for pair in ("forest-regressor", "dataframe-pipeline")
        for table in ("cold", "warm", "sizes")
    ]
    keys = ["targets", "models", f"cold-{main.mode}", f"warm-{main.mode}", "sizes", "cost"]
    assert [t.key for t in all_tables(measured)] == [*keys, "metrics", *pair_keys]
    write_outputs(measured, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chart.png", "local.json", "summary.md"]
