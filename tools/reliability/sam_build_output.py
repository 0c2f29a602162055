"""The function as ``sam build`` built it, under the local runtime: one place that knows the
build folder's layout (the function and its layer by SAM logical id) and the template's config.

Without the runtime's Python here, the host Python runs it with the onnxruntime layer built for
that Python (``local_lambda.host_layer``), as ``make invoke`` does.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from layer.interpreters import find_interpreter
from tools.local_lambda import FunctionConfig, LocalLambda
from tools.local_lambda.host_layer import runnable_layers
from tools.local_lambda.template import function_config

FUNCTION = "InferenceFunction"
LAYER = "OnnxRuntimeLayer"


def built_config(build_dir: Path, runtime: str | None = None) -> FunctionConfig:
    """The function's settings from the built template, optionally for another runtime."""
    overrides = {"Runtime": runtime} if runtime else {}
    return function_config(build_dir / "template.yaml", FUNCTION, overrides)


def built_lambda(
    build_dir: Path,
    logs: IO[Any] | int | None,
    config: FunctionConfig | None = None,
    task_root: Path | None = None,
    runner: Callable[..., LocalLambda] = LocalLambda,
) -> LocalLambda:
    """A (not yet started) runtime on the built function, or on ``task_root``, with its layer."""
    config = config or built_config(build_dir)
    interpreter = find_interpreter(config.runtime)
    return runner(
        task_root or build_dir / FUNCTION,
        runnable_layers([build_dir / LAYER], interpreter),
        config,
        interpreter,
        logs=logs,
    )
