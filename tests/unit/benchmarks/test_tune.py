"""make tune's arithmetic and choice: percentiles parsed, quotas per size, prices, the cheapest
size meeting a goal, the table's verdicts; exact answers on made-up samples, nothing timed."""

from __future__ import annotations

import pytest

from onnx_serving.card import ModelCard
from tools.benchmarks.__main__ import parser
from tools.benchmarks.dollar_cost import price_per_million
from tools.benchmarks.results import ColdSample, Machine
from tools.benchmarks.tune import (
    GOAL_BATCH,
    GOAL_COLD,
    MEMORY_SIZES_MB,
    Goal,
    SizeResult,
    TuneRun,
    batch_rows,
    cheapest,
    parse_percentile,
    quota_for,
    render_markdown,
    template_memory,
    verdict,
)
from tools.local_lambda.cpu_quota import CpuLimit

BATCH = "1000 rows"


def size(
    memory_mb: int,
    one_row_ms: list[float],
    cold_ms: float = 199.5,
    peak_rss_mb: float = 60.0,
    batch_ms: list[float] | None = None,
) -> SizeResult:
    """A size whose cold start is ``cold_ms`` of init + 0.5 ms of first invoke."""
    return SizeResult(
        memory_mb,
        memory_mb / 1769,
        [ColdSample(cold_ms, 0.5, peak_rss_mb - 1)],
        {"1 row": one_row_ms, BATCH: batch_ms or [20.0]},
        peak_rss_mb,
    )


def tune_run(results: list[SizeResult], chosen_mb: int | None, goal: Goal) -> TuneRun:
    return TuneRun(
        created_utc="2026-12-04T15:00:00Z",
        machine=Machine("test machine", 0.5, 0.7),
        versions={"onnxruntime": "1.31.1"},
        model="iris 1",
        visible_cpus=2,
        goal=goal,
        cold_percent=1.0,
        batch_label=BATCH,
        template_default_mb=512,
        floor_mb=512,
        cold_starts=1,
        warm_rounds=3,
        results=results,
        chosen_mb=chosen_mb,
    )


@pytest.mark.parametrize(
    ("text", "value"), [("p99", 99.0), ("p99.9", 99.9), ("95", 95.0), ("median", 50.0)]
)
def test_percentiles_as_make_passes_them(text, value):
    assert parse_percentile(text) == value


@pytest.mark.parametrize("text", ["p0", "p101", "fast", "", "p-5"])
def test_what_is_not_a_percentile_is_refused(text):
    with pytest.raises(ValueError, match="not a percentile"):
        parse_percentile(text)


def test_the_command_line_takes_make_tunes_variables():
    args = parser().parse_args(
        [
            "tune",
            "--goal-ms",
            "20",
            "--percentile",
            "p95",
            "--goal-on",
            "batch",
            "--sizes",
            "128,3008",
        ]
    )
    assert (args.goal_ms, args.percentile, args.goal_on, args.sizes) == (
        20.0,
        95.0,
        "batch",
        (128, 3008),
    )
    defaults = parser().parse_args(["tune"])
    assert (defaults.percentile, defaults.sizes, defaults.floor_mb) == (99.0, MEMORY_SIZES_MB, None)


def test_sizes_run_from_lambdas_smallest_through_one_vcpu_to_3008_and_the_largest():
    assert MEMORY_SIZES_MB == (128, 256, 512, 768, 1024, 1536, 1769, 2048, 3008, 10_240)


@pytest.mark.parametrize(
    ("memory_mb", "cpus"),
    [(128, 128 / 1769), (1769, 1.0), (3008, 3008 / 1769), (10_240, 2.0)],
)
def test_each_size_gets_lambdas_cpu_share_capped_at_the_cpus_visible(memory_mb, cpus):
    assert quota_for(memory_mb, visible_cpus=2) == CpuLimit(cpus)


def test_arm64_is_priced_at_its_own_rate():
    # 1 M × 0.5 GB × 0.3 s = 150,000 GB-s × $0.0000133334 = $2.00001, + $0.20 requests.
    assert price_per_million(299.2, 512, "arm64").usd == pytest.approx(2.20001)


def test_a_share_of_requests_pays_for_a_cold_start():
    result = size(1024, [0.4, 0.6, 10.0])
    # Warm: 1,000 GB-s (1 GB × 1 ms billed × 1 M) = $0.0166667 + $0.20.
    # Cold: 200,000 GB-s (init 199.5 + 0.5 ms) = $3.33334 + $0.20. 99% warm, 1% cold.
    expected = 0.99 * 0.2166667 + 0.01 * 3.53334
    assert result.price_per_million(Goal(), BATCH, 0.01, "x86_64") == pytest.approx(expected)


def test_a_batch_goal_prices_the_batch_request():
    result = size(1024, [0.6], batch_ms=[19.2, 19.9, 40.0])
    # 1 GB × 20 ms billed × 1 M = 20,000 GB-s = $0.333334, + $0.20; nothing cold.
    assert result.price_per_million(Goal(kind=GOAL_BATCH), BATCH, 0.0, "x86_64") == pytest.approx(
        0.533334
    )


def test_the_goal_is_judged_at_its_percentile():
    result = size(1024, [0.4, 0.6, 10.0])
    assert not result.meets(Goal(5.0, 99.0), BATCH)
    assert result.meets(Goal(5.0, 50.0), BATCH)
    assert result.meets(Goal(200.0, 50.0, GOAL_COLD), BATCH)
    assert not result.meets(Goal(199.0, 50.0, GOAL_COLD), BATCH)


def test_peak_rss_is_the_largest_of_cold_and_warm():
    result = SizeResult(512, 0.29, [ColdSample(1, 1, 70.0), ColdSample(1, 1, 55.0)], {}, 65.0)
    assert result.peak_rss_mb == 70.0


def test_the_cheapest_size_meeting_the_goal_is_chosen():
    results = [
        size(256, [90.0]),  # misses the goal
        size(512, [3.0], peak_rss_mb=600.0),  # does not hold its peak
        size(1024, [2.0]),
        size(2048, [1.0], cold_ms=399.5),  # as fast per GB but a dearer cold start
    ]
    assert cheapest(results, Goal(10.0), BATCH, 0.01, floor_mb=128).memory_mb == 1024
    assert cheapest(results, Goal(10.0), BATCH, 0.01, floor_mb=2048).memory_mb == 2048
    assert cheapest(results, Goal(0.5), BATCH, 0.01, floor_mb=128) is None


def test_a_tie_in_price_goes_to_the_smaller_size():
    results = [size(2048, [1.0], cold_ms=99.5), size(1024, [2.0], cold_ms=199.5)]
    assert cheapest(results, Goal(10.0), BATCH, 0.01, floor_mb=128).memory_mb == 1024


def test_the_table_marks_the_choice_and_says_why_each_other_size_is_not_it():
    results = [
        size(256, [1.0]),
        size(512, [90.0]),
        size(768, [1.0], peak_rss_mb=800.0),
        size(1024, [1.0]),
        size(2048, [1.0]),
    ]
    run = tune_run(results, 1024, Goal(10.0))
    assert [verdict(r, run) for r in results] == [
        "below the 512 MB floor",
        "misses the goal",
        "peak RSS over the size",
        "**cheapest meeting the goal**",
        "meets the goal",
    ]
    text = render_markdown(run)
    assert "Goal: p99 of a warm 1-row request ≤ 10 ms." in text
    assert (
        "| 1,024 | 0.58 | 200 [200–200] | 1.0 / 1.0 | 20.0 / 20.0 | 60 | 0.2498 | 0.2399 |" in text
    )
    assert (
        "Proposed MemorySize: 1024 MB; template.yaml's default is 512 MB. Below the 512 MB floor, "
        "256 MB would meet the goal for $0.2125 per million on x86_64."
    ) in text


def test_capped_quotas_say_what_lambda_would_give():
    capped = SizeResult(
        10_240, 2.0, [ColdSample(99.5, 0.5, 60.0)], {"1 row": [1.0], BATCH: [9.0]}, 60.0
    )
    text = render_markdown(tune_run([capped], None, Goal(0.1)))
    assert f"| 10,240 | 2.00 (Lambda {10_240 / 1769:.2f}) |" in text
    assert "No size of 512 MB or more meets the goal and holds its peak RSS" in text


def test_the_batch_request_is_capped_by_the_deployers_limit(model_dir):
    card = ModelCard.load(model_dir / "model.json")
    assert batch_rows(card, 1000) == 1000
    assert batch_rows(card, 10) == 10


def test_the_templates_memory_bounds_are_read(tmp_path):
    template = tmp_path / "template.yaml"
    template.write_text(
        "Parameters:\n  MemorySize:\n    Type: Number\n    Default: 1024\n    MinValue: 256\n"
    )
    assert template_memory(template) == (1024, 256)
