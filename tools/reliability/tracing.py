"""Run the local runtime under strace and list every file the function writes.

Lambda's only writable place is /tmp, and it may be full. The strongest proof that the handler
does not need it is that the process writes no file at all: strace sees every system call,
including those onnxruntime's C++ code makes, which a Python audit hook would miss.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

# System calls that change the file system; openat/open only when asked to write or create.
SYSCALLS = "open,openat,creat,mkdir,mkdirat,rename,renameat,renameat2,unlink,unlinkat,truncate"
WRITE_FLAGS = re.compile(r"O_WRONLY|O_RDWR|O_CREAT|O_TRUNC")
MUTATING = re.compile(r"\b(creat|mkdir|mkdirat|rename|renameat2?|unlink|unlinkat|truncate)\(")
PATH = re.compile(r'"([^"]*)"')
# Device files (/dev/null, /dev/urandom) are not the file system a full /tmp would break.
HARMLESS_PREFIXES = ("/dev/", "/proc/self/")


def strace_launcher(trace_file: Path) -> list[str]:
    """strace, following forks, recording only file-system calls into ``trace_file``: put before
    Lambda's command (``LocalLambda(launcher=...)``)."""
    return ["strace", "-f", "-qq", "-e", f"trace={SYSCALLS}", "-o", str(trace_file)]


def strace_works() -> bool:
    """strace exists and may trace here (containers often forbid ptrace)."""
    if shutil.which("strace") is None:
        return False
    done = subprocess.run(["strace", "-qq", "-e", "trace=none", "true"], capture_output=True)
    return done.returncode == 0


def file_writes(trace_file: Path) -> list[str]:
    """Trace lines that create, write, rename or delete a file outside /dev and /proc/self."""
    writes = []
    for line in trace_file.read_text(errors="replace").splitlines():
        paths = PATH.findall(line)
        if not paths or all(p.startswith(HARMLESS_PREFIXES) for p in paths):
            continue
        is_open = re.search(r"\bopen(at)?\(", line) is not None
        if (is_open and WRITE_FLAGS.search(line)) or MUTATING.search(line):
            writes.append(line)
    return writes
