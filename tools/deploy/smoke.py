"""``python -m tools.deploy.smoke --stack onnx-lambda``: after a release, the checks of the
pre-traffic hook once more, against the alias ``live`` callers now reach.

The hook checked the version before it took traffic; this checks that the alias serves it, with
the same probes (the card's golden rows through every entry point's event shape, describe, bad
requests) built from this checkout's model card and sample events. Needs AWS credentials allowed
to read the stack's outputs and invoke the alias (the bootstrap's deploy role is).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from onnx_serving.card import ModelCard
from pre_traffic.hook import check_version, load_samples, version_invoker
from pre_traffic.probes import build_probes
from tools.deploy.templates import ROOT

ALIAS_OUTPUT = "InferenceAliasArn"


def alias_arn(cloudformation: Any, stack: str) -> str:
    """The alias ARN the function stack exports as an output."""
    outputs = cloudformation.describe_stacks(StackName=stack)["Stacks"][0].get("Outputs", [])
    found = [o["OutputValue"] for o in outputs if o["OutputKey"] == ALIAS_OUTPUT]
    if not found:
        raise LookupError(f"stack {stack} has no output {ALIAS_OUTPUT}")
    return found[0]


def smoke(
    cloudformation: Any,
    lambda_client: Any,
    stack: str,
    card_path: Path = ROOT / "function" / "model.json",
    events: Path = ROOT / "events",
) -> list[str]:
    """Every problem the alias's answers show; empty when the release serves what it should."""
    card = ModelCard.load(card_path)
    probes = build_probes(card, load_samples(events))
    target = alias_arn(cloudformation, stack)
    return check_version(probes, card, version_invoker(lambda_client, target))


def main(argv: list[str] | None = None) -> int:
    """CLI entry point: 0 when every probe passed."""
    parser = argparse.ArgumentParser(prog="python -m tools.deploy.smoke", description=__doc__)
    parser.add_argument("--stack", default="onnx-lambda")
    parser.add_argument("--region")
    args = parser.parse_args(argv)
    import boto3

    session = boto3.Session(region_name=args.region)
    problems = smoke(session.client("cloudformation"), session.client("lambda"), args.stack)
    for problem in problems:
        print(f"FAILED {problem}")
    print(f"smoke test of {args.stack} alias live: {'FAILED' if problems else 'passed'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
