"""Which Python and which wheels a layer is built for.

Lambda's Python runtimes 3.12 and later run on Amazon Linux 2023 (glibc 2.34): wheels tagged
manylinux_2_34 or older run there, which is what uv's ``--python-platform <arch>-manylinux_2_34``
accepts. python3.10 and 3.11 run on Amazon Linux 2 (glibc 2.26), where onnxruntime >= 1.17
(manylinux_2_28 wheels) cannot load, so they are refused rather than built into a broken layer.
A host build (``--local-python``) is for a local runtime emulator only and is labelled as such.
"""

from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import dataclass
from pathlib import Path

LAMBDA_RUNTIMES = ("python3.12", "python3.13", "python3.14")
AMAZON_LINUX_2_RUNTIMES = ("python3.8", "python3.9", "python3.10", "python3.11")
ARCHITECTURES = {"x86_64": "x86_64", "arm64": "aarch64"}
GLIBC_TAG = "manylinux_2_34"


class TargetError(ValueError):
    """A runtime or architecture this layer cannot be built for, with the reason."""


@dataclass(frozen=True)
class Target:
    """A layer's destination: a Lambda runtime + architecture, or the host interpreter."""

    label: str
    python_version: str
    arch: str
    local_python: Path | None = None

    @property
    def uv_platform_args(self) -> list[str]:
        """uv flags selecting wheels: Lambda's platform, or the host interpreter's own tags."""
        if self.local_python is not None:
            return ["--python", str(self.local_python)]
        return [
            "--python-version",
            self.python_version,
            "--python-platform",
            f"{ARCHITECTURES[self.arch]}-{GLIBC_TAG}",
        ]


def lambda_target(runtime: str, arch: str) -> Target:
    """The Target for a Lambda runtime name, refusing runtimes onnxruntime cannot run on."""
    if runtime in AMAZON_LINUX_2_RUNTIMES:
        raise TargetError(
            f"{runtime} is refused: Lambda {runtime} runs on Amazon Linux 2 (glibc 2.26), and "
            "onnxruntime >= 1.17 needs glibc >= 2.28. Use python3.12, python3.13 or python3.14 "
            "(Amazon Linux 2023, glibc 2.34), or --local-python for a host-only build."
        )
    if runtime not in LAMBDA_RUNTIMES:
        choices = ", ".join(LAMBDA_RUNTIMES)
        raise TargetError(f"unknown runtime {runtime!r}: choose one of {choices}")
    if arch not in ARCHITECTURES:
        raise TargetError(f"unknown architecture {arch!r}: choose x86_64 or arm64")
    return Target(label=runtime, python_version=runtime.removeprefix("python"), arch=arch)


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


def local_target(python: Path) -> Target:
    """A host build for a local emulator: the interpreter's own version and the host's wheels."""
    version = interpreter_version(python)
    if version is None:
        raise TargetError(f"{python} does not run")
    arch = "arm64" if platform.machine() in ("aarch64", "arm64") else "x86_64"
    return Target(
        label=f"local-python{version}", python_version=version, arch=arch, local_python=python
    )


def find_interpreter(version: str) -> Path | None:
    """A working python``version`` for compiling .pyc: pyenv's builds first, since its shim on
    PATH refuses to run unless that version is selected."""
    pyenv_root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    candidates = sorted(pyenv_root.glob(f"versions/{version}.*/bin/python{version}"), reverse=True)
    candidates += [Path(d) / f"python{version}" for d in os.environ.get("PATH", "").split(":") if d]
    for candidate in candidates:
        if candidate.is_file() and interpreter_version(candidate) == version:
            return candidate
    return None
