"""Install a hash-locked requirements file into a folder with uv, for a target, not the host."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from layer.targets import LayerTarget

# uv would otherwise try to download a managed CPython for --python-version (no network for that
# here, and it is not needed: wheels are chosen by tags, not by running the target Python).
UV_NO_DOWNLOADS = "--no-python-downloads"


class InstallError(RuntimeError):
    """uv could not install the lock for the target (usually: no wheel for it)."""


def venv_script(name: str) -> str | None:
    """A console script of this interpreter's own venv first (the venv need not be on PATH),
    then one on PATH; None if neither exists."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.is_file() else shutil.which(name)


def find_uv() -> str:
    """uv, from the venv or PATH."""
    found = venv_script("uv")
    if found is None:
        raise InstallError("uv not found: run `make venv` (it installs uv into .venv)")
    return found


def install(requirements: Path, target: LayerTarget, python_dir: Path) -> None:
    """Install exactly the locked wheels: ``--no-deps`` because the lock lists everything needed
    at run time (and deliberately omits onnxruntime's build-time dependencies), binary only so
    nothing is compiled for the build machine, copies so slimming never touches uv's cache."""
    command = [
        find_uv(),
        "pip",
        "install",
        "--quiet",
        UV_NO_DOWNLOADS,
        "--no-deps",
        "--require-hashes",
        "--only-binary",
        ":all:",
        "--link-mode",
        "copy",
        "--target",
        str(python_dir),
        *target.uv_platform_args,
        "-r",
        str(requirements),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise InstallError(
            f"no installable wheels in {requirements} for {target.label} {target.arch} "
            f"(accepted platform: {' '.join(target.uv_platform_args)}):\n{done.stderr.strip()}"
        )
