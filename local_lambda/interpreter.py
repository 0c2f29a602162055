"""Which Python runs the function locally, and the runtime client installed for it.

Lambda runs the template's Python version; locally that version is used when it is installed
(pyenv or PATH), else the host's Python, with a layer built for it (``local_lambda.host_layer``).
A pyenv shim on PATH may refuse to run without a selected version, so every candidate is tried,
not just found.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from layer.pyc import compile_pyc

ROOT = Path(__file__).resolve().parent.parent
# awslambdaric and its dependencies, hash-locked for every Python the local runtime may run.
RUNTIME_CLIENT_LOCK = ROOT / "requirements" / "runtime-client.txt"
HOST_VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"
BUILD_DIR = ROOT / "build"


@dataclass(frozen=True)
class Interpreter:
    """A Python executable and the `X.Y` version it reported when run."""

    path: Path
    version: str
    # False when the runtime's version was not found and the host Python stands in for it.
    matches_runtime: bool


def interpreter_version(python: Path) -> str | None:
    """``X.Y`` of an interpreter, or None if it does not run (a pyenv shim that is not selected)."""
    try:
        done = subprocess.run(
            [str(python), "-I", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
    except OSError:
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def release_key(install_dir: Path) -> tuple[int, ...]:
    """Sort key of a pyenv install folder such as ``3.13.10``: numeric, so 3.13.10 > 3.13.9."""
    return tuple(int(part) for part in install_dir.name.split(".") if part.isdigit())


def _pyenv_roots() -> list[Path]:
    """pyenv's root as pyenv itself decides it: ``$PYENV_ROOT`` if set, else ``~/.pyenv``
    (and whatever ``pyenv root`` says, for an install elsewhere)."""
    if os.environ.get("PYENV_ROOT"):
        return [Path(os.environ["PYENV_ROOT"])]
    roots = []
    pyenv = shutil.which("pyenv")
    if pyenv:
        done = subprocess.run([pyenv, "root"], capture_output=True, text=True, check=False)
        if done.returncode == 0 and done.stdout.strip():
            roots.append(Path(done.stdout.strip()))
    return [*roots, Path.home() / ".pyenv"]


def _candidates(version: str) -> list[Path]:
    """Places a `pythonX.Y` may live, newest patch release first."""
    found: list[Path] = []
    for root in _pyenv_roots():
        installs = sorted(
            root.glob(f"versions/{version}.*/bin/python{version}"),
            key=lambda p: release_key(p.parents[1]),
            reverse=True,
        )
        found.extend(installs)
    on_path = shutil.which(f"python{version}")
    if on_path:
        found.append(Path(on_path))
    return found


def host_interpreter() -> Path:
    """The interpreter behind the current one, outside any virtualenv."""
    version = HOST_VERSION
    base = Path(sys.base_prefix) / "bin" / f"python{version}"
    return base if base.exists() else Path(sys.executable)


def installed_interpreter(version: str) -> Path | None:
    """A working python``version`` (``X.Y``) installed here, newest patch release first, or None.

    The one search for interpreters: the local runtime, the layer's .pyc compiler and the
    benchmarks all use it (through ``find_interpreter`` where the host may stand in).
    """
    for candidate in _candidates(version):
        if interpreter_version(candidate) == version:
            return candidate
    return None


def find_interpreter(runtime: str) -> Interpreter:
    """The Python of Lambda runtime `runtime` (e.g. python3.13) if it runs here, else the host's."""
    version = runtime.removeprefix("python")
    found = installed_interpreter(version)
    if found is not None:
        return Interpreter(found, version, matches_runtime=True)
    host = host_interpreter()
    return Interpreter(host, HOST_VERSION, matches_runtime=False)


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
