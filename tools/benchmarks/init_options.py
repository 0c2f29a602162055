"""What init time of a large forest depends on: each lever measured on its own.

For the grid's largest forest, every variant below is loaded by a fresh target interpreter that
sees only the onnxruntime layer (``session_probe.py``), variants alternating, and the time to
create the ``InferenceSession`` and the process's peak RSS are recorded. Every rewritten model is
checked against scikit-learn (``convert.parity``) before it is timed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import onnxruntime as ort

from convert import FUNCTION_DIR
from convert.parity import check_parity
from convert.tree_ensemble import to_tree_ensemble_v5
from onnx_serving.model import session_options
from tools.benchmarks.packages import function_environment
from tools.benchmarks.tree_ensemble_variants import slim_classifier, tensor_thresholds
from tools.local_lambda.cpu_quota import CpuLimit, run_limited
from tools.local_lambda.function import isolated_python

PROBE = Path(__file__).resolve().parent / "probes" / "session_build.py"
LEVER_COUNT = 11
ORT_FORMAT = ("session.load_model_format=ORT", "session.use_ort_model_bytes_directly=1")


@dataclass(frozen=True)
class Lever:
    """One way of shipping the same forest: model file, optimisation level, config entries."""

    key: str
    label: str
    model: Path
    level: str = "ORT_ENABLE_ALL"
    entries: tuple[str, ...] = ()


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _to_ort_format(source: Path, destination: Path) -> Path:
    """Save the model in onnxruntime's flatbuffer format, as its own converter does."""
    options = session_options()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    options.optimized_model_filepath = str(destination)
    options.add_session_config_entry("session.save_model_format", "ORT")
    ort.InferenceSession(str(source), options, providers=["CPUExecutionProvider"])
    return destination


def prepare_levers(
    model_path: Path, estimator: object, check_rows: np.ndarray, out: Path
) -> list[Lever]:
    """Write every variant of ``model_path`` to ``out``, each parity-checked."""
    out.mkdir(parents=True, exist_ok=True)
    original = model_path.read_bytes()
    rewrites: dict[str, Callable[[bytes], bytes]] = {
        "slim": slim_classifier,
        "float32-tensors": tensor_thresholds,
        "float64": lambda data: tensor_thresholds(data, np.float64),
        "v5": to_tree_ensemble_v5,
        "v5-split25": partial(to_tree_ensemble_v5, trees_per_node=25),
        "v5-split10": partial(to_tree_ensemble_v5, trees_per_node=10),
    }
    paths = {"original": _write(out / "original.onnx", original)}
    for key, rewrite in rewrites.items():
        rewritten = rewrite(original)
        check_parity(estimator, rewritten, check_rows)
        paths[key] = _write(out / f"{key}.onnx", rewritten)
    paths["v5-ort"] = _to_ort_format(paths["v5"], out / "v5.ort")
    return [
        Lever(
            "shipped",
            "plain skl2onnx export (TreeEnsembleClassifier), ORT_ENABLE_ALL",
            paths["original"],
        ),
        Lever("basic", "same, ORT_ENABLE_BASIC", paths["original"], "ORT_ENABLE_BASIC"),
        Lever("disable", "same, ORT_DISABLE_ALL", paths["original"], "ORT_DISABLE_ALL"),
        Lever("f32-tensor", "thresholds/votes as packed float32 tensors", paths["float32-tensors"]),
        Lever("f64", "float64 thresholds (Cast to double in front)", paths["float64"]),
        Lever("slim", "opset 3 without zero votes, hit rates, missing tracks", paths["slim"]),
        Lever("v5", "ai.onnx.ml 5 TreeEnsemble + ArgMax + Gather", paths["v5"]),
        Lever("v5-disable", "ai.onnx.ml 5, ORT_DISABLE_ALL", paths["v5"], "ORT_DISABLE_ALL"),
        Lever(
            "v5-ort",
            "ai.onnx.ml 5 in ORT format (flatbuffers), bytes used directly",
            paths["v5-ort"],
            "ORT_DISABLE_ALL",
            ORT_FORMAT,
        ),
        Lever("v5-split25", "ai.onnx.ml 5, 25 trees per node, summed", paths["v5-split25"]),
        Lever("v5-split10", "ai.onnx.ml 5, 10 trees per node, summed", paths["v5-split10"]),
    ]


def probe(
    lever: Lever, interpreter: Path, layer_python: Path, cpu_limit: CpuLimit | None = None
) -> dict[str, float]:
    """One fresh-process measurement of ``lever`` (under ``cpu_limit``, if any)."""
    command, environment = isolated_python(interpreter, [layer_python, FUNCTION_DIR])
    done = run_limited(
        [*command, str(PROBE), str(lever.model), lever.level, *lever.entries],
        cpu_limit,
        env={**environment, **function_environment()},
        capture_output=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure_levers(
    levers: list[Lever],
    rounds: int,
    interpreter: Path,
    layer_python: Path,
    tick: Callable[[str], None],
    cpu_limit: CpuLimit | None = None,
) -> dict[str, dict[str, object]]:
    """``rounds`` probes of each lever, alternating; raw samples per lever."""
    results: dict[str, dict[str, object]] = {
        lever.key: {
            "label": lever.label,
            "model_bytes": lever.model.stat().st_size,
            "level": lever.level,
            "entries": list(lever.entries),
            "samples": [],
        }
        for lever in levers
    }
    for index in range(rounds):
        for lever in levers if index % 2 == 0 else list(reversed(levers)):
            results[lever.key]["samples"].append(probe(lever, interpreter, layer_python, cpu_limit))
            tick(f"lever {lever.key}")
    return results
