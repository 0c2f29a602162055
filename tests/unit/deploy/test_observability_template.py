"""observability/template.yaml, template.yaml's nested Observability: the dashboard and alarms on
the metrics the function's request log lines carry (function/onnx_serving/metrics.py)."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from sam_support import load_template

from onnx_serving.metrics import (
    BIN_EXCESS_PREFIX,
    BIN_EXCESS_SLOTS,
    CLASS_MIX_PREFIX,
    CLASS_MIX_SLOTS,
)
from tools.deploy.templates import FUNCTION_STACK, OBSERVABILITY_APPLICATION

DOC = load_template(OBSERVABILITY_APPLICATION)
RESOURCES = DOC["Resources"]
PARENT = load_template(FUNCTION_STACK)
NAMESPACE = {"Fn::Sub": "onnx-lambda/${ParentStackName}"}
# The rows an hour needs before the class mix alarm reads a distance (the template's expression).
CLASS_MIX_MIN_ROWS = 200
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


ALARMS = (
    "ServerErrorRateAlarm",
    "LatencyP99Alarm",
    "OutOfRangeDriftAlarm",
    "ClassMixDriftAlarm",
    "InputMixDriftAlarm",
)


def test_resources_are_five_alarms_and_a_dashboard():
    assert {name: r["Type"] for name, r in RESOURCES.items()} == {
        **{name: "AWS::CloudWatch::Alarm" for name in ALARMS},
        "Dashboard": "AWS::CloudWatch::Dashboard",
    }


def alarm(name: str) -> dict:
    return RESOURCES[name]["Properties"]


def test_every_alarm_notifies_the_topic_when_given_and_names_itself_after_the_stack():
    for name in ALARMS:
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


SLOTS = [f"s{slot}" for slot in range(CLASS_MIX_SLOTS)]


def test_class_mix_drift_is_the_total_variation_distance_from_training_over_an_hour():
    properties = alarm("ClassMixDriftAlarm")
    assert properties["Threshold"] == {"Fn::Select": [3, {"Ref": "AlarmThresholds"}]}
    terms = " + ".join(f"ABS(FILL({slot}, 0))" for slot in SLOTS)
    assert properties["Metrics"][0]["Expression"] == (
        f"IF(rows >= {CLASS_MIX_MIN_ROWS}, 50 * ({terms}) / rows, 0)"
    )
    assert stats(properties) == {
        **{f"s{k}": (f"{CLASS_MIX_PREFIX}{k}", "Sum", 3600) for k in range(CLASS_MIX_SLOTS)},
        "rows": ("rows", "Sum", 3600),
    }
    assert len(properties["Metrics"]) <= 10


def class_mix_distance(expression: str, excess: list[float], rows: float) -> float:
    """The alarm's expression evaluated on one hour's sums (the functions it uses, in Python)."""
    values = dict(zip(SLOTS, excess, strict=True))
    values["rows"] = rows
    python = re.sub(r"IF\((.*?), (.*), 0\)$", r"(\2) if (\1) else 0", expression)
    python = python.replace("ABS(FILL(", "abs((").replace(", 0))", "))")
    return eval(python, {"__builtins__": {"abs": abs}}, values)


def test_the_class_mix_alarm_reads_the_distance_the_lines_sum_to():
    expression = alarm("ClassMixDriftAlarm")["Metrics"][0]["Expression"]
    # 1,000 rows, training a third each, live 60 % / 30 % / 10 %: distance 26.67 %.
    excess = [600 - 1000 / 3, 300 - 1000 / 3, 100 - 1000 / 3] + [0.0] * (CLASS_MIX_SLOTS - 3)
    assert class_mix_distance(expression, excess, 1000) == pytest.approx(100 * 0.8 / 3)
    assert class_mix_distance(expression, excess, CLASS_MIX_MIN_ROWS - 1) == 0


def test_the_class_mix_default_threshold_is_above_sampling_noise_at_the_minimum_rows():
    """Hours of ``CLASS_MIX_MIN_ROWS`` rows drawn from training's own mix, 2 to 8 equal classes
    (the noisiest shares): the distance sampling alone gives stays below the default."""
    threshold = float(PARENT["Parameters"]["AlarmThresholds"]["Default"].split(",")[3])
    rng = np.random.default_rng(0)
    for classes in range(2, CLASS_MIX_SLOTS + 1):
        shares = np.full(classes, 1 / classes)
        counts = rng.multinomial(CLASS_MIX_MIN_ROWS, shares, size=20_000)
        distance = (
            50 * np.abs(counts - shares * CLASS_MIX_MIN_ROWS).sum(axis=1) / CLASS_MIX_MIN_ROWS
        )
        assert distance.max() < threshold, classes


BIN_SLOTS = [f"b{k}" for k in range(BIN_EXCESS_SLOTS)]
# The last bin position, minus the sum of the others: an expression, not a metric read.
LAST_BIN = "-(" + " + ".join(f"FILL({slot}, 0)" for slot in BIN_SLOTS) + ")"
INPUT_MIX_TERMS = " + ".join(f"ABS(FILL({slot}, 0))" for slot in BIN_SLOTS) + " + ABS(b9)"


def test_input_mix_drift_is_the_pooled_bin_distance_from_training_over_an_hour():
    properties = alarm("InputMixDriftAlarm")
    assert properties["Threshold"] == {"Fn::Select": [4, {"Ref": "AlarmThresholds"}]}
    assert PARENT["Parameters"]["AlarmThresholds"]["Default"] == "1,250,5,20,20"
    assert properties["Metrics"][0]["Expression"] == (
        f"IF(rows >= {CLASS_MIX_MIN_ROWS}, 50 * ({INPUT_MIX_TERMS}) / rows, 0)"
    )
    assert properties["Metrics"][1] == {"Id": "b9", "ReturnData": False, "Expression": LAST_BIN}
    assert stats(properties) == {
        **{f"b{k}": (f"{BIN_EXCESS_PREFIX}{k}", "Sum", 3600) for k in range(BIN_EXCESS_SLOTS)},
        "rows": ("rows", "Sum", 3600),
    }
    # PutMetricAlarm: at most 10 queries that read a metric, and 10 expressions.
    assert sum("MetricStat" in m for m in properties["Metrics"]) == 10


def input_mix_distance(excess: list[float], rows: float) -> float:
    """The alarm's two expressions evaluated on one hour's sums (their functions, in Python)."""
    values = dict(zip(BIN_SLOTS, excess, strict=True))
    values["rows"] = rows
    expressions = {m["Id"]: m["Expression"] for m in alarm("InputMixDriftAlarm")["Metrics"][:2]}
    for name in ("b9", "drift"):
        python = re.sub(r"IF\((.*?), (.*), 0\)$", r"(\2) if (\1) else 0", expressions[name])
        python = python.replace("ABS(", "abs(").replace("FILL(", "(").replace(", 0)", ")")
        values[name] = eval(python, {"__builtins__": {"abs": abs}}, values)
    return values["drift"]


def test_the_input_mix_alarm_reads_the_distance_the_lines_sum_to():
    # 1,000 rows, training a tenth per position, live all in the first five: distance 50 %.
    excess = [100.0] * 5 + [-100.0] * 4
    assert input_mix_distance(excess, 1000) == pytest.approx(50.0)
    assert input_mix_distance(excess, CLASS_MIX_MIN_ROWS - 1) == 0


def test_the_input_mix_default_threshold_is_above_sampling_noise_at_the_minimum_rows():
    """Hours of ``CLASS_MIX_MIN_ROWS`` rows drawn from training's own bins, one feature (no
    pooling to average the noise away) of 2 to 10 equal bins: the distance stays below the
    default."""
    threshold = float(PARENT["Parameters"]["AlarmThresholds"]["Default"].split(",")[4])
    rng = np.random.default_rng(0)
    for bins in range(2, BIN_EXCESS_SLOTS + 2):
        shares = np.full(bins, 1 / bins)
        counts = rng.multinomial(CLASS_MIX_MIN_ROWS, shares, size=20_000)
        excess = (counts - shares * CLASS_MIX_MIN_ROWS)[:, :-1]
        excess = np.pad(excess, ((0, 0), (0, BIN_EXCESS_SLOTS + 1 - bins)))
        distance = (
            50 * (np.abs(excess).sum(axis=1) + np.abs(excess.sum(axis=1))) / CLASS_MIX_MIN_ROWS
        )
        worst = excess[distance.argmax()].tolist()
        assert input_mix_distance(worst, CLASS_MIX_MIN_ROWS) == pytest.approx(distance.max())
        assert distance.max() < threshold, bins


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
        "Class mix distance from training (%)",
        "Batch: rows and rejected rows",
        "Batch: files (jobs and refused)",
        "Batch: throughput (rows/s per file)",
        "Input mix distance from training (%)",
        "Rows per feature bin (% of rows)",
        "Alarms",
    ]
    assert widgets[-1]["properties"]["alarms"] == [
        f"arn:aws:cloudwatch:us-east-1:1:alarm:{name}" for name in ALARMS
    ]
    drift = widgets[6]["properties"]["metrics"]
    assert drift[0][0]["expression"] == alarm("ClassMixDriftAlarm")["Metrics"][0][
        "Expression"
    ].removeprefix(f"IF(rows >= {CLASS_MIX_MIN_ROWS}, ").removesuffix(", 0)")
    assert [m[1] for m in drift[1:]] == [f"{CLASS_MIX_PREFIX}{k}" for k in range(8)] + ["rows"]
    batch = {m[1] for w in widgets[7:10] for m in w["properties"]["metrics"] if m[0] != "..."}
    assert batch == {"rows", "rejected", "refused_files", "rows_per_second"}
    assert {m[0] for w in widgets[7:10] for m in w["properties"]["metrics"]} <= {
        "onnx-lambda/s/batch",
        "...",
    }
    inputs = widgets[10]["properties"]["metrics"]
    assert inputs[0][0]["expression"] == f"50 * ({INPUT_MIX_TERMS}) / rows"
    assert inputs[1][0]["expression"] == LAST_BIN
    assert [m[1] for m in inputs[2:]] == [f"{BIN_EXCESS_PREFIX}{k}" for k in range(9)] + ["rows"]
    text = json.dumps(widgets)
    for metric in ("latency_ms", "rows", "client_errors", "server_errors", "cold_start", "init_ms"):
        assert f'"{metric}"' in text or f'\\"{metric}\\"' in text, metric
    for prefix in ("predicted", "training_share", "out_of_range", "bin"):
        assert f"{{onnx-lambda/s,model,model_version}} {prefix}'" in text, prefix
