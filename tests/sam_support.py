"""Shared by the SAM and local-runtime tests: one `sam build` per test session.

`sam build InferenceFunction` builds the function and its layer (what `make build` builds by
default) from a staged copy of the project holding the test's own model
(``fixture_models.staged_project``) into a temporary folder, so tests never touch the
developer's .aws-sam/ nor the model in function/.
"""

from __future__ import annotations

import atexit
import functools
import io
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from botocore.response import StreamingBody
from fixture_models import staged_project
from samtranslator.yaml_helper import yaml_parse

from layer.interpreters import installed_interpreter
from layer.runtimes import DEFAULT_RUNTIME

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
def sam_build_dir(resource: str | None = "InferenceFunction") -> Path:
    """`sam build <resource>` (with its layer) of the staged project, built once per session;
    None builds the whole application, as `make build` does (the nested batch application's
    function can only be built so: alone, SAM takes its layer parameter for an ARN)."""
    project = staged_project()
    workdir = Path(tempfile.mkdtemp(prefix="sam-build-"))
    atexit.register(shutil.rmtree, workdir, True)
    build_dir = workdir / "build"
    command = [str(SAM), "build", *([resource] if resource else [])]
    command += ["--template", str(project / "template.yaml")]
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


def iam_statements(template: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every IAM statement (trust, inline, managed and bucket policies) with its resource."""
    found = []
    for name, resource in template["Resources"].items():
        properties = resource.get("Properties", {})
        documents = [properties.get("AssumeRolePolicyDocument")]
        documents += [p["PolicyDocument"] for p in properties.get("Policies", [])]
        documents.append(properties.get("PolicyDocument"))
        for document in filter(None, documents):
            found += [(name, statement) for statement in document["Statement"]]
    return found


def as_list(value: Any) -> list[Any]:
    """A policy field that may be one value or a list of them, as a list."""
    return value if isinstance(value, list) else [value]


def invoke_response(
    payload: bytes, function_error: str | None = None, log_result: str | None = None
) -> dict[str, Any]:
    """A Lambda ``Invoke`` response for botocore's Stubber: the payload as a stream, the error
    flag and the base64 log tail only when there are some, as Lambda sends them."""
    response: dict[str, Any] = {
        "StatusCode": 200,
        "Payload": StreamingBody(io.BytesIO(payload), len(payload)),
    }
    if function_error:
        response["FunctionError"] = function_error
    if log_result:
        response["LogResult"] = log_result
    return response


def with_pyc(files: set[str]) -> set[str]:
    """``files`` (paths in a function package) and the ``.pyc`` the function Makefiles compile
    beside each module, for the default runtime, where its Python is installed here (without it
    a package ships sources only)."""
    version = DEFAULT_RUNTIME.removeprefix("python")
    if installed_interpreter(version) is None:
        return set(files)
    tag = "cpython-" + version.replace(".", "")
    compiled = {
        str(Path(name).parent / "__pycache__" / f"{Path(name).stem}.{tag}.pyc")
        for name in files
        if name.endswith(".py")
    }
    return set(files) | compiled


def baseline_package(target: str, out: Path, baseline_dir: Path) -> set[str]:
    """Run one of ``tools/baseline/Makefile``'s ``build-*`` targets into ``out``, packaging the
    pickle in ``baseline_dir``, as the benchmarks build it; the files it wrote, relative."""
    subprocess.run(
        [
            *("make", "--no-print-directory", "-f", "tools/baseline/Makefile", target),
            f"ARTIFACTS_DIR={out}",
            f"PICKLE_BASELINE_DIR={baseline_dir}",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()}
