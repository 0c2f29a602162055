"""Everything the summary shows, derived from a results document's raw samples.

Kept apart from measuring, so that a recorded results JSON always renders to the same table and
the target logic can be tested without running anything.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from benchmarks.dollar_cost import Price, price_per_million, smallest_memory_mb
from benchmarks.stats import median, ratio

MB = 10**6
ONNX_VARIANTS = (
    ("onnx", "plain skl2onnx export"),
    ("onnx-v5", "as shipped by make convert"),
)


@dataclass(frozen=True)
class PerformanceTarget:
    """One target of the issue: what was measured against what was promised."""

    name: str
    measured: float
    bound: float
    comparison: str  # "<=" or ">="

    @property
    def met(self) -> bool:
        """Whether the measured value is on the right side of the bound."""
        compare: Callable[[float, float], bool] = (
            operator.le if self.comparison == "<=" else operator.ge
        )
        return compare(self.measured, self.bound)

    def line(self) -> str:
        """``0.12 / ≤ 0.15 ✓``."""
        symbol = "≤" if self.comparison == "<=" else "≥"
        return f"{self.measured:.3g} / {symbol} {self.bound:g} {'✓' if self.met else '✗'}"


def cold_totals(samples: list[dict[str, float]]) -> list[float]:
    """Init + first invoke of each cold start (ms): what a cold caller waits for."""
    return [s["init_ms"] + s["first_invoke_ms"] for s in samples]


def series(samples: list[dict[str, float]], key: str) -> list[float]:
    """One field of every sample."""
    return [s[key] for s in samples]


def deployed_unzipped(sizes: dict[str, int]) -> int:
    """Function + layer, unzipped: what Lambda counts against 250 MB."""
    return sizes["layer_unzipped"] + sizes["function_unzipped"]


def throughput(seconds: list[float], rows: int) -> float:
    """Rows per second at the median call time."""
    return rows / median(seconds)


def _ratio_of_medians(first: list[float], second: list[float]) -> float:
    return ratio(median(first), median(second))


def iris_targets(iris: dict[str, Any]) -> list[PerformanceTarget]:
    """The Iris targets the results can answer: a run without the floor or sizes skips those."""
    cold = iris["cold"]
    if not {"onnx", "pickle"} <= set(cold):
        return []
    warm = iris["warm_ms"]
    measured = [
        (
            "cold start (init + first invoke), ONNX / pickle",
            _ratio_of_medians(cold_totals(cold["onnx"]), cold_totals(cold["pickle"])),
            0.15,
            "<=",
        ),
        (
            "peak RSS, ONNX / pickle",
            _ratio_of_medians(
                series(cold["onnx"], "peak_rss_mb"), series(cold["pickle"], "peak_rss_mb")
            ),
            0.5,
            "<=",
        ),
        (
            "warm 1-row invoke, pickle / ONNX (speed-up)",
            _ratio_of_medians(warm["pickle"]["1 row"], warm["onnx"]["1 row"]),
            10,
            ">=",
        ),
    ]
    if "sizes" in iris:
        sizes = iris["sizes"]
        size_ratio = ratio(deployed_unzipped(sizes["onnx"]), deployed_unzipped(sizes["pickle"]))
        measured.append(("deployed unzipped size, ONNX / pickle", size_ratio, 0.45, "<="))
    if "floor" in cold:
        init_ratio = _ratio_of_medians(
            series(cold["onnx"], "init_ms"), series(cold["floor"], "init_ms")
        )
        measured.append(("ONNX init / floor init", init_ratio, 1.15, "<="))
    return [PerformanceTarget(*entry) for entry in measured]


def grid_targets(grid: list[dict[str, Any]]) -> list[PerformanceTarget]:
    """Every grid point's ONNX cold start against pickle's (worst point), and batch throughput."""
    targets = []
    for contender, label in ONNX_VARIANTS:
        worst = max(
            _ratio_of_medians(
                cold_totals(point["cold"][contender]), cold_totals(point["cold"]["pickle"])
            )
            for point in grid
        )
        targets.append(
            PerformanceTarget(
                f"worst grid point cold start, ONNX ({label}) / pickle", worst, 1.0, "<="
            )
        )
    largest = max(grid, key=lambda point: point["nodes"])
    rows = largest["batch_rows"]
    sklearn = throughput(largest["predict_s"]["scikit-learn"], rows)
    for contender, label in ONNX_VARIANTS:
        targets.append(
            PerformanceTarget(
                f"{largest['label']} forest, {rows}-row batch throughput, ONNX ({label}) / sklearn",
                ratio(throughput(largest["predict_s"][contender], rows), sklearn),
                1.0,
                ">=",
            )
        )
    return targets


@dataclass(frozen=True)
class Cost:
    """The price of a million cold and a million warm invocations of one contender."""

    contender: str
    memory_mb: int
    cold: Price
    warm: Price


def iris_costs(iris: dict[str, Any]) -> list[Cost]:
    """Cost per contender at the smallest memory size that holds its peak RSS."""
    costs = []
    for contender in [name for name in ("onnx", "pickle") if name in iris["cold"]]:
        cold = iris["cold"][contender]
        memory = smallest_memory_mb(max(series(cold, "peak_rss_mb")))
        costs.append(
            Cost(
                contender,
                memory,
                price_per_million(median(cold_totals(cold)), memory),
                price_per_million(median(iris["warm_ms"][contender]["1 row"]), memory),
            )
        )
    return costs
