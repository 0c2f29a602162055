"""One CPU of time while two are visible, as Lambda gives below 1,769 MB: a CFS quota.

A cgroup (v1 ``cpu`` controller) whose ``cpu.cfs_quota_us`` equals its ``cpu.cfs_period_us``
lets its processes use one CPU's worth of time per period however many CPUs they see. Pinning
with ``taskset`` would be wrong: OpenBLAS sizes its thread pool from the affinity mask. Needs
root and a writable ``/sys/fs/cgroup/cpu``; ``available()`` says whether this machine has them.
"""

from __future__ import annotations

import os
from pathlib import Path

CPU_CONTROLLER = Path("/sys/fs/cgroup/cpu")
PERIOD_US = 100_000


def available() -> bool:
    """Whether a quota cgroup can be made here."""
    return (CPU_CONTROLLER / "cpu.cfs_quota_us").exists() and os.access(CPU_CONTROLLER, os.W_OK)


class OneCpu:
    """A cgroup limited to one CPU of time; ``add(pid)`` moves a process (all its threads) in."""

    def __init__(self, name: str = "onnx-lambda-benchmark") -> None:
        self.path = CPU_CONTROLLER / f"{name}-{os.getpid()}"

    def __enter__(self) -> OneCpu:
        self.path.mkdir(exist_ok=True)
        (self.path / "cpu.cfs_period_us").write_text(str(PERIOD_US))
        (self.path / "cpu.cfs_quota_us").write_text(str(PERIOD_US))
        return self

    def add(self, pid: int) -> None:
        """Put process ``pid`` under the quota."""
        (self.path / "cgroup.procs").write_text(str(pid))

    def __exit__(self, *exc_info: object) -> None:
        """Remove the cgroup; processes still in it go back to the root group first."""
        for pid in (self.path / "cgroup.procs").read_text().split():
            (CPU_CONTROLLER / "cgroup.procs").write_text(pid)
        self.path.rmdir()
