"""Hash-locked installs the local runtime puts where Lambda keeps its own code (``/var/runtime``).

The runtime client (awslambdaric) and, for the batch function, the runtime's SDK go to folders of
their own, never into a virtualenv, so they can be put on the runtime's ``sys.path`` alone.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from layer.interpreters import Interpreter
from layer.pyc import compile_pyc

ROOT = Path(__file__).resolve().parents[2]
# awslambdaric and its dependencies, hash-locked for every Python the local runtime may run.
RUNTIME_CLIENT_LOCK = ROOT / "requirements" / "runtime-client.txt"
BUILD_DIR = ROOT / "build"


def runtime_client_dir(
    interpreter: Interpreter, build_dir: Path = BUILD_DIR, lock: Path = RUNTIME_CLIENT_LOCK
) -> Path:
    """awslambdaric installed for `interpreter` (the `/var/runtime` analogue), installed once.

    It goes to its own folder, never into a virtualenv, so it can be put on the runtime's
    `sys.path` alone (``locked_install``).
    """
    return locked_install(interpreter, "runtime-client", "awslambdaric", lock, build_dir)


# Where Lambda keeps its runtime client and SDK (recorded in the .pyc as their source folder).
LAMBDA_RUNTIME_ROOT = "/var/runtime"
# Part of an install folder's digest: installs made before they were compiled are not reused.
COMPILED_LAYOUT = b"compiled: unchecked-hash .pyc"


def locked_install(
    interpreter: Interpreter, name: str, marker: str, lock: Path, build_dir: Path = BUILD_DIR
) -> Path:
    """``build_dir/<name>-<X.Y>-<lock digest>``: ``lock`` installed once for ``interpreter``.

    The folder is named after the lock's digest, so editing the lock installs afresh, and the
    install is hash-checked (``--require-hashes``, ``--no-deps``: the lock lists every package).
    It lands in a temporary folder that is renamed into place, so two test sessions never see
    half an install; ``marker`` (a top-level package of the lock) says an install is complete.

    The install is compiled to ``.pyc`` by ``interpreter`` itself: Lambda's managed runtime
    ships its runtime client and SDK compiled, and the local runtime never writes bytecode
    (``PYTHONDONTWRITEBYTECODE``, as read-only ``/var/runtime`` would not let it), so without
    this every local cold start would recompile awslambdaric (~17 ms here) where Lambda does not.
    """
    digest = hashlib.sha256(lock.read_bytes() + COMPILED_LAYOUT).hexdigest()[:12]
    target = build_dir / f"{name}-{interpreter.version}-{digest}"

    def install(staging: Path) -> None:
        subprocess.run(
            [
                *(sys.executable, "-m", "uv", "pip", "install", "--quiet"),
                *("--target", str(staging), "--python", str(interpreter.path)),
                *("--only-binary", ":all:", "--no-deps", "--require-hashes", "-r", str(lock)),
            ],
            check=True,
        )
        compile_pyc(staging, interpreter.path, LAMBDA_RUNTIME_ROOT)

    return built_once(target, marker, install)


def built_once(target: Path, marker: str, fill: Callable[[Path], None]) -> Path:
    """``target``, filled by ``fill`` unless it already holds ``marker``: ``fill`` writes into a
    temporary folder beside it that is renamed into place, so two test sessions building at once
    never see half a folder (the loser's copy is dropped)."""
    if (target / marker).exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=target.parent))
    fill(staging)
    try:
        staging.rename(target)
    except OSError:
        shutil.rmtree(staging)
    return target
