"""One CPU of time while two are visible, as Lambda gives below 1,769 MB: a CFS quota.

Pinning with ``taskset`` is not the same thing: OpenBLAS sizes its thread pool from the affinity
mask, so a pinned process never shows the busy-wait a quota-limited one pays for. A cgroup whose
``cpu.cfs_quota_us`` equals its ``cpu.cfs_period_us`` (``cpu.max`` on cgroup v2) lets a process
run on every CPU but for at most one CPU's worth of time; the process joins it before ``exec``,
so its first instruction already runs under the quota. Creating a cgroup needs root; without it
the caller measures with free CPU and says so.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

CGROUP_V1_CPU = Path("/sys/fs/cgroup/cpu")
CPU_CONTROLLER = CGROUP_V1_CPU
CGROUP_V2 = Path("/sys/fs/cgroup")
PERIOD_US = 100_000


def _create(name: str) -> Path | None:
    """A cgroup limited to one CPU, or None where cgroups cannot be written."""
    try:
        if (CGROUP_V1_CPU / "cpu.cfs_quota_us").exists():
            group = CGROUP_V1_CPU / name
            group.mkdir()
            (group / "cpu.cfs_period_us").write_text(str(PERIOD_US))
            (group / "cpu.cfs_quota_us").write_text(str(PERIOD_US))
            return group
        if (CGROUP_V2 / "cgroup.controllers").exists():
            group = CGROUP_V2 / name
            group.mkdir()
            (group / "cpu.max").write_text(f"{PERIOD_US} {PERIOD_US}")
            return group
    except OSError:
        return None
    return None


@contextlib.contextmanager
def one_cpu_cgroup(label: str) -> Iterator[Path | None]:
    """A fresh one-CPU cgroup for the block (None if none can be made), removed afterwards."""
    group = _create(f"{label}-{os.getpid()}")
    try:
        yield group
    finally:
        if group is not None:
            with contextlib.suppress(OSError):
                group.rmdir()


def joined(group: Path) -> list[str]:
    """A launcher (``LocalLambda(launcher=...)``): a shell that moves itself into ``group``, then
    execs the command after it, so the runtime's first instruction runs under the quota."""
    return ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', str(group / "cgroup.procs")]


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
