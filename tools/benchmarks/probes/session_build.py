"""Run by the target interpreter in a fresh process: time one ``InferenceSession`` creation.

``python -s -S session_build.py MODEL LEVEL [key=value ...]`` with only the onnxruntime layer and
the function folder on ``PYTHONPATH``; prints one JSON object. Standard library + numpy +
onnxruntime + the function's own ``onnx_serving``, because it runs on the layer alone, as the
handler does, with the handler's own session options (only the optimisation level varies).
"""

import json
import sys
import time


def peak_rss_kb() -> int:
    """VmHWM: the peak of this process alone (ru_maxrss carries the parent's peak over exec)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


started = time.perf_counter()
import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402

from onnx_serving.model import session_options  # noqa: E402

imported = time.perf_counter()
path, level, *entries = sys.argv[1:]
options = session_options()
options.graph_optimization_level = getattr(ort.GraphOptimizationLevel, level)
for entry in entries:
    key, _, value = entry.partition("=")
    options.add_session_config_entry(key, value)
with open(path, "rb") as model:
    model_bytes = model.read()
read = time.perf_counter()
session = ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])
created = time.perf_counter()
shape = session.get_inputs()[0].shape
session.run(None, {session.get_inputs()[0].name: np.zeros((1, shape[1]), dtype=np.float32)})
ran = time.perf_counter()
print(
    json.dumps(
        {
            "import_ms": (imported - started) * 1000,
            "read_ms": (read - imported) * 1000,
            "session_ms": (created - read) * 1000,
            "first_run_ms": (ran - created) * 1000,
            "peak_rss_mb": peak_rss_kb() / 1024,
        }
    )
)
