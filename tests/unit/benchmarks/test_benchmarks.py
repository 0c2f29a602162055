"""Benchmark arithmetic, parsing and rendering: exact answers on known inputs, nothing timed."""

from __future__ import annotations

import base64
import dataclasses
import json
import math
from pathlib import Path

import pytest

from onnx_serving.card import ModelCard
from tools.benchmarks.__main__ import QUICK_RESULTS, RESULTS, output_dir, with_default_mode
from tools.benchmarks.analysis import PerformanceTarget, costs, targets
from tools.benchmarks.chart import write_chart
from tools.benchmarks.cold_start import alternating
from tools.benchmarks.dollar_cost import billed_ms, price_per_million, smallest_memory_mb
from tools.benchmarks.local import sample_events
from tools.benchmarks.packages import Contender
from tools.benchmarks.report_line import ReportLineError, parse_log_result, parse_report
from tools.benchmarks.results import LAMBDA, BenchmarkRun, PairResults
from tools.benchmarks.stats import Summary, median, percentile, ratio
from tools.benchmarks.summary import render_markdown
from tools.benchmarks.tables import all_tables

RECORDED = Path(__file__).parent / "benchmark_run.json"

# Log tails as Lambda returns them with LogType=Tail (START / END / REPORT, tab-separated).
COLD_TAIL = (
    "START RequestId: 6e1c7f7a-8d0e-4f54-9c52-1f0b7c1b2d11 Version: $LATEST\n"
    '{"level": "INFO", "request_id": "6e1c7f7a", "status": 200}\n'
    "END RequestId: 6e1c7f7a-8d0e-4f54-9c52-1f0b7c1b2d11\n"
    "REPORT RequestId: 6e1c7f7a-8d0e-4f54-9c52-1f0b7c1b2d11\tDuration: 3.47 ms\t"
    "Billed Duration: 416 ms\tMemory Size: 512 MB\tMax Memory Used: 71 MB\t"
    "Init Duration: 411.92 ms\t\n"
)
WARM_TAIL = (
    "START RequestId: 0b6a1d2e-77c4-4c0e-a1f9-3c4d5e6f7a8b Version: $LATEST\n"
    "END RequestId: 0b6a1d2e-77c4-4c0e-a1f9-3c4d5e6f7a8b\n"
    "REPORT RequestId: 0b6a1d2e-77c4-4c0e-a1f9-3c4d5e6f7a8b\tDuration: 1.12 ms\t"
    "Billed Duration: 2 ms\tMemory Size: 512 MB\tMax Memory Used: 72 MB\t\n"
)


@pytest.fixture
def run() -> BenchmarkRun:
    return BenchmarkRun.from_json(RECORDED.read_text())


class TestStatistics:
    def test_median_odd_and_even(self):
        assert median([5, 1, 3]) == 3
        assert median([4, 1, 3, 2]) == 2.5

    def test_nearest_rank_percentiles_are_observed_samples(self):
        samples = list(range(1, 101))
        assert percentile(samples, 50) == 50
        assert percentile(samples, 99) == 99
        assert percentile(samples, 100) == 100
        assert percentile([7, 1, 3], 99) == 7

    @pytest.mark.parametrize("q", [0, -1, 101])
    def test_percentile_rejects_out_of_range(self, q):
        with pytest.raises(ValueError):
            percentile([1.0], q)

    def test_empty_samples_are_refused(self):
        with pytest.raises(ValueError):
            median([])

    def test_summary_and_spread(self):
        summary = Summary.of([3.0, 1.0, 2.0, 10.0])
        assert summary == Summary(n=4, median=2.5, p99=10.0, low=1.0, high=10.0)
        assert summary.spread(1) == "2.5 [1.0–10.0]"

    def test_ratio_by_zero_is_infinite(self):
        assert ratio(1, 0) == math.inf
        assert ratio(1, 4) == 0.25


class TestCost:
    @pytest.mark.parametrize(
        ("peak", "memory"), [(10, 128), (128, 128), (128.5, 192), (200, 256), (1100, 1152)]
    )
    def test_smallest_memory_size(self, peak, memory):
        assert smallest_memory_mb(peak) == memory

    def test_memory_beyond_lambda_is_refused(self):
        with pytest.raises(ValueError):
            smallest_memory_mb(20_000)

    def test_billing_rounds_up_to_the_millisecond(self):
        assert billed_ms(1.0) == 1
        assert billed_ms(1.0001) == 2

    def test_price_of_a_million_invocations(self):
        # 1 M × 0.5 GB × 0.3 s = 150,000 GB-s × $0.0000166667 = $2.500005, + $0.20 requests.
        price = price_per_million(299.2, 512)
        assert price.billed_ms == 300
        assert price.usd == pytest.approx(2.700005)


class TestReportLine:
    def test_cold_report(self):
        report = parse_report(COLD_TAIL)
        assert report.request_id == "6e1c7f7a-8d0e-4f54-9c52-1f0b7c1b2d11"
        assert report.duration_ms == 3.47
        assert report.billed_duration_ms == 416
        assert report.memory_size_mb == 512
        assert report.max_memory_used_mb == 71
        assert report.init_duration_ms == 411.92
        assert report.cold

    def test_warm_report_has_no_init(self):
        report = parse_report(WARM_TAIL)
        assert report.init_duration_ms is None
        assert not report.cold
        assert report.duration_ms == 1.12

    def test_base64_log_result(self):
        encoded = base64.b64encode(COLD_TAIL.encode()).decode()
        assert parse_log_result(encoded).init_duration_ms == 411.92

    @pytest.mark.parametrize(
        "tail",
        ["START RequestId: x Version: $LATEST\n", "REPORT RequestId: x\tDuration: 1.00 ms\n"],
        ids=["no-report", "truncated-report"],
    )
    def test_incomplete_tails_are_errors(self, tail):
        with pytest.raises(ReportLineError):
            parse_report(tail)


class TestTargets:
    def test_targets_from_a_recorded_run(self, run):
        lines = {t.name: (round(t.measured, 4), t.met) for t in targets(run)}
        assert lines == {
            "cold start (init + first invoke), ONNX / pickle": (0.1, True),
            "peak RSS, ONNX / pickle": (0.5, False),
            "warm 1-row invoke, pickle / ONNX (speed-up)": (5.0, False),
            "cold start, ONNX / empty handler (the runtime alone)": (3.3333, True),
            "ONNX init / floor init (numpy + onnxruntime imported)": (1.2, False),
            "deployed unzipped size, ONNX / pickle": (0.4, True),
        }

    def test_each_target_names_the_least_this_design_can_reach(self, run):
        limits = {t.name: t.limit for t in targets(run)}
        floor = "importing numpy + onnxruntime alone (the floor)"
        assert limits == {
            "cold start (init + first invoke), ONNX / pickle": f"0.083: {floor} / pickle",
            "peak RSS, ONNX / pickle": "0.45: the floor's peak RSS / pickle",
            "warm 1-row invoke, pickle / ONNX (speed-up)": "",
            "cold start, ONNX / empty handler (the runtime alone)": (
                f"2.77: {floor} / empty handler"
            ),
            "ONNX init / floor init (numpy + onnxruntime imported)": "",
            "deployed unzipped size, ONNX / pickle": "",
        }

    def test_target_lines(self):
        assert PerformanceTarget("x", 0.12, 0.15, "<=").line() == "0.12 / ≤ 0.15"
        assert PerformanceTarget("x", 5, 10, ">=").line() == "5 / ≥ 10"
        assert not PerformanceTarget("x", 5, 10, ">=").met

    def test_a_run_without_anchors_or_sizes_skips_those_targets(self, run):
        main = run.main
        compared = {name: main.cold[name] for name in ("onnx", "pickle")}
        bare = dataclasses.replace(run, modes=[dataclasses.replace(main, cold=compared)], sizes={})
        assert [t.name for t in targets(bare)] == [
            "cold start (init + first invoke), ONNX / pickle",
            "peak RSS, ONNX / pickle",
            "warm 1-row invoke, pickle / ONNX (speed-up)",
        ]
        assert all(t.limit == "" for t in targets(bare))

    def test_costs(self, run):
        onnx, pickle = costs(run.main)
        assert (onnx.memory_mb, onnx.cold.billed_ms, onnx.warm.billed_ms) == (128, 101, 1)
        assert (pickle.memory_mb, pickle.cold.billed_ms) == (192, 1010)
        assert onnx.cold.usd == pytest.approx(128 / 1024 * 0.101 * 1e6 * 0.0000166667 + 0.2)


class TestResults:
    def test_a_run_survives_its_json(self, run):
        assert BenchmarkRun.from_json(run.to_json()) == run

    def test_the_main_mode_is_the_first(self, run):
        assert [mode.mode for mode in run.modes] == ["one-cpu", "free"]
        assert run.main.mode == "one-cpu"
        assert run.sizes["onnx"].deployed_unzipped == 80_000_000


class TestRendering:
    def test_markdown_summary(self, run):
        markdown = render_markdown(run)
        assert markdown.startswith("# Benchmark results (local)\n")
        assert "### Targets (measured / target; one CPU of time, 2 visible)\n" in markdown
        assert "| cold start (init + first invoke), ONNX / pickle | 0.1 / ≤ 0.12 | yes |" in (
            markdown
        )
        assert "| onnx | 3 | 100 [90–110] | 1.0 [1.0–1.0] | 101 [91–111] | 50 [50–50] |" in (
            markdown
        )
        assert "| onnx | 79.9 | 27.0 | 0.1 | 0.0 | 80.0 | yes |" in markdown
        assert markdown.rstrip().endswith("![benchmark chart](chart.png)")

    def test_the_summary_names_the_model_measured_when_the_run_recorded_it(self, run):
        named = dataclasses.replace(run, model="flats 3", task="regressor")
        assert render_markdown(named).startswith(
            "# Benchmark results (local, model flats 3 (regressor))\n"
        )
        assert BenchmarkRun.from_json(named.to_json()) == named

    def test_each_cpu_mode_has_its_own_cold_and_warm_table(self, run):
        markdown = render_markdown(run)
        assert "### Cold start (ms, median [min–max]; free CPU)\n" in markdown
        assert "| onnx | 3 | 75 [70–80] | 1.0 [1.0–1.0] | 76 [71–81] | 50 [50–50] |" in markdown
        assert "### Warm invoke (ms; free CPU)\n" in markdown

    def test_every_section_renders(self, run):
        assert [table.key for table in all_tables(run)] == [
            "targets",
            "cold-one-cpu",
            "cold-free",
            "warm-one-cpu",
            "warm-free",
            "sizes",
            "cost",
        ]

    def test_aws_results_render_without_local_sections(self, run):
        main = run.main
        aws = dataclasses.replace(
            run, kind="aws", modes=[dataclasses.replace(main, mode=LAMBDA)], sizes={}
        )
        assert [table.key for table in all_tables(aws)] == [
            "targets",
            "cold-lambda",
            "warm-lambda",
            "cost",
        ]
        assert "### Targets (measured / target; Lambda's own CPU)" in render_markdown(aws)

    def test_the_chart_is_a_png(self, run, tmp_path):
        write_chart(run, tmp_path / "chart.png")
        assert (tmp_path / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def with_pair(run) -> BenchmarkRun:
    """The recorded run with one model pair, measured as the recorded free mode was."""
    free = run.modes[1]
    measured = dataclasses.replace(
        free,
        mode="one-cpu",
        cold={name: free.cold[name] for name in ("onnx", "pickle", "empty")},
        warm_ms={
            name: {"1 row": free.warm_ms[name]["1 row"], "100 rows": [2, 3, 4]}
            for name in ("onnx", "pickle")
        },
    )
    pair = PairResults(
        name="forest-regressor",
        description="RandomForestRegressor(100) on diabetes",
        model="model 1",
        task="regressor",
        cold_starts=3,
        warm_rounds=3,
        measured=measured,
        sizes=run.sizes,
        pickle_layer="sklearn-pandas",
    )
    return dataclasses.replace(run, pairs=[pair])


class TestModelPairs:
    def test_a_run_with_pairs_survives_its_json(self, with_pair):
        assert BenchmarkRun.from_json(with_pair.to_json()) == with_pair

    def test_pair_tables_follow_the_served_model_s(self, with_pair):
        assert [table.key for table in all_tables(with_pair)] == [
            "targets",
            "models",
            "cold-one-cpu",
            "cold-free",
            "warm-one-cpu",
            "warm-free",
            "sizes",
            "cost",
            "forest-regressor-cold",
            "forest-regressor-warm",
            "forest-regressor-sizes",
        ]

    def test_the_models_table_sets_the_served_model_beside_each_pair(self, with_pair):
        named = dataclasses.replace(with_pair, model="iris 1", task="classifier")
        [models] = [table for table in all_tables(named) if table.key == "models"]
        assert models.title == "Models, ONNX / pickle (medians; one CPU of time, 2 visible)"
        assert models.rows == [
            [
                "served: model iris 1 (classifier)",
                "101 / 1010",
                "50 / 100",
                "80.0 / 200.0",
                "1.00 / 5.00",
            ],
            [
                "forest-regressor: RandomForestRegressor(100) on diabetes (regressor)",
                "76 / 820",
                "50 / 100",
                "80.0 / 200.0",
                "0.80 / 4.00",
            ],
        ]

    def test_each_pair_table_names_the_model_and_its_samples(self, with_pair):
        markdown = render_markdown(with_pair)
        named = "forest-regressor: RandomForestRegressor(100) on diabetes (regressor)"
        assert (
            f"### {named}. Cold start (ms, median [min–max]; one CPU of time, 2 visible)\n"
        ) in markdown
        assert "| onnx | 3 | 75 [70–80] | 1.0 [1.0–1.0] | 76 [71–81] | 50 [50–50] |" in markdown
        assert "3 cold starts per contender, fewer than the served model's" in markdown
        assert f"### {named}. Warm invoke (ms; one CPU of time, 2 visible)\n" in markdown
        assert "| pickle | 4.00 | 4.00 | 3.00 | 4.00 |" in markdown
        assert f"### {named}. Package sizes (MB)\n" in markdown
        assert (
            "The pickle baseline's layer: sklearn-pandas, locked in tools/baseline/layer/pandas/."
        ) in markdown

    def test_beside_pairs_the_served_model_s_tables_name_it(self, with_pair):
        named = dataclasses.replace(with_pair, model="iris 1", task="classifier")
        titles = {table.key: table.title for table in all_tables(named)}
        served = "served: model iris 1 (classifier)"
        assert titles["cold-free"] == f"{served}. Cold start (ms, median [min–max]; free CPU)"
        assert titles["warm-one-cpu"] == f"{served}. Warm invoke (ms; one CPU of time, 2 visible)"
        assert titles["sizes"] == f"{served}. Package sizes (MB)"

    def test_a_run_without_pairs_has_no_models_table(self, run):
        assert "models" not in [table.key for table in all_tables(run)]


def test_contenders_alternate_and_flip():
    a, b = Contender("a", Path("a"), ()), Contender("b", Path("b"), ())
    assert [c.name for c in alternating([a, b], 3)] == ["a", "b", "b", "a", "a", "b"]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], ["local"]),
        (["--quick"], ["local", "--quick"]),
        (["batch", "--rows", "10"], ["batch", "--rows", "10"]),
        (["aws", "--region", "eu-west-1"], ["aws", "--region", "eu-west-1"]),
        (["-h"], ["-h"]),
    ],
    ids=["bare", "local-options", "batch", "aws", "help"],
)
def test_the_local_benchmark_is_the_default_mode(argv, expected):
    assert with_default_mode(argv) == expected


def test_a_smoke_run_never_writes_over_the_committed_results(tmp_path):
    assert output_dir(None, quick=False) == RESULTS
    assert output_dir(None, quick=True) == QUICK_RESULTS
    assert output_dir(tmp_path, quick=True) == tmp_path


def test_sample_events_are_one_row_and_a_batch_of_the_served_model(model_dir):
    events = {
        label: json.loads(body)
        for label, body in sample_events(ModelCard.load(model_dir / "model.json")).items()
    }
    assert list(events) == ["1 row", "1000 rows"]
    assert len(events["1 row"]["features"]) == 4
    assert [len(row) for row in events["1000 rows"]["instances"]] == [4] * 1000


def test_a_pair_s_batch_event_has_the_rows_asked_for(model_dir):
    card = ModelCard.load(model_dir / "model.json")
    events = {label: json.loads(body) for label, body in sample_events(card, 100).items()}
    assert list(events) == ["1 row", "100 rows"]
    assert [len(row) for row in events["100 rows"]["instances"]] == [4] * 100
