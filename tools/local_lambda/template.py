"""A function's settings read from template.yaml, so a local run uses what a deploy would.

Only what the runtime sees is read: memory, timeout and environment, with `!Ref` to a template
parameter resolved to that parameter's default (or an override). A function of a nested
application (`AWS::Serverless::Application` with a local `Location`, as batch scoring is) is
found in its own template, whose parameters take what the parent passes them.
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
APPLICATION = "AWS::Serverless::Application"
NO_VALUE = {"Ref": "AWS::NoValue"}


class Unresolvable(ValueError):
    """A template value only CloudFormation can compute (a resource's id or attribute)."""


def _resolve(value: Any, parameters: Mapping[str, str]) -> str:
    """A literal, a `{"Ref": name}` to a parameter or pseudo parameter, or a `{"Fn::Sub": text}`
    over them; anything else is not supported here."""
    names = {**PSEUDO_PARAMETERS, **parameters}
    if isinstance(value, dict) and set(value) == {"Ref"}:
        if value["Ref"] not in names:
            raise Unresolvable(f"{value['Ref']} is not a parameter")
        return names[value["Ref"]]
    if isinstance(value, dict) and set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
        return re.sub(r"\$\{([^}]+)\}", lambda found: names[found.group(1)], value["Fn::Sub"])
    if isinstance(value, dict | list):
        raise Unresolvable(f"cannot resolve {value!r} outside CloudFormation")
    return str(value)


def _condition(value: Any, document: dict[str, Any], parameters: Mapping[str, str]) -> bool:
    """A condition made of `Fn::Equals`, `Fn::Not` and references to other conditions."""
    if isinstance(value, dict) and set(value) == {"Condition"}:
        return _condition(document["Conditions"][value["Condition"]], document, parameters)
    if isinstance(value, dict) and set(value) == {"Fn::Not"}:
        return not _condition(value["Fn::Not"][0], document, parameters)
    if isinstance(value, dict) and set(value) == {"Fn::Equals"}:
        left, right = (_resolve(side, parameters) for side in value["Fn::Equals"])
        return left == right
    raise Unresolvable(f"cannot evaluate the condition {value!r} outside CloudFormation")


def _passed_on(value: Any, document: dict[str, Any], parameters: Mapping[str, str]) -> str | None:
    """What the parent passes a nested parameter: None for `AWS::NoValue` (its own default)."""
    if isinstance(value, dict) and set(value) == {"Fn::If"}:
        name, when_true, when_false = value["Fn::If"]
        taken = _condition(document["Conditions"][name], document, parameters)
        return _passed_on(when_true if taken else when_false, document, parameters)
    return None if value == NO_VALUE else _resolve(value, parameters)


def _parameters(document: dict[str, Any], overrides: Mapping[str, str]) -> dict[str, str]:
    """Every parameter at its default (empty without one), then the overrides."""
    parameters = {
        name: str(spec.get("Default", "")) for name, spec in document["Parameters"].items()
    }
    return parameters | dict(overrides)


def _nested(
    template: Path, document: dict[str, Any], parameters: Mapping[str, str], logical_id: str
) -> tuple[dict[str, Any], dict[str, str]] | None:
    """The nested template holding `logical_id` with the parameters the parent gives it; a value
    only CloudFormation knows (a layer built in the stack) leaves the nested default."""
    for resource in document["Resources"].values():
        if resource["Type"] != APPLICATION or not isinstance(
            resource["Properties"]["Location"], str
        ):
            continue
        child = yaml_parse((template.parent / resource["Properties"]["Location"]).read_text())
        if logical_id not in child["Resources"]:
            continue
        given: dict[str, str] = {}
        for name, value in resource["Properties"].get("Parameters", {}).items():
            try:
                passed = _passed_on(value, document, parameters)
            except Unresolvable:
                continue
            if passed is not None:
                given[name] = passed
        return child, _parameters(child, given)
    return None


def function_config(
    template: Path, logical_id: str, overrides: Mapping[str, str] | None = None
) -> FunctionConfig:
    """The FunctionConfig of resource `logical_id` (in `template` or one of its nested
    applications), Globals applied as SAM applies them."""
    document = yaml_parse(template.read_text())
    parameters = _parameters(document, overrides or {})
    if logical_id not in document["Resources"]:
        found = _nested(template, document, parameters, logical_id)
        if found is None:
            raise KeyError(f"{logical_id} is in neither {template} nor its nested applications")
        document, parameters = found
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


def built_function_dir(build_dir: Path, logical_id: str) -> Path:
    """Where `sam build` put function `logical_id`: `<build>/<id>`, or `<build>/<application
    id>/<id>` for a function of a nested application."""
    document = yaml_parse((build_dir / "template.yaml").read_text())
    if logical_id in document["Resources"]:
        return build_dir / logical_id
    for name, resource in document["Resources"].items():
        location = resource.get("Properties", {}).get("Location")
        if resource["Type"] == APPLICATION and isinstance(location, str):
            child = yaml_parse((build_dir / location).read_text())
            if logical_id in child["Resources"]:
                return build_dir / name / logical_id
    raise KeyError(f"{logical_id} is not in the build at {build_dir}")
