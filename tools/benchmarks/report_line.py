"""Lambda's REPORT log line, as ``LogType=Tail`` returns it: the durations Lambda itself measured.

A cold invoke's line carries ``Init Duration``; a warm one does not. Lambda prints durations with
two decimals in ms and memory in whole MB, tab-separated, e.g.::

    REPORT RequestId: 3f5c…\tDuration: 2.34 ms\tBilled Duration: 3 ms\tMemory Size: 512 MB\t
    Max Memory Used: 71 MB\tInit Duration: 412.07 ms

A SnapStart version initialises when it is published, so its cold invokes carry no ``Init
Duration`` but ``Restore Duration`` (restoring the snapshot, loading the runtime, after-restore
hooks) and ``Billed Restore Duration``; its cold start is Restore Duration + Duration (AWS Lambda
developer guide, "Monitoring for Lambda SnapStart").
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

# Fields are tab-separated in a log tail and space-separated where a console copies them; a
# "Billed" field must not be read as the duration it bills.
_FIELDS = {
    "request_id": re.compile(r"RequestId: (\S+)"),
    "duration_ms": re.compile(r"RequestId: \S+\s+Duration: ([\d.]+) ms"),
    "billed_duration_ms": re.compile(r"Billed Duration: ([\d.]+) ms"),
    "memory_size_mb": re.compile(r"Memory Size: (\d+) MB"),
    "max_memory_used_mb": re.compile(r"Max Memory Used: (\d+) MB"),
    "init_duration_ms": re.compile(r"Init Duration: ([\d.]+) ms"),
    "restore_duration_ms": re.compile(r"(?<!Billed )Restore Duration: ([\d.]+) ms"),
    "billed_restore_duration_ms": re.compile(r"Billed Restore Duration: ([\d.]+) ms"),
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
    """One invocation as Lambda accounted for it: ``init_duration_ms`` on a cold start, the
    restore durations instead on a SnapStart version's cold start, neither on a warm one."""

    request_id: str
    duration_ms: float
    billed_duration_ms: float
    memory_size_mb: int
    max_memory_used_mb: int
    init_duration_ms: float | None
    restore_duration_ms: float | None = None
    billed_restore_duration_ms: float | None = None

    @property
    def cold(self) -> bool:
        """Whether this invoke started a new execution environment (initialised or restored)."""
        return self.init_duration_ms is not None or self.restore_duration_ms is not None

    @property
    def startup_ms(self) -> float:
        """What the first invoke waited for before the handler ran: init, or restore; 0 warm."""
        return self.init_duration_ms or self.restore_duration_ms or 0.0


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

    def optional(name: str) -> float | None:
        match = found[name]
        return float(match.group(1)) if match else None

    return Report(
        request_id=found["request_id"].group(1),
        duration_ms=float(found["duration_ms"].group(1)),
        billed_duration_ms=float(found["billed_duration_ms"].group(1)),
        memory_size_mb=int(found["memory_size_mb"].group(1)),
        max_memory_used_mb=int(found["max_memory_used_mb"].group(1)),
        init_duration_ms=optional("init_duration_ms"),
        restore_duration_ms=optional("restore_duration_ms"),
        billed_restore_duration_ms=optional("billed_restore_duration_ms"),
    )


def parse_log_result(log_result: str) -> Report:
    """Parse the base64 ``LogResult`` of an ``Invoke`` call made with ``LogType=Tail``."""
    return parse_report(base64.b64decode(log_result).decode("utf-8", errors="replace"))
