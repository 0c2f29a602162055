"""Where a 1,000-row direct invoke's time goes, through the real runtime client, one CPU of time.

``python -m tools.benchmarks.direct_answers [--runs N] [--invokes N] [--before DIR]``

Warm runtime processes (``LocalLambda``: awslambdaric, Lambda's ``sys.path``, each under a one-CPU
CFS quota where one can be made) take the same 1,000-row event in turn, the order flipped every
round, so a slow moment on a shared machine lands on every case. The cases:

- ``empty``: a handler that returns ``{}``: the runtime client's own cost for the event (reading
  it, parsing it, posting an answer), which no change to the function can cut;
- ``predict``: a handler that only runs the served model's ``InferenceSession`` on the event's
  rows (fed once, then reused) and answers onnxruntime's own time, taken in process around the
  run (``probes/predict_only.py``);
- ``rows``: the function's handler on the event as callers send it today (the default layout);
- ``columns``: the same rows asking for ``"layout": "columns"``;
- ``before``, with ``--before DIR``: the handler of another function folder (an older commit's
  ``function/``, say) on the ``rows`` event.

Each run starts fresh processes; a case's figure for a run is its median invoke duration (event
handed over until the answer arrived). Printed: per case, the median of the runs' medians and
their range, and each handler's cost beyond ``empty`` as a multiple of onnxruntime's own predict.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

from layer.interpreters import find_interpreter
from onnx_serving.card import ModelCard
from tools.benchmarks.cold_start import alternating
from tools.benchmarks.local import BATCH_ROWS
from tools.benchmarks.packages import EMPTY_HANDLER, PROBES, SERVED_MODEL_DIR
from tools.example_rows import example_rows
from tools.local_lambda import FunctionConfig, LocalLambda
from tools.local_lambda.cpu_quota import CpuLimit
from tools.local_lambda.host_layer import host_layer

FUNCTION_FILES = ("app.py", "onnx_serving", "model.onnx", "model.json")
# The probes, copied beside the function's app.py: the runtime alone, and predict alone.
PREDICT_ONLY_HANDLER = PROBES / "predict_only.py"
WARMUP_INVOKES = 20


class Case(NamedTuple):
    """One measured handler: which function folder, which handler, which event."""

    name: str
    task_root: Path
    handler: str
    event: bytes


def task_root(function_dir: Path, into: Path) -> Path:
    """A function folder as Lambda's ``/var/task``: the handler's files, the model, the probes."""
    into.mkdir(parents=True)
    for name in FUNCTION_FILES:
        source = function_dir / name
        if source.is_dir():
            shutil.copytree(source, into / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, into / name)
    for probe in (EMPTY_HANDLER, PREDICT_ONLY_HANDLER):
        shutil.copy2(probe, into / probe.name)
    return into


def events(card: ModelCard) -> dict[str, bytes]:
    """The ``BATCH_ROWS``-row direct event as every caller sends it today, and asking for the
    columns layout."""
    rows = example_rows(card, BATCH_ROWS)
    return {
        "rows": json.dumps({"instances": rows}).encode(),
        "columns": json.dumps({"instances": rows, "layout": "columns"}).encode(),
    }


def cases(work: Path, function_dir: Path, before: Path | None = None) -> list[Case]:
    """Every case of the measurement for ``function_dir`` (and ``before``), their task roots
    made under ``work``."""
    after = task_root(function_dir, work / "after")
    by_layout = events(ModelCard.load(after / "model.json"))
    found = [
        Case("empty", after, f"{EMPTY_HANDLER.stem}.handler", by_layout["rows"]),
        Case("predict", after, f"{PREDICT_ONLY_HANDLER.stem}.handler", by_layout["rows"]),
        Case("rows", after, "app.handler", by_layout["rows"]),
        Case("columns", after, "app.handler", by_layout["columns"]),
    ]
    if before is not None:
        old = task_root(before, work / "before")
        found.append(Case("before", old, "app.handler", by_layout["rows"]))
    return found


def one_run(
    measured: Sequence[Case], invokes: int, cpu_limit: CpuLimit | None
) -> tuple[dict[str, float], float]:
    """Median duration (ms) of each case in fresh warm processes, and onnxruntime's own
    median predict time (ms) taken inside the ``predict`` probe."""
    interpreter = find_interpreter("python3.13")
    layers = [host_layer(interpreter)]
    durations: dict[str, list[float]] = {case.name: [] for case in measured}
    predict_ms: list[float] = []
    running: dict[str, LocalLambda] = {}
    try:
        for case in measured:
            config = FunctionConfig(name=case.name, handler=case.handler)
            function = LocalLambda(
                case.task_root, layers, config, interpreter, subprocess.DEVNULL, cpu_limit=cpu_limit
            )
            running[case.name] = function
            function.start()
            if function.init_error is not None:
                raise RuntimeError(
                    f"{case.name}: init failed {function.init_error.payload[:300]!r}"
                )
            for _ in range(WARMUP_INVOKES):
                _answer(function, case)
        for case in alternating(list(measured), invokes):
            result = _answer(running[case.name], case)
            durations[case.name].append(result.duration_ms)
            if case.name == "predict":
                predict_ms.append(result.json()["predict_ms"])
    finally:
        for function in running.values():
            function.stop()
    medians = {name: statistics.median(values) for name, values in durations.items()}
    return medians, statistics.median(predict_ms)


def _answer(function: LocalLambda, case: Case) -> Any:
    result = function.invoke(case.event)
    if result.function_error is not None or "error" in result.json():
        raise RuntimeError(f"{case.name}: {result.payload[:300]!r}")
    return result


def summary(runs: Sequence[tuple[dict[str, float], float]]) -> list[str]:
    """Lines: onnxruntime's own predict, then per case the median of the runs' medians [min-max],
    its cost beyond ``empty`` and that cost over the run's own predict [min-max]."""
    own = [predict for _, predict in runs]
    lines = [f"onnxruntime predict in process: {_spread(own)} ms"]
    for name in runs[0][0]:
        values = [medians[name] for medians, _ in runs]
        beyond = [medians[name] - medians["empty"] for medians, _ in runs]
        ratios = [cost / predict for cost, predict in zip(beyond, own, strict=True)]
        lines.append(
            f"{name}: {_spread(values)} ms, beyond empty {_spread(beyond)} ms, "
            f"{_spread(ratios)}x predict"
        )
    return lines


def _spread(values: Sequence[float]) -> str:
    return f"{statistics.median(values):.2f} [{min(values):.2f}-{max(values):.2f}]"


def main(argv: Sequence[str] | None = None) -> None:
    """Measure and print; ``--free`` runs without the one-CPU quota."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--invokes", type=int, default=100)
    parser.add_argument("--before", type=Path, help="another function folder to compare")
    parser.add_argument("--free", action="store_true", help="no CPU quota")
    args = parser.parse_args(argv)
    cpu_limit = None if args.free else CpuLimit()
    if cpu_limit is not None and cpu_limit.available():
        raise SystemExit(f"no one-CPU quota here: {cpu_limit.available()}; use --free")
    with tempfile.TemporaryDirectory() as work:
        measured = cases(Path(work), SERVED_MODEL_DIR, args.before)
        runs = []
        for index in range(args.runs):
            runs.append(one_run(measured, args.invokes, cpu_limit))
            medians = " ".join(f"{name} {value:.2f}" for name, value in runs[-1][0].items())
            print(f"run {index + 1}: {medians}; predict in process {runs[-1][1]:.2f}", flush=True)
    print("\n".join(summary(runs)))


if __name__ == "__main__":
    main()
