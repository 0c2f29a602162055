"""Precompile ``.pyc`` for the target Python.

Lambda mounts a layer read-only at ``/opt``, so Python can never write ``__pycache__`` there: a
layer without ``.pyc`` compiles every module it imports on every cold start. ``unchecked-hash``
``.pyc`` are trusted without comparing mtimes (zip extraction changes them). The interpreter
must be the target's version, since ``.pyc`` are per version (not per architecture).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

LAMBDA_LAYER_ROOT = "/opt/python"


def compile_pyc(
    python_dir: Path, interpreter: Path, recorded_root: str = LAMBDA_LAYER_ROOT
) -> None:
    """Compile every module in place. The build folder is replaced by ``recorded_root`` (where
    Lambda mounts it: ``/opt/python`` for a layer) in the recorded source paths and the hash seed
    is fixed (frozenset constants are ordered by hash), so two builds give byte-identical
    ``.pyc``."""
    command = [
        str(interpreter),
        "-I",
        "-m",
        "compileall",
        "-q",
        "-j",
        "0",
        "--invalidation-mode",
        "unchecked-hash",
        "-s",
        str(python_dir),
        "-p",
        recorded_root,
        str(python_dir),
    ]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)


def strip_pyc(python_dir: Path) -> None:
    """Remove compiled caches, to measure or ship a layer without them."""
    for cache in sorted(python_dir.glob("**/__pycache__")):
        for pyc in cache.iterdir():
            pyc.unlink()
        cache.rmdir()
