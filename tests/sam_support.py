"""Shared by the SAM and local-runtime tests: one `sam build` per test session.

`sam build InferenceFunction` builds the function and its layer (what `make build` builds by
default) from a staged copy of the project holding the test's own model
(``fixture_models.staged_project``) into a temporary folder, so tests never touch the
developer's .aws-sam/ nor the model in function/.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from fixture_models import staged_project
from samtranslator.yaml_helper import yaml_parse

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"
SAM = Path(sys.executable).parent / "sam"


def sam_env() -> dict[str, str]:
    """SAM CLI offline: no telemetry, and a region so validation needs no AWS config."""
    return {**os.environ, "SAM_CLI_TELEMETRY": "0", "AWS_DEFAULT_REGION": "us-east-1"}


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    """A CloudFormation template with its short-form tags (!Ref, !Sub...) as long-form dicts."""
    return yaml_parse(path.read_text())


@functools.cache
def sam_build_dir() -> Path:
    """`sam build InferenceFunction` output, built once and removed when the session ends."""
    project = staged_project()
    workdir = Path(tempfile.mkdtemp(prefix="sam-build-"))
    atexit.register(shutil.rmtree, workdir, True)
    build_dir = workdir / "build"
    command = [str(SAM), "build", "InferenceFunction", "--template", str(project / "template.yaml")]
    done = subprocess.run(
        [*command, "--build-dir", str(build_dir)],
        cwd=project,
        # The layer's Makefile runs the layer builder with PY (default: the project's .venv).
        env={**sam_env(), "PY": sys.executable},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return build_dir
