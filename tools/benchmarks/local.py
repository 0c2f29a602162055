"""``make benchmark``: the ONNX function against the pickle baseline, locally, no AWS.

Both contenders are built as deployed (``packages``) and run under the real runtime client in
fresh processes (``local_lambda``), beside two anchors that show what no change to the function
can cut: a handler importing nothing (the runtime alone) and one importing only numpy and
onnxruntime (the floor). Then the same comparison for other kinds of model than the one served
(``model_pairs``), with the same runners and fewer samples. ``METHOD`` says what each number is.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from layer.interpreters import Interpreter, find_interpreter
from layer.runtimes import DEFAULT_ARCH, DEFAULT_RUNTIME
from onnx_serving.card import ModelCard
from tools.benchmarks import model_pairs, packages
from tools.benchmarks.analysis import ONE_ROW
from tools.benchmarks.cold_start import cold_starts, cpu_modes, warm_latencies
from tools.benchmarks.environment import layer_versions, machine, now_utc
from tools.benchmarks.metrics_overhead import (
    case_events,
    line_bytes,
    warm_lines,
    without_metrics,
)
from tools.benchmarks.model_pairs import ModelPair
from tools.benchmarks.packages import Contender
from tools.benchmarks.results import (
    BenchmarkRun,
    ColdSample,
    ModeResults,
    PackageSizes,
    PairResults,
    model_measured,
)
from tools.example_rows import example_rows
from tools.local_lambda import FunctionConfig
from tools.local_lambda.cpu_quota import CpuLimit
from tools.local_lambda.template import function_config

BATCH_ROWS = 1000
# The model pairs' batch request: a hundred rows, as a typical API batch.
PAIR_BATCH_ROWS = 100
WARMUP_INVOKES = 5
# What each model pair's cold rounds start, in turn.
PAIR_COLD = ("onnx", "pickle", "empty")
METHOD = (
    "CPU: unless said otherwise, every runtime process runs with one CPU of time while every CPU "
    "stays visible, as Lambda gives a function below 1,769 MB: a cgroup whose CFS quota equals "
    "its period, joined before exec (pinning with taskset would hide numpy's OpenBLAS spin); the "
    "free tables repeat the runs without the quota. The runtime client is precompiled, as "
    "Lambda's managed runtime ships it. Cold start: a fresh runtime process per sample under the "
    "local Lambda Runtime API (the real awslambdaric, Lambda's sys.path: function + layer + "
    "runtime client only), contenders alternating and the order flipped every round; init = "
    "process start until the runtime's first `next` request (Lambda's Init Duration), first "
    "invoke = event handed over until the response arrived, peak RSS = the process's VmHWM "
    "(Lambda's Max Memory Used). Warm: one process per contender, alternating requests, one "
    f"phase per event, per-invoke duration after {WARMUP_INVOKES} warm-up invokes. Sizes: files "
    "in the built layer and function, zips at deflate level 9. Metrics: onnx-no-metrics is the "
    "built function with its log line's metrics switched off in its own copy, warm only; bytes "
    "per line are the warm lines the function's code writes in process, with and without them. "
    "Model pairs: other models fitted and converted by the run itself, each measured as ONNX "
    "and as a pickle beside the empty anchor, in the main CPU mode only, with the sample counts "
    "their tables give. Tables show median [min–max]; percentiles are nearest-rank."
)


@dataclass(frozen=True)
class LocalSettings:
    """How many samples of each kind; ``quick`` is for a smoke run, not for conclusions."""

    cold_starts: int = 15
    warm_rounds: int = 200
    free: bool = True
    runtime: str = DEFAULT_RUNTIME
    arch: str = DEFAULT_ARCH
    rebuild_layers: bool = False
    # The model pairs (``model_pairs.PAIRS``): fewer samples, so that they add little time.
    model_pairs: bool = True
    pair_cold_starts: int = 5
    pair_warm_rounds: int = 50

    @classmethod
    def quick(cls, **overrides: Any) -> LocalSettings:
        """Few samples of everything: minutes, not a result to quote."""
        defaults = {"cold_starts": 3, "warm_rounds": 30, "pair_cold_starts": 2}
        return cls(**{**defaults, "pair_warm_rounds": 10, **overrides})

    @property
    def pairs(self) -> tuple[ModelPair, ...]:
        """The model pairs this run measures."""
        return model_pairs.PAIRS if self.model_pairs else ()

    def steps(self, cold_contenders: int, events: int, modes: int) -> int:
        """Progress-bar length: the build, then one step per cold start and warm round, then
        per model pair its build, cold starts (ONNX, pickle, empty) and warm rounds (two events)."""
        served = 1 + modes * (cold_contenders * self.cold_starts + events * self.warm_rounds)
        per_pair = 1 + len(PAIR_COLD) * self.pair_cold_starts + 2 * self.pair_warm_rounds
        return served + len(self.pairs) * per_pair


def event(rows: list[list[Any]]) -> bytes:
    """A direct-invoke event: ``features`` for one row, ``instances`` for more."""
    if len(rows) == 1:
        return json.dumps({"features": rows[0]}).encode()
    return json.dumps({"instances": rows}).encode()


def sample_events(card: ModelCard, batch_rows: int = BATCH_ROWS) -> dict[str, bytes]:
    """One example row and ``batch_rows`` of them, as direct-invoke events."""
    return {
        ONE_ROW: event(example_rows(card, 1)),
        f"{batch_rows} rows": event(example_rows(card, batch_rows)),
    }


def package_sizes(contenders: list[Contender]) -> dict[str, PackageSizes]:
    """Layer and function of each compared contender (over its one layer), unzipped and zipped."""
    zips = packages.BUILD / "zips"
    sizes = {}
    for contender in contenders:
        [layer] = contender.layers
        sizes[contender.name] = PackageSizes(
            packages.tree_bytes(layer / "python"),
            layer.with_suffix(".zip").stat().st_size,
            packages.tree_bytes(contender.task_root),
            packages.zip_bytes(contender.task_root, zips / f"{contender.task_root.name}.zip"),
        )
    return sizes


def measure_mode(
    built: packages.Packages,
    settings: LocalSettings,
    events: dict[str, bytes],
    base: FunctionConfig,
    interpreter: Interpreter,
    tick: Callable[[str], None],
    mode: tuple[str, CpuLimit | None],
) -> ModeResults:
    """Cold starts of both contenders and both anchors, then warm invokes, in one CPU mode; the
    warm ones also of the ONNX function without metrics."""
    name, limit = mode

    def labelled(label: str) -> None:
        tick(f"{name} {label}")

    cold, warm = _cold_then_warm(
        (built.cold_contenders, settings.cold_starts),
        ([*built.warm_contenders, without_metrics(built.onnx)], settings.warm_rounds),
        events,
        base,
        interpreter,
        labelled,
        limit,
    )
    return ModeResults(name, cold, warm)


def _cold_then_warm(
    cold: tuple[list[Contender], int],
    warm: tuple[list[Contender], int],
    events: dict[str, bytes],
    base: FunctionConfig,
    interpreter: Interpreter,
    tick: Callable[[str], None],
    limit: CpuLimit | None,
) -> tuple[dict[str, list[ColdSample]], dict[str, dict[str, list[float]]]]:
    """Cold starts of ``cold``'s contenders (that many each, on the 1-row event), then warm
    invokes of ``warm``'s (that many rounds per event), in one CPU mode."""
    starts = cold_starts(*cold, events[ONE_ROW], base, interpreter, tick, limit)
    invokes = warm_latencies(
        warm[0], events, warm[1], base, interpreter, tick, WARMUP_INVOKES, limit
    )
    return starts, invokes


def measure_pair(
    pair: ModelPair,
    built: packages.Packages,
    settings: LocalSettings,
    base: FunctionConfig,
    interpreter: Interpreter,
    tick: Callable[[str], None],
    mode: tuple[str, CpuLimit | None],
) -> PairResults:
    """Fit and convert ``pair``, build its two functions as the served model's are, then cold
    starts of both beside the empty anchor and warm 1-row and batch invokes, in one CPU mode."""
    converted = model_pairs.convert_pair(pair)
    onnx, pickle = model_pairs.pair_contenders(
        converted, built.onnx_layer, settings.runtime, settings.arch, settings.rebuild_layers
    )
    name, limit = mode
    tick(f"built {pair.name}")

    def labelled(label: str) -> None:
        tick(f"{pair.name} {label}")

    card = ModelCard.load(onnx.task_root / "model.json")
    events = sample_events(card, PAIR_BATCH_ROWS)
    contenders = {"onnx": onnx, "pickle": pickle, "empty": built.empty}
    cold, warm = _cold_then_warm(
        ([contenders[c] for c in PAIR_COLD], settings.pair_cold_starts),
        ([onnx, pickle], settings.pair_warm_rounds),
        events,
        base,
        interpreter,
        labelled,
        limit,
    )
    model, task = model_measured(card)
    return PairResults(
        name=pair.name,
        description=pair.description,
        model=model,
        task=task,
        cold_starts=settings.pair_cold_starts,
        warm_rounds=settings.pair_warm_rounds,
        measured=ModeResults(name, cold, warm),
        sizes=package_sizes([onnx, pickle]),
        pickle_layer=pair.sklearn_layer,
    )


def run(
    settings: LocalSettings,
    tick: Callable[[str], None],
    set_total: Callable[[int], None],
    model_dir: Path = packages.SERVED_MODEL_DIR,
    baseline_dir: Path = packages.BASELINE_MODEL_DIR,
) -> BenchmarkRun:
    """Build the contenders serving the model in ``model_dir`` (pickled in ``baseline_dir``),
    measure every CPU mode, return the run."""
    modes, cpu_note = cpu_modes(settings.free)
    if cpu_note:
        print(f"WARNING: {cpu_note}", flush=True)
    interpreter = find_interpreter(settings.runtime)
    if not interpreter.matches_runtime:
        raise packages.BuildError(
            f"{settings.runtime} is not installed here; the benchmark needs the target interpreter"
        )
    started = machine()
    built = packages.build_packages(
        settings.runtime, settings.arch, settings.rebuild_layers, model_dir, baseline_dir
    )
    card = ModelCard.load(built.onnx.task_root / "model.json")
    events = sample_events(card)
    log_lines = line_bytes(warm_lines(built.onnx.task_root, case_events(example_rows(card, 100))))
    set_total(settings.steps(len(built.cold_contenders), len(events), len(modes)))
    tick("built layers and functions")
    base = function_config(
        packages.ROOT / "template.yaml", "InferenceFunction", {"Runtime": settings.runtime}
    )
    measured = [
        measure_mode(built, settings, events, base, interpreter, tick, mode) for mode in modes
    ]
    pairs = [
        measure_pair(pair, built, settings, base, interpreter, tick, modes[0])
        for pair in settings.pairs
    ]
    model, task = model_measured(card)
    return BenchmarkRun(
        kind="local",
        created_utc=now_utc(),
        machine=replace(started, load_at_end=os.getloadavg()[0]),
        method=METHOD,
        versions={
            **layer_versions(built.onnx_layer / "python"),
            **layer_versions(built.sklearn_layer / "python"),
            **{
                name: version
                for pair in settings.pairs
                for name, version in layer_versions(
                    packages.layer_dir(pair.sklearn_layer) / "python"
                ).items()
            },
            "python (runtime)": interpreter.version,
        },
        modes=measured,
        visible_cpus=os.cpu_count(),
        cpu_note=cpu_note,
        sizes=package_sizes([built.onnx, built.pickle]),
        settings=asdict(settings),
        log_lines={name: asdict(found) for name, found in log_lines.items()},
        model=model,
        task=task,
        pairs=pairs,
    )
