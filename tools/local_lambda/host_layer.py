"""The onnxruntime layer a local run loads when the runtime's Python is not installed here.

``sam build`` builds the layer for the target runtime (python3.13 wheels, cp313 extension
modules): that is what Lambda runs, whatever Python this machine has. A local run under another
Python cannot import those modules, so it gets the same hash-locked requirements and slimming
profile built for the interpreter that will run it, once, under ``build/`` (keyed by the lock's
digest, so a re-lock builds it again). The deployable layer is never touched.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from layer.build import build
from layer.interpreters import Interpreter
from layer.profiles import ONNXRUNTIME
from layer.runtimes import host_arch
from layer.targets import local_target
from tools.local_lambda.installs import BUILD_DIR, built_once

ROOT = Path(__file__).resolve().parents[2]
# The layer sam build builds for InferenceFunction (template.yaml).
ONNX_LAYER = "OnnxRuntimeLayer"


def host_layer(interpreter: Interpreter, build_dir: Path = BUILD_DIR) -> Path:
    """``build/host-layer-pythonX.Y-ARCH-DIGEST`` (holding ``python/``), built once."""
    requirements = ROOT / "layer" / f"requirements-{host_arch()}.txt"
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()[:12]
    target = build_dir / f"host-layer-python{interpreter.version}-{host_arch()}-{digest}"
    return built_once(
        target,
        "python",
        lambda staging: build(
            requirements, ONNXRUNTIME, local_target(interpreter.path), staging, None
        ),
    )


def runnable_layers(built: Sequence[Path], interpreter: Interpreter) -> list[Path]:
    """The layers a local run loads: ``sam build``'s own when the runtime's Python runs here;
    otherwise the onnxruntime layer built for ``interpreter`` in place of the built one."""
    if interpreter.matches_runtime:
        return list(built)
    if [path.name for path in built] != [ONNX_LAYER]:
        raise ValueError(
            f"no Python {interpreter.version} layer can stand in for {[p.name for p in built]}: "
            "pass --layer-dir with layers built for this Python"
        )
    return [host_layer(interpreter)]


def fallback_note(runtime: str, interpreter: Interpreter, layers: Sequence[Path]) -> str:
    """The one line a local run prints when the host Python stands in for the runtime's."""
    return (
        f"local_lambda: {runtime} not found here; running host Python {interpreter.version} "
        f"({interpreter.path}) with the onnxruntime layer built for it ({layers[0]}); "
        f"the deployable layer (sam build) stays built for {runtime}"
    )
