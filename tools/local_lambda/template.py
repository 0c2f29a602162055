"""A function's settings read from template.yaml, so a local run uses what a deploy would.

Only what the runtime sees is read: memory, timeout and environment, with `!Ref` to a template
parameter resolved to that parameter's default (or an override).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from samtranslator.yaml_helper import yaml_parse

from tools.local_lambda.function import ACCOUNT, REGION, FunctionConfig

# What CloudFormation's pseudo parameters say about the local stack.
PSEUDO_PARAMETERS = {
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT,
    "AWS::Partition": "aws",
    "AWS::StackName": "local",
}


def _resolve(value: Any, parameters: Mapping[str, str]) -> str:
    """A literal, a `{"Ref": name}` to a parameter, or a `{"Fn::Sub": text}` over parameters and
    pseudo parameters; anything else is not supported here."""
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return parameters[value["Ref"]]
    if isinstance(value, dict) and set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
        names = {**PSEUDO_PARAMETERS, **parameters}
        return re.sub(r"\$\{([^}]+)\}", lambda found: names[found.group(1)], value["Fn::Sub"])
    if isinstance(value, dict | list):
        raise ValueError(f"cannot resolve {value!r} outside CloudFormation")
    return str(value)


def function_config(
    template: Path, logical_id: str, overrides: Mapping[str, str] | None = None
) -> FunctionConfig:
    """The FunctionConfig of resource `logical_id`, Globals applied as SAM applies them."""
    document = yaml_parse(template.read_text())
    parameters = {
        name: str(spec.get("Default", "")) for name, spec in document["Parameters"].items()
    }
    parameters.update(overrides or {})
    globals_ = document.get("Globals", {}).get("Function", {})
    own = document["Resources"][logical_id]["Properties"]
    properties = {**globals_, **own}
    # SAM merges map-valued Globals: a function's variables add to the global ones.
    variables = {
        **globals_.get("Environment", {}).get("Variables", {}),
        **own.get("Environment", {}).get("Variables", {}),
    }
    return FunctionConfig(
        name=logical_id,
        handler=properties["Handler"],
        runtime=_resolve(properties["Runtime"], parameters),
        memory_mb=int(_resolve(properties.get("MemorySize", 128), parameters)),
        timeout_s=float(_resolve(properties.get("Timeout", 3), parameters)),
        environment={name: _resolve(value, parameters) for name, value in variables.items()},
    )
