"""Give a runtime process Lambda's CPU: a share of CPU time per period, with every CPU visible.

Below 1,769 MB a Lambda function sees two CPUs but gets at most one CPU of time: a CFS quota, not
an affinity mask. The difference matters: numpy's OpenBLAS sizes its thread pool from the
affinity mask and busy-waits in a worker thread at import, so a process pinned with ``taskset``
starts no such thread and measures a CPU Lambda does not have. A cgroup whose quota equals its
period reproduces what Lambda gives; the process joins it before ``exec``, so the interpreter's
own start-up is throttled too.

cgroup v1 (a ``cpu`` controller mounted at ``/sys/fs/cgroup/cpu``) and v2 (``cpu.max``) are both
handled. Creating a cgroup needs root or a delegated subtree; where neither works, ``CpuLimit``
says why and callers run free, saying so.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CGROUP_ROOT = Path("/sys/fs/cgroup")
PERIOD_US = 100_000
# Lambda's CPU share grows with memory: one full vCPU at 1,769 MB (AWS Lambda developer guide,
# "Configuring function memory").
MB_PER_VCPU = 1769


class CpuLimitUnavailable(RuntimeError):
    """No writable cgroup CPU controller here; the message says what was tried."""


def cpus_for_memory(memory_mb: int, visible_cpus: int) -> float:
    """The CPU time Lambda gives a function of ``memory_mb``, capped by the CPUs it can see."""
    return min(memory_mb / MB_PER_VCPU, float(visible_cpus))


@dataclass(frozen=True)
class CpuLimit:
    """``cpus`` CPUs of time per period for each process started through it (1.0 = one CPU)."""

    cpus: float = 1.0

    def open(self) -> CpuCgroup:
        """A fresh cgroup with this limit, or ``CpuLimitUnavailable`` naming what failed."""
        quota_us = max(1000, round(self.cpus * PERIOD_US))
        errors = []
        for make in (_cgroup_v1, _cgroup_v2):
            try:
                return make(quota_us)
            except OSError as exc:
                errors.append(f"{exc.filename or ''}: {exc.strerror}")
        raise CpuLimitUnavailable("no writable cgroup cpu controller (" + "; ".join(errors) + ")")

    def available(self) -> str | None:
        """None when a limited process can be started here, else the reason it cannot."""
        try:
            self.open().remove()
        except CpuLimitUnavailable as exc:
            return str(exc)
        return None


@dataclass(frozen=True)
class CpuCgroup:
    """One cgroup directory and the file a process writes itself into to join it."""

    path: Path
    procs_file: Path

    def joiner(self) -> tuple[int, Callable[[], None]]:
        """An open descriptor on ``cgroup.procs`` and a ``preexec_fn`` that joins the cgroup.

        The child only writes ``0`` (itself) to a descriptor the parent opened: no allocation,
        no lock, no import between ``fork`` and ``exec``. The caller closes the descriptor once
        the child has started.
        """
        descriptor = os.open(self.procs_file, os.O_WRONLY)
        return descriptor, lambda: os.write(descriptor, b"0")

    def remove(self) -> None:
        """Delete the cgroup; its processes must have exited (a live one makes this raise)."""
        self.path.rmdir()


def _cgroup_v1(quota_us: int) -> CpuCgroup:
    parent = CGROUP_ROOT / "cpu"
    if not (parent / "cpu.cfs_quota_us").exists():
        raise FileNotFoundError(2, "no cgroup v1 cpu controller", str(parent))
    path = parent / f"onnx-lambda-{uuid.uuid4().hex[:12]}"
    path.mkdir()
    try:
        (path / "cpu.cfs_period_us").write_text(str(PERIOD_US))
        (path / "cpu.cfs_quota_us").write_text(str(quota_us))
    except OSError:
        path.rmdir()
        raise
    return CpuCgroup(path, path / "cgroup.procs")


def _cgroup_v2(quota_us: int) -> CpuCgroup:
    controllers = CGROUP_ROOT / "cgroup.controllers"
    if not controllers.exists() or "cpu" not in controllers.read_text().split():
        raise FileNotFoundError(2, "no cgroup v2 cpu controller", str(controllers))
    path = CGROUP_ROOT / f"onnx-lambda-{uuid.uuid4().hex[:12]}"
    subtree = CGROUP_ROOT / "cgroup.subtree_control"
    if "cpu" not in subtree.read_text().split():
        subtree.write_text("+cpu")
    path.mkdir()
    try:
        (path / "cpu.max").write_text(f"{quota_us} {PERIOD_US}")
    except OSError:
        path.rmdir()
        raise
    return CpuCgroup(path, path / "cgroup.procs")


def run_limited(
    command: Sequence[str], limit: CpuLimit | None, **kwargs: Any
) -> subprocess.CompletedProcess[str]:
    """``subprocess.run(command, text=True, **kwargs)``, the child under ``limit`` if given."""
    if limit is None:
        return subprocess.run(command, text=True, **kwargs)
    cgroup = limit.open()
    descriptor, join = cgroup.joiner()
    try:
        return subprocess.run(command, preexec_fn=join, text=True, **kwargs)
    finally:
        os.close(descriptor)
        cgroup.remove()
