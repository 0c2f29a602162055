"""The layer stack, the release bootstrap and samconfig.toml: what each may do, pinned."""

from __future__ import annotations

import json
import re
import tomllib

import pytest
from sam_support import ROOT, as_list

from layer.runtimes import DEFAULT_ARCH, DEFAULT_RUNTIME, LAMBDA_ARCHES, LAMBDA_RUNTIMES
from tools.benchmarks import aws
from tools.deploy.security import SkipError, resource_skips
from tools.deploy.templates import (
    BASELINE_STACK,
    BATCH_APPLICATION,
    BOOTSTRAP_STACK,
    FUNCTION_STACK,
    LAYER_STACK,
    load_template,
)

FUNCTION = load_template(FUNCTION_STACK)["Resources"]
BATCH = load_template(BATCH_APPLICATION)["Resources"]
BASELINE = load_template(BASELINE_STACK)["Resources"]
LAYER = load_template(LAYER_STACK)
BOOTSTRAP = load_template(BOOTSTRAP_STACK)
ARN = "arn:${AWS::Partition}"


def statements(resources: dict, role: str) -> list[dict]:
    return [
        statement
        for policy in resources[role]["Properties"]["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
    ]


def test_the_hook_may_invoke_only_the_functions_versions_and_report_only_its_own_group():
    assert statements(FUNCTION, "PreTrafficHookRole") == [
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": {"Fn::GetAtt": ["PreTrafficHookLogGroup", "Arn"]},
        },
        {
            "Effect": "Allow",
            "Action": "lambda:InvokeFunction",
            "Resource": {
                "Fn::Sub": f"{ARN}:lambda:${{AWS::Region}}:${{AWS::AccountId}}:function:"
                "${InferenceFunction}:*"
            },
        },
        {
            "Effect": "Allow",
            "Action": "codedeploy:PutLifecycleEventHookExecutionStatus",
            "Resource": {
                "Fn::Sub": f"{ARN}:codedeploy:${{AWS::Region}}:${{AWS::AccountId}}:deploymentgroup:"
                "${ServerlessDeploymentApplication}/${InferenceFunctionDeploymentGroup}"
            },
        },
    ]


def test_codedeploy_may_move_only_this_alias_read_these_alarms_and_run_this_hook():
    found = statements(FUNCTION, "RolloutRole")
    assert [s["Action"] for s in found] == [
        ["lambda:GetAlias", "lambda:UpdateAlias", "lambda:GetProvisionedConcurrencyConfig"],
        "cloudwatch:DescribeAlarms",
        "lambda:InvokeFunction",
    ]
    resources = [r["Fn::Sub"] for s in found for r in as_list(s["Resource"])]
    prefix = f"{ARN}:${{AWS::Service}}:${{AWS::Region}}:${{AWS::AccountId}}"
    assert [r.split("${AWS::AccountId}:", 1)[1] for r in resources] == [
        "function:${AWS::StackName}-inference",
        "function:${AWS::StackName}-inference:*",
        "alarm:${AWS::StackName}-inference-live-errors",
        "alarm:${AWS::StackName}-inference-internal-errors",
        "function:${AWS::StackName}-pre-traffic",
    ]
    assert all(r.startswith(prefix.split("${AWS::Service}")[0]) for r in resources)
    alarm_names = {
        FUNCTION[name]["Properties"]["AlarmName"]["Fn::Sub"]
        for name in ("InferenceAliasErrorsAlarm", "InferenceInternalErrorsAlarm")
    }
    assert alarm_names == {r.split(":alarm:")[1] for r in resources if ":alarm:" in r}
    assert FUNCTION["PreTrafficHookFunction"]["Properties"]["FunctionName"] == {
        "Fn::Sub": "${AWS::StackName}-pre-traffic"
    }


def test_the_deploy_role_trusts_only_the_release_workflow_on_the_release_refs():
    trust = BOOTSTRAP["Resources"]["DeployRole"]["Properties"]["AssumeRolePolicyDocument"]
    [statement] = trust["Statement"]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    subject = (
        "repo:${GitHubRepository}:environment:${DeployEnvironment}:job_workflow_ref:"
        "${GitHubRepository}/${ReleaseWorkflow}@refs/"
    )
    assert statement["Condition"] == {
        "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
        "StringLike": {
            "token.actions.githubusercontent.com:sub": [
                {"Fn::Sub": subject + "heads/${ReleaseBranch}"},
                {"Fn::Sub": subject + "tags/${ReleaseTagPattern}"},
            ]
        },
    }
    provider = BOOTSTRAP["Resources"]["GitHubOidcProvider"]["Properties"]
    assert provider == {
        "Url": "https://token.actions.githubusercontent.com",
        "ClientIdList": ["sts.amazonaws.com"],
    }


# Statements whose resources cannot carry the stack's name, and why: IAM takes no resource for
# the log-delivery calls of access logging (held to the region by a condition), and log resource
# policies are the account's (held to the region's ARNs); API Gateway gives HTTP APIs random ids
# (held to the stack's APIs by their onnx-lambda:stack tag, except reads); CodeDeploy's
# traffic-shifting configurations are its own, named CodeDeployDefault.Lambda*.
NOT_NAMED_AFTER_THE_STACK = (
    "AccessLogDelivery",
    "LogResourcePolicies",
    "ReadHttpApis",
    "CreateHttpApisTaggedForTheStack",
    "ChangeOnlyTheStacksHttpApis",
    "RolloutConfigs",
)


def scoped(resource: object) -> bool:
    """Named after the stacks, the bootstrap's own resources, or the SAM transform."""
    text = str(resource)
    return any(
        part in text
        for part in (
            "${StackName}",
            "${RolePath}",
            "ArtifactsBucket",
            "CloudFormationExecutionRole",
            ":aws:transform/",
        )
    )


@pytest.mark.parametrize("role", ["DeployRole", "CloudFormationExecutionRole"])
def test_release_roles_touch_only_these_stacks_resources(role):
    found = statements(BOOTSTRAP["Resources"], role)
    assert found
    for statement in found:
        resources = as_list(statement["Resource"])
        if statement["Sid"] in NOT_NAMED_AFTER_THE_STACK:
            continue
        assert all(scoped(r) for r in resources), statement["Sid"]
    exceptions = {s["Sid"]: s["Resource"] for s in found if s["Sid"] in NOT_NAMED_AFTER_THE_STACK}
    assert set(exceptions) <= set(NOT_NAMED_AFTER_THE_STACK)
    if "AccessLogDelivery" in exceptions:
        assert exceptions["AccessLogDelivery"] == "*"


def test_the_deploy_role_runs_change_sets_but_creates_nothing_itself():
    actions = {
        a for s in statements(BOOTSTRAP["Resources"], "DeployRole") for a in as_list(s["Action"])
    }
    services = {action.split(":")[0] for action in actions}
    assert services == {"cloudformation", "iam", "s3", "lambda"}
    assert {a for a in actions if a.startswith(("iam:", "lambda:"))} == {
        "iam:PassRole",
        "lambda:InvokeFunction",
    }
    smoke = next(
        s
        for s in statements(BOOTSTRAP["Resources"], "DeployRole")
        if s["Sid"] == "SmokeInvokeTheAlias"
    )
    assert smoke["Resource"]["Fn::Sub"].endswith(":function:${StackName}-inference:live")


NAMED = r"(/aws/(lambda|apigateway|vendedlogs/states)/)?\$\{%s\}-[a-z-]+"


def test_every_name_the_roles_are_scoped_to_is_the_name_the_stacks_give():
    """Functions, layers, log groups and alarms are named after the stack, so StackName-* holds:
    the baseline's stack is onnx-lambda-baseline, and batch names start with the online stack's
    name (ParentStackName), not the nested stack's own."""
    names = {
        resources[r]["Properties"][key]["Fn::Sub"]: stack
        for resources, stack, r, key in [
            (FUNCTION, "AWS::StackName", "InferenceFunction", "FunctionName"),
            (FUNCTION, "AWS::StackName", "PreTrafficHookFunction", "FunctionName"),
            (FUNCTION, "AWS::StackName", "OnnxRuntimeLayer", "LayerName"),
            (FUNCTION, "AWS::StackName", "InferenceFunctionLogGroup", "LogGroupName"),
            (FUNCTION, "AWS::StackName", "PreTrafficHookLogGroup", "LogGroupName"),
            (FUNCTION, "AWS::StackName", "InferenceHttpApiAccessLogGroup", "LogGroupName"),
            (FUNCTION, "AWS::StackName", "InferenceAliasErrorsAlarm", "AlarmName"),
            (FUNCTION, "AWS::StackName", "InferenceInternalErrorsAlarm", "AlarmName"),
            (BASELINE, "AWS::StackName", "PickleBaselineFunction", "FunctionName"),
            (BASELINE, "AWS::StackName", "SklearnLayer", "LayerName"),
            (BASELINE, "AWS::StackName", "PickleBaselineLogGroup", "LogGroupName"),
            (BATCH, "ParentStackName", "BatchFunction", "FunctionName"),
            (BATCH, "ParentStackName", "BatchFunctionLogGroup", "LogGroupName"),
            (BATCH, "ParentStackName", "BatchStateMachine", "StateMachineName"),
            (BATCH, "ParentStackName", "BatchStateMachineLogGroup", "LogGroupName"),
            (BATCH, "ParentStackName", "BatchDeadLetterAlarm", "AlarmName"),
        ]
    }
    assert [n for n, stack in names.items() if not re.fullmatch(NAMED % stack, n)] == []
    assert LAYER["Resources"]["OnnxRuntimeLayer"]["Properties"]["LayerName"] == {
        "Ref": "AWS::StackName"
    }


def test_the_layer_stack_builds_the_same_layer_and_exports_its_arn():
    parameters = LAYER["Parameters"]
    assert (parameters["Runtime"]["Default"], parameters["Architecture"]["Default"]) == (
        DEFAULT_RUNTIME,
        DEFAULT_ARCH,
    )
    assert tuple(parameters["Runtime"]["AllowedValues"]) == LAMBDA_RUNTIMES
    assert tuple(parameters["Architecture"]["AllowedValues"]) == LAMBDA_ARCHES
    layer = LAYER["Resources"]["OnnxRuntimeLayer"]
    assert layer["Metadata"] == FUNCTION["OnnxRuntimeLayer"]["Metadata"]
    assert layer["Properties"]["RetentionPolicy"] == "Retain"
    assert LAYER["Outputs"]["LayerVersionArn"] == {
        **LAYER["Outputs"]["LayerVersionArn"],
        "Value": {"Ref": "OnnxRuntimeLayer"},
        "Export": {"Name": {"Fn::Sub": "${AWS::StackName}-LayerVersionArn"}},
    }


def test_the_layer_is_shared_only_with_the_accounts_or_organization_named():
    permissions = {
        name: r
        for name, r in LAYER["Resources"].items()
        if r["Type"] == "AWS::Lambda::LayerVersionPermission"
    }
    assert sorted(permissions) == [
        "UseByAccount0",
        "UseByAccount1",
        "UseByAccount2",
        "UseByOrganization",
    ]
    for name, permission in permissions.items():
        properties = permission["Properties"]
        assert properties["Action"] == "lambda:GetLayerVersion"
        assert properties["LayerVersionArn"] == {"Ref": "OnnxRuntimeLayer"}
        assert permission["Condition"] == name.replace("UseBy", "With")
    organization = permissions["UseByOrganization"]["Properties"]
    assert (organization["Principal"], organization["OrganizationId"]) == (
        "*",
        {"Ref": "ShareWithOrganization"},
    )
    assert LAYER["Parameters"]["ShareWithAccounts"]["Default"] == ""
    assert LAYER["Parameters"]["ShareWithOrganization"]["Default"] == ""


def test_samconfig_decides_the_stack_and_asks_nothing():
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    stacks = {
        env: c["deploy"]["parameters"]["stack_name"]
        for env, c in config.items()
        if isinstance(c, dict) and "deploy" in c
    }
    assert stacks == {"default": "onnx-lambda", "ci": "onnx-lambda"}
    for env in ("default", "ci"):
        deploy = config[env]["deploy"]["parameters"]
        assert deploy["confirm_changeset"] is False
        # The nested batch application is a SAM transform of its own: CloudFormation expands it.
        assert deploy["capabilities"] == "CAPABILITY_IAM CAPABILITY_AUTO_EXPAND"
    assert config["default"]["deploy"]["parameters"]["resolve_s3"] is True
    assert "resolve_s3" not in config["ci"]["deploy"]["parameters"]
    assert "--guided" not in (ROOT / "Makefile").read_text()


def inline_skips(resources: dict) -> list[tuple[str, str, str]]:
    """(resource, check id, reason) of every checkov skip written on a resource."""
    return [
        (name, skip["id"], skip["comment"])
        for name, resource in resources.items()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]


def test_the_application_templates_skip_checks_per_resource_each_with_its_reason():
    skips = inline_skips(FUNCTION) + inline_skips(BATCH) + inline_skips(BASELINE)
    skips += inline_skips(BOOTSTRAP["Resources"])
    assert sorted((name, check) for name, check, _ in skips) == [
        ("ArtifactsBucket", "CKV_AWS_18"),
        ("BatchBucket", "CKV_AWS_18"),
        ("BatchDeadLetterQueue", "CKV_AWS_27"),
        ("BatchFunction", "CKV_AWS_117"),
        ("BatchFunction", "CKV_AWS_173"),
        ("BatchFunctionLogGroup", "CKV_AWS_158"),
        ("BatchStateMachineLogGroup", "CKV_AWS_158"),
        ("InferenceFunction", "CKV_AWS_116"),
        ("InferenceFunction", "CKV_AWS_117"),
        ("InferenceFunction", "CKV_AWS_173"),
        ("InferenceFunctionLogGroup", "CKV_AWS_158"),
        ("InferenceHttpApiAccessLogGroup", "CKV_AWS_158"),
        ("PickleBaselineFunction", "CKV_AWS_115"),
        ("PickleBaselineFunction", "CKV_AWS_116"),
        ("PickleBaselineFunction", "CKV_AWS_117"),
        ("PickleBaselineFunction", "CKV_AWS_173"),
        ("PickleBaselineLogGroup", "CKV_AWS_158"),
        ("PreTrafficHookFunction", "CKV_AWS_116"),
        ("PreTrafficHookFunction", "CKV_AWS_117"),
        ("PreTrafficHookFunction", "CKV_AWS_173"),
        ("PreTrafficHookLogGroup", "CKV_AWS_158"),
    ]
    assert [(n, c) for n, c, reason in skips if len(reason.split()) < 10] == []
    # One reason per resource: none is copied from another skip of the same check.
    reasons = [(check, reason) for _, check, reason in skips]
    assert len(set(reasons)) == len(reasons)


@pytest.mark.parametrize(
    ("skip", "message"),
    [
        ({"id": "CKV_AWS_117"}, "CKV_AWS_117 has no reason"),
        ({"id": "CKV_AWS_117", "comment": "too short"}, "CKV_AWS_117 has no reason"),
        (
            {"id": "CKV_AWS_*", "comment": "a reason long enough to be one, in words " * 2},
            "'CKV_AWS_*' is not a checkov AWS check id",
        ),
    ],
)
def test_a_skip_without_a_reason_is_refused(tmp_path, skip, message):
    template = ROOT / "build" / "test-skips" / f"{tmp_path.name}.yaml"
    template.parent.mkdir(parents=True, exist_ok=True)
    resource = {"Type": "AWS::SQS::Queue", "Metadata": {"checkov": {"skip": [skip]}}}
    template.write_text(json.dumps({"Resources": {"Queue": resource}}))
    with pytest.raises(SkipError) as refused:
        resource_skips(template)
    assert str(refused.value) == f"{template.relative_to(ROOT)} Queue: {message}" + (
        " (or one too short to be one)" if "reason" in message else ""
    )


def test_the_makefile_excludes_only_resources_the_template_has():
    makefile = (ROOT / "Makefile").read_text()
    excluded = set(re.findall(r"-x (\w+)", makefile))
    assert excluded == {"OnnxRuntimeLayer"}
    assert excluded <= set(FUNCTION)


def test_the_aws_benchmark_looks_where_make_deploys():
    """Stack and output names the AWS benchmark reads, as the Makefile, samconfig and the
    templates give them."""
    makefile = (ROOT / "Makefile").read_text()
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    assert re.search(r"^BASELINE_STACK := (\S+)$", makefile, re.M)[1] == aws.BASELINE_STACK
    assert config["default"]["deploy"]["parameters"]["stack_name"] == aws.APPLICATION_STACK
    assert aws.BASELINE_OUTPUT in load_template(BASELINE_STACK)["Outputs"]
    assert aws.FUNCTION_OUTPUT in load_template(FUNCTION_STACK)["Outputs"]
