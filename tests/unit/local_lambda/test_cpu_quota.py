"""Lambda's CPU share for a local runtime: a CFS quota with every CPU still visible."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tools.local_lambda.cpu_quota import PERIOD_US, CpuLimit, cpus_for_memory

UNAVAILABLE = CpuLimit().available()
needs_cgroups = pytest.mark.skipif(bool(UNAVAILABLE), reason=f"no CPU quota here: {UNAVAILABLE}")


@pytest.mark.parametrize(
    ("memory_mb", "cpus"),
    [(128, 128 / 1769), (512, 512 / 1769), (1769, 1.0), (3008, 3008 / 1769), (10240, 2.0)],
)
def test_lambda_gives_one_cpu_per_1769_mb_up_to_the_cpus_there_are(memory_mb, cpus):
    assert cpus_for_memory(memory_mb, visible_cpus=2) == cpus


@needs_cgroups
@pytest.mark.parametrize(("cpus", "quota_us"), [(1.0, PERIOD_US), (0.5, PERIOD_US // 2)])
def test_a_child_joins_before_exec_and_the_cgroup_goes_with_it(cpus, quota_us):
    cgroup = CpuLimit(cpus).open()
    assert cgroup.path.is_dir()
    descriptor, join = cgroup.joiner()
    try:
        child = subprocess.run(
            [sys.executable, "-c", "print(open('/proc/self/cgroup').read())"],
            preexec_fn=join,
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        os.close(descriptor)
    assert f"/{cgroup.path.name}\n" in child.stdout
    quota = cgroup.path / "cpu.cfs_quota_us"
    if quota.exists():
        assert int(quota.read_text()) == quota_us
        assert int((cgroup.path / "cpu.cfs_period_us").read_text()) == PERIOD_US
    else:
        assert (cgroup.path / "cpu.max").read_text().split() == [str(quota_us), str(PERIOD_US)]
    cgroup.remove()
    assert not cgroup.path.exists()
