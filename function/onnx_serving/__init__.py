"""The serving code of the Lambda function: stdlib, numpy and onnxruntime only.

``function/app.py`` is Lambda's entry point; it and the batch entry point import this package,
and so do the converter and the tests (installed editable in the dev virtualenv).

Importing the package turns onnxruntime's telemetry off before any of its modules can import
onnxruntime: onnxruntime 1.31 on Linux starts a telemetry client at import that writes a device id
and a SQLite store under ``$HOME/.cache/Microsoft/DeveloperTools``. On Lambda that home is
read-only, so each cold start would try, fail and log a warning; a server function should neither
write outside /tmp nor phone home. ``ORT_DISABLE_TELEMETRY`` is read when onnxruntime is
imported, so it is set here, first; a value set in the function's environment wins.

``OPENBLAS_NUM_THREADS=1`` likewise, for a stack that deploys this code without the project's
template (which sets it for every function): numpy's bundled OpenBLAS starts a worker thread that
busy-waits at import (numpy#29193, OpenBLAS#5171; docs/serving.md has what it costs), and with
Lambda's one CPU of time below 1,769 MB that spin is paid in init. Nothing here uses BLAS.
OpenBLAS reads the variable when numpy loads it, so it only takes effect if this package is
imported before numpy.

``INIT_STARTED`` marks when the first module of the package was imported: the entry point
reports the time from there to a ready model as ``init_ms`` on its first request's log line.
"""

import os
import time

INIT_STARTED = time.perf_counter()

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
