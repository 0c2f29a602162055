"""Everything the summary shows, derived from a results document's raw samples.

Kept apart from measuring, so that a recorded results JSON always renders to the same table and
the target logic can be tested without running anything.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tools.benchmarks.dollar_cost import Price, price_per_million, smallest_memory_mb
from tools.benchmarks.init_levers import LEVERS
from tools.benchmarks.stats import median, ratio

MB = 10**6
# The grid's ONNX contender that make convert ships for each forest (convert.export.serving_model).
SHIPPED_VARIANT = "onnx-v5"


@dataclass(frozen=True)
class PerformanceTarget:
    """One target of the issue: what was measured against what was promised."""

    name: str
    measured: float
    bound: float
    comparison: str  # "<=" or ">="
    # What the same run measured that the project cannot go below, and what it is; "" if none.
    limit: str = ""

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


# What a 1,000-row request may cost in the handler beyond predict, as a share of predict.
OVERHEAD_CASE = "http-api, rows as lists"
# The probe's measurement of the stdlib parse alone: part of the handler's time no code of the
# project's can cut (the HTTP body is JSON text; the stdlib's C decoder reads it).
PARSE_CASE = "json.loads of the http-api body"


def overhead_ratios(overhead: dict[str, Any]) -> dict[str, tuple[float, float, float]]:
    """Per request kind: median handler ms, median predict ms, (handler - predict) / predict."""
    samples = overhead["samples_ms"]
    predict = median(samples["predict"])
    return {
        name: (median(values), predict, (median(values) - predict) / predict)
        for name, values in samples.items()
        if name not in ("predict", PARSE_CASE)
    }


def _floor_limit(cold: dict[str, Any], other: str, key: str, what: str) -> str:
    """``0.115: numpy + onnxruntime imported (the floor) / pickle`` from the same run."""
    if "floor" not in cold:
        return ""
    values = cold_totals if key == "total" else (lambda samples: series(samples, key))
    share = _ratio_of_medians(values(cold["floor"]), values(cold[other]))
    return f"{share:.3g}: {what}"


def iris_targets(iris: dict[str, Any]) -> list[PerformanceTarget]:
    """The Iris targets the results can answer: a run without anchors or sizes skips those."""
    cold = iris["cold"]
    if not {"onnx", "pickle"} <= set(cold):
        return []
    warm = iris["warm_ms"]
    floor = "importing numpy + onnxruntime alone (the floor)"
    measured = [
        (
            "cold start (init + first invoke), ONNX / pickle",
            _ratio_of_medians(cold_totals(cold["onnx"]), cold_totals(cold["pickle"])),
            0.12,
            "<=",
            _floor_limit(cold, "pickle", "total", f"{floor} / pickle"),
        ),
        (
            "peak RSS, ONNX / pickle",
            _ratio_of_medians(
                series(cold["onnx"], "peak_rss_mb"), series(cold["pickle"], "peak_rss_mb")
            ),
            0.45,
            "<=",
            _floor_limit(cold, "pickle", "peak_rss_mb", "the floor's peak RSS / pickle"),
        ),
        (
            "warm 1-row invoke, pickle / ONNX (speed-up)",
            _ratio_of_medians(warm["pickle"]["1 row"], warm["onnx"]["1 row"]),
            10,
            ">=",
        ),
    ]
    if "empty" in cold:
        measured.append(
            (
                "cold start, ONNX / empty handler (the runtime alone)",
                _ratio_of_medians(cold_totals(cold["onnx"]), cold_totals(cold["empty"])),
                3.5,
                "<=",
                _floor_limit(cold, "empty", "total", f"{floor} / empty handler"),
            )
        )
    if "floor" in cold:
        init_ratio = _ratio_of_medians(
            series(cold["onnx"], "init_ms"), series(cold["floor"], "init_ms")
        )
        measured.append(
            ("ONNX init / floor init (numpy + onnxruntime imported)", init_ratio, 1.15, "<=")
        )
    if "handler_overhead" in iris:
        overhead = iris["handler_overhead"]
        _, predict, share = overhead_ratios(overhead)[OVERHEAD_CASE]
        parse = overhead["samples_ms"].get(PARSE_CASE)
        measured.append(
            (
                f"in-process {overhead['rows']}-row request, handler time beyond predict / predict",
                share,
                1.0,
                "<=",
                f"{median(parse) / predict:.2f}: {PARSE_CASE} alone / predict" if parse else "",
            )
        )
    if "sizes" in iris:
        sizes = iris["sizes"]
        size_ratio = ratio(deployed_unzipped(sizes["onnx"]), deployed_unzipped(sizes["pickle"]))
        measured.append(("deployed unzipped size, ONNX / pickle", size_ratio, 0.45, "<="))
    return [PerformanceTarget(*entry) for entry in measured]


@dataclass(frozen=True)
class Matchup:
    """One grid point: the shipped ONNX function against the forest as generated code, on cold
    start and on a 1,000-row warm invoke (median ms; None where the code was not generated)."""

    label: str
    nodes: int
    onnx_cold: float
    generated_cold: float | None
    onnx_batch: float
    generated_batch: float | None
    note: str

    def onnx_wins(self, metric: str) -> bool:
        """ONNX is no slower on ``metric`` ("cold" or "batch"); it wins by default where the
        forest is too large to generate."""
        theirs = getattr(self, f"generated_{metric}")
        return theirs is None or getattr(self, f"onnx_{metric}") <= theirs


def matchups(grid: list[dict[str, Any]]) -> list[Matchup]:
    """The grid points, smallest forest first, as ONNX-against-generated-code matchups."""
    found = []
    for point in sorted(grid, key=lambda p: p["nodes"]):
        cold, warm = point["cold"], point.get("warm_ms", {})
        batch = f"{point['batch_rows']} rows"
        built = "generated" in cold
        found.append(
            Matchup(
                point["label"],
                point["nodes"],
                median(cold_totals(cold[SHIPPED_VARIANT])),
                median(cold_totals(cold["generated"])) if built else None,
                median(warm[SHIPPED_VARIANT][batch]),
                median(warm["generated"][batch]) if built else None,
                point.get("generated", {}).get("note", ""),
            )
        )
    return found


def crossover(found: list[Matchup], metric: str) -> Matchup | None:
    """The smallest forest from which ONNX wins ``metric`` at every larger point too, or None
    when generated code wins at the largest one."""
    winner = None
    for matchup in reversed(found):
        if not matchup.onnx_wins(metric):
            break
        winner = matchup
    return winner


@dataclass(frozen=True)
class LeverGain:
    """What one lever saves on the cold start: median with it pulled and undone, per CPU mode."""

    label: str
    shipped: bool
    by_mode: dict[str, tuple[float, float]]

    def gain(self, mode: str) -> float:
        """The share of the cold start the lever saves (undone - pulled) / undone."""
        pulled, undone = self.by_mode[mode]
        return (undone - pulled) / undone


def lever_gains(iris: dict[str, Any], modes: list[str]) -> list[LeverGain]:
    """Every cold-start lever both of whose contenders were measured, in every mode."""
    gains = []
    for lever in LEVERS:
        by_mode = {}
        for mode in modes:
            cold = iris["cold"] if mode == modes[0] else iris[mode]["cold"]
            if lever.pulled in cold and lever.undone in cold:
                by_mode[mode] = (
                    median(cold_totals(cold[lever.pulled])),
                    median(cold_totals(cold[lever.undone])),
                )
        if by_mode:
            gains.append(LeverGain(lever.label, lever.shipped, by_mode))
    return gains


def grid_targets(grid: list[dict[str, Any]]) -> list[PerformanceTarget]:
    """The forest as ``make convert`` ships it against pickle at every grid point (the worst
    one is the target), and batch throughput on the largest forest. The plain skl2onnx export
    is shown in the grid table for reference, not held to a target."""
    shipped = SHIPPED_VARIANT
    worst = max(
        _ratio_of_medians(cold_totals(point["cold"][shipped]), cold_totals(point["cold"]["pickle"]))
        for point in grid
    )
    largest = max(grid, key=lambda point: point["nodes"])
    rows = largest["batch_rows"]
    sklearn = throughput(largest["predict_s"]["scikit-learn"], rows)
    return [
        PerformanceTarget(
            "worst grid point cold start, ONNX (as shipped) / pickle", worst, 1.0, "<="
        ),
        PerformanceTarget(
            f"{largest['label']} forest, {rows}-row batch throughput, ONNX (as shipped) / sklearn",
            ratio(throughput(largest["predict_s"][shipped], rows), sklearn),
            1.0,
            ">=",
        ),
    ]


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
