"""Lambda's REPORT log line, as ``LogType=Tail`` returns it: the durations Lambda itself measured.

A cold invoke's line carries ``Init Duration``; a warm one does not. Lambda prints durations with
two decimals in ms and memory in whole MB, tab-separated, e.g.::

    REPORT RequestId: 3f5c…\tDuration: 2.34 ms\tBilled Duration: 3 ms\tMemory Size: 512 MB\t
    Max Memory Used: 71 MB\tInit Duration: 412.07 ms
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

_FIELDS = {
    "request_id": re.compile(r"RequestId: (\S+)"),
    "duration_ms": re.compile(r"\tDuration: ([\d.]+) ms"),
    "billed_duration_ms": re.compile(r"Billed Duration: ([\d.]+) ms"),
    "memory_size_mb": re.compile(r"Memory Size: (\d+) MB"),
    "max_memory_used_mb": re.compile(r"Max Memory Used: (\d+) MB"),
    "init_duration_ms": re.compile(r"Init Duration: ([\d.]+) ms"),
}
_REQUIRED = (
    "request_id",
    "duration_ms",
    "billed_duration_ms",
    "memory_size_mb",
    "max_memory_used_mb",
)


class ReportLineError(ValueError):
    """The log tail holds no complete REPORT line."""


@dataclass(frozen=True)
class Report:
    """One invocation as Lambda accounted for it; ``init_duration_ms`` only on a cold start."""

    request_id: str
    duration_ms: float
    billed_duration_ms: float
    memory_size_mb: int
    max_memory_used_mb: int
    init_duration_ms: float | None

    @property
    def cold(self) -> bool:
        """Whether this invoke started a new execution environment."""
        return self.init_duration_ms is not None


def parse_report(log_text: str) -> Report:
    """The last REPORT line in ``log_text``, parsed."""
    lines = [line for line in log_text.splitlines() if line.startswith("REPORT ")]
    if not lines:
        raise ReportLineError("no REPORT line in the log tail")
    line = lines[-1]
    found = {name: pattern.search(line) for name, pattern in _FIELDS.items()}
    missing = [name for name in _REQUIRED if found[name] is None]
    if missing:
        raise ReportLineError(f"REPORT line lacks {missing}: {line!r}")
    init = found["init_duration_ms"]
    return Report(
        request_id=found["request_id"].group(1),
        duration_ms=float(found["duration_ms"].group(1)),
        billed_duration_ms=float(found["billed_duration_ms"].group(1)),
        memory_size_mb=int(found["memory_size_mb"].group(1)),
        max_memory_used_mb=int(found["max_memory_used_mb"].group(1)),
        init_duration_ms=float(init.group(1)) if init else None,
    )


def parse_log_result(log_result: str) -> Report:
    """Parse the base64 ``LogResult`` of an ``Invoke`` call made with ``LogType=Tail``."""
    return parse_report(base64.b64decode(log_result).decode("utf-8", errors="replace"))
