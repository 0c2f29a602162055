"""Precompile ``.pyc`` for the target Python.

Lambda mounts a layer read-only at ``/opt``, so Python can never write ``__pycache__`` there: a
layer without ``.pyc`` compiles every module it imports on every cold start. ``unchecked-hash``
``.pyc`` are trusted without comparing mtimes (zip extraction changes them). The interpreter
must be the target's version, since ``.pyc`` are per version (not per architecture).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from layer.interpreters import installed_interpreter
from layer.runtimes import DEFAULT_RUNTIME

LAMBDA_LAYER_ROOT = "/opt/python"
# Where Lambda unpacks a function package.
LAMBDA_TASK_ROOT = "/var/task"


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


def main(argv: list[str] | None = None) -> int:
    """``python -m layer.pyc DIR [--runtime RUNTIME] [--root /var/task]``: compile a function
    package for Lambda, which unpacks it read-only (so it would recompile every module at every
    cold start). Without the runtime's Python here it says so and leaves sources only: ``.pyc``
    of another version would be dead weight that the runtime ignores."""
    parser = argparse.ArgumentParser(prog="python -m layer.pyc", description=main.__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--runtime", default=DEFAULT_RUNTIME)
    parser.add_argument("--root", default=LAMBDA_TASK_ROOT, help="where Lambda puts the folder")
    args = parser.parse_args(argv)
    interpreter = installed_interpreter(args.runtime.removeprefix("python"))
    if interpreter is None:
        print(f"WARNING: no {args.runtime} here: {args.folder} ships without .pyc", file=sys.stderr)
        return 0
    compile_pyc(args.folder, interpreter, args.root)
    return 0


if __name__ == "__main__":
    sys.exit(main())
