"""A template's IAM documents as CloudFormation would hand them to IAM, offline.

The escalation tests evaluate the bootstrap's policies (``tools/deploy/iam_policy.py``) for given
parameter values. CloudFormation resolves ``Ref``, ``Fn::Sub``, ``Fn::GetAtt``, ``Fn::If`` and
``Fn::Join`` and drops ``AWS::NoValue`` before IAM sees a document; this does the same for the
resource kinds the bootstrap holds, with physical names shaped like CloudFormation's generated
ones (``<stack>-<LogicalId>-<suffix>``), so that a test names the very ARNs a deployed stack has.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tools.deploy.iam_policy import Document

_NO_VALUE = object()
_SUB_REFERENCE = re.compile(r"\$\{([^}!][^}]*)\}")
GENERATED_SUFFIX = "EXAMPLE123"


@dataclass(frozen=True)
class Deployment:
    """Where a template is deployed and with which parameter values (defaults fill the rest)."""

    stack_name: str
    parameters: Mapping[str, str]
    account: str = "111122223333"
    region: str = "us-east-1"
    partition: str = "aws"


class ResolvedTemplate:
    """One template resolved for one deployment: every resource's ARN, and the IAM documents
    of its roles and managed policies."""

    def __init__(self, template: Mapping[str, Any], deployment: Deployment) -> None:
        self.template = template
        self.deployment = deployment
        declared = template.get("Parameters", {})
        unknown = set(deployment.parameters) - set(declared)
        if unknown:
            raise KeyError(f"parameters the template does not declare: {sorted(unknown)}")
        self.parameters = {
            name: str(deployment.parameters.get(name, spec.get("Default", "")))
            for name, spec in declared.items()
        }
        self.pseudo = {
            "AWS::AccountId": deployment.account,
            "AWS::Region": deployment.region,
            "AWS::Partition": deployment.partition,
            "AWS::StackName": deployment.stack_name,
            "AWS::URLSuffix": "amazonaws.com",
        }
        self._conditions: dict[str, bool] = {}

    # ---- physical names ----

    def _resource(self, logical_id: str) -> Mapping[str, Any]:
        return self.template["Resources"][logical_id]

    def _generated_name(self, logical_id: str) -> str:
        return f"{self.deployment.stack_name}-{logical_id}-{GENERATED_SUFFIX}"

    def _iam_arn(self, kind: str, logical_id: str) -> str:
        path = self.resolve(self._resource(logical_id)["Properties"].get("Path", "/"))
        d = self.deployment
        return f"arn:{d.partition}:iam::{d.account}:{kind}{path}{self._generated_name(logical_id)}"

    def ref(self, name: str) -> Any:
        """What ``!Ref name`` resolves to: a parameter's value, a pseudo parameter, or the
        physical id CloudFormation returns for the resource's type."""
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        kind = self._resource(name)["Type"]
        if kind == "AWS::IAM::Role":
            return self._generated_name(name)
        if kind == "AWS::IAM::ManagedPolicy":
            return self._iam_arn("policy", name)
        if kind == "AWS::IAM::OIDCProvider":
            url = self._resource(name)["Properties"]["Url"].removeprefix("https://")
            d = self.deployment
            return f"arn:{d.partition}:iam::{d.account}:oidc-provider/{url}"
        if kind == "AWS::S3::Bucket":
            return self._generated_name(name).lower()
        raise NotImplementedError(f"!Ref of a {kind}")

    def get_att(self, logical_id: str, attribute: str) -> str:
        """What ``!GetAtt logical_id.attribute`` resolves to (ARNs)."""
        kind = self._resource(logical_id)["Type"]
        if (kind, attribute) == ("AWS::IAM::Role", "Arn"):
            return self._iam_arn("role", logical_id)
        if (kind, attribute) == ("AWS::S3::Bucket", "Arn"):
            return f"arn:{self.deployment.partition}:s3:::{self.ref(logical_id)}"
        raise NotImplementedError(f"!GetAtt {kind}.{attribute}")

    # ---- intrinsic functions ----

    def condition(self, name: str) -> bool:
        """A named condition's value (conditions may name other conditions)."""
        if name not in self._conditions:
            self._conditions[name] = self._condition(self.template["Conditions"][name])
        return self._conditions[name]

    def _condition(self, value: Any) -> bool:
        if isinstance(value, dict) and len(value) == 1:
            [(function, argument)] = value.items()
            if function == "Fn::Equals":
                left, right = (self.resolve(a) for a in argument)
                return str(left) == str(right)
            if function == "Fn::Not":
                return not self._condition(argument[0])
            if function == "Fn::And":
                return all(self._condition(a) for a in argument)
            if function == "Fn::Or":
                return any(self._condition(a) for a in argument)
            if function == "Condition":
                return self.condition(argument)
        raise NotImplementedError(f"condition {value!r}")

    def _sub(self, text: str, variables: Mapping[str, Any]) -> str:
        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(self.resolve(variables[name]))
            if "." in name and name.split(".", 1)[0] in self.template["Resources"]:
                return self.get_att(*name.split(".", 1))
            return str(self.ref(name))

        return _SUB_REFERENCE.sub(replace, text)

    def resolve(self, value: Any) -> Any:
        """``value`` with every intrinsic function replaced by its result."""
        if isinstance(value, list):
            items = [self.resolve(item) for item in value]
            return [item for item in items if item is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            [(function, argument)] = value.items()
            if function == "Ref":
                return self.ref(argument)
            if function == "Fn::GetAtt":
                logical_id, attribute = (
                    argument.split(".", 1) if isinstance(argument, str) else argument
                )
                return self.get_att(logical_id, attribute)
            if function == "Fn::Sub":
                text, variables = (argument, {}) if isinstance(argument, str) else argument
                return self._sub(text, variables)
            if function == "Fn::If":
                name, when_true, when_false = argument
                return self.resolve(when_true if self.condition(name) else when_false)
            if function == "Fn::Join":
                separator, parts = argument
                return separator.join(str(p) for p in self.resolve(parts))
        items = {key: self.resolve(item) for key, item in value.items()}
        return {key: item for key, item in items.items() if item is not _NO_VALUE}

    # ---- what the tests evaluate ----

    def arn(self, logical_id: str) -> str:
        """The ARN of a role, managed policy or bucket of the template."""
        kind = self._resource(logical_id)["Type"]
        if kind == "AWS::IAM::ManagedPolicy":
            return self.ref(logical_id)
        return self.get_att(logical_id, "Arn")

    def policy_document(self, logical_id: str) -> Document:
        """A managed policy's document."""
        return self.resolve(self._resource(logical_id)["Properties"]["PolicyDocument"])

    def identity_policies(self, role: str) -> list[Document]:
        """Every document that applies to ``role``: its inline policies and the template's
        managed policies attached to it (by the role's ``ManagedPolicyArns`` or the policy's
        ``Roles``), those whose Condition is false left out as CloudFormation leaves them."""
        properties = self.resolve(self._resource(role)["Properties"])
        documents = [p["PolicyDocument"] for p in properties.get("Policies", [])]
        attached = set(properties.get("ManagedPolicyArns", []))
        for logical_id, resource in self.template["Resources"].items():
            if resource["Type"] != "AWS::IAM::ManagedPolicy":
                continue
            if "Condition" in resource and not self.condition(resource["Condition"]):
                continue
            roles = self.resolve(resource["Properties"].get("Roles", []))
            if self.ref(role) in roles or self.ref(logical_id) in attached:
                documents.append(self.policy_document(logical_id))
        return documents

    def trust_policy(self, role: str) -> Document:
        """A role's trust (assume-role) policy."""
        return self.resolve(self._resource(role)["Properties"]["AssumeRolePolicyDocument"])
