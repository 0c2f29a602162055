"""Versioned rollouts and hardening, read from SAM's own translation of template.yaml: every
endpoint calls the alias `live`, CodeDeploy moves it with the hook and alarms, and each
hardening setting follows its parameter."""

from __future__ import annotations

import json

import pytest

from tools.deploy.templates import FUNCTION_STACK, load_template, translate, translated

SOURCE = load_template(FUNCTION_STACK)
PARAMETERS = SOURCE["Parameters"]
TRANSLATED = translated(FUNCTION_STACK)
RESOURCES = TRANSLATED["Resources"]
ALIAS = {"Ref": "InferenceFunctionAliaslive"}


def one(resource_type: str) -> tuple[str, dict]:
    found = [(n, r) for n, r in RESOURCES.items() if r["Type"] == resource_type]
    assert len(found) == 1, [n for n, _ in found]
    return found[0]


def test_every_deploy_publishes_a_version_behind_the_alias_live():
    version_id, version = one("AWS::Lambda::Version")
    assert version["Properties"]["FunctionName"] == {"Ref": "InferenceFunction"}
    alias = RESOURCES["InferenceFunctionAliaslive"]
    assert alias["Properties"] == {
        "Name": "live",
        "FunctionName": {"Ref": "InferenceFunction"},
        "FunctionVersion": {"Fn::GetAtt": [version_id, "Version"]},
    }
    function = SOURCE["Resources"]["InferenceFunction"]["Properties"]
    # A new version for any property change (layer, environment), not only new code.
    assert function["AutoPublishAliasAllProperties"] is True


def test_callers_reach_only_the_alias():
    assert RESOURCES["InferenceFunctionUrl"]["Properties"]["TargetFunctionArn"] == ALIAS
    integration = RESOURCES["InferenceHttpApiIntegration"]["Properties"]
    assert integration["IntegrationUri"] == ALIAS
    permissions = {
        name: r["Properties"]["FunctionName"]
        for name, r in RESOURCES.items()
        if r["Type"] == "AWS::Lambda::Permission"
        and r["Properties"]["FunctionName"] in ({"Ref": "InferenceFunction"}, ALIAS)
    }
    assert permissions == {
        "InferenceFunctionUrlPublicAccess": ALIAS,
        "InferenceFunctionUrlPublicInvoke": ALIAS,
        "InferenceHttpApiInvokePermission": ALIAS,
    }
    assert RESOURCES["InferenceFunctionEventInvokeConfig"]["Properties"]["Qualifier"] == "live"


def test_codedeploy_shifts_the_alias_after_the_hook_and_rolls_back_on_alarms():
    update = RESOURCES["InferenceFunctionAliaslive"]["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]
    assert update == {
        "ApplicationName": {"Ref": "ServerlessDeploymentApplication"},
        "DeploymentGroupName": {"Ref": "InferenceFunctionDeploymentGroup"},
        "BeforeAllowTrafficHook": {"Ref": "PreTrafficHookFunction"},
    }
    group = RESOURCES["InferenceFunctionDeploymentGroup"]["Properties"]
    assert group["ServiceRoleArn"] == {"Fn::GetAtt": ["RolloutRole", "Arn"]}
    assert group["AlarmConfiguration"] == {
        "Enabled": True,
        "Alarms": [
            {"Name": {"Ref": "InferenceAliasErrorsAlarm"}},
            {"Name": {"Ref": "InferenceInternalErrorsAlarm"}},
        ],
    }
    assert set(group["AutoRollbackConfiguration"]["Events"]) >= {
        "DEPLOYMENT_FAILURE",
        "DEPLOYMENT_STOP_ON_ALARM",
    }
    preference = SOURCE["Resources"]["InferenceFunction"]["Properties"]["DeploymentPreference"]
    assert preference["Type"] == {"Ref": "DeploymentType"}
    assert PARAMETERS["DeploymentType"]["Default"] == "Canary10Percent5Minutes"
    assert "AllAtOnce" in PARAMETERS["DeploymentType"]["AllowedValues"]


@pytest.mark.parametrize(
    ("deployment_type", "config"),
    [
        ("Canary10Percent5Minutes", "CodeDeployDefault.LambdaCanary10Percent5Minutes"),
        ("AllAtOnce", "CodeDeployDefault.LambdaAllAtOnce"),
    ],
)
def test_the_deployment_type_picks_codedeploys_configuration(deployment_type, config):
    document = load_template(FUNCTION_STACK)
    document["Parameters"]["DeploymentType"]["Default"] = deployment_type
    group = translate(document)["Resources"]["InferenceFunctionDeploymentGroup"]
    name = group["Properties"]["DeploymentConfigName"]["Fn::Sub"]
    assert name[0].replace("${ConfigName}", name[1]["ConfigName"]) == config


def test_the_alarms_watch_the_new_version_and_the_handlers_own_500s():
    errors = RESOURCES["InferenceAliasErrorsAlarm"]["Properties"]
    assert {d["Name"]: d["Value"] for d in errors["Dimensions"]} == {
        "FunctionName": {"Ref": "InferenceFunction"},
        "Resource": {"Fn::Sub": "${InferenceFunction}:live"},
        "ExecutedVersion": {"Fn::GetAtt": [one("AWS::Lambda::Version")[0], "Version"]},
    }
    assert (errors["MetricName"], errors["Threshold"], errors["Period"]) == ("Errors", 0, 60)
    internal = RESOURCES["InferenceInternalErrorsAlarm"]["Properties"]
    # The function's own namespace and 5xx count (function/onnx_serving/metrics.py), across
    # versions: the dimensionless set of its request log lines' metrics.
    function = SOURCE["Resources"]["InferenceFunction"]["Properties"]
    assert internal["Namespace"] == function["Environment"]["Variables"]["METRICS_NAMESPACE"]
    assert (internal["MetricName"], internal["Statistic"], internal["Threshold"]) == (
        "server_errors",
        "Sum",
        0,
    )
    assert "Dimensions" not in internal
    for alarm in (errors, internal):
        assert (alarm["ComparisonOperator"], alarm["TreatMissingData"]) == (
            "GreaterThanThreshold",
            "notBreaching",
        )


def test_the_hook_checks_the_new_version_with_its_own_package():
    hook = RESOURCES["PreTrafficHookFunction"]["Properties"]
    assert hook["Handler"] == "pre_traffic.hook.handler"
    assert hook["Environment"]["Variables"] == {
        "TARGET_FUNCTION_VERSION": {"Ref": one("AWS::Lambda::Version")[0]},
        "OPENBLAS_NUM_THREADS": "1",
    }
    source = SOURCE["Resources"]["PreTrafficHookFunction"]
    assert (source["Properties"]["CodeUri"], source["Metadata"]["BuildMethod"]) == (
        "pre_traffic/",
        "makefile",
    )
    assert "DeploymentPreference" not in source["Properties"]


def test_the_hardening_settings_follow_their_parameters():
    function = SOURCE["Resources"]["InferenceFunction"]["Properties"]
    assert function["ReservedConcurrentExecutions"] == {
        "Fn::If": [
            "HasReservedConcurrency",
            {"Ref": "ReservedConcurrency"},
            {"Ref": "AWS::NoValue"},
        ]
    }
    assert function["EventInvokeConfig"] == {"MaximumRetryAttempts": {"Ref": "AsyncRetryAttempts"}}
    assert PARAMETERS["AsyncRetryAttempts"]["Default"] == 0
    stage = SOURCE["Resources"]["InferenceHttpApiStage"]["Properties"]
    assert stage["DefaultRouteSettings"] == {
        "ThrottlingRateLimit": {"Ref": "HttpApiRateLimit"},
        "ThrottlingBurstLimit": {"Ref": "HttpApiBurstLimit"},
    }
    logs = stage["AccessLogSettings"]
    assert logs["DestinationArn"] == {"Fn::GetAtt": ["InferenceHttpApiAccessLogGroup", "Arn"]}
    assert SOURCE["Resources"]["InferenceHttpApiAccessLogGroup"]["Properties"][
        "RetentionInDays"
    ] == {"Ref": "AccessLogRetentionDays"}


def test_access_log_lines_are_json_with_the_fields_an_audit_needs():
    line = SOURCE["Resources"]["InferenceHttpApiStage"]["Properties"]["AccessLogSettings"]["Format"]
    record = json.loads(line)
    assert record["requestId"] == "$context.requestId"
    assert record["status"] == "$context.status"
    assert record["caller"] == "$context.identity.userArn"
    assert record["sourceIp"] == "$context.identity.sourceIp"
    assert all(value.startswith("$context.") for value in record.values())


def test_cors_is_off_by_default_and_answers_preflight_on_both_endpoints_when_on():
    assert PARAMETERS["CorsAllowedOrigins"] == {
        **PARAMETERS["CorsAllowedOrigins"],
        "Type": "CommaDelimitedList",
        "Default": "",
    }
    api = SOURCE["Resources"]["InferenceHttpApi"]["Properties"]["CorsConfiguration"]["Fn::If"]
    assert api[0] == "WithCors" and api[2] == {"Ref": "AWS::NoValue"}
    assert api[1]["AllowOrigins"] == {"Ref": "CorsAllowedOrigins"}
    assert api[1]["AllowMethods"] == ["GET", "POST"]
    # API Gateway answers OPTIONS itself only when no route takes it.
    routes = [
        r["Properties"]["RouteKey"]
        for r in RESOURCES.values()
        if r["Type"] == "AWS::ApiGatewayV2::Route"
    ]
    assert sorted(routes) == ["GET /model", "GET /openapi.json", "POST /predict"]
    url = RESOURCES["InferenceFunctionUrl"]["Properties"]["Cors"]
    assert url["AllowOrigins"] == {
        "Fn::If": ["WithCors", {"Ref": "CorsAllowedOrigins"}, {"Ref": "AWS::NoValue"}]
    }
    assert url["AllowMethods"]["Fn::If"][1] == ["GET", "POST"]
    assert url["AllowHeaders"]["Fn::If"][1] == api[1]["AllowHeaders"]
    assert SOURCE["Conditions"]["WithCors"] == {
        "Fn::Not": [{"Fn::Equals": [{"Fn::Join": ["", {"Ref": "CorsAllowedOrigins"}]}, ""]}]
    }


def test_snapstart_is_off_by_default_and_applies_to_published_versions():
    assert PARAMETERS["SnapStart"]["Default"] == "false"
    function = SOURCE["Resources"]["InferenceFunction"]["Properties"]
    assert function["SnapStart"] == {
        "Fn::If": ["WithSnapStart", {"ApplyOn": "PublishedVersions"}, {"Ref": "AWS::NoValue"}]
    }
