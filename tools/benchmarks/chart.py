"""The PNG chart README shows: cold start per CPU mode, and peak memory, per contender."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.axes import Axes

from tools.benchmarks.analysis import EMPTY, FLOOR, ONNX, PICKLE, cold_medians, median_total
from tools.benchmarks.results import BenchmarkRun, model_words
from tools.benchmarks.tables import mode_title

# The contenders drawn, in this order: the anchors, then the two compared.
DRAWN = (EMPTY, FLOOR, ONNX, PICKLE)
COLOURS = {EMPTY: "#cfcfcf", FLOOR: "#9e9e9e", ONNX: "#1f77b4", PICKLE: "#d62728"}
MODE_HATCHES = ("", "//")


def _label_bar(axes: Axes, x: float, y: float, text: str) -> None:
    axes.annotate(text, (x, y), ha="center", va="bottom", xytext=(0, 4), textcoords="offset points")


def _cold_panel(axes: Axes, run: BenchmarkRun) -> None:
    names = [n for n in DRAWN if n in run.main.cold]
    width = 0.8 / len(run.modes)
    for offset, mode in enumerate(run.modes):
        shown = [n for n in names if n in mode.cold]
        positions = [names.index(n) + (offset - (len(run.modes) - 1) / 2) * width for n in shown]
        totals = [median_total(mode.cold[n]) for n in shown]
        axes.bar(
            positions,
            totals,
            width,
            color=[COLOURS[n] for n in shown],
            hatch=MODE_HATCHES[offset % len(MODE_HATCHES)],
            edgecolor="white",
            label=mode_title(run, mode.mode),
        )
        for x, total in zip(positions, totals, strict=True):
            _label_bar(axes, x, total, f"{total:.0f}")
    axes.set_xticks(range(len(names)), names)
    axes.set_title("Cold start = init + first invoke (median ms)")
    axes.set_ylabel("ms")
    axes.set_yscale("log")
    axes.legend(loc="upper left", fontsize=8)


def _memory_panel(axes: Axes, run: BenchmarkRun) -> None:
    names = [n for n in DRAWN if n in run.main.cold]
    peaks = [cold_medians(run.main.cold[n]).peak_rss_mb for n in names]
    axes.bar(names, peaks, color=[COLOURS[n] for n in names])
    for index, peak in enumerate(peaks):
        _label_bar(axes, index, peak, f"{peak:.0f} MB")
    axes.set_title(f"Peak RSS (Max Memory Used; {mode_title(run, run.main.mode)})")
    axes.set_ylabel("MB")


def write_chart(run: BenchmarkRun, path: Path) -> None:
    """Draw both panels into ``path``."""
    figure, (cold, memory) = plt.subplots(1, 2, figsize=(14, 4.5))
    _cold_panel(cold, run)
    _memory_panel(memory, run)
    measured = model_words(run.model, run.task)
    figure.suptitle(
        f"onnx-lambda benchmark ({run.kind}, {measured + ', ' if measured else ''}"
        f"{run.created_utc})"
    )
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
