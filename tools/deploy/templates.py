"""The CloudFormation templates of the project, and SAM's translation of them, offline.

Tests and ``make security`` read the list from here, so a new template is checked everywhere at
once. ``translated`` runs the SAM translator the way ``sam deploy`` would have CloudFormation
run it, without AWS: what a test asserts about the translation (the alias, the version, the
CodeDeploy group, the roles SAM itself generates) is what CloudFormation would create.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

ROOT = Path(__file__).resolve().parents[2]
FUNCTION_STACK = ROOT / "template.yaml"
# Batch scoring: deployed by FUNCTION_STACK as its nested application BatchScoring.
BATCH_APPLICATION = ROOT / "batch" / "template.yaml"
# The dashboard and alarms on the request log's metrics: FUNCTION_STACK's nested Observability.
OBSERVABILITY_APPLICATION = ROOT / "observability" / "template.yaml"
LAYER_STACK = ROOT / "layer" / "template.yaml"
# The pickle baseline, a stack of its own for the AWS benchmark only (make deploy-baseline).
BASELINE_STACK = ROOT / "tools" / "baseline" / "template.yaml"
BOOTSTRAP_STACK = ROOT / "tools" / "deploy" / "bootstrap.yaml"
TEMPLATES = (
    FUNCTION_STACK,
    BATCH_APPLICATION,
    OBSERVABILITY_APPLICATION,
    LAYER_STACK,
    BASELINE_STACK,
    BOOTSTRAP_STACK,
)
# Local paths SAM would upload; the translator only accepts S3 locations in their place.
_LOCAL_URIS = {
    "AWS::Serverless::Function": "CodeUri",
    "AWS::Serverless::LayerVersion": "ContentUri",
    "AWS::Serverless::Application": "Location",
}


class _NoManagedPolicies:
    """The translator asks IAM for AWS managed policy ARNs only when a template names one."""

    def load(self) -> dict[str, str]:
        return {}


def load_template(path: Path) -> dict[str, Any]:
    """A template with its short-form tags (!Ref, !Sub...) as long-form dicts."""
    return yaml_parse(path.read_text())


def translated(path: Path, region: str = "us-east-1") -> dict[str, Any]:
    """The plain CloudFormation SAM expands the template at ``path`` to."""
    return translate(load_template(path), region)


def translate(document: dict[str, Any], region: str = "us-east-1") -> dict[str, Any]:
    """SAM's expansion of ``document`` (returned as it is without the SAM transform), with
    parameters at their defaults. Local code folders stand in as ``s3://local/<folder>``."""
    if "AWS::Serverless-2016-10-31" not in _transforms(document):
        return document
    document = copy.deepcopy(document)
    for resource in document["Resources"].values():
        key = _LOCAL_URIS.get(resource["Type"])
        if key and isinstance(resource["Properties"].get(key), str):
            resource["Properties"][key] = f"s3://local/{resource['Properties'][key]}"
    previous = os.environ.get("AWS_DEFAULT_REGION")
    os.environ["AWS_DEFAULT_REGION"] = region
    try:
        return transform(document, {}, _NoManagedPolicies())
    finally:
        if previous is None:
            del os.environ["AWS_DEFAULT_REGION"]
        else:
            os.environ["AWS_DEFAULT_REGION"] = previous


def _transforms(document: dict[str, Any]) -> list[str]:
    value = document.get("Transform", [])
    return [value] if isinstance(value, str) else list(value)
