"""What the runtime client alone adds to RSS per invocation, to tell a handler leak from it.

awslambdaric sets ``os.environ["_X_AMZN_TRACE_ID"]`` to each invocation's trace id, and trace ids
are unique; glibc's ``setenv`` never frees the string it replaces (a caller may still hold it),
so every invocation leaves ~110 bytes behind whatever the handler does. A no-op handler in a copy
of the same package, under the same runtime client, measures that cost; the soak subtracts it.
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import tempfile
from pathlib import Path

from tools.local_lambda import FunctionConfig
from tools.local_lambda.runner import proc_status_kb
from tools.reliability.sam_build_output import FUNCTION, built_lambda

NOOP_MODULE = "soak_noop"
NOOP_SOURCE = "def handler(event, context):\n    return {}\n"
WARM_UP = 500


def runtime_bytes_per_invoke(build_dir: Path, config: FunctionConfig, count: int) -> float:
    """RSS growth per invocation of a handler that does nothing, after a warm-up."""
    with tempfile.TemporaryDirectory(prefix="soak-noop-") as scratch:
        task_root = Path(scratch) / "task"
        shutil.copytree(build_dir / FUNCTION, task_root)
        (task_root / f"{NOOP_MODULE}.py").write_text(NOOP_SOURCE)
        noop = dataclasses.replace(config, handler=f"{NOOP_MODULE}.handler")
        with built_lambda(build_dir, subprocess.DEVNULL, noop, task_root) as function:
            for _ in range(WARM_UP):
                function.invoke({})
            start = proc_status_kb(function.pid)
            for _ in range(count):
                function.invoke({})
            end = proc_status_kb(function.pid)
    return (end - start) * 1024 / count
