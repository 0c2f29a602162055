"""Measure whether shipping ``.pyc`` pays: ``python -m tools.benchmarks.pyc_benefit --help``.

Cold start on Lambda is a fresh process over a read-only layer, so each sample is a fresh
``python -s -S`` process (no site, no user paths) whose path holds only the layer and the function
folder, timing ``import numpy, onnxruntime`` plus ``InferenceSession`` creation with the
handler's session options. Runs alternate between a copy
of the layer with ``.pyc`` and one without, so drift in machine load hits both equally. ``-B``
stands in for the read-only ``/opt`` (file modes do not stop root): nothing compiled is cached.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path

from convert import FUNCTION_DIR
from layer.interpreters import installed_interpreter
from layer.pyc import strip_pyc
from layer.runtimes import DEFAULT_ARCH, DEFAULT_RUNTIME
from tools.benchmarks.packages import function_environment
from tools.local_lambda.function import isolated_python

PROBE = """
import sys, time
start = time.perf_counter()
import numpy, onnxruntime
from onnx_serving.model import session_options
onnxruntime.InferenceSession(sys.argv[1], session_options(), providers=["CPUExecutionProvider"])
print((time.perf_counter() - start) * 1000)
"""


def _sample_ms(interpreter: Path, layer: Path, model: Path) -> float:
    command, environment = isolated_python(interpreter, [layer, FUNCTION_DIR])
    done = subprocess.run(
        [*command, "-c", PROBE, str(model)],
        env={**environment, **function_environment()},
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout)


def measure(interpreter: Path, python_dir: Path, model: Path, runs: int) -> dict[str, float]:
    """Median milliseconds with and without ``.pyc`` over ``runs`` alternating samples each."""
    with tempfile.TemporaryDirectory() as scratch:
        bare = Path(scratch) / "python"
        shutil.copytree(python_dir, bare)
        strip_pyc(bare)
        samples: dict[str, list[float]] = {"with_pyc_ms": [], "without_pyc_ms": []}
        for _ in range(runs):
            samples["with_pyc_ms"].append(_sample_ms(interpreter, python_dir, model))
            samples["without_pyc_ms"].append(_sample_ms(interpreter, bare, model))
    return {name: round(statistics.median(values), 1) for name, values in samples.items()}


def main(argv: list[str] | None = None) -> None:
    """CLI: print the medians as JSON."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.benchmarks.pyc_benefit", description=__doc__
    )
    default_layer = Path(f"build/layer-{DEFAULT_RUNTIME}-{DEFAULT_ARCH}")
    parser.add_argument("--layer", type=Path, default=default_layer, help="make layer's output")
    parser.add_argument("--model", type=Path, default=FUNCTION_DIR / "model.onnx")
    parser.add_argument("--python-version", default=DEFAULT_RUNTIME.removeprefix("python"))
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args(argv)
    interpreter = installed_interpreter(args.python_version)
    if interpreter is None:
        parser.error(f"python{args.python_version} not found")
    result = measure(interpreter, args.layer / "python", args.model.resolve(), args.runs)
    print(json.dumps({"runs": args.runs, "interpreter": str(interpreter), **result}))


if __name__ == "__main__":
    main()
