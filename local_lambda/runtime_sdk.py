"""The AWS SDK the Lambda Python runtime bundles (boto3), installed for the local runtime.

On Lambda, python3.12+ functions import boto3 from the runtime's own site-packages
(``/var/lang/lib/python3.X/site-packages``), which comes after ``/opt`` and before
``/var/runtime`` on ``sys.path`` (docs.aws.amazon.com/lambda/latest/dg/python-image.html). Locally
that folder is ``build/runtime-sdk-<X.Y>-<lock digest>``, installed from the hash-locked
``requirements/runtime-sdk.txt`` (the version the runtime bundles) and put on the runtime's
PYTHONPATH at the same place. It is kept apart from the runtime client's folder, which has its
own install.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from local_lambda.interpreter import BUILD_DIR, Interpreter

LOCK = Path(__file__).resolve().parent.parent / "requirements" / "runtime-sdk.txt"


def runtime_sdk_dir(interpreter: Interpreter, build_dir: Path = BUILD_DIR) -> Path:
    """boto3 and its dependencies for ``interpreter``, installed once per lock file content.

    Like the runtime client, the install lands in a temporary folder renamed into place, so two
    test sessions never see half an install; a changed lock installs into a new folder.
    """
    digest = hashlib.sha256(LOCK.read_bytes()).hexdigest()[:12]
    target = build_dir / f"runtime-sdk-{interpreter.version}-{digest}"
    if (target / "boto3").is_dir():
        return target
    build_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=build_dir))
    subprocess.run(
        [
            *(sys.executable, "-m", "uv", "pip", "install", "--quiet", "--target", str(staging)),
            *("--python", str(interpreter.path), "--only-binary", ":all:", "--no-deps"),
            *("--require-hashes", "-r", str(LOCK)),
        ],
        check=True,
    )
    try:
        staging.rename(target)
    except OSError:
        shutil.rmtree(staging)
    return target
