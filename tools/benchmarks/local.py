"""``make benchmark``: the ONNX function against the pickle baseline, locally, no AWS.

Both contenders are built as deployed (``packages``) and run under the real runtime client in
fresh processes (``local_lambda``); see ``METHOD`` for what each number is.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, NamedTuple

import joblib
import numpy as np

from layer.interpreters import Interpreter, find_interpreter
from layer.runtimes import DEFAULT_ARCH, DEFAULT_RUNTIME
from onnx_serving.card import ModelCard
from tools.benchmarks import cold_start, init_options, packages
from tools.benchmarks.analysis import SHIPPED_VARIANT
from tools.benchmarks.environment import layer_versions, machine, now_utc
from tools.benchmarks.generated_code import NotAForest, TooLarge, generated_contender
from tools.benchmarks.grid_models import GridModel, build_grid_model, default_grid
from tools.benchmarks.init_levers import lever_contenders
from tools.benchmarks.predict_timing import predict_seconds
from tools.local_lambda import FunctionConfig
from tools.local_lambda.cpu_quota import CpuLimit, run_limited
from tools.local_lambda.function import isolated_python
from tools.local_lambda.template import function_config

ROOT = packages.ROOT
BATCH_ROWS = 1000
ONE_CPU = "one-cpu"
FREE = "free"
OVERHEAD_PROBE = packages.PROBES / "handler_overhead.py"
METHOD = [
    "CPU: unless said otherwise, every runtime process (and every probe) runs with one CPU of",
    "time while both CPUs stay visible, as Lambda gives a function below 1,769 MB: a cgroup whose",
    "CFS quota equals its period, joined before exec (pinning with taskset would hide numpy's",
    "OpenBLAS spin); the free tables repeat the Iris runs without the quota. The runtime client",
    "is precompiled, as Lambda's managed runtime ships it.",
    "Cold start: a fresh runtime process per sample under the local Lambda Runtime API",
    "(the real awslambdaric, Lambda's sys.path: function + layer + runtime client only),",
    "contenders alternating and the order flipped every round; init = process start until the",
    "runtime's first `next` request (Lambda's Init Duration), first invoke = event handed over",
    "until the response arrived, peak RSS = the process's VmHWM (Lambda's Max Memory Used).",
    "Warm: one process per contender, alternating requests, one phase per event, per-invoke",
    "duration after 5 warm-up invokes; the floor answers {} to the same events, which shows",
    "the runtime's own overhead. In-process predict: one thread each (the handler's",
    "onnxruntime session options; scikit-learn n_jobs=1 inside threadpool_limits(1)).",
    "Generated code: the same forest exported by m2cgen to plain Python (compiled .pyc, a",
    "stdlib-only handler, no layer), checked against scikit-learn before it is timed; in the",
    "grid, beside the shipped ONNX function, cold starts and 1,000-row warm invokes.",
    "Handler overhead: in a fresh target-interpreter process with the built function and layer,",
    "a 1,000-row request through the handler alternating with predict on the same rows.",
    "Sizes: files in the built layer and function, zips at deflate level 9. Tables show",
    "median [min–max]; percentiles are nearest-rank.",
]


@dataclass(frozen=True)
class LocalBenchmarkSettings:
    """How many samples of each kind; ``quick`` is for a smoke run, not for conclusions."""

    cold_starts: int = 15
    grid_cold_starts: int = 5
    grid_warm_rounds: int = 20
    warm_rounds: int = 200
    lever_rounds: int = 5
    predict_repeats: int = 200
    overhead_rounds: int = 200
    grid: bool = True
    levers: bool = True
    free: bool = True
    runtime: str = DEFAULT_RUNTIME
    arch: str = DEFAULT_ARCH
    rebuild_layers: bool = False

    @classmethod
    def quick(cls, **overrides: Any) -> LocalBenchmarkSettings:
        """Few samples of everything: minutes, not a result to quote."""
        return cls(
            **{
                "cold_starts": 3,
                "grid_cold_starts": 1,
                "warm_rounds": 30,
                "grid_warm_rounds": 5,
                "lever_rounds": 1,
                "predict_repeats": 30,
                "overhead_rounds": 30,
                **overrides,
            }
        )

    def steps(self, grid_points: int, lever_count: int, iris_contenders: int, modes: int) -> int:
        """Progress-bar length: one step per cold start, warm round, lever probe and build."""
        iris = modes * (iris_contenders * self.cold_starts + 2 * self.warm_rounds)
        per_point = 1 + 4 * self.grid_cold_starts + self.grid_warm_rounds
        grid = grid_points * per_point if self.grid else 0
        lever = lever_count * self.lever_rounds if self.levers else 0
        return 3 + iris + grid + lever


def cpu_modes(settings: LocalBenchmarkSettings) -> tuple[list[tuple[str, CpuLimit | None]], str]:
    """The CPU modes to measure, the main one first, and why one-CPU is missing if it is.

    Where no cgroup can be made (not root, no writable cpu controller), every number is taken
    with free CPU and the results say so, rather than silently measuring another machine.
    """
    limit = CpuLimit()
    unavailable = limit.available()
    if unavailable:
        return [(FREE, None)], f"no one-CPU quota here ({unavailable}): measured with free CPU"
    return [(ONE_CPU, limit)] + ([(FREE, None)] if settings.free else []), ""


def _event(rows: np.ndarray) -> bytes:
    if len(rows) == 1:
        return json.dumps({"features": rows[0].tolist()}).encode()
    return json.dumps({"instances": rows.tolist()}).encode()


def _rows_in_range(card: ModelCard, n: int, seed: int = 0) -> np.ndarray:
    """``n`` rows drawn across the card's row bounds (the training range when known), rounded as
    a client would send them."""
    rng = np.random.default_rng(seed)
    low, high = card.row_bounds()
    rows = rng.uniform(low, high, size=(n, card.n_features))
    return np.round(rows, 3).astype(np.float32)


def _code_bytes(task_root: Path) -> int:
    return sum(p.stat().st_size for p in task_root.rglob("*.py"))


def _sizes(built: packages.Packages) -> dict[str, dict[str, int]]:
    zips = packages.BUILD / "zips"
    sizes = {}
    for contender, layer in ((built.onnx, built.onnx_layer), (built.pickle, built.sklearn_layer)):
        sizes[contender.name] = {
            "layer_unzipped": packages.tree_bytes(layer / "python"),
            "layer_zipped": layer.with_suffix(".zip").stat().st_size,
            "function_unzipped": packages.tree_bytes(contender.task_root),
            "function_zipped": packages.zip_bytes(
                contender.task_root, zips / f"{contender.name}.zip"
            ),
        }
    return sizes


class Run(NamedTuple):
    """What every part of a run shares: the packages, settings, interpreter, progress, config,
    the CPU modes (the main one first), and the Iris contenders, built once."""

    built: packages.Packages
    settings: LocalBenchmarkSettings
    interpreter: Interpreter
    tick: Callable[[str], None]
    base: FunctionConfig
    modes: list[tuple[str, CpuLimit | None]]
    generated: packages.Contender | None
    iris_cold: list[packages.Contender]

    @property
    def main_limit(self) -> CpuLimit | None:
        """The CPU limit of the main mode: one CPU where it can be set, else none."""
        return self.modes[0][1]


def iris_contenders(
    built: packages.Packages, generated: packages.Contender | None, interpreter: Interpreter
) -> list[packages.Contender]:
    """Every Iris cold-start contender: the two to compare, the anchors (the runtime alone, the
    model as generated code where it can be, the import floor), the levers undone."""
    levers = lever_contenders(
        built, packages.BUILD / "functions" / "onnx-gc-paused", interpreter.path
    )
    anchors = [built.empty, *([generated] if generated else []), built.floor]
    return [built.onnx, built.pickle, *anchors, built.onnx_sources, *levers]


def generated_for(
    estimator: object, card: ModelCard, out: Path, interpreter: Interpreter
) -> tuple[packages.Contender | None, str]:
    """The model as generated code, or None and why not (too large to generate in reasonable
    time, or a model m2cgen cannot express): the anchor is then missing, never the run."""
    try:
        return generated_contender(estimator, card, out, interpreter.path), ""
    except (TooLarge, NotAForest) as exc:
        return None, str(exc)
    except Exception as exc:  # m2cgen refuses what it does not support, in its own exceptions
        return None, f"m2cgen cannot generate it: {type(exc).__name__}: {str(exc)[:200]}"


def run_iris(run: Run) -> dict[str, Any]:
    """Cold starts and warm latency per CPU mode, handler overhead, in-process predict, sizes."""
    built, settings, interpreter, tick, base, modes, generated, iris_cold = run
    card = ModelCard.load(built.onnx.task_root / "model.json")
    one, batch = _rows_in_range(card, 1), _rows_in_range(card, BATCH_ROWS)
    per_mode = {}
    for mode, limit in modes:
        cold = cold_start.cold_starts(
            iris_cold,
            settings.cold_starts,
            _event(one),
            base,
            interpreter,
            lambda label, mode=mode: tick(f"{mode} {label}"),
            limit,
        )
        warm = cold_start.warm_latencies(
            [built.onnx, built.pickle, built.floor, *([generated] if generated else [])],
            {"1 row": _event(one), f"{BATCH_ROWS} rows": _event(batch)},
            settings.warm_rounds,
            base,
            interpreter,
            lambda label, mode=mode: tick(f"{mode} {label}"),
            cpu_limit=limit,
        )
        per_mode[mode] = {
            "cold": {name: [asdict(s) for s in samples] for name, samples in cold.items()},
            "warm_ms": warm,
        }
    estimator = joblib.load(packages.BASELINE_MODEL_DIR / "model.pkl")
    model_bytes = (built.onnx.task_root / "model.onnx").read_bytes()
    predict = {
        label: predict_seconds({"onnx": model_bytes}, estimator, rows, settings.predict_repeats)
        for label, rows in (("1 row", one), (f"{BATCH_ROWS} rows", batch))
    }
    main, *others = (mode for mode, _ in modes)
    return {
        **per_mode[main],
        **{mode: per_mode[mode] for mode in others},
        "handler_overhead": handler_overhead(run),
        "predict_s": predict,
        "sizes": _sizes(built),
    }


def handler_overhead(run: Run) -> dict[str, Any]:
    """A 1,000-row request's handler time against ``predict`` on the same rows, in a fresh
    target-interpreter process seeing only the built function and its layer (main CPU mode)."""
    built = run.built
    paths = [built.onnx.task_root, built.onnx_layer / "python"]
    command, environment = isolated_python(run.interpreter.path, paths)
    arguments = [ROOT / "events", BATCH_ROWS, run.settings.overhead_rounds]
    done = run_limited(
        [*command, str(OVERHEAD_PROBE), *map(str, arguments)],
        run.main_limit,
        env={**environment, **run.base.environment},
        cwd=built.onnx.task_root,
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        raise packages.BuildError(f"handler overhead probe: {done.stderr.strip()[-500:]}")
    run.tick("handler overhead")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_grid_point(model: GridModel, run: Run) -> dict[str, Any]:
    """One forest: cold starts of all three contenders, model sizes, batch throughput."""
    built, settings, interpreter, tick, base, *_ = run
    card = ModelCard.load(model.onnx_dir / "model.json")
    shipped = built.onnx.with_model(SHIPPED_VARIANT, model.v5_dir)
    generated, not_generated = generated_for(
        model.estimator(),
        card,
        packages.BUILD / "functions" / f"generated-{model.point.key}",
        interpreter,
    )
    contenders = [
        built.onnx.with_model("onnx", model.onnx_dir),
        shipped,
        built.pickle.with_model("pickle", model.pickle_dir),
        *([generated] if generated else []),
    ]
    event = _event(_rows_in_range(card, 1))
    cold = cold_start.cold_starts(
        contenders, settings.grid_cold_starts, event, base, interpreter, tick, run.main_limit
    )
    batch_event = {f"{BATCH_ROWS} rows": _event(_rows_in_range(card, BATCH_ROWS))}
    warm = cold_start.warm_latencies(
        [shipped, *([generated] if generated else [])],
        batch_event,
        settings.grid_warm_rounds,
        base,
        interpreter,
        tick,
        cpu_limit=run.main_limit,
    )
    models = {
        "onnx": (model.onnx_dir / "model.onnx").read_bytes(),
        "onnx-v5": (model.v5_dir / "model.onnx").read_bytes(),
    }
    model_bytes = {
        "onnx": len(models["onnx"]),
        "onnx-v5": len(models["onnx-v5"]),
        "pickle": (model.pickle_dir / "model.pkl").stat().st_size,
    }
    layers = {"onnx": built.onnx_layer, "onnx-v5": built.onnx_layer, "pickle": built.sklearn_layer}
    code = {
        "onnx": built.onnx.task_root,
        "onnx-v5": built.onnx.task_root,
        "pickle": built.pickle.task_root,
    }
    predict = predict_seconds(
        models,
        model.estimator(),
        _rows_in_range(card, BATCH_ROWS),
        max(10, settings.predict_repeats // 10),
    )
    return {
        "key": model.point.key,
        "label": model.point.label,
        "trees": model.point.trees,
        "depth": model.point.depth,
        "nodes": model.nodes,
        "accuracy": model.accuracy,
        "model_bytes": model_bytes,
        "deployed_unzipped": {
            name: packages.tree_bytes(layers[name] / "python")
            + _code_bytes(code[name])
            + model_bytes[name]
            + (model.onnx_dir / "model.json").stat().st_size
            for name in model_bytes
        },
        "cold": {name: [asdict(s) for s in samples] for name, samples in cold.items()},
        "warm_ms": warm,
        "generated": {"built": generated is not None, "note": not_generated},
        "batch_rows": BATCH_ROWS,
        "predict_s": predict,
    }


def run_levers(largest: GridModel, run: Run) -> dict[str, Any]:
    """Each init-time lever on the largest forest."""
    built, settings, interpreter, tick, *_ = run
    card = ModelCard.load(largest.onnx_dir / "model.json")
    variants = init_options.prepare_levers(
        largest.onnx_dir / "model.onnx",
        largest.estimator(),
        _rows_in_range(card, 2000),
        packages.BUILD / "levers",
    )
    results = init_options.measure_levers(
        variants,
        settings.lever_rounds,
        interpreter.path,
        built.onnx_layer / "python",
        tick,
        run.main_limit,
    )
    return {"forest": largest.point.label, "nodes": largest.nodes, "results": results}


def run(
    settings: LocalBenchmarkSettings, tick: Callable[[str], None], set_total: Callable[[int], None]
) -> dict[str, Any]:
    """Build, measure everything ``settings`` asks for, return the results document."""
    points = default_grid() if settings.grid else []
    built = packages.build_packages(settings.runtime, settings.arch, settings.rebuild_layers)
    modes, cpu_note = cpu_modes(settings)
    if cpu_note:
        print(f"WARNING: {cpu_note}", flush=True)
    interpreter = find_interpreter(settings.runtime)
    if not interpreter.matches_runtime:
        raise packages.BuildError(
            f"{settings.runtime} is not installed here; the benchmark needs the target interpreter"
        )
    generated, not_generated = generated_for(
        joblib.load(packages.BASELINE_MODEL_DIR / "model.pkl"),
        ModelCard.load(built.onnx.task_root / "model.json"),
        packages.BUILD / "functions" / "generated",
        interpreter,
    )
    if not_generated:
        print(f"no generated-code anchor for this model: {not_generated}", flush=True)
    iris_cold = iris_contenders(built, generated, interpreter)
    set_total(settings.steps(len(points), init_options.LEVER_COUNT, len(iris_cold), len(modes)))
    tick("built layers and functions")
    base = function_config(
        ROOT / "template.yaml", "InferenceFunction", {"Runtime": settings.runtime}
    )
    context = Run(built, settings, interpreter, tick, base, modes, generated, iris_cold)
    models = []
    for point in points:
        models.append(build_grid_model(point, packages.BUILD / "grid"))
        tick(f"grid model {point.key}")
    results: dict[str, Any] = {
        "mode": "local",
        "created_utc": now_utc(),
        "machine": machine(),
        "interpreter": {"path": str(interpreter.path), "version": interpreter.version},
        "versions": {
            **layer_versions(built.onnx_layer / "python"),
            **layer_versions(built.sklearn_layer / "python"),
            "python (runtime)": interpreter.version,
        },
        "method": METHOD,
        "cpu": {
            "mode": modes[0][0],
            "modes": [mode for mode, _ in modes],
            "visible_cpus": os.cpu_count(),
            "quota_cpus": modes[0][1].cpus if modes[0][1] else None,
            "note": cpu_note,
        },
        "settings": asdict(settings),
        "iris": {**run_iris(context), "generated_note": not_generated},
        "grid": [run_grid_point(m, context) for m in models],
    }
    if settings.levers and models:
        largest = max(models, key=lambda m: m.nodes)
        results["levers"] = run_levers(largest, context)
    results["machine"]["load_average_at_end"] = list(os.getloadavg())
    tick("done")
    return results
