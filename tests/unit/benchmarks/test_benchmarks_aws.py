"""The AWS benchmark's calls, against botocore's Stubber: offline, no credentials."""

from __future__ import annotations

import base64

import boto3
import pytest
from botocore.stub import ANY, Stubber
from sam_support import invoke_response

from tools.benchmarks.aws import (
    MARKER,
    AwsBenchmarkError,
    AwsSettings,
    cold_invoke,
    function_names,
    restored_invoke,
    run_aws,
)
from tools.benchmarks.report_line import parse_report
from tools.benchmarks.results import ColdSample

FUNCTION = "stack-inference"
ENVIRONMENT = {"LOG_LEVEL": "INFO", "MAX_BATCH_ROWS": "1000"}
ONE_ROW = b'{"features": [5.1, 3.5, 1.4, 0.2]}'
EVENTS = {
    "1 row": ONE_ROW,
    "2 rows": b'{"instances": [[5.1, 3.5, 1.4, 0.2], [6.2, 2.9, 4.3, 1.3]]}',
}


def _tail(duration: float, init: float | None) -> str:
    line = (
        f"REPORT RequestId: 11111111-2222-3333-4444-555555555555\tDuration: {duration:.2f} ms\t"
        f"Billed Duration: {int(duration + (init or 0)) + 1} ms\tMemory Size: 512 MB\t"
        "Max Memory Used: 70 MB\t" + (f"Init Duration: {init:.2f} ms\t" if init else "")
    )
    return base64.b64encode(f"START RequestId: 1 Version: $LATEST\n{line}\n".encode()).decode()


def _invoke_response(duration: float, init: float | None, error: str | None = None) -> dict:
    return invoke_response(b'{"predictions": []}', error, _tail(duration, init))


def _expect_update(stubber: Stubber, variables: dict) -> None:
    stubber.add_response(
        "update_function_configuration",
        {"FunctionName": FUNCTION},
        {"FunctionName": FUNCTION, "Environment": {"Variables": variables}},
    )
    stubber.add_response(
        "get_function_configuration",
        {"FunctionName": FUNCTION, "LastUpdateStatus": "Successful", "State": "Active"},
        {"FunctionName": FUNCTION},
    )


@pytest.fixture
def client():
    return boto3.client(
        "lambda", region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
    )


def test_cold_invoke_updates_the_environment_then_reads_init(client):
    with Stubber(client) as stubber:
        _expect_update(stubber, {**ENVIRONMENT, MARKER: "m1"})
        stubber.add_response(
            "invoke",
            _invoke_response(3.5, 410.25),
            {
                "FunctionName": FUNCTION,
                "InvocationType": "RequestResponse",
                "LogType": "Tail",
                "Payload": ONE_ROW,
            },
        )
        report = cold_invoke(client, FUNCTION, ENVIRONMENT, "m1", ONE_ROW)
        stubber.assert_no_pending_responses()
    assert report.init_duration_ms == 410.25
    assert report.duration_ms == 3.5


def test_a_warm_answer_after_an_update_is_an_error(client):
    with Stubber(client) as stubber:
        _expect_update(stubber, {**ENVIRONMENT, MARKER: "m1"})
        stubber.add_response("invoke", _invoke_response(1.0, None))
        with pytest.raises(AwsBenchmarkError, match="not a cold start"):
            cold_invoke(client, FUNCTION, ENVIRONMENT, "m1", ONE_ROW)


def test_a_function_error_is_an_error(client):
    with Stubber(client) as stubber:
        _expect_update(stubber, {**ENVIRONMENT, MARKER: "m1"})
        stubber.add_response("invoke", _invoke_response(1.0, 300.0, error="Unhandled"))
        with pytest.raises(AwsBenchmarkError, match="Unhandled"):
            cold_invoke(client, FUNCTION, ENVIRONMENT, "m1", ONE_ROW)


def test_full_run_records_samples_and_restores_the_environment(client):
    ticks = []
    with Stubber(client) as stubber:
        stubber.add_response(
            "get_function_configuration",
            {"FunctionName": FUNCTION, "Environment": {"Variables": ENVIRONMENT}},
            {"FunctionName": FUNCTION},
        )
        _expect_update(stubber, {**ENVIRONMENT, MARKER: ANY})
        stubber.add_response("invoke", _invoke_response(3.0, 400.0))
        stubber.add_response("invoke", _invoke_response(1.25, None))
        stubber.add_response("invoke", _invoke_response(9.5, None))
        _expect_update(stubber, ENVIRONMENT)
        run = run_aws(
            client, AwsSettings({"onnx": FUNCTION}, EVENTS, 1, 1), ticks.append, lambda total: None
        )
        stubber.assert_no_pending_responses()
    assert [mode.mode for mode in run.modes] == ["lambda"]
    assert run.main.cold["onnx"] == [ColdSample(400.0, 3.0, 70.0)]
    assert run.main.warm_ms["onnx"] == {"1 row": [1.25], "2 rows": [9.5]}
    assert run.machine.description == "AWS Lambda, memory sizes onnx 512 MB"
    assert len(ticks) == 3


@pytest.fixture
def cloudformation():
    return boto3.client(
        "cloudformation",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def _stack(name: str, key: str, value: str) -> dict:
    created = "2026-01-01T00:00:00Z"
    return {
        "Stacks": [
            {
                "StackName": name,
                "CreationTime": created,
                "StackStatus": "CREATE_COMPLETE",
                "Outputs": [{"OutputKey": key, "OutputValue": value}],
            }
        ]
    }


def test_function_names_come_from_both_stacks_outputs(cloudformation):
    with Stubber(cloudformation) as stubber:
        stubber.add_response(
            "describe_stacks",
            _stack("onnx-lambda", "InferenceFunctionName", "onnx-lambda-inference"),
            {"StackName": "onnx-lambda"},
        )
        stubber.add_response(
            "describe_stacks",
            _stack("onnx-lambda-baseline", "PickleBaselineFunctionName", "baseline-fn"),
            {"StackName": "onnx-lambda-baseline"},
        )
        names = function_names(cloudformation, None, None)
        stubber.assert_no_pending_responses()
    assert names == {"onnx": "onnx-lambda-inference", "pickle": "baseline-fn"}


def test_without_a_baseline_stack_only_onnx_is_measured(cloudformation):
    with Stubber(cloudformation) as stubber:
        stubber.add_client_error(
            "describe_stacks",
            "ValidationError",
            "Stack with id onnx-lambda-baseline does not exist",
            expected_params={"StackName": "onnx-lambda-baseline"},
        )
        names = function_names(cloudformation, "given-fn", None)
        stubber.assert_no_pending_responses()
    assert names == {"onnx": "given-fn"}


def test_an_application_stack_without_the_function_output_is_an_error(cloudformation):
    with Stubber(cloudformation) as stubber:
        stubber.add_response("describe_stacks", _stack("onnx-lambda", "Other", "x"))
        with pytest.raises(
            AwsBenchmarkError, match="stack onnx-lambda has no InferenceFunctionName"
        ):
            function_names(cloudformation, None, "pickle-fn")


# REPORT lines in the formats Lambda writes them: a log tail's (tab-separated, as `sam logs`
# prints it) and a console copy's (space-separated, X-Ray fields after), both of SnapStart
# restores, and an on-demand cold start for contrast.
RESTORE_TAB = (
    "REPORT RequestId: b771fecc-1b53-4faf-922d-1d74357b1676\tDuration: 306.34 ms\t"
    "Billed Duration: 610 ms\tMemory Size: 3009 MB\tMax Memory Used: 155 MB\t"
    "Restore Duration: 511.25 ms\tBilled Restore Duration: 303 ms\t"
)
RESTORE_SPACES = (
    "REPORT RequestId: 24addd09-6e64-49fb-b187-94ba9b60b59a Duration: 127.10 ms "
    "Billed Duration: 154 ms Memory Size: 2048 MB Max Memory Used: 212 MB "
    "Restore Duration: 325.93 ms Billed Restore Duration: 26 ms "
    "XRAY TraceId: 1-66d978e5-56c7378e556e94b5461da07c SegmentId: 29c3839e6ecb5895 Sampled: true"
)
INIT_TAB = (
    "REPORT RequestId: 3f5c0d1e-aaaa-bbbb-cccc-0123456789ab\tDuration: 2.34 ms\t"
    "Billed Duration: 415 ms\tMemory Size: 512 MB\tMax Memory Used: 71 MB\tInit Duration: 412.07 ms"
)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (RESTORE_TAB, (306.34, 610.0, 3009, 155, None, 511.25, 303.0, 511.25)),
        (RESTORE_SPACES, (127.10, 154.0, 2048, 212, None, 325.93, 26.0, 325.93)),
        (INIT_TAB, (2.34, 415.0, 512, 71, 412.07, None, None, 412.07)),
    ],
    ids=["restore-tabs", "restore-spaces", "init"],
)
def test_report_lines_give_init_or_restore_durations(line, expected):
    report = parse_report(f"START RequestId: x Version: 7\n{line}\nEND RequestId: x\n")
    assert (
        report.duration_ms,
        report.billed_duration_ms,
        report.memory_size_mb,
        report.max_memory_used_mb,
        report.init_duration_ms,
        report.restore_duration_ms,
        report.billed_restore_duration_ms,
        report.startup_ms,
    ) == expected
    assert report.cold


def test_a_warm_report_line_is_neither_initialised_nor_restored():
    report = parse_report(INIT_TAB.split("\tInit Duration")[0])
    assert (report.cold, report.startup_ms, report.restore_duration_ms) == (False, 0.0, None)


def _restore_tail(line: str) -> str:
    return base64.b64encode(f"START RequestId: 1 Version: 12\n{line}\n".encode()).decode()


def test_a_snapstart_cold_start_publishes_invokes_and_deletes_a_version(client):
    payload = b'{"predictions": []}'
    with Stubber(client) as stubber:
        _expect_update(stubber, {**ENVIRONMENT, MARKER: "m1"})
        stubber.add_response(
            "publish_version",
            {"FunctionName": FUNCTION, "Version": "12"},
            {"FunctionName": FUNCTION, "Description": f"{MARKER} m1"},
        )
        stubber.add_response(
            "get_function_configuration",
            {"FunctionName": FUNCTION, "State": "Active"},
            {"FunctionName": FUNCTION, "Qualifier": "12"},
        )
        stubber.add_response(
            "invoke",
            invoke_response(payload, log_result=_restore_tail(RESTORE_TAB)),
            {
                "FunctionName": FUNCTION,
                "InvocationType": "RequestResponse",
                "LogType": "Tail",
                "Payload": ANY,
                "Qualifier": "12",
            },
        )
        stubber.add_response("delete_function", {}, {"FunctionName": FUNCTION, "Qualifier": "12"})
        report = restored_invoke(client, FUNCTION, ENVIRONMENT, "m1", ONE_ROW)
        stubber.assert_no_pending_responses()
    assert (report.restore_duration_ms, report.duration_ms) == (511.25, 306.34)


def test_a_version_without_restore_duration_is_not_a_snapstart_measurement(client):
    payload = b"{}"
    with Stubber(client) as stubber:
        _expect_update(stubber, {**ENVIRONMENT, MARKER: "m1"})
        stubber.add_response("publish_version", {"Version": "13"})
        stubber.add_response("get_function_configuration", {"State": "Active"})
        stubber.add_response("invoke", invoke_response(payload, log_result=_restore_tail(INIT_TAB)))
        stubber.add_response("delete_function", {}, {"FunctionName": FUNCTION, "Qualifier": "13"})
        with pytest.raises(AwsBenchmarkError, match="no Restore Duration"):
            restored_invoke(client, FUNCTION, ENVIRONMENT, "m1", ONE_ROW)
        stubber.assert_no_pending_responses()
