"""Which Python and which wheels a layer is built for.

Lambda's Python runtimes 3.12 and later run on Amazon Linux 2023 (glibc 2.34): wheels tagged
manylinux_2_34 or older run there, which is what uv's ``--python-platform <arch>-manylinux_2_34``
accepts. python3.10 and 3.11 run on Amazon Linux 2 (glibc 2.26), where onnxruntime >= 1.17
(manylinux_2_28 wheels) cannot load, so they are refused rather than built into a broken layer.
A host build (``--local-python``) is for a local runtime emulator only and is labelled as such.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from layer.interpreters import interpreter_version
from layer.runtimes import (
    AMAZON_LINUX_2_RUNTIMES,
    ARCHITECTURES,
    LAMBDA_ARCHES,
    LAMBDA_RUNTIMES,
    host_arch,
)

GLIBC_TAG = "manylinux_2_34"


class LayerTargetError(ValueError):
    """A runtime or architecture this layer cannot be built for, with the reason."""


@dataclass(frozen=True)
class LayerTarget:
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


def lambda_target(runtime: str, arch: str) -> LayerTarget:
    """The LayerTarget for a Lambda runtime name, refusing runtimes onnxruntime cannot run on."""
    if runtime in AMAZON_LINUX_2_RUNTIMES:
        raise LayerTargetError(
            f"{runtime} is refused: Lambda {runtime} runs on Amazon Linux 2 (glibc 2.26), and "
            "onnxruntime >= 1.17 needs glibc >= 2.28. Use python3.12, python3.13 or python3.14 "
            "(Amazon Linux 2023, glibc 2.34), or --local-python for a host-only build."
        )
    if runtime not in LAMBDA_RUNTIMES:
        choices = ", ".join(LAMBDA_RUNTIMES)
        raise LayerTargetError(f"unknown runtime {runtime!r}: choose one of {choices}")
    if arch not in ARCHITECTURES:
        choices = " or ".join(LAMBDA_ARCHES)
        raise LayerTargetError(f"unknown architecture {arch!r}: choose {choices}")
    return LayerTarget(label=runtime, python_version=runtime.removeprefix("python"), arch=arch)


def local_target(python: Path) -> LayerTarget:
    """A host build for a local emulator: the interpreter's own version and the host's wheels."""
    version = interpreter_version(python)
    if version is None:
        raise LayerTargetError(f"{python} does not run")
    return LayerTarget(
        label=f"local-python{version}",
        python_version=version,
        arch=host_arch(),
        local_python=python,
    )
