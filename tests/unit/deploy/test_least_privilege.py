"""Every role the application templates create, as SAM expands them: under the project's IAM
path, with the permissions boundary the release bootstrap names, and service trusts limited to
this account."""

from __future__ import annotations

import re

import pytest
from sam_support import load_template

from tools.deploy.templates import BASELINE_STACK, BATCH_APPLICATION, FUNCTION_STACK, translated

APPLICATION_TEMPLATES = [FUNCTION_STACK, BATCH_APPLICATION, BASELINE_STACK]
PARAMETERS = load_template(FUNCTION_STACK)["Parameters"]
BOUNDARY = {
    "Fn::If": [
        "HasPermissionsBoundary",
        {"Ref": "PermissionsBoundaryArn"},
        {"Ref": "AWS::NoValue"},
    ]
}
ROLES = {
    FUNCTION_STACK: ["InferenceFunctionRole", "PreTrafficHookRole", "RolloutRole"],
    BATCH_APPLICATION: ["BatchFunctionRole", "BatchStateMachineRole"],
    BASELINE_STACK: ["PickleBaselineRole"],
}


@pytest.mark.parametrize("template", APPLICATION_TEMPLATES, ids=["online", "batch", "baseline"])
def test_every_role_has_the_project_path_and_the_boundary(template):
    expanded = translated(template)["Resources"]
    roles = {n: r["Properties"] for n, r in expanded.items() if r["Type"] == "AWS::IAM::Role"}
    assert sorted(roles) == ROLES[template]
    assert {n: (p["Path"], p["PermissionsBoundary"]) for n, p in roles.items()} == {
        n: ({"Ref": "RolePath"}, BOUNDARY) for n in ROLES[template]
    }


@pytest.mark.parametrize("template", APPLICATION_TEMPLATES, ids=["online", "batch", "baseline"])
def test_the_boundary_and_path_parameters_are_the_same_everywhere(template):
    document = load_template(template)
    parameters = document["Parameters"]
    assert parameters["PermissionsBoundaryArn"]["Default"] == ""
    assert parameters["RolePath"]["Default"] == "/onnx-lambda/"
    assert document["Conditions"]["HasPermissionsBoundary"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "PermissionsBoundaryArn"}, ""]}]
    }
    boundary = parameters["PermissionsBoundaryArn"]["AllowedPattern"]
    assert (
        boundary
        == load_template(FUNCTION_STACK)["Parameters"]["PermissionsBoundaryArn"]["AllowedPattern"]
    )
    path = parameters["RolePath"]["AllowedPattern"]
    assert path == load_template(FUNCTION_STACK)["Parameters"]["RolePath"]["AllowedPattern"]


@pytest.mark.parametrize(
    ("arn", "allowed"),
    [
        ("", True),
        ("arn:aws:iam::123456789012:policy/onnx-lambda-boundary", True),
        ("arn:aws-us-gov:iam::123456789012:policy/path/boundary", True),
        ("arn:aws:iam::aws:policy/AdministratorAccess", False),
        ("arn:aws:iam::123456789012:role/onnx-lambda", False),
        ("onnx-lambda-boundary", False),
    ],
)
def test_the_boundary_must_be_a_customer_managed_policy_arn(arn, allowed):
    pattern = load_template(FUNCTION_STACK)["Parameters"]["PermissionsBoundaryArn"][
        "AllowedPattern"
    ]
    assert (re.fullmatch(pattern, arn) is not None) is allowed


@pytest.mark.parametrize(
    ("path", "allowed"),
    [("/onnx-lambda/", True), ("/", True), ("/a/b/", True), ("onnx-lambda", False), ("/a", False)],
)
def test_the_role_path_is_an_iam_path(path, allowed):
    pattern = PARAMETERS["RolePath"]["AllowedPattern"]
    assert (re.fullmatch(pattern, path) is not None) is allowed


def test_the_nested_application_gets_the_same_boundary_and_path():
    given = load_template(FUNCTION_STACK)["Resources"]["BatchScoring"]["Properties"]["Parameters"]
    assert (given["PermissionsBoundaryArn"], given["RolePath"]) == (
        {"Ref": "PermissionsBoundaryArn"},
        {"Ref": "RolePath"},
    )


def test_codedeploy_assumes_the_rollout_role_only_for_this_account():
    role = load_template(FUNCTION_STACK)["Resources"]["RolloutRole"]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "codedeploy.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
        }
    ]
