"""Which Python runs Lambda's runtime here: the one search for interpreters.

Lambda runs the template's Python version; locally that version is used when it is installed
(pyenv or PATH), else the host's Python stands in. The layer's ``.pyc`` compiler, the local
runtime and the benchmarks all ask this module. A pyenv shim on PATH may refuse to run without a
selected version, so every candidate is tried, not just found.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

HOST_VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"


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
