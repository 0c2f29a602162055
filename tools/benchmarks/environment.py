"""Where and with what a run was measured: machine and library versions."""

from __future__ import annotations

import os
import platform
import re
from datetime import UTC, datetime
from pathlib import Path

from tools.benchmarks.results import Machine


def machine() -> Machine:
    """CPU model, core count, memory and OS, enough to tell two machines apart, and the load now."""
    cpu = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        found = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.MULTILINE)
        cpu = found.group(1).strip() if found else cpu
    memory_gb = 0.0
    meminfo = Path("/proc/meminfo")
    if meminfo.is_file():
        found = re.search(r"^MemTotal:\s*(\d+) kB", meminfo.read_text(), re.MULTILINE)
        memory_gb = int(found.group(1)) / 1024**2 if found else 0.0
    description = f"{cpu}, {os.cpu_count() or 0} cores, {memory_gb:.0f} GB RAM, {platform.system()}"
    return Machine(description, load_at_start=os.getloadavg()[0])


def layer_versions(python_dir: Path) -> dict[str, str]:
    """``name: version`` of every distribution installed in a built layer."""
    versions = {}
    for info in python_dir.glob("*.dist-info"):
        name, _, version = info.name.removesuffix(".dist-info").partition("-")
        versions[name.lower().replace("_", "-")] = version
    return versions


def now_utc() -> str:
    """ISO-8601 UTC timestamp to the second."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
