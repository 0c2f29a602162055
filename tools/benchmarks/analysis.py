"""The targets and costs the summary shows, derived from a run's raw samples.

Kept apart from measuring, so that a recorded run always renders to the same table and the
target logic can be tested without running anything.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass

from tools.benchmarks.dollar_cost import Price, price_per_million, smallest_memory_mb
from tools.benchmarks.results import BenchmarkRun, ColdSample, ModeResults
from tools.benchmarks.stats import median, ratio

# The contenders a run compares, and its anchors: a handler importing nothing (the runtime
# alone) and one importing numpy and onnxruntime only (the floor no ONNX function goes below).
ONNX, PICKLE, EMPTY, FLOOR = "onnx", "pickle", "empty", "floor"
ONE_ROW = "1 row"
FLOOR_WORDS = "importing numpy + onnxruntime alone (the floor)"


@dataclass(frozen=True)
class PerformanceTarget:
    """One target: what was measured against what was promised, and what the same run measured
    for the part no change to this project can cut ("" if none)."""

    name: str
    measured: float
    bound: float
    comparison: str  # "<=" or ">="
    limit: str = ""

    @property
    def met(self) -> bool:
        """Whether the measured value is on the right side of the bound."""
        compare: Callable[[float, float], bool] = (
            operator.le if self.comparison == "<=" else operator.ge
        )
        return compare(self.measured, self.bound)

    def line(self) -> str:
        """``0.12 / ≤ 0.15``."""
        symbol = "≤" if self.comparison == "<=" else "≥"
        return f"{self.measured:.3g} / {symbol} {self.bound:g}"


def cold_medians(samples: list[ColdSample]) -> ColdSample:
    """The median of each field: init, first invoke and peak RSS."""
    return ColdSample(
        median([s.init_ms for s in samples]),
        median([s.first_invoke_ms for s in samples]),
        median([s.peak_rss_mb for s in samples]),
    )


def median_total(samples: list[ColdSample]) -> float:
    """Median init + first invoke (ms)."""
    return median([s.total_ms for s in samples])


def _total_ratio(cold: dict[str, list[ColdSample]], first: str, second: str) -> float:
    return ratio(median_total(cold[first]), median_total(cold[second]))


def _floor_limit(cold: dict[str, list[ColdSample]], other: str, what: str) -> str:
    """``0.115: <what>`` (the floor over ``other``, cold totals) from the same run."""
    return f"{_total_ratio(cold, FLOOR, other):.3g}: {what}" if FLOOR in cold else ""


def targets(run: BenchmarkRun) -> list[PerformanceTarget]:
    """The targets a run can answer, in its main CPU mode: one without anchors or sizes skips
    those."""
    cold, warm = run.main.cold, run.main.warm_ms
    if not {ONNX, PICKLE} <= set(cold):
        return []
    medians = {name: cold_medians(samples) for name, samples in cold.items()}
    found = [
        PerformanceTarget(
            "cold start (init + first invoke), ONNX / pickle",
            _total_ratio(cold, ONNX, PICKLE),
            0.12,
            "<=",
            _floor_limit(cold, PICKLE, f"{FLOOR_WORDS} / pickle"),
        ),
        PerformanceTarget(
            "peak RSS, ONNX / pickle",
            ratio(medians[ONNX].peak_rss_mb, medians[PICKLE].peak_rss_mb),
            0.45,
            "<=",
            f"{ratio(medians[FLOOR].peak_rss_mb, medians[PICKLE].peak_rss_mb):.3g}: "
            "the floor's peak RSS / pickle"
            if FLOOR in medians
            else "",
        ),
        PerformanceTarget(
            "warm 1-row invoke, pickle / ONNX (speed-up)",
            ratio(median(warm[PICKLE][ONE_ROW]), median(warm[ONNX][ONE_ROW])),
            10,
            ">=",
        ),
    ]
    if EMPTY in cold:
        found.append(
            PerformanceTarget(
                "cold start, ONNX / empty handler (the runtime alone)",
                _total_ratio(cold, ONNX, EMPTY),
                3.5,
                "<=",
                _floor_limit(cold, EMPTY, f"{FLOOR_WORDS} / empty handler"),
            )
        )
    if FLOOR in cold:
        found.append(
            PerformanceTarget(
                "ONNX init / floor init (numpy + onnxruntime imported)",
                ratio(medians[ONNX].init_ms, medians[FLOOR].init_ms),
                1.15,
                "<=",
            )
        )
    if {ONNX, PICKLE} <= set(run.sizes):
        found.append(
            PerformanceTarget(
                "deployed unzipped size, ONNX / pickle",
                ratio(run.sizes[ONNX].deployed_unzipped, run.sizes[PICKLE].deployed_unzipped),
                0.45,
                "<=",
            )
        )
    return found


@dataclass(frozen=True)
class Cost:
    """The price of a million cold and a million warm invocations of one contender."""

    contender: str
    memory_mb: int
    cold: Price
    warm: Price


def costs(mode: ModeResults) -> list[Cost]:
    """Cost per compared contender at the smallest memory size that holds its worst peak RSS."""
    found = []
    for contender in (name for name in (ONNX, PICKLE) if name in mode.cold):
        cold = mode.cold[contender]
        memory = smallest_memory_mb(max(s.peak_rss_mb for s in cold))
        found.append(
            Cost(
                contender,
                memory,
                price_per_million(median_total(cold), memory),
                price_per_million(median(mode.warm_ms[contender][ONE_ROW]), memory),
            )
        )
    return found
