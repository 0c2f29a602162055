"""What Lambda knows about a function (name, memory, timeout, environment) and the process
environment it gives the runtime.

The environment is built from scratch, never inherited: anything leaking in from the developer's
shell (a virtualenv's PYTHONPATH, PYTHONHOME, ...) would make a local run pass where Lambda fails.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from layer.runtimes import DEFAULT_RUNTIME

REGION = "us-east-1"
ACCOUNT = "123456789012"


@dataclass(frozen=True)
class FunctionConfig:
    """The settings template.yaml gives a function, with the template's defaults."""

    name: str = "InferenceFunction"
    handler: str = "app.handler"
    runtime: str = DEFAULT_RUNTIME
    memory_mb: int = 512
    timeout_s: float = 10.0
    environment: Mapping[str, str] = field(default_factory=dict)

    @property
    def arn(self) -> str:
        """The ARN the runtime client puts in `context.invoked_function_arn`."""
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.name}"


def layer_python_paths(layers: Sequence[Path], python_version: str) -> list[Path]:
    """`sys.path` entries Lambda adds for layers extracted under /opt, in Lambda's order."""
    paths: list[Path] = []
    for root in layers:
        paths.append(root / "python" / "lib" / f"python{python_version}" / "site-packages")
        paths.append(root / "python")
    return paths


def isolated_python(interpreter: Path, paths: Sequence[Path]) -> tuple[list[str], dict[str, str]]:
    """The command prefix and environment of a Python that sees only ``paths`` and the stdlib.

    Lambda puts its folders on the path through PYTHONPATH and never runs ``site``; a probe that
    wants Lambda's view of the world does the same (``-s -S``, a fresh environment), instead of
    editing ``sys.path`` from inside. ``-B``: the folders probed may be build output.
    """
    environment = {
        "PYTHONPATH": os.pathsep.join(map(str, paths)),
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "ORT_DISABLE_TELEMETRY": "1",
    }
    return [str(interpreter), "-s", "-S", "-B"], environment


def run_isolated(interpreter: Path, paths: Sequence[Path], code: str, cwd: Path) -> object:
    """Run ``code`` in a fresh ``isolated_python`` and return the JSON of its last stdout line.

    A failing probe raises with its stderr in the message, so a test shows why it broke.
    """
    command, environment = isolated_python(interpreter, paths)
    done = subprocess.run(
        [*command, "-c", code], env=environment, cwd=cwd, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"isolated probe exited {done.returncode}: {done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def runtime_environment(
    config: FunctionConfig,
    task_root: Path,
    layers: Sequence[Path],
    runtime_client: Path,
    python_version: str,
    api_address: str,
    runtime_sdk: Path | None = None,
) -> dict[str, str]:
    """The variables Lambda sets for a Python runtime, with local paths for its directories.

    On Lambda `/var/task` (the function), `/opt` (the layers), the runtime's site-packages with
    the bundled boto3 (`runtime_sdk`) and `/var/runtime` (the runtime client) are all there is
    on `sys.path` besides the standard library; PYTHONPATH says the same here.
    """
    sdk = [runtime_sdk] if runtime_sdk is not None else []
    python_path = [*layer_python_paths(layers, python_version), *sdk, runtime_client]
    library_path = [
        runtime_client,
        task_root,
        task_root / "lib",
        *(root / "lib" for root in layers),
    ]
    return {
        **config.environment,
        "AWS_LAMBDA_RUNTIME_API": api_address,
        "_HANDLER": config.handler,
        "LAMBDA_TASK_ROOT": str(task_root),
        "LAMBDA_RUNTIME_DIR": str(runtime_client),
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{config.runtime}",
        "AWS_LAMBDA_FUNCTION_NAME": config.name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(config.memory_mb),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{config.name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "local",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LD_LIBRARY_PATH": ":".join(map(str, library_path)),
        "PYTHONPATH": ":".join(map(str, python_path)),
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        # /var/task and /opt are read-only on Lambda, so Python never caches bytecode there; a
        # local run must not either, or later cold starts would be faster than Lambda's and the
        # sam build output would gain __pycache__ folders.
        "PYTHONDONTWRITEBYTECODE": "1",
    }
