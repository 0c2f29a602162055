"""The results as tables (title, header, rows): one source for the terminal and the Markdown.

Each section renders only when its results are present, so the same code shows a local run
(everything) and an AWS run (cold and warm only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tools.benchmarks.analysis import (
    MB,
    OVERHEAD_CASE,
    cold_totals,
    crossover,
    deployed_unzipped,
    grid_targets,
    iris_costs,
    iris_targets,
    lever_gains,
    matchups,
    overhead_ratios,
    series,
    throughput,
)
from tools.benchmarks.dollar_cost import (
    PRICE_PER_GB_SECOND,
    PRICE_PER_MILLION_REQUESTS,
    PRICES_AS_OF,
)
from tools.benchmarks.init_levers import KEEP_FROM
from tools.benchmarks.stats import Summary, median, percentile, ratio

UNZIPPED_LIMIT = 262_144_000


@dataclass(frozen=True)
class Table:
    """A titled table with an optional note printed under it."""

    title: str
    header: list[str]
    rows: list[list[str]]
    note: str = ""
    key: str = field(default="")


def _spread(samples: list[float], digits: int = 0) -> str:
    return Summary.of(samples).spread(digits)


def _mb(size: int) -> str:
    return f"{size / MB:.1f}"


def cpu_modes(results: dict[str, Any]) -> list[str]:
    """The CPU modes a run measured, the main one first (a run without the record: one)."""
    return results.get("cpu", {}).get("modes", ["unrecorded"])


def mode_title(results: dict[str, Any], mode: str | None = None) -> str:
    """How ``mode`` (the run's main one by default) limited the CPU, in words for a title."""
    mode = mode or cpu_modes(results)[0]
    if mode == "one-cpu":
        return f"one CPU of time, {results['cpu']['visible_cpus']} visible"
    names = {"free": "free CPU", "lambda": "Lambda's own CPU"}
    return names.get(mode, "CPU mode not recorded")


def _iris_mode(results: dict[str, Any], mode: str) -> dict[str, Any]:
    """The Iris cold and warm results of ``mode``: the main mode's live at the top."""
    iris = results["iris"]
    return iris if mode == cpu_modes(results)[0] else iris[mode]


def targets_table(results: dict[str, Any]) -> Table | None:
    """Every target as measured / target, in the run's main CPU mode."""
    targets = []
    if "iris" in results:
        targets += iris_targets(results["iris"])
    if results.get("grid"):
        targets += grid_targets(results["grid"])
    if not targets:
        return None
    note = results.get("cpu", {}).get("note", "")
    return Table(
        f"Targets (measured / target; {mode_title(results)})",
        ["target", "measured / target", "met", "least possible, same run"],
        [[t.name, t.line().rsplit(" ", 1)[0], "yes" if t.met else "NO", t.limit] for t in targets],
        note
        or "Least possible: what this run measured for the part no change to this project can "
        "cut, as the same ratio; a target below it cannot be met by this design.",
        key="targets",
    )


def cold_tables(results: dict[str, Any]) -> list[Table]:
    """The Iris cold-start table of every CPU mode measured."""
    return [cold_table(results, mode) for mode in cpu_modes(results)]


def cold_table(results: dict[str, Any], mode: str | None = None) -> Table:
    """Iris cold starts: init, first invoke, their sum and peak RSS per contender."""
    mode = mode or cpu_modes(results)[0]
    cold = _iris_mode(results, mode)["cold"]
    rows = [
        [
            name,
            str(len(samples)),
            _spread(series(samples, "init_ms")),
            _spread(series(samples, "first_invoke_ms"), 1),
            _spread(cold_totals(samples)),
            _spread(series(samples, "peak_rss_mb")),
        ]
        for name, samples in cold.items()
    ]
    return Table(
        f"Iris model: cold start (ms, median [min–max]; {mode_title(results, mode)})",
        ["contender", "n", "init", "first invoke", "init + first", "peak RSS MB"],
        rows,
        "empty: a handler importing nothing (the runtime alone); floor: one importing numpy and "
        "onnxruntime only; generated: the model as m2cgen Python, no layer; onnx-sources-only: "
        "the function package without .pyc; *-openblas-spins: OPENBLAS_NUM_THREADS unset; "
        "onnx-gc-paused: the garbage collector paused during init (rejected)."
        if "empty" in cold
        else "",
        key=f"cold-{mode}",
    )


def warm_tables(results: dict[str, Any]) -> list[Table]:
    """The warm table of every CPU mode measured."""
    return [warm_table(results, mode) for mode in cpu_modes(results)]


def warm_table(results: dict[str, Any], mode: str | None = None) -> Table:
    """Warm per-invoke latency in one process, p50 and p99, per event."""
    mode = mode or cpu_modes(results)[0]
    warm = _iris_mode(results, mode)["warm_ms"]
    labels = list(next(iter(warm.values())))
    header = ["contender"] + [f"{label} {q}" for label in labels for q in ("p50", "p99")]
    rows = [
        [name]
        + [
            f"{value:.2f}"
            for label in labels
            for value in (median(by[label]), percentile(by[label], 99))
        ]
        for name, by in warm.items()
    ]
    return Table(
        f"Iris model: warm invoke (ms; {mode_title(results, mode)})",
        header,
        rows,
        key=f"warm-{mode}",
    )


def cold_lever_table(results: dict[str, Any]) -> Table | None:
    """Each cold-start lever: the cold start with it pulled and undone, per CPU mode."""
    modes = cpu_modes(results)
    gains = lever_gains(results["iris"], modes)
    if not gains:
        return None
    rows = []
    for gain in gains:
        cells = [gain.label, "yes" if gain.shipped else "no"]
        for mode in modes:
            if mode in gain.by_mode:
                pulled, undone = gain.by_mode[mode]
                cells.append(f"{undone:.0f} → {pulled:.0f} ({gain.gain(mode):+.0%})")
            else:
                cells.append("—")
        rows.append(cells)
    return Table(
        "Cold-start levers (median init + first invoke, ms: undone → pulled, share saved)",
        ["lever", "shipped", *(mode_title(results, mode) for mode in modes)],
        rows,
        f"A lever is shipped when it saves at least {KEEP_FROM:.0%} on one CPU and changes no "
        "answer; each is measured against a copy that differs in that lever alone, in the same "
        "alternating rounds (two identical copies differ by a few percent).",
        key="cold-levers",
    )


def overhead_table(results: dict[str, Any]) -> Table | None:
    """A 1,000-row request's handler time against predict on the same rows."""
    overhead = results["iris"].get("handler_overhead")
    if not overhead:
        return None
    rows = [
        [name, f"{handler:.2f}", f"{predict:.2f}", f"{handler - predict:.2f}", f"{share:.2f}"]
        for name, (handler, predict, share) in overhead_ratios(overhead).items()
    ]
    return Table(
        f"Iris model: a {overhead['rows']}-row request in process (ms, median of "
        f"{overhead['rounds']}; {mode_title(results)})",
        ["request", "handler", "predict", "beyond predict", "beyond / predict"],
        rows,
        f"The target holds {OVERHEAD_CASE!r}: HTTP cases include parsing the body and writing "
        "the JSON answer; a direct invoke leaves both to the runtime client.",
        key="overhead",
    )


def crossover_table(results: dict[str, Any]) -> Table | None:
    """ONNX as shipped against the forest as generated code, per grid point, and where ONNX
    starts to win on cold start and on a 1,000-row request."""
    grid = results.get("grid") or []
    if not grid or "warm_ms" not in grid[0]:
        return None
    found = matchups(grid)

    def versus(ours: float, theirs: float | None) -> str:
        return f"{ours:.0f} / " + ("not generated" if theirs is None else f"{theirs:.0f}")

    rows = [
        [
            m.label,
            f"{m.nodes:,}",
            versus(m.onnx_cold, m.generated_cold),
            versus(m.onnx_batch, m.generated_batch),
            "ONNX" if m.onnx_wins("cold") else "generated",
            "ONNX" if m.onnx_wins("batch") else "generated",
        ]
        for m in found
    ]
    words = []
    for metric, name in (
        ("cold", "cold start"),
        ("batch", f"a {grid[0]['batch_rows']}-row request"),
    ):
        point = crossover(found, metric)
        words.append(
            f"on {name} from {point.label} ({point.nodes:,} nodes) up"
            if point
            else f"on {name} at no grid point"
        )
    notes = sorted({m.note for m in found if m.note})
    return Table(
        f"Crossover: ONNX (as shipped) / generated code (m2cgen, pure Python), median ms; "
        f"{mode_title(results)}",
        [
            "trees × depth",
            "nodes",
            "cold start",
            f"{grid[0]['batch_rows']}-row invoke",
            "cold: faster",
            "batch: faster",
        ],
        rows,
        "ONNX wins " + "; ".join(words) + ". Generated code runs with no layer at all; "
        "forests it cannot be generated for in reasonable time count as ONNX wins"
        + (f" ({'; '.join(notes)})" if notes else "")
        + ".",
        key="crossover",
    )


def predict_table(results: dict[str, Any]) -> Table | None:
    """In-process predict per call, onnxruntime against scikit-learn, one thread."""
    predict = results["iris"].get("predict_s")
    if not predict:
        return None
    rows = []
    for label, by in predict.items():
        onnx, sklearn = median(by["onnx"]), median(by["scikit-learn"])
        rows.append(
            [label, f"{onnx * 1e6:.1f}", f"{sklearn * 1e6:.1f}", f"{ratio(sklearn, onnx):.1f}×"]
        )
    return Table(
        "Iris model: in-process predict (µs per call, median, 1 thread)",
        ["rows", "onnxruntime", "scikit-learn", "speed-up"],
        rows,
        key="predict",
    )


def size_table(results: dict[str, Any]) -> Table | None:
    """Layer and function, unzipped and zipped, and whether the whole fits Lambda."""
    sizes = results["iris"].get("sizes")
    if not sizes:
        return None
    rows = [
        [
            name,
            _mb(s["layer_unzipped"]),
            _mb(s["layer_zipped"]),
            _mb(s["function_unzipped"]),
            _mb(s["function_zipped"]),
            _mb(deployed_unzipped(s)),
            "yes" if deployed_unzipped(s) <= UNZIPPED_LIMIT else "NO",
        ]
        for name, s in sizes.items()
    ]
    return Table(
        "Iris model: package sizes (MB)",
        [
            "contender",
            "layer",
            "layer zip",
            "function",
            "function zip",
            "deployed unzipped",
            "fits 250 MB",
        ],
        rows,
        key="sizes",
    )


def cost_table(results: dict[str, Any]) -> Table | None:
    """A million cold and a million warm invocations at list prices."""
    rows = [
        [
            c.contender,
            str(c.memory_mb),
            str(c.cold.billed_ms),
            f"{c.cold.usd:.2f}",
            str(c.warm.billed_ms),
            f"{c.warm.usd:.2f}",
        ]
        for c in iris_costs(results["iris"])
    ]
    note = (
        f"${PRICE_PER_GB_SECOND}/GB-s + ${PRICE_PER_MILLION_REQUESTS:.2f}/1M requests, "
        f"x86_64 us-east-1 list prices ({PRICES_AS_OF}); INIT billed since 2025-08-01. "
        "Memory: smallest 128 MB + 64 MB steps holding the worst peak RSS. Durations are the "
        "medians measured here, with at most one CPU of time; Lambda gives memory/1,769 MB of "
        "one vCPU, so real durations at these sizes are longer for both."
    )
    return Table(
        "Iris model: cost of 1 M invocations (USD)",
        ["contender", "memory MB", "cold billed ms", "1M cold $", "warm billed ms", "1M warm $"],
        rows,
        note,
        key="cost",
    )


def grid_table(results: dict[str, Any]) -> Table | None:
    """How init, size and throughput grow with the forest, all contenders."""
    grid = results.get("grid")
    if not grid:
        return None
    rows = []
    for point in grid:
        cold = {name: median(cold_totals(samples)) for name, samples in point["cold"].items()}
        rows_per_s = {
            name: throughput(s, point["batch_rows"]) for name, s in point["predict_s"].items()
        }
        size = point["model_bytes"]
        fits = point["deployed_unzipped"]
        rows.append(
            [
                point["label"],
                f"{point['nodes']:,}",
                f"{size['onnx'] / MB:.1f} / {size['onnx-v5'] / MB:.1f} / {size['pickle'] / MB:.1f}",
                f"{cold['onnx']:.0f}",
                f"{cold['onnx-v5']:.0f}",
                f"{cold['pickle']:.0f}",
                f"{ratio(cold['onnx'], cold['pickle']):.2f}",
                f"{ratio(cold['onnx-v5'], cold['pickle']):.2f}",
                f"{rows_per_s['onnx'] / 1e3:.0f} / {rows_per_s['onnx-v5'] / 1e3:.0f} / "
                f"{rows_per_s['scikit-learn'] / 1e3:.0f}",
                " / ".join(
                    f"{median(series(point['cold'][name], 'peak_rss_mb')):.0f}"
                    for name in ("onnx", "onnx-v5", "pickle")
                ),
                "yes" if fits["pickle"] <= UNZIPPED_LIMIT else "NO",
            ]
        )
    return Table(
        "Forest grid: cold start (init + first invoke, median ms), model size, throughput",
        [
            "trees × depth",
            "nodes",
            "model MB onnx / v5 / pkl",
            "cold onnx",
            "cold v5",
            "cold pickle",
            "onnx/pkl",
            "v5/pkl",
            "k rows/s onnx / v5 / sklearn",
            "peak RSS MB onnx / v5 / pkl",
            "pickle fits 250 MB",
        ],
        rows,
        "v5 = what make convert ships for that forest (convert.export.serving_model): from "
        "100,000 nodes the ai.onnx.ml opset-5 rewrite (TreeEnsemble nodes of 10 trees, summed), "
        "below it the plain export. Throughput: "
        f"in-process predict of a {grid[0]['batch_rows']}-row batch, one thread each.",
        key="grid",
    )


def lever_table(results: dict[str, Any]) -> Table | None:
    """Each way of exporting the largest forest: session creation and peak memory."""
    levers = results.get("levers")
    if not levers:
        return None
    shipped = median([s["session_ms"] for s in levers["results"]["shipped"]["samples"]])
    rows = []
    for key, lever in levers["results"].items():
        session = [s["session_ms"] for s in lever["samples"]]
        rss = [s["peak_rss_mb"] for s in lever["samples"]]
        rows.append(
            [
                key,
                lever["label"],
                f"{lever['model_bytes'] / MB:.1f}",
                _spread(session),
                f"{ratio(median(session), shipped):.2f}",
                _spread(rss),
            ]
        )
    return Table(
        f"Export options on the {levers['forest']} forest (InferenceSession creation, ms)",
        ["key", "lever", "model MB", "session ms", "vs shipped", "peak RSS MB"],
        rows,
        "Fresh python3.13 process per sample, only the onnxruntime layer on sys.path.",
        key="levers",
    )


def all_tables(results: dict[str, Any]) -> list[Table]:
    """Every table the results support, in reading order."""
    tables = [targets_table(results)]
    if "iris" in results:
        tables += [
            *cold_tables(results),
            cold_lever_table(results),
            *warm_tables(results),
            overhead_table(results),
            predict_table(results),
            size_table(results),
            cost_table(results),
        ]
    tables += [grid_table(results), crossover_table(results), lever_table(results)]
    return [t for t in tables if t is not None]
