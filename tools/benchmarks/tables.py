"""A run as tables (title, header, rows): one source for the terminal and the Markdown.

Each section renders only when the run holds it, so the same code shows a local run (sizes too)
and an AWS run (cold and warm only).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from tools.benchmarks.analysis import ONE_ROW, costs, targets
from tools.benchmarks.dollar_cost import (
    PRICE_PER_GB_SECOND,
    PRICE_PER_MILLION_REQUESTS,
    PRICES_AS_OF,
)
from tools.benchmarks.metrics_overhead import (
    CUSTOM_METRIC_USD_PER_MONTH,
    LOG_INGESTION_USD_PER_GB,
    NO_METRICS,
    ONE_ROW_DIRECT,
    PRICES_READ,
    LineBytes,
)
from tools.benchmarks.packages import BASELINE_LAYERS
from tools.benchmarks.results import (
    FREE,
    LAMBDA,
    ONE_CPU,
    BenchmarkRun,
    ModeResults,
    PackageSizes,
    PairResults,
    model_words,
)
from tools.benchmarks.stats import Summary, median, percentile

MB = 10**6
UNZIPPED_LIMIT = 262_144_000
CONTENDER_NOTE = (
    "empty: a handler importing nothing (the runtime alone); floor: one importing numpy and "
    "onnxruntime only."
)


@dataclass(frozen=True)
class Table:
    """A titled table with an optional note printed under it; ``key`` names it for tests."""

    key: str
    title: str
    header: list[str]
    rows: list[list[str]]
    note: str = ""


def mode_title(run: BenchmarkRun, mode: str) -> str:
    """How ``mode`` limited the CPU, in words for a title."""
    if mode == ONE_CPU:
        return f"one CPU of time, {run.visible_cpus} visible"
    return {FREE: "free CPU", LAMBDA: "Lambda's own CPU"}.get(mode, mode)


def _spread(samples: list[float], digits: int = 0) -> str:
    return Summary.of(samples).spread(digits)


def _mb(size: int) -> str:
    return f"{size / MB:.1f}"


def targets_table(run: BenchmarkRun) -> Table | None:
    """Every target as measured / target, in the run's main CPU mode."""
    found = targets(run)
    if not found:
        return None
    return Table(
        "targets",
        f"Targets (measured / target; {mode_title(run, run.main.mode)})",
        ["target", "measured / target", "met", "least possible, same run"],
        [[t.name, t.line(), "yes" if t.met else "NO", t.limit] for t in found],
        run.cpu_note
        or "Least possible: what this run measured for the part no change to this project can "
        "cut, as the same ratio; a target below it cannot be met by this design.",
    )


def cold_table(run: BenchmarkRun, mode: ModeResults) -> Table:
    """Cold starts: init, first invoke, their sum and peak RSS per contender."""
    rows = [
        [
            name,
            str(len(samples)),
            _spread([s.init_ms for s in samples]),
            _spread([s.first_invoke_ms for s in samples], 1),
            _spread([s.total_ms for s in samples]),
            _spread([s.peak_rss_mb for s in samples]),
        ]
        for name, samples in mode.cold.items()
    ]
    return Table(
        f"cold-{mode.mode}",
        f"Cold start (ms, median [min–max]; {mode_title(run, mode.mode)})",
        ["contender", "n", "init", "first invoke", "init + first", "peak RSS MB"],
        rows,
        CONTENDER_NOTE if "empty" in mode.cold else "",
    )


def warm_table(run: BenchmarkRun, mode: ModeResults) -> Table:
    """Warm per-invoke latency in one process, p50 and p99, per event."""
    labels = list(next(iter(mode.warm_ms.values())))
    rows = [
        [name]
        + [
            f"{value:.2f}"
            for label in labels
            for value in (median(by[label]), percentile(by[label], 99))
        ]
        for name, by in mode.warm_ms.items()
    ]
    return Table(
        f"warm-{mode.mode}",
        f"Warm invoke (ms; {mode_title(run, mode.mode)})",
        ["contender"] + [f"{label} {q}" for label in labels for q in ("p50", "p99")],
        rows,
        "floor: answers {} to the same events, which shows the runtime's own round trip."
        if "floor" in mode.warm_ms
        else "",
    )


def size_table(run: BenchmarkRun) -> Table | None:
    """Layer and function, unzipped and zipped, and whether the whole fits Lambda."""
    if not run.sizes:
        return None
    return sizes_table(run.sizes)


def sizes_table(sizes: dict[str, PackageSizes]) -> Table:
    """``sizes`` per contender, unzipped and zipped, and whether the whole fits Lambda."""
    rows = [
        [
            name,
            _mb(s.layer_unzipped),
            _mb(s.layer_zipped),
            _mb(s.function_unzipped),
            _mb(s.function_zipped),
            _mb(s.deployed_unzipped),
            "yes" if s.deployed_unzipped <= UNZIPPED_LIMIT else "NO",
        ]
        for name, s in sizes.items()
    ]
    header = ["contender", "layer", "layer zip", "function", "function zip"]
    return Table(
        "sizes",
        "Package sizes (MB)",
        [*header, "deployed unzipped", "fits 250 MB"],
        rows,
    )


def cost_table(run: BenchmarkRun) -> Table | None:
    """A million cold and a million warm invocations at list prices, in the main CPU mode."""
    found = costs(run.main)
    if not found:
        return None
    rows = [
        [
            c.contender,
            str(c.memory_mb),
            str(c.cold.billed_ms),
            f"{c.cold.usd:.2f}",
            str(c.warm.billed_ms),
            f"{c.warm.usd:.2f}",
        ]
        for c in found
    ]
    return Table(
        "cost",
        "Cost of 1 M invocations (USD)",
        ["contender", "memory MB", "cold billed ms", "1M cold $", "warm billed ms", "1M warm $"],
        rows,
        f"${PRICE_PER_GB_SECOND}/GB-s + ${PRICE_PER_MILLION_REQUESTS:.2f}/1M requests, "
        f"x86_64 us-east-1 list prices ({PRICES_AS_OF}); INIT billed since 2025-08-01. "
        "Memory: smallest 128 MB + 64 MB steps holding the worst peak RSS. Durations are the "
        "medians measured here, in the main CPU mode; Lambda gives memory/1,769 MB of one vCPU, "
        "so real durations at these sizes are longer for both.",
    )


def warm_one_row_with_and_without_metrics(run: BenchmarkRun) -> tuple[float, float] | None:
    """Median warm 1-row invoke (ms) of the function and of its copy without metrics, main mode."""
    warm = run.main.warm_ms
    if NO_METRICS not in warm or "onnx" not in warm:
        return None
    return median(warm["onnx"]["1 row"]), median(warm[NO_METRICS]["1 row"])


def metrics_line(run: BenchmarkRun) -> str:
    """The metrics' overhead in one sentence, for the printed summary ("" without the data)."""
    if ONE_ROW_DIRECT not in run.log_lines:
        return ""
    line = LineBytes(**run.log_lines[ONE_ROW_DIRECT])
    text = (
        f"Metrics: +{line.added} bytes per warm 1-row line ({line.without} → {line.with_metrics}), "
        f"${line.usd_per_million:.2f} of log ingestion per million requests"
    )
    latency = warm_one_row_with_and_without_metrics(run)
    if latency:
        text += f"; warm 1-row p50 {latency[0]:.3f} ms with, {latency[1]:.3f} ms without"
    return text + "."


def metrics_table(run: BenchmarkRun) -> Table | None:
    """Bytes the metrics add to each kind of line, and what CloudWatch charges for them."""
    if not run.log_lines:
        return None
    rows = []
    for case, sizes in run.log_lines.items():
        line = LineBytes(**sizes)
        rows.append(
            [
                case,
                str(line.without),
                str(line.with_metrics),
                f"+{line.added}",
                f"{line.usd_per_million:.3f}",
            ]
        )
    latency = warm_one_row_with_and_without_metrics(run)
    note = (
        f"Log ingestion ${LOG_INGESTION_USD_PER_GB:.2f}/GB; each metric the lines publish is a "
        f"custom metric at ${CUSTOM_METRIC_USD_PER_MONTH:.2f} a month, whatever the traffic (US "
        f"East list prices, read {PRICES_READ}; docs/observability.md counts them)."
    )
    if latency:
        note += (
            f" Warm 1-row invoke, median ({mode_title(run, run.main.mode)}): {latency[0]:.3f} ms "
            f"with metrics, {latency[1]:.3f} ms without ({NO_METRICS})."
        )
    return Table(
        "metrics",
        "Metrics in the log line (bytes per warm line)",
        ["request", "without", "with", "added", "added $ per 1M requests"],
        rows,
        note,
    )


def _served_and_pairs(
    run: BenchmarkRun,
) -> list[tuple[str, ModeResults, dict[str, PackageSizes]]]:
    """The served model and each model pair: how a table names it, its main-mode results and
    its package sizes."""
    pairs = [(pair_words(pair), pair.measured, pair.sizes) for pair in run.pairs]
    return [(served_words(run), run.main, run.sizes), *pairs]


def served_words(run: BenchmarkRun) -> str:
    """The served model in a title, told apart from the model pairs."""
    return f"served: {model_words(run.model, run.task) or 'the served model'}"


def pair_words(pair: PairResults) -> str:
    """A model pair in a title: its name, what was fitted on what, its task."""
    return f"{pair.name}: {pair.description} ({pair.task})"


def _both(value: Callable[[str], float], digits: int) -> str:
    """``value`` of the ONNX function and of the pickle baseline: ``"118 / 888"``."""
    return f"{value('onnx'):.{digits}f} / {value('pickle'):.{digits}f}"


def _model_row(name: str, mode: ModeResults, sizes: dict[str, PackageSizes]) -> list[str]:
    cold, warm = mode.cold, mode.warm_ms
    return [
        name,
        _both(lambda c: median([s.total_ms for s in cold[c]]), 0),
        _both(lambda c: median([s.peak_rss_mb for s in cold[c]]), 0),
        _both(lambda c: sizes[c].deployed_unzipped / MB, 1),
        _both(lambda c: median(warm[c][ONE_ROW]), 2),
    ]


def models_table(run: BenchmarkRun) -> Table | None:
    """The served model and the model pairs side by side: ONNX / pickle medians, main mode."""
    if not run.pairs:
        return None
    rows = [_model_row(name, mode, sizes) for name, mode, sizes in _served_and_pairs(run)]
    return Table(
        "models",
        f"Models, ONNX / pickle (medians; {mode_title(run, run.main.mode)})",
        ["model", "cold start ms", "peak RSS MB", "deployed unzipped MB", "warm 1-row ms"],
        rows,
        "Cold start: init + first invoke. The model pairs are measured with fewer samples than "
        "the served model: their own tables below give the counts and the spreads.",
    )


def pair_tables(run: BenchmarkRun, pair: PairResults) -> list[Table]:
    """A model pair's cold start, warm invoke and package size tables, titled with the model
    and, for the timed ones, how many samples they hold."""
    named = pair_words(pair)
    cold = cold_table(run, pair.measured)
    warm = warm_table(run, pair.measured)
    sizes = sizes_table(pair.sizes)
    return [
        replace(
            cold,
            key=f"{pair.name}-cold",
            title=f"{named}. {cold.title}",
            note=f"{pair.cold_starts} cold starts per contender, fewer than the served model's; "
            "empty: a handler importing nothing (the runtime alone).",
        ),
        replace(
            warm,
            key=f"{pair.name}-warm",
            title=f"{named}. {warm.title}",
            note=f"{pair.warm_rounds} invokes per contender and event, fewer than the served "
            "model's.",
        ),
        replace(
            sizes,
            key=f"{pair.name}-sizes",
            title=f"{named}. {sizes.title}",
            note=f"The pickle baseline's layer: {pair.pickle_layer}, locked in "
            f"{BASELINE_LAYERS[pair.pickle_layer]}/.",
        ),
    ]


def all_tables(run: BenchmarkRun) -> list[Table]:
    """Every table the run supports, in reading order."""
    served = [
        *(cold_table(run, mode) for mode in run.modes),
        *(warm_table(run, mode) for mode in run.modes),
        size_table(run),
    ]
    if run.pairs:
        served = [
            replace(t, title=f"{served_words(run)}. {t.title}") if t else None for t in served
        ]
    tables = [
        targets_table(run),
        models_table(run),
        *served,
        cost_table(run),
        metrics_table(run),
        *(table for pair in run.pairs for table in pair_tables(run, pair)),
    ]
    return [t for t in tables if t is not None]
