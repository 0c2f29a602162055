"""The Lambda runtimes and architectures the project supports, and its defaults: stated once.

Python code reads them from here; template.yaml and the Makefiles repeat them as literals (they
cannot import Python) and a test checks that they agree. This module imports nothing of the
project's, so any part (layer builder, local runtime, benchmarks) can use it without a cycle.
"""

import platform

LAMBDA_RUNTIMES = ("python3.12", "python3.13", "python3.14")
DEFAULT_RUNTIME = "python3.13"
# Lambda's architecture name -> the machine name in wheel tags and uname.
ARCHITECTURES = {"x86_64": "x86_64", "arm64": "aarch64"}
LAMBDA_ARCHES = tuple(ARCHITECTURES)
DEFAULT_ARCH = "x86_64"
AMAZON_LINUX_2_RUNTIMES = ("python3.8", "python3.9", "python3.10", "python3.11")


def host_arch() -> str:
    """This machine's architecture in Lambda's words: what a local run can execute."""
    machine = platform.machine()
    return next((arch for arch, name in ARCHITECTURES.items() if machine in (arch, name)), machine)
