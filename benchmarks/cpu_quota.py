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
