"""The heaviest requests and the peak memory they take, through the real runtime client.

The function's memory floor (template.yaml's ``MemorySize`` MinValue) is what its heaviest
request needs plus a margin, so it is measured, not guessed. Every request fits Lambda's 6 MB
invoke limit, so the heaviest are the ones that fill it:

- legal ones, on two models that bound the field: the most compact card there can be (two
  one-letter classes, one one-letter feature), whose answers hold the most rows
  (``MAX_BATCH_ROWS_LIMIT``), and the served model at the most rows its answer fits. The bodies
  are indented JSON, the costliest to receive (every newline is an escape the runtime client
  unescapes in the event);
- the densest JSON a direct invoker can send: 6 MB of nested empty arrays, which the runtime
  client turns into ~3 million lists before the handler sees them (the handler bounds HTTP
  bodies before parsing; a direct payload it cannot). No request peaks higher, so a function
  sized for it cannot be killed for memory by any request.

Each request is sent several times to one warm process, so the peak includes what CPython keeps
between requests.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from sklearn.ensemble import RandomForestClassifier

from convert.check_rows import rows_from_matrix
from convert.export import ModelInfo, export_onnx, verify_and_write
from convert.schema import input_schema
from onnx_serving.card import ModelCard
from tools.local_lambda import FunctionConfig
from tools.reliability.corpus import DIRECT, fitted_payload
from tools.reliability.sam_build_output import FUNCTION, built_lambda

# Lambda's Max Memory Used is the execution environment's, which this local process stands for;
# the margin covers what differs there (the managed runtime's own allocations, another CPython
# patch release, a different allocator state after many requests), then the figure is rounded
# up to a 64 MB step.
MEMORY_MARGIN = 1.3
MEMORY_STEP_MB = 64
REPEATS = 2


def compact_model(task_root: Path) -> ModelCard:
    """Replace the model in ``task_root`` with the most compact one a card can describe."""
    x = np.linspace(0.0, 1.0, 64, dtype=np.float32).reshape(-1, 1)
    y = np.where(x[:, 0] < 0.5, "a", "b")
    forest = RandomForestClassifier(n_estimators=3, max_depth=2, random_state=0).fit(x, y)
    info = ModelInfo("c", "1", np.array([0.0]), np.array([1.0]), {})
    schema = input_schema(forest, ["x"])
    model_bytes = export_onnx(forest, schema)
    return verify_and_write(forest, model_bytes, info, schema, rows_from_matrix(x), task_root)


def indented_batch(card: ModelCard, rows: int, entry: str) -> bytes:
    """``rows`` named rows at mid-range, indentation filling the rest of the invoke limit."""
    row = {
        n: (lo + hi) / 2
        for n, lo, hi in zip(card.feature_names, card.feature_min, card.feature_max, strict=True)
    }
    text = json.dumps({"instances": [row] * rows})
    return fitted_payload(entry, lambda n: text[:-1] + "\n  " * (n // 3) + "}")


# Nesting past a few levels adds lists per byte: 100 levels is within 2% of the most there is.
DENSEST_DEPTH = 100


def densest_payload() -> bytes:
    """A direct invoke payload of nested empty arrays, filling the invoke limit."""
    unit = "[" * DENSEST_DEPTH + "]" * DENSEST_DEPTH
    return fitted_payload(DIRECT, lambda n: "[" + ",".join([unit] * n) + "]")


@dataclass(frozen=True)
class Measured:
    """Peak RSS of a warm process over every request, and each answer's status (a direct
    answer's too; None for a function error) and size."""

    peak_rss_mb: float
    answers: list[tuple[int | None, int]]


def measure(
    build_dir: Path, task_root: Path, config: FunctionConfig, requests: list[bytes]
) -> Measured:
    """Send each request ``REPEATS`` times to one fresh process on ``task_root``."""
    answers = []
    with built_lambda(build_dir, subprocess.DEVNULL, config, task_root) as function:
        if function.init_error is not None:
            raise RuntimeError(f"init failed: {function.init_error.payload[:300]!r}")
        for raw in requests * REPEATS:
            result = function.invoke(raw)
            document = json.loads(result.payload)
            if result.function_error is not None:
                status = None
            elif "statusCode" in document:
                status = document["statusCode"]
            else:
                status = document["error"]["status"] if "error" in document else 200
            answers.append((status, len(result.payload)))
        return Measured(function.peak_rss_kb / 1024, answers)


def memory_floor_mb(peak_rss_mb: float) -> int:
    """The MemorySize a measured peak asks for: the margin added, rounded up to a step."""
    return math.ceil(peak_rss_mb * MEMORY_MARGIN / MEMORY_STEP_MB) * MEMORY_STEP_MB


def task_copy(build_dir: Path, destination: Path) -> Path:
    """A writable copy of the built function."""
    shutil.copytree(build_dir / FUNCTION, destination)
    return destination


def with_rows(config: FunctionConfig, rows: int) -> FunctionConfig:
    """``config`` with MAX_BATCH_ROWS set."""
    return replace(config, environment={**config.environment, "MAX_BATCH_ROWS": str(rows)})
