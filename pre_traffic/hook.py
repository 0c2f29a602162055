"""CodeDeploy's BeforeAllowTraffic hook: check the new version, then say Succeeded or Failed.

CodeDeploy invokes this with a deployment id and a hook execution id before the alias ``live``
moves. It sends every probe (``probes.py``) to the version being deployed, compares each answer
(``checks.py``) and reports the verdict; the deployment stops and rolls back on ``Failed``.
A status is reported whatever happens, an unexpected exception included: otherwise CodeDeploy
would wait an hour for one. Only boto3 is needed, and the Lambda runtime provides it.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from onnx_serving.card import ModelCard
from pre_traffic.checks import answer_problems
from pre_traffic.probes import Probe, build_probes

PACKAGE = Path(__file__).resolve().parent
Invoke = Callable[[dict[str, Any]], tuple[bytes, str | None]]


def load_samples(folder: Path) -> dict[str, dict[str, Any]]:
    """The sample events the hook was built with, by file stem."""
    return {path.stem: json.loads(path.read_text()) for path in sorted(folder.glob("*.json"))}


def check_version(probes: list[Probe], card: ModelCard, invoke: Invoke) -> list[str]:
    """Send every probe and collect every problem; an empty list means the version passed."""
    problems = []
    for probe in probes:
        payload, function_error = invoke(probe.event)
        problems += answer_problems(probe, card, payload, function_error)
    return problems


def version_invoker(client: Any, version_arn: str) -> Invoke:
    """Synchronous invokes of one qualified version; answers the payload and the error flag."""

    def invoke(event: dict[str, Any]) -> tuple[bytes, str | None]:
        response = client.invoke(
            FunctionName=version_arn,
            InvocationType="RequestResponse",
            Payload=json.dumps(event).encode(),
        )
        return response["Payload"].read(), response.get("FunctionError")

    return invoke


def run_hook(
    event: Mapping[str, Any],
    lambda_client: Any,
    codedeploy_client: Any,
    version_arn: str,
    package: Path = PACKAGE,
) -> dict[str, Any]:
    """Check ``version_arn`` and report to CodeDeploy; returns the verdict for the log."""
    try:
        card = ModelCard.load(package / "model.json")
        probes = build_probes(card, load_samples(package / "events"))
        problems = check_version(probes, card, version_invoker(lambda_client, version_arn))
    except Exception as exc:  # any failure of the check itself fails the deployment
        problems = [f"the check could not run: {type(exc).__name__}: {exc}"]
    status = "Failed" if problems else "Succeeded"
    codedeploy_client.put_lifecycle_event_hook_execution_status(
        deploymentId=event["DeploymentId"],
        lifecycleEventHookExecutionId=event["LifecycleEventHookExecutionId"],
        status=status,
    )
    verdict = {"version": version_arn, "status": status, "problems": problems}
    sys.stdout.write(json.dumps(verdict) + "\n")
    return verdict


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    """Lambda entry point; clients are made here, not at import, so tests import freely."""
    import boto3

    return run_hook(
        event,
        boto3.client("lambda"),
        boto3.client("codedeploy"),
        os.environ["TARGET_FUNCTION_VERSION"],
    )
