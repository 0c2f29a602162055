"""The cold-start levers the shipped function pulls, each measured by undoing it alone.

Each lever is set where it takes effect on Lambda, and the benchmark runs the shipped package
beside a copy with just that lever undone, in the same alternating rounds:

- ``OPENBLAS_NUM_THREADS=1``, in the template's Globals (every function, the pickle baseline
  included, so the ratio between them stays fair: scikit-learn's stack loads two OpenBLAS
  copies, numpy's and scipy's). Undone by an empty value, which OpenBLAS reads as unset.
- The garbage-collector pause during init, in ``function/app.py``. Undone by a copy of the
  package whose ``app.py`` leaves the collector running.
- ``.pyc`` in the function package (and the pickle baseline's, which carries the same serving
  modules), compiled by ``function/compile_pyc.mk``: ``/var/task`` is read-only, so without them
  Python recompiles the handler's modules at every cold start. Undone by a copy without them.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from benchmarks.packages import BuildError, Contender, Packages

OPENBLAS_SPINNING = {"OPENBLAS_NUM_THREADS": ""}
GC_PAUSE = "gc.disable()\n"
GC_RESUME = "    gc.freeze()\n    gc.enable()\n"
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
    ColdStartLever("garbage collector paused during init", "onnx", "onnx-gc-during-init", True),
    ColdStartLever(".pyc in the function package", "onnx", "onnx-sources-only", True),
)


def lever_contenders(built: Packages, out: Path) -> list[Contender]:
    """The contenders that undo one shipped lever each (``onnx-sources-only`` is built by
    packages)."""
    onnx, pickle = built.onnx, built.pickle
    return [
        Contender("onnx-openblas-spins", onnx.task_root, onnx.layers, OPENBLAS_SPINNING),
        Contender("pickle-openblas-spins", pickle.task_root, pickle.layers, OPENBLAS_SPINNING),
        Contender("onnx-gc-during-init", _gc_running(onnx.task_root, out), onnx.layers),
    ]


def _gc_running(task_root: Path, out: Path) -> Path:
    """A copy of the function package whose ``app.py`` never pauses the collector."""
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(task_root, out)
    app = (out / "app.py").read_text()
    if GC_PAUSE not in app or GC_RESUME not in app:
        raise BuildError(f"{task_root / 'app.py'} no longer pauses the collector as expected")
    (out / "app.py").write_text(app.replace(GC_PAUSE, "").replace(GC_RESUME, "    pass\n"))
    return out
