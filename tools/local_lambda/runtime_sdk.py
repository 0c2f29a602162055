"""The AWS SDK the Lambda Python runtime bundles (boto3), installed for the local runtime.

On Lambda, python3.12+ functions import boto3 from the runtime's own site-packages
(``/var/lang/lib/python3.X/site-packages``), which comes after ``/opt`` and before
``/var/runtime`` on ``sys.path`` (docs.aws.amazon.com/lambda/latest/dg/python-image.html). Locally
that folder is ``build/runtime-sdk-<X.Y>-<lock digest>``, installed from the hash-locked
``requirements/runtime-sdk.txt`` (the version the runtime bundles) and put on the runtime's
PYTHONPATH at the same place, apart from the runtime client's own folder.
"""

from __future__ import annotations

from pathlib import Path

from layer.interpreters import Interpreter
from tools.local_lambda.installs import BUILD_DIR, ROOT, locked_install

LOCK = ROOT / "requirements" / "runtime-sdk.txt"


def runtime_sdk_dir(interpreter: Interpreter, build_dir: Path = BUILD_DIR) -> Path:
    """boto3 and its dependencies for ``interpreter``, installed once per lock content."""
    return locked_install(interpreter, "runtime-sdk", "boto3", LOCK, build_dir)
