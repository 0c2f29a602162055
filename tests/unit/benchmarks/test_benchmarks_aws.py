"""The AWS benchmark's calls, against botocore's Stubber: offline, no credentials."""

from __future__ import annotations

import base64
import io

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber

from benchmarks.aws import MARKER, AwsBenchmarkError, AwsSettings, cold_invoke, run_aws

FUNCTION = "stack-inference"
ENVIRONMENT = {"LOG_LEVEL": "INFO", "MAX_BATCH_ROWS": "1000"}


def _tail(duration: float, init: float | None) -> str:
    line = (
        f"REPORT RequestId: 11111111-2222-3333-4444-555555555555\tDuration: {duration:.2f} ms\t"
        f"Billed Duration: {int(duration + (init or 0)) + 1} ms\tMemory Size: 512 MB\t"
        "Max Memory Used: 70 MB\t" + (f"Init Duration: {init:.2f} ms\t" if init else "")
    )
    return base64.b64encode(f"START RequestId: 1 Version: $LATEST\n{line}\n".encode()).decode()


def _invoke_response(duration: float, init: float | None, error: str | None = None) -> dict:
    payload = b'{"predictions": []}'
    response = {
        "StatusCode": 200,
        "LogResult": _tail(duration, init),
        "Payload": StreamingBody(io.BytesIO(payload), len(payload)),
    }
    if error:
        response["FunctionError"] = error
    return response


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
                "Payload": ANY,
            },
        )
        report = cold_invoke(client, FUNCTION, ENVIRONMENT, "m1")
        stubber.assert_no_pending_responses()
    assert report.init_duration_ms == 410.25
    assert report.duration_ms == 3.5


def test_a_warm_answer_after_an_update_is_an_error(client):
    with Stubber(client) as stubber:
        _expect_update(stubber, {**ENVIRONMENT, MARKER: "m1"})
        stubber.add_response("invoke", _invoke_response(1.0, None))
        with pytest.raises(AwsBenchmarkError, match="not a cold start"):
            cold_invoke(client, FUNCTION, ENVIRONMENT, "m1")


def test_a_function_error_is_an_error(client):
    with Stubber(client) as stubber:
        _expect_update(stubber, {**ENVIRONMENT, MARKER: "m1"})
        stubber.add_response("invoke", _invoke_response(1.0, 300.0, error="Unhandled"))
        with pytest.raises(AwsBenchmarkError, match="Unhandled"):
            cold_invoke(client, FUNCTION, ENVIRONMENT, "m1")


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
        results = run_aws(
            client, AwsSettings({"onnx": FUNCTION}, 1, 1), ticks.append, lambda total: None
        )
        stubber.assert_no_pending_responses()
    assert results["iris"]["cold"]["onnx"] == [
        {"init_ms": 400.0, "first_invoke_ms": 3.0, "peak_rss_mb": 70.0}
    ]
    assert results["iris"]["warm_ms"]["onnx"] == {"1 row": [1.25], "1000 rows": [9.5]}
    assert len(ticks) == 3
