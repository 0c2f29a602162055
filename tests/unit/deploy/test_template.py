"""template.yaml: lints, and says exactly what it should (resources, auth, least privilege)."""

from __future__ import annotations

import pytest
from sam_support import ROOT, load_template

TEMPLATE_DOC = load_template()
# The nested batch application (BatchScoring, DeployBatch) is pinned by test_batch_template.py.
RESOURCES = {
    n: r for n, r in TEMPLATE_DOC["Resources"].items() if r.get("Condition") != "BatchEnabled"
}
PARAMETERS = {
    n: p
    for n, p in TEMPLATE_DOC["Parameters"].items()
    if not n.startswith(("Batch", "DeployBatch"))
}
OUTPUTS = {n: o for n, o in TEMPLATE_DOC["Outputs"].items() if o.get("Condition") != "BatchEnabled"}


def test_resources_are_exactly_these():
    assert {name: r["Type"] for name, r in RESOURCES.items()} == {
        "OnnxRuntimeLayer": "AWS::Serverless::LayerVersion",
        "InferenceFunctionLogGroup": "AWS::Logs::LogGroup",
        "InferenceFunctionRole": "AWS::IAM::Role",
        "InferenceFunction": "AWS::Serverless::Function",
        "InferenceFunctionUrlPublicAccess": "AWS::Lambda::Permission",
        "InferenceFunctionUrlPublicInvoke": "AWS::Lambda::Permission",
        "InferenceHttpApi": "AWS::ApiGatewayV2::Api",
        "InferenceHttpApiIntegration": "AWS::ApiGatewayV2::Integration",
        "InferenceHttpApiPredictRoute": "AWS::ApiGatewayV2::Route",
        "InferenceHttpApiModelRoute": "AWS::ApiGatewayV2::Route",
        "InferenceHttpApiOpenApiRoute": "AWS::ApiGatewayV2::Route",
        "InferenceHttpApiStage": "AWS::ApiGatewayV2::Stage",
        "InferenceHttpApiAccessLogGroup": "AWS::Logs::LogGroup",
        "InferenceHttpApiInvokePermission": "AWS::Lambda::Permission",
        "InferenceAliasErrorsAlarm": "AWS::CloudWatch::Alarm",
        "InferenceInternalErrorsAlarm": "AWS::CloudWatch::Alarm",
        "RolloutRole": "AWS::IAM::Role",
        "PreTrafficHookLogGroup": "AWS::Logs::LogGroup",
        "PreTrafficHookRole": "AWS::IAM::Role",
        "PreTrafficHookFunction": "AWS::Serverless::Function",
        "Observability": "AWS::Serverless::Application",
    }


def test_it_stays_readable_at_once():
    assert len((ROOT / "template.yaml").read_text().splitlines()) <= 550


def test_parameters_default_to_the_documented_target():
    defaults = {name: spec.get("Default") for name, spec in PARAMETERS.items()}
    assert defaults == {
        "Runtime": "python3.13",
        "Architecture": "x86_64",
        "MemorySize": 512,
        "Timeout": 10,
        "MaxBatchRows": 1000,
        "LogLevel": "INFO",
        "EndpointAuth": "AWS_IAM",
        "LogRetentionDays": 14,
        "LayerArn": "",
        "DeploymentType": "Canary10Percent5Minutes",
        "ReservedConcurrency": 20,
        "HttpApiRateLimit": 50,
        "HttpApiBurstLimit": 100,
        "AccessLogRetentionDays": 14,
        "AsyncRetryAttempts": 0,
        "CorsAllowedOrigins": "",
        "SnapStart": "false",
        "PermissionsBoundaryArn": "",
        "RolePath": "/onnx-lambda/",
        "AlarmTopicArn": "",
        "AlarmThresholds": "1,250,5,20,20",
    }
    assert PARAMETERS["Runtime"]["AllowedValues"] == ["python3.12", "python3.13", "python3.14"]
    assert PARAMETERS["Architecture"]["AllowedValues"] == ["x86_64", "arm64"]
    assert PARAMETERS["EndpointAuth"]["AllowedValues"] == ["AWS_IAM", "NONE"]


def test_layer_is_a_makefile_build_for_the_chosen_runtime_and_architecture():
    layer = RESOURCES["OnnxRuntimeLayer"]
    assert layer["Properties"]["ContentUri"] == "layer/"
    assert layer["Condition"] == "BuildOwnLayer"
    assert TEMPLATE_DOC["Conditions"]["BuildOwnLayer"] == {"Fn::Equals": [{"Ref": "LayerArn"}, ""]}
    assert layer["Properties"]["CompatibleRuntimes"] == [{"Ref": "Runtime"}]
    assert layer["Properties"]["CompatibleArchitectures"] == [{"Ref": "Architecture"}]
    assert layer["Metadata"] == {
        "BuildMethod": "makefile",
        "BuildArchitecture": {"Ref": "Architecture"},
    }


def test_function_runs_the_handler_with_the_layer_and_its_settings():
    function = RESOURCES["InferenceFunction"]["Properties"]
    assert function["CodeUri"] == "function/"
    assert function["Handler"] == "app.handler"
    assert function["Layers"] == [
        {"Fn::If": ["BuildOwnLayer", {"Ref": "OnnxRuntimeLayer"}, {"Ref": "LayerArn"}]}
    ]
    assert function["Environment"]["Variables"] == {
        "MAX_BATCH_ROWS": {"Ref": "MaxBatchRows"},
        "LOG_LEVEL": {"Ref": "LogLevel"},
        "METRICS_NAMESPACE": {"Fn::Sub": "onnx-lambda/${AWS::StackName}"},
    }
    assert RESOURCES["InferenceFunction"]["Metadata"]["BuildMethod"] == "makefile"
    assert TEMPLATE_DOC["Globals"]["Function"]["Runtime"] == {"Ref": "Runtime"}


def test_every_endpoint_follows_the_auth_parameter():
    url = RESOURCES["InferenceFunction"]["Properties"]["FunctionUrlConfig"]
    assert url["AuthType"] == {"Ref": "EndpointAuth"}
    routes = {
        r["Properties"]["RouteKey"]: r["Properties"]["AuthorizationType"]
        for r in RESOURCES.values()
        if r["Type"] == "AWS::ApiGatewayV2::Route"
    }
    assert routes == {
        "POST /predict": {"Ref": "EndpointAuth"},
        "GET /model": {"Ref": "EndpointAuth"},
        "GET /openapi.json": {"Ref": "EndpointAuth"},
    }
    public = [name for name, r in RESOURCES.items() if r["Properties"].get("Principal") == "*"]
    assert sorted(public) == [
        "InferenceFunctionUrlPublicAccess",
        "InferenceFunctionUrlPublicInvoke",
    ]
    assert all(RESOURCES[name]["Condition"] == "PublicEndpoint" for name in public)
    assert TEMPLATE_DOC["Conditions"]["PublicEndpoint"] == {
        "Fn::Equals": [{"Ref": "EndpointAuth"}, "NONE"]
    }


BASELINE_DOC = load_template(ROOT / "tools" / "baseline" / "template.yaml")


@pytest.mark.parametrize(
    ("document", "function", "role", "log_group"),
    [
        (TEMPLATE_DOC, "InferenceFunction", "InferenceFunctionRole", "InferenceFunctionLogGroup"),
        (BASELINE_DOC, "PickleBaselineFunction", "PickleBaselineRole", "PickleBaselineLogGroup"),
    ],
    ids=["inference", "baseline"],
)
def test_roles_may_only_write_their_own_log_group(document, function, role, log_group):
    resources = document["Resources"]
    properties = resources[function]["Properties"]
    assert properties["Role"] == {"Fn::GetAtt": [role, "Arn"]}
    assert properties["LoggingConfig"] == {"LogGroup": {"Ref": log_group}}
    role_properties = resources[role]["Properties"]
    assert "ManagedPolicyArns" not in role_properties
    statements = [
        statement
        for policy in role_properties["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
    ]
    assert statements == [
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": {"Fn::GetAtt": [log_group, "Arn"]},
        }
    ]
    assert resources[log_group]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_the_baseline_is_a_template_of_its_own_for_the_benchmark():
    assert {n: r["Type"] for n, r in BASELINE_DOC["Resources"].items()} == {
        "SklearnLayer": "AWS::Serverless::LayerVersion",
        "PickleBaselineLogGroup": "AWS::Logs::LogGroup",
        "PickleBaselineRole": "AWS::IAM::Role",
        "PickleBaselineFunction": "AWS::Serverless::Function",
    }
    resources = BASELINE_DOC["Resources"]
    assert resources["SklearnLayer"]["Properties"]["ContentUri"] == "layer/"
    assert resources["PickleBaselineFunction"]["Properties"]["CodeUri"] == "./"
    assert resources["PickleBaselineFunction"]["Properties"]["Layers"] == [{"Ref": "SklearnLayer"}]
    assert BASELINE_DOC["Outputs"] == {
        "PickleBaselineFunctionName": {
            "Description": "What make benchmark-aws takes as PICKLE_FUNCTION.",
            "Value": {"Ref": "PickleBaselineFunction"},
        }
    }
    assert not any("Pickle" in name or "Sklearn" in name for name in TEMPLATE_DOC["Resources"])


def test_the_http_api_carries_its_stack_tag_for_the_release_role():
    assert RESOURCES["InferenceHttpApi"]["Properties"]["Tags"] == {
        "onnx-lambda:stack": {"Ref": "AWS::StackName"}
    }


def test_outputs_name_the_function_layer_and_endpoints():
    assert set(OUTPUTS) == {
        "InferenceFunctionName",
        "InferenceFunctionArn",
        "OnnxRuntimeLayerArn",
        "HttpApiUrl",
        "FunctionUrl",
        "InferenceAliasArn",
        "PreTrafficHookFunctionName",
    }
    assert TEMPLATE_DOC["Outputs"]["InferenceAliasArn"]["Value"] == {
        "Ref": "InferenceFunction.Alias"
    }
