"""The PNG chart: cold start, memory, how cold start grows with the forest, and the levers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.axes import Axes

from tools.benchmarks.analysis import cold_totals, series
from tools.benchmarks.stats import median
from tools.benchmarks.tables import cpu_modes, mode_title

COLOURS = {
    "empty": "#cfcfcf",
    "floor": "#9e9e9e",
    "generated": "#2ca02c",
    "onnx": "#1f77b4",
    "onnx-v5": "#17becf",
    "pickle": "#d62728",
}


def _label_bar(axes: Axes, x: float, y: float, text: str) -> None:
    axes.annotate(text, (x, y), ha="center", va="bottom", xytext=(0, 4), textcoords="offset points")


# The Iris contenders drawn, in this order, when measured: the anchors, then the two compared.
CHART_CONTENDERS = ("empty", "generated", "floor", "onnx", "pickle")
MODE_HATCHES = ("", "//")


def _cold_panel(axes: Axes, results: dict[str, Any]) -> None:
    modes = cpu_modes(results)
    main = results["iris"]["cold"]
    names = [n for n in CHART_CONTENDERS if n in main] or list(main)
    width = 0.8 / len(modes)
    for offset, mode in enumerate(modes):
        cold = main if offset == 0 else results["iris"][mode]["cold"]
        shown = [n for n in names if n in cold]
        positions = [names.index(n) + (offset - (len(modes) - 1) / 2) * width for n in shown]
        totals = [median(cold_totals(cold[n])) for n in shown]
        axes.bar(
            positions,
            totals,
            width,
            color=[COLOURS.get(n, "#555555") for n in shown],
            hatch=MODE_HATCHES[offset % len(MODE_HATCHES)],
            edgecolor="white",
            label=mode_title(results, mode),
        )
        for x, total in zip(positions, totals, strict=True):
            _label_bar(axes, x, total, f"{total:.0f}")
    axes.set_xticks(range(len(names)), names)
    axes.set_title("Iris: cold start = init + first invoke (median ms)")
    axes.set_ylabel("ms")
    axes.set_yscale("log")
    axes.legend(loc="upper left", fontsize=8)


def _memory_panel(axes: Axes, cold: dict[str, list[dict[str, float]]]) -> None:
    names = [n for n in CHART_CONTENDERS if n in cold] or list(cold)
    peaks = [median(series(cold[n], "peak_rss_mb")) for n in names]
    axes.bar(names, peaks, color=[COLOURS.get(n, "#555555") for n in names])
    for index, peak in enumerate(peaks):
        _label_bar(axes, index, peak, f"{peak:.0f} MB")
    axes.set_title("Iris: peak RSS (Max Memory Used)")
    axes.set_ylabel("MB")


def _grid_panel(axes: Axes, grid: list[dict[str, Any]]) -> None:
    points = sorted(grid, key=lambda p: p["nodes"])
    positions = range(len(points))
    names = [n for n in ("generated", "onnx", "onnx-v5", "pickle") if n in points[0]["cold"]]
    width = 0.8 / len(names)
    for offset, name in enumerate(names):
        measured = [(x, p) for x, p in zip(positions, points, strict=True) if name in p["cold"]]
        values = [median(cold_totals(p["cold"][name])) for _, p in measured]
        shifted = [x + (offset - (len(names) - 1) / 2) * width for x, _ in measured]
        axes.bar(shifted, values, width, color=COLOURS[name], label=name)
    axes.set_xticks(
        list(positions), [f"{p['label']}\n{p['nodes']:,} nodes" for p in points], fontsize=8
    )
    axes.set_title("Forest grid: cold start (median init + first invoke)")
    axes.set_ylabel("ms")
    axes.legend(loc="upper left")


def _lever_panel(axes: Axes, levers: dict[str, Any]) -> None:
    keys = list(levers["results"])
    values = [median([s["session_ms"] for s in levers["results"][k]["samples"]]) for k in keys]
    axes.barh(range(len(keys)), values, color="#1f77b4")
    axes.set_yticks(range(len(keys)), keys, fontsize=8)
    axes.invert_yaxis()
    for index, value in enumerate(values):
        axes.annotate(
            f"{value:.0f}",
            (value, index),
            va="center",
            xytext=(3, 0),
            textcoords="offset points",
            fontsize=8,
        )
    axes.set_title(f"Export options, {levers['forest']} forest: InferenceSession creation (ms)")
    axes.set_xlabel("median ms (keys: see the levers table in summary.md)")


def write_chart(results: dict[str, Any], path: Path) -> None:
    """Draw the panels the results support into ``path``."""
    panels = []
    if "iris" in results:
        panels += [(_cold_panel, results), (_memory_panel, results["iris"]["cold"])]
    if results.get("grid"):
        panels.append((_grid_panel, results["grid"]))
    if results.get("levers"):
        panels.append((_lever_panel, results["levers"]))
    columns = 2 if len(panels) > 1 else 1
    rows = (len(panels) + 1) // 2
    figure, axes = plt.subplots(rows, columns, figsize=(7 * columns, 4.5 * rows), squeeze=False)
    for (draw, data), axis in zip(panels, axes.flat, strict=False):
        draw(axis, data)
    for axis in list(axes.flat)[len(panels) :]:
        axis.set_visible(False)
    figure.suptitle(f"onnx-lambda benchmark ({results['mode']}, {results['created_utc']})")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
