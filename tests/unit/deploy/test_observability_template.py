"""observability/template.yaml, template.yaml's nested Observability: the dashboard and alarms on
the metrics the function's request log lines carry (function/onnx_serving/metrics.py)."""

from __future__ import annotations

import json
import re

from sam_support import load_template

from tools.deploy.templates import FUNCTION_STACK, OBSERVABILITY_APPLICATION

DOC = load_template(OBSERVABILITY_APPLICATION)
RESOURCES = DOC["Resources"]
PARENT = load_template(FUNCTION_STACK)
NAMESPACE = {"Fn::Sub": "onnx-lambda/${ParentStackName}"}
ACTIONS = {"Fn::If": ["HasAlarmTopic", [{"Ref": "AlarmTopicArn"}], {"Ref": "AWS::NoValue"}]}


def test_the_parent_deploys_it_with_its_name_topic_and_thresholds():
    application = PARENT["Resources"]["Observability"]
    assert application["Type"] == "AWS::Serverless::Application"
    assert "Condition" not in application
    assert application["Properties"] == {
        "Location": "observability/template.yaml",
        "Parameters": {
            "ParentStackName": {"Ref": "AWS::StackName"},
            "AlarmTopicArn": {"Ref": "AlarmTopicArn"},
            "AlarmThresholds": {"Fn::Join": [",", {"Ref": "AlarmThresholds"}]},
        },
    }
    function = PARENT["Resources"]["InferenceFunction"]["Properties"]
    assert function["Environment"]["Variables"]["METRICS_NAMESPACE"] == {
        "Fn::Sub": "onnx-lambda/${AWS::StackName}"
    }
    assert PARENT["Parameters"]["AlarmThresholds"]["Type"] == "CommaDelimitedList"
    assert DOC["Parameters"]["AlarmThresholds"]["Type"] == "CommaDelimitedList"
    assert DOC["Parameters"]["AlarmTopicArn"]["Default"] == ""
    assert DOC["Conditions"] == {
        "HasAlarmTopic": {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmTopicArn"}, ""]}]}
    }


def test_resources_are_three_alarms_and_a_dashboard():
    assert {name: r["Type"] for name, r in RESOURCES.items()} == {
        "ServerErrorRateAlarm": "AWS::CloudWatch::Alarm",
        "LatencyP99Alarm": "AWS::CloudWatch::Alarm",
        "OutOfRangeDriftAlarm": "AWS::CloudWatch::Alarm",
        "Dashboard": "AWS::CloudWatch::Dashboard",
    }


def alarm(name: str) -> dict:
    return RESOURCES[name]["Properties"]


def test_every_alarm_notifies_the_topic_when_given_and_names_itself_after_the_stack():
    for name in ("ServerErrorRateAlarm", "LatencyP99Alarm", "OutOfRangeDriftAlarm"):
        properties = alarm(name)
        assert (properties["AlarmActions"], properties["OKActions"]) == (ACTIONS, ACTIONS)
        assert properties["AlarmName"]["Fn::Sub"].startswith("${ParentStackName}-inference-")
        assert properties["TreatMissingData"] == "notBreaching"
        assert properties["ComparisonOperator"] == "GreaterThanThreshold"


def stats(properties: dict) -> dict[str, tuple[str, str, int]]:
    """Each metric query of a metric-math alarm: (metric, statistic, period)."""
    return {
        query["Id"]: (
            query["MetricStat"]["Metric"]["MetricName"],
            query["MetricStat"]["Stat"],
            query["MetricStat"]["Period"],
        )
        for query in properties["Metrics"]
        if "MetricStat" in query and query["MetricStat"]["Metric"]["Namespace"] == NAMESPACE
    }


def test_the_server_error_rate_is_the_percent_of_requests_answered_5xx():
    properties = alarm("ServerErrorRateAlarm")
    assert properties["Threshold"] == {"Fn::Select": [0, {"Ref": "AlarmThresholds"}]}
    assert properties["Metrics"][0]["Expression"] == "100 * errors"
    assert stats(properties) == {"errors": ("server_errors", "Average", 300)}


def test_p99_latency_over_three_five_minute_periods():
    properties = alarm("LatencyP99Alarm")
    assert (properties["Namespace"], properties["MetricName"], properties["ExtendedStatistic"]) == (
        NAMESPACE,
        "latency_ms",
        "p99",
    )
    assert (
        properties["Period"],
        properties["EvaluationPeriods"],
        properties["DatapointsToAlarm"],
    ) == (
        300,
        3,
        3,
    )
    assert properties["Threshold"] == {"Fn::Select": [1, {"Ref": "AlarmThresholds"}]}


def test_drift_is_the_percent_of_rows_outside_the_training_range_over_an_hour():
    properties = alarm("OutOfRangeDriftAlarm")
    assert properties["Threshold"] == {"Fn::Select": [2, {"Ref": "AlarmThresholds"}]}
    assert properties["Metrics"][0]["Expression"] == "100 * outside / rows"
    assert stats(properties) == {
        "outside": ("out_of_range_rows", "Sum", 3600),
        "rows": ("rows", "Sum", 3600),
    }


def dashboard_body() -> dict:
    """The dashboard's JSON as CloudFormation substitutes it, for stack "s" in us-east-1."""
    text, names = RESOURCES["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    assert names == {"Ns": NAMESPACE}
    text = text.replace("${Ns}", "onnx-lambda/s").replace("${AWS::Region}", "us-east-1")
    text = re.sub(r"\$\{(\w+)\.Arn\}", r"arn:aws:cloudwatch:us-east-1:1:alarm:\1", text)
    assert "${" not in text
    return json.loads(text)


def test_the_dashboard_shows_every_signal_and_the_alarms():
    widgets = dashboard_body()["widgets"]
    titles = [w["properties"]["title"] for w in widgets]
    assert titles == [
        "Requests and rows by entry point",
        "Errors (by type: 4xx and 5xx)",
        "Handler latency (ms)",
        "Cold starts and init (ms)",
        "Prediction mix against training (% of rows)",
        "Rows outside the training range (%)",
        "Alarms",
    ]
    assert widgets[-1]["properties"]["alarms"] == [
        f"arn:aws:cloudwatch:us-east-1:1:alarm:{name}"
        for name in ("ServerErrorRateAlarm", "LatencyP99Alarm", "OutOfRangeDriftAlarm")
    ]
    text = json.dumps(widgets)
    for metric in ("latency_ms", "rows", "client_errors", "server_errors", "cold_start", "init_ms"):
        assert f'"{metric}"' in text or f'\\"{metric}\\"' in text, metric
    for prefix in ("predicted", "training_share", "out_of_range"):
        assert f"{{onnx-lambda/s,model,model_version}} {prefix}'" in text, prefix
