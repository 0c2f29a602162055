"""The release path cannot become account admin: the bootstrap's policies, resolved as
CloudFormation would for a deployment, evaluated against the escalation paths and against the
calls a release makes. Every decision is exact: a Deny the guardrails write is ExplicitDeny,
a call nothing allows is ImplicitDeny."""

from __future__ import annotations

import pytest

from tools.deploy.cfn_resolve import Deployment, ResolvedTemplate
from tools.deploy.iam_policy import Decision, Request, evaluate
from tools.deploy.templates import BOOTSTRAP_STACK, load_template

ALLOW, EXPLICIT_DENY, IMPLICIT_DENY = Decision.ALLOW, Decision.EXPLICIT_DENY, Decision.IMPLICIT_DENY
BOOTSTRAP = load_template(BOOTSTRAP_STACK)
ACCOUNT = "111122223333"
REPOSITORY = "octo-org/onnx-lambda"
ROLE_PATH = f"arn:aws:iam::{ACCOUNT}:role/onnx-lambda/"
FUNCTION = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:onnx-lambda-inference"
APIS = "arn:aws:apigateway:us-east-1::/apis"
TAG = "aws:ResourceTag/onnx-lambda:stack"


def bootstrap(**parameters: str) -> ResolvedTemplate:
    return ResolvedTemplate(
        BOOTSTRAP,
        Deployment("onnx-lambda-release", {"GitHubRepository": REPOSITORY, **parameters}),
    )


DEFAULT = bootstrap()
BOUNDARY = DEFAULT.arn("PermissionsBoundary")


def as_cloudformation(request: Request, stack: ResolvedTemplate = DEFAULT) -> Decision:
    return evaluate(stack.identity_policies("CloudFormationExecutionRole"), request)


def as_deploy_role(request: Request) -> Decision:
    return evaluate(DEFAULT.identity_policies("DeployRole"), request)


# ---- a change set that grants itself more ----

RELEASE_ROLES = ["DeployRole", "CloudFormationExecutionRole"]


@pytest.mark.parametrize("target", RELEASE_ROLES)
@pytest.mark.parametrize(
    ("action", "context"),
    [
        ("iam:PutRolePolicy", {"iam:PermissionsBoundary": BOUNDARY}),
        ("iam:PutRolePolicy", {}),
        ("iam:AttachRolePolicy", {"iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess"}),
        ("iam:UpdateAssumeRolePolicy", {}),
        ("iam:DeleteRolePermissionsBoundary", {}),
        ("iam:DetachRolePolicy", {}),
        ("iam:DeleteRole", {}),
    ],
)
def test_a_change_set_granting_a_release_role_anything_is_denied(target, action, context):
    """``*:*`` as an inline policy, AdministratorAccess attached, a trust opened to another
    account: the guardrails deny each on both release roles, with or without the boundary."""
    request = Request(action, DEFAULT.arn(target), context=context)
    assert as_cloudformation(request) == EXPLICIT_DENY
    assert as_deploy_role(request) == EXPLICIT_DENY


def test_the_release_roles_live_outside_the_path_cloudformation_may_touch():
    assert DEFAULT.arn("DeployRole") == (
        f"arn:aws:iam::{ACCOUNT}:role/onnx-lambda-release-DeployRole-EXAMPLE123"
    )
    assert not DEFAULT.arn("DeployRole").startswith(ROLE_PATH)
    assert not DEFAULT.arn("CloudFormationExecutionRole").startswith(ROLE_PATH)


@pytest.mark.parametrize(
    ("service", "expected"),
    [
        ("lambda.amazonaws.com", EXPLICIT_DENY),
        ("codedeploy.amazonaws.com", EXPLICIT_DENY),
        ("cloudformation.amazonaws.com", IMPLICIT_DENY),
    ],
)
def test_cloudformation_cannot_hand_a_release_role_to_a_function(service, expected):
    request = Request(
        "iam:PassRole",
        DEFAULT.arn("DeployRole"),
        context={"iam:PassedToService": service},
    )
    assert as_cloudformation(request) == expected


# ---- roles the stacks create ----


@pytest.mark.parametrize(
    ("role", "context", "expected"),
    [
        (f"{ROLE_PATH}onnx-lambda-InferenceFunctionRole-X", {}, EXPLICIT_DENY),
        (
            f"{ROLE_PATH}onnx-lambda-InferenceFunctionRole-X",
            {"iam:PermissionsBoundary": f"arn:aws:iam::{ACCOUNT}:policy/another"},
            EXPLICIT_DENY,
        ),
        (
            f"arn:aws:iam::{ACCOUNT}:role/onnx-lambda-InferenceFunctionRole-X",
            {"iam:PermissionsBoundary": BOUNDARY},
            IMPLICIT_DENY,
        ),
        (
            f"arn:aws:iam::{ACCOUNT}:role/elsewhere/onnx-lambda-InferenceFunctionRole-X",
            {"iam:PermissionsBoundary": BOUNDARY},
            IMPLICIT_DENY,
        ),
        (
            f"{ROLE_PATH}onnx-lambda-InferenceFunctionRole-X",
            {"iam:PermissionsBoundary": BOUNDARY},
            ALLOW,
        ),
    ],
    ids=["no boundary", "another boundary", "root path", "another path", "path and boundary"],
)
def test_a_role_is_created_only_under_the_path_and_with_the_boundary(role, context, expected):
    assert as_cloudformation(Request("iam:CreateRole", role, context=context)) == expected


@pytest.mark.parametrize(
    ("action", "context", "expected"),
    [
        ("iam:DeleteRolePermissionsBoundary", {"iam:PermissionsBoundary": BOUNDARY}, EXPLICIT_DENY),
        (
            "iam:PutRolePermissionsBoundary",
            {"iam:PermissionsBoundary": f"arn:aws:iam::{ACCOUNT}:policy/wider"},
            EXPLICIT_DENY,
        ),
        ("iam:PutRolePolicy", {}, EXPLICIT_DENY),
        ("iam:PutRolePolicy", {"iam:PermissionsBoundary": BOUNDARY}, ALLOW),
        ("iam:AttachRolePolicy", {"iam:PermissionsBoundary": BOUNDARY}, ALLOW),
    ],
    ids=["remove boundary", "swap boundary", "policy on unbounded role", "policy", "attach"],
)
def test_a_boundary_is_never_removed_or_swapped(action, context, expected):
    role = f"{ROLE_PATH}onnx-lambda-InferenceFunctionRole-X"
    assert as_cloudformation(Request(action, role, context=context)) == expected


@pytest.mark.parametrize(
    "action",
    [
        "iam:CreatePolicyVersion",
        "iam:SetDefaultPolicyVersion",
        "iam:DeletePolicyVersion",
        "iam:DeletePolicy",
    ],
)
def test_the_boundary_policy_cannot_be_edited(action):
    assert as_cloudformation(Request(action, BOUNDARY)) == EXPLICIT_DENY
    assert as_deploy_role(Request(action, BOUNDARY)) == EXPLICIT_DENY


@pytest.mark.parametrize(
    ("request_", "expected"),
    [
        (Request("iam:CreateRole", f"{ROLE_PATH}x"), IMPLICIT_DENY),
        (Request("iam:PassRole", f"{ROLE_PATH}x"), IMPLICIT_DENY),
        (
            Request("sts:AssumeRole", f"arn:aws:iam::{ACCOUNT}:role/OrganizationAdmin"),
            IMPLICIT_DENY,
        ),
        (Request("s3:GetObject", "arn:aws:s3:::onnx-lambda-release-artifacts/x"), IMPLICIT_DENY),
        (Request("lambda:UpdateFunctionCode", FUNCTION), IMPLICIT_DENY),
        (
            Request("logs:PutLogEvents", "arn:aws:logs:us-east-1:111122223333:log-group:/other:*"),
            IMPLICIT_DENY,
        ),
        (
            Request(
                "logs:PutLogEvents",
                f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/onnx-lambda-inference:*",
            ),
            ALLOW,
        ),
        (Request("lambda:InvokeFunction", f"{FUNCTION}:7"), ALLOW),
    ],
    ids=["iam", "pass role", "sts", "artifacts", "change code", "other logs", "own logs", "invoke"],
)
def test_a_role_granted_everything_still_holds_only_the_boundary(request_, expected):
    """The worst a change set can do to a stack role is a ``*:*`` inline policy; under the
    boundary that role still reaches only the stacks' logs, functions, alarms and hooks."""
    everything = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    }
    boundary = DEFAULT.policy_document("PermissionsBoundary")
    assert evaluate([everything], request_, boundary=boundary) == expected


# ---- this stack protects itself ----


@pytest.mark.parametrize("action", ["cloudformation:CreateChangeSet", "cloudformation:DeleteStack"])
def test_the_bootstrap_stack_is_out_of_the_release_roles_reach(action):
    stack = f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/onnx-lambda-release/abc"
    assert as_deploy_role(Request(action, stack)) == EXPLICIT_DENY
    assert as_cloudformation(Request(action, stack)) == EXPLICIT_DENY


# ---- who may assume the deploy role ----

PROVIDER = (
    "Federated",
    f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com",
)


def assume(sub: str, aud: str = "sts.amazonaws.com", stack: ResolvedTemplate = DEFAULT) -> Decision:
    request = Request(
        "sts:AssumeRoleWithWebIdentity",
        stack.arn("DeployRole"),
        principal=PROVIDER,
        context={
            "token.actions.githubusercontent.com:aud": aud,
            "token.actions.githubusercontent.com:sub": sub,
        },
    )
    return evaluate([stack.trust_policy("DeployRole")], request)


def subject(ref: str, workflow: str = "release.yml", repository: str = REPOSITORY) -> str:
    return (
        f"repo:{repository}:environment:production:job_workflow_ref:"
        f"{repository}/.github/workflows/{workflow}@{ref}"
    )


@pytest.mark.parametrize(
    ("sub", "expected"),
    [
        (subject("refs/heads/main"), ALLOW),
        (subject("refs/tags/v1.2.0"), ALLOW),
        (subject("refs/heads/feature"), IMPLICIT_DENY),
        (subject("refs/heads/main-copy"), IMPLICIT_DENY),
        (subject("refs/tags/1.2.0"), IMPLICIT_DENY),
        (subject("refs/pull/7/merge"), IMPLICIT_DENY),
        (subject("refs/heads/main", workflow="ci.yml"), IMPLICIT_DENY),
        (subject("refs/heads/main", repository="octo-org/fork"), IMPLICIT_DENY),
        (f"repo:{REPOSITORY}:environment:production", IMPLICIT_DENY),
        (f"repo:{REPOSITORY}:ref:refs/heads/main", IMPLICIT_DENY),
        (subject("refs/heads/main").replace("production", "staging"), IMPLICIT_DENY),
    ],
    ids=[
        "main",
        "tag",
        "other branch",
        "branch prefix",
        "tag outside pattern",
        "pull request",
        "other workflow",
        "other repository",
        "default subject",
        "no environment",
        "other environment",
    ],
)
def test_only_the_release_workflow_on_the_release_refs_assumes_the_deploy_role(sub, expected):
    assert assume(sub) == expected


def test_a_token_for_another_audience_is_refused():
    assert assume(subject("refs/heads/main"), aud="https://example.com") == IMPLICIT_DENY


def test_the_release_refs_and_workflow_follow_the_parameters():
    stack = bootstrap(
        ReleaseBranch="release",
        ReleaseTagPattern="2026.*",
        ReleaseWorkflow=".github/workflows/ship.yml",
    )
    assert assume(subject("refs/heads/release", workflow="ship.yml"), stack=stack) == ALLOW
    assert assume(subject("refs/tags/2026.12.1", workflow="ship.yml"), stack=stack) == ALLOW
    assert assume(subject("refs/heads/main", workflow="ship.yml"), stack=stack) == IMPLICIT_DENY
    assert assume(subject("refs/tags/v1", workflow="ship.yml"), stack=stack) == IMPLICIT_DENY


# ---- public endpoints ----

PUBLIC = bootstrap(AllowPublicEndpoint="true")


@pytest.mark.parametrize(
    ("request_", "by_default", "when_allowed"),
    [
        (
            Request(
                "lambda:CreateFunctionUrlConfig",
                FUNCTION,
                context={"lambda:FunctionUrlAuthType": "NONE"},
            ),
            IMPLICIT_DENY,
            ALLOW,
        ),
        (
            Request(
                "lambda:UpdateFunctionUrlConfig",
                FUNCTION,
                context={"lambda:FunctionUrlAuthType": "NONE"},
            ),
            IMPLICIT_DENY,
            ALLOW,
        ),
        (
            Request(
                "lambda:CreateFunctionUrlConfig",
                FUNCTION,
                context={"lambda:FunctionUrlAuthType": "AWS_IAM"},
            ),
            ALLOW,
            ALLOW,
        ),
        (
            Request("lambda:AddPermission", f"{FUNCTION}:live", context={"lambda:Principal": "*"}),
            IMPLICIT_DENY,
            ALLOW,
        ),
        (
            Request(
                "lambda:AddPermission",
                f"{FUNCTION}:live",
                context={"lambda:Principal": "444455556666"},
            ),
            IMPLICIT_DENY,
            ALLOW,
        ),
        (
            Request(
                "lambda:AddPermission",
                f"{FUNCTION}:live",
                context={"lambda:Principal": "apigateway.amazonaws.com"},
            ),
            ALLOW,
            ALLOW,
        ),
    ],
    ids=[
        "public url",
        "url made public",
        "signed url",
        "principal *",
        "other account",
        "api gateway",
    ],
)
def test_a_public_endpoint_needs_allow_public_endpoint(request_, by_default, when_allowed):
    assert as_cloudformation(request_) == by_default
    assert as_cloudformation(request_, PUBLIC) == when_allowed


# ---- HTTP APIs by tag ----


@pytest.mark.parametrize(
    ("request_", "expected"),
    [
        (
            Request(
                "apigateway:POST", APIS, context={"aws:RequestTag/onnx-lambda:stack": "onnx-lambda"}
            ),
            ALLOW,
        ),
        (
            Request("apigateway:POST", APIS, context={"aws:RequestTag/onnx-lambda:stack": "other"}),
            IMPLICIT_DENY,
        ),
        (Request("apigateway:POST", APIS), IMPLICIT_DENY),
        (Request("apigateway:PATCH", f"{APIS}/a1b2c3", context={TAG: "onnx-lambda"}), ALLOW),
        (
            Request(
                "apigateway:DELETE", f"{APIS}/a1b2c3/stages/$default", context={TAG: "onnx-lambda"}
            ),
            ALLOW,
        ),
        (Request("apigateway:DELETE", f"{APIS}/z9y8x7"), IMPLICIT_DENY),
        (Request("apigateway:PATCH", f"{APIS}/z9y8x7", context={TAG: "payments"}), IMPLICIT_DENY),
        (
            Request("apigateway:POST", "arn:aws:apigateway:us-east-1::/tags/arn%3Aaws%3Az9y8x7"),
            IMPLICIT_DENY,
        ),
        (Request("apigateway:GET", f"{APIS}/z9y8x7"), ALLOW),
    ],
    ids=[
        "create tagged",
        "create tagged for another stack",
        "create untagged",
        "change own",
        "delete own stage",
        "delete untagged",
        "change another stack's",
        "tag a foreign api",
        "read",
    ],
)
def test_http_api_writes_reach_only_apis_tagged_for_the_stack(request_, expected):
    assert as_cloudformation(request_) == expected


# ---- logs ----


@pytest.mark.parametrize(
    ("request_", "expected"),
    [
        (
            Request("logs:PutResourcePolicy", f"arn:aws:logs:us-east-1:{ACCOUNT}:*"),
            ALLOW,
        ),
        (
            Request("logs:PutResourcePolicy", f"arn:aws:logs:eu-west-1:{ACCOUNT}:*"),
            IMPLICIT_DENY,
        ),
        (
            Request("logs:CreateLogDelivery", "*", context={"aws:RequestedRegion": "us-east-1"}),
            ALLOW,
        ),
        (
            Request("logs:DeleteLogDelivery", "*", context={"aws:RequestedRegion": "eu-west-1"}),
            IMPLICIT_DENY,
        ),
        (
            Request(
                "logs:DeleteLogGroup",
                f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/payments",
            ),
            IMPLICIT_DENY,
        ),
    ],
    ids=[
        "resource policy here",
        "resource policy elsewhere",
        "delivery here",
        "delivery elsewhere",
        "foreign group",
    ],
)
def test_log_writes_stay_in_the_stacks_region_and_names(request_, expected):
    assert as_cloudformation(request_) == expected


# ---- batch ----

BATCH = bootstrap(AllowBatch="true")


@pytest.mark.parametrize(
    ("request_", "by_default", "when_allowed"),
    [
        (Request("s3:CreateBucket", "arn:aws:s3:::onnx-lambda-batch-4f1c"), IMPLICIT_DENY, ALLOW),
        (
            Request("s3:PutBucketPolicy", "arn:aws:s3:::onnx-lambda-release-artifactsbucket-x"),
            IMPLICIT_DENY,
            IMPLICIT_DENY,
        ),
        (
            Request("s3:CreateBucket", "arn:aws:s3:::payments-batch-4f1c"),
            IMPLICIT_DENY,
            IMPLICIT_DENY,
        ),
        (
            Request(
                "cloudformation:CreateStack",
                f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/onnx-lambda-BatchScoring-1AB2/x",
            ),
            IMPLICIT_DENY,
            ALLOW,
        ),
        (
            Request(
                "cloudformation:UpdateStack",
                f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/onnx-lambda-release/x",
            ),
            EXPLICIT_DENY,
            EXPLICIT_DENY,
        ),
        (
            Request(
                "sqs:CreateQueue",
                f"arn:aws:sqs:us-east-1:{ACCOUNT}:onnx-lambda-BatchDeadLetterQueue-x",
            ),
            IMPLICIT_DENY,
            ALLOW,
        ),
        (
            Request(
                "states:CreateStateMachine",
                f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:onnx-lambda-batch-scoring",
            ),
            IMPLICIT_DENY,
            ALLOW,
        ),
        (
            Request(
                "events:PutRule", f"arn:aws:events:us-east-1:{ACCOUNT}:rule/onnx-lambda-batch-dlq"
            ),
            IMPLICIT_DENY,
            ALLOW,
        ),
        (
            Request(
                "iam:PassRole",
                f"{ROLE_PATH}onnx-lambda-BatchStateMachineRole-x",
                context={"iam:PassedToService": "states.amazonaws.com"},
            ),
            IMPLICIT_DENY,
            ALLOW,
        ),
    ],
    ids=[
        "batch bucket",
        "artifacts bucket policy",
        "foreign bucket",
        "nested batch stack",
        "bootstrap stack",
        "queue",
        "state machine",
        "rule",
        "pass to states",
    ],
)
def test_batch_resources_need_allow_batch(request_, by_default, when_allowed):
    assert as_cloudformation(request_) == by_default
    assert as_cloudformation(request_, BATCH) == when_allowed


# ---- what a release does is allowed ----


@pytest.mark.parametrize(
    "request_",
    [
        Request(
            "cloudformation:CreateChangeSet",
            f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/onnx-lambda/abc",
        ),
        Request(
            "cloudformation:ExecuteChangeSet",
            f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/onnx-lambda-layer-py313-x86-64/abc",
        ),
        Request(
            "cloudformation:CreateChangeSet",
            "arn:aws:cloudformation:us-east-1:aws:transform/Serverless-2016-10-31",
        ),
        Request(
            "iam:PassRole",
            f"arn:aws:iam::{ACCOUNT}:role/onnx-lambda-release-CloudFormationExecutionRole-EXAMPLE123",
            context={"iam:PassedToService": "cloudformation.amazonaws.com"},
        ),
        Request(
            "s3:PutObject", "arn:aws:s3:::onnx-lambda-release-artifactsbucket-example123/abc.zip"
        ),
        Request("lambda:InvokeFunction", f"{FUNCTION}:live"),
    ],
    ids=[
        "change set",
        "layer stack",
        "sam transform",
        "pass cloudformation's role",
        "upload",
        "smoke",
    ],
)
def test_the_deploy_role_may_do_what_the_release_workflow_does(request_):
    assert as_deploy_role(request_) == ALLOW


@pytest.mark.parametrize(
    "request_",
    [
        Request("lambda:CreateFunction", FUNCTION),
        Request("lambda:PublishVersion", FUNCTION),
        Request(
            "lambda:PublishLayerVersion",
            f"arn:aws:lambda:us-east-1:{ACCOUNT}:layer:onnx-lambda-layer-py313-x86-64",
        ),
        Request(
            "iam:CreateRole",
            f"{ROLE_PATH}onnx-lambda-RolloutRole-x",
            context={"iam:PermissionsBoundary": BOUNDARY},
        ),
        Request(
            "iam:PassRole",
            f"{ROLE_PATH}onnx-lambda-RolloutRole-x",
            context={"iam:PassedToService": "codedeploy.amazonaws.com"},
        ),
        Request("iam:DeleteRole", f"{ROLE_PATH}onnx-lambda-RolloutRole-x"),
        Request(
            "logs:CreateLogGroup",
            f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/onnx-lambda-inference",
        ),
        Request(
            "cloudwatch:PutMetricAlarm",
            f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:onnx-lambda-inference-live-errors",
        ),
        Request(
            "codedeploy:CreateDeploymentGroup",
            f"arn:aws:codedeploy:us-east-1:{ACCOUNT}:deploymentgroup:onnx-lambda-ServerlessDeploymentApplication-x/g",
        ),
        Request(
            "s3:GetObject", "arn:aws:s3:::onnx-lambda-release-artifactsbucket-example123/abc.zip"
        ),
    ],
    ids=[
        "function",
        "version",
        "layer",
        "role",
        "pass role",
        "delete role",
        "log group",
        "alarm",
        "deployment group",
        "code",
    ],
)
def test_cloudformation_may_create_what_the_stacks_hold(request_):
    assert as_cloudformation(request_) == ALLOW


def test_the_boundary_grants_no_iam_no_sts_and_only_the_stacks_services():
    statements = DEFAULT.policy_document("PermissionsBoundary")["Statement"]
    actions = {
        a
        for s in statements
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert {a.split(":")[0] for a in actions} == {
        "cloudwatch",
        "codedeploy",
        "lambda",
        "logs",
        "s3",
        "sqs",
        "states",
    }
    assert {s["Effect"] for s in statements} == {"Allow"}
    unscoped = [s["Sid"] for s in statements if s["Resource"] == "*"]
    assert unscoped == ["StateMachineLogDelivery"]
