"""Report an init failure loudly, without handing stack frames to whoever invokes the function.

When importing the handler module raises, awslambdaric 4.2.2 posts the error to Lambda's
``/runtime/init/error`` as ``{"errorMessage", "errorType", "requestId": "", "stackTrace"}``, and
Lambda returns that document as the payload of every invoke until an init succeeds (with
``X-Amz-Function-Error: Unhandled``). For most exceptions ``stackTrace`` is the formatted
traceback: importlib's frames with the interpreter's path, then the function's own files under
``/var/task``. An ``ImportError`` is the exception the runtime client reports without frames
(``Runtime.ImportModuleError``, ``stackTrace: []``, the message prefixed "Unable to import module
'app': "). So the entry point turns any init failure into one, whose message names the problem
and the model's files by name only; the full traceback goes to the function's log, one JSON line
at level ERROR, where the deployer looks for it.
"""

from __future__ import annotations

import json
import os
import sys
import traceback


class InitFailure(ImportError):
    """The handler module cannot serve: raised at import, reported by the runtime as such."""


def init_failure(exc: BaseException, model_dir: str | os.PathLike[str]) -> InitFailure:
    """Log ``exc`` with its traceback; return the frameless error to raise instead."""
    message = f"{type(exc).__name__}: {exc}".replace(f"{model_dir}{os.sep}", "")
    record = {
        "level": "ERROR",
        "event": "init",
        "error_type": type(exc).__name__,
        "message": message,
        "traceback": "".join(traceback.format_exception(exc)),
    }
    sys.stdout.write(json.dumps(record) + "\n")
    sys.stdout.flush()
    return InitFailure(message)
