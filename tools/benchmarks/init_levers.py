"""The cold-start levers, each measured by a copy of the shipped package that differs in it alone.

Each shipped lever is set where it takes effect on Lambda, and the benchmark runs the shipped
package beside a copy with just that lever undone (a rejected one: pulled), in the same
alternating rounds. A lever ships when it saves at least ``KEEP_FROM`` on one CPU:

- ``OPENBLAS_NUM_THREADS=1``, in the template's Globals (every function, the pickle baseline
  included, so the ratio between them stays fair: scikit-learn's stack loads two OpenBLAS
  copies, numpy's and scipy's). Undone by an empty value, which OpenBLAS reads as unset.
- Rejected: pausing the garbage collector during init (``gc.disable()`` before the imports,
  ``gc.freeze()`` and ``gc.enable()`` after). Importing numpy and onnxruntime allocates many
  objects and no garbage, so it looked worth it, but measured against a copy that pauses it,
  it saved nothing on one CPU (−1 ms of 213, paired medians of 30 rounds, where two identical
  copies differ by 10 ms); it stays in the run, as a copy with the pause added.
- ``.pyc`` in the function package (and the pickle baseline's, which carries the same serving
  modules), compiled by ``function/compile_pyc.mk``: ``/var/task`` is read-only, so without them
  Python recompiles the handler's modules at every cold start. Undone by a copy without them.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from layer.pyc import LAMBDA_TASK_ROOT, compile_pyc
from tools.benchmarks.packages import BuildError, Contender, Packages

OPENBLAS_SPINNING = {"OPENBLAS_NUM_THREADS": ""}
# Where the rejected gc lever is spliced into a copy of app.py: before its first import, and
# after the init block's last line.
FIRST_IMPORT = "import os\n"
INIT_END = "    raise init_failure(exc, MODEL_DIR) from None\n"
GC_PAUSE = "import gc\n\ngc.disable()\n\n"
GC_RESUME = "finally:\n    gc.freeze()\n    gc.enable()\n"
# A lever is kept when it saves at least this share of the cold start on one CPU.
KEEP_FROM = 0.10


@dataclass(frozen=True)
class ColdStartLever:
    """One lever: the contender with it pulled and the one without, by name."""

    label: str
    pulled: str
    undone: str
    shipped: bool


LEVERS = (
    ColdStartLever("OPENBLAS_NUM_THREADS=1 (ONNX)", "onnx", "onnx-openblas-spins", True),
    ColdStartLever("OPENBLAS_NUM_THREADS=1 (pickle)", "pickle", "pickle-openblas-spins", True),
    ColdStartLever("garbage collector paused during init", "onnx-gc-paused", "onnx", False),
    ColdStartLever(".pyc in the function package", "onnx", "onnx-sources-only", True),
)


def lever_contenders(built: Packages, out: Path, interpreter: Path) -> list[Contender]:
    """The contenders that undo one shipped lever each, or pull a rejected one
    (``onnx-sources-only`` is built by packages)."""
    onnx, pickle = built.onnx, built.pickle
    return [
        Contender("onnx-openblas-spins", onnx.task_root, onnx.layers, OPENBLAS_SPINNING),
        Contender("pickle-openblas-spins", pickle.task_root, pickle.layers, OPENBLAS_SPINNING),
        Contender("onnx-gc-paused", _gc_paused(onnx.task_root, out, interpreter), onnx.layers),
    ]


def _gc_paused(task_root: Path, out: Path, interpreter: Path) -> Path:
    """A copy of the function package whose ``app.py`` pauses the collector during init and
    freezes what init built, compiled again (an unchecked ``.pyc`` copied along would still
    run the original)."""
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(task_root, out)
    app = (out / "app.py").read_text()
    if app.count(FIRST_IMPORT) != 1 or app.count(INIT_END) != 1:
        raise BuildError(f"{task_root / 'app.py'} no longer has the init block this lever edits")
    app = app.replace(FIRST_IMPORT, GC_PAUSE + FIRST_IMPORT).replace(INIT_END, INIT_END + GC_RESUME)
    (out / "app.py").write_text(app)
    compile_pyc(out, interpreter, LAMBDA_TASK_ROOT)
    return out
