"""local_lambda itself, on tiny handlers: the Lambda semantics it promises, without sam build."""

from __future__ import annotations

import http.client
import json
from pathlib import Path

import pytest
from sam_support import TEMPLATE

from tools.local_lambda import FunctionConfig, LocalLambda
from tools.local_lambda.runner import strict_json
from tools.local_lambda.runtime_api import MAX_RESPONSE_BYTES, RuntimeApiServer, RuntimeState
from tools.local_lambda.template import function_config

HANDLER = """
import os
import time

COLD = os.environ.get("FAIL_INIT") != "1" or 1 / 0


def handler(event, context):
    if event.get("raise"):
        raise KeyError(event["raise"])
    if event.get("sleep"):
        time.sleep(event["sleep"])
    if event.get("exit"):
        os._exit(event["exit"])
    if event.get("bytes"):
        return "x" * event["bytes"]
    return {
        "request_id": context.aws_request_id,
        "arn": context.invoked_function_arn,
        "name": context.function_name,
        "memory": context.memory_limit_in_mb,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "trace": os.environ.get("_X_AMZN_TRACE_ID", ""),
        "setting": os.environ.get("SETTING"),
        "event": event,
    }
"""


@pytest.fixture
def task_root(tmp_path) -> Path:
    (tmp_path / "app.py").write_text(HANDLER)
    return tmp_path


def local(task_root: Path, **config: object) -> LocalLambda:
    settings = {"environment": {"SETTING": "on"}, "timeout_s": 5.0, **config}
    return LocalLambda(
        task_root, config=FunctionConfig(**settings), logs=(task_root / "log").open("ab")
    )


def test_handler_sees_lambdas_context_and_environment(task_root):
    with local(task_root, name="Probe", memory_mb=256) as function:
        result = function.invoke({"x": [1, 2]})
    answer = result.json()
    assert result.function_error is None
    assert answer["request_id"] == result.request_id
    assert answer["arn"] == "arn:aws:lambda:us-east-1:123456789012:function:Probe"
    assert (answer["name"], answer["memory"], answer["setting"]) == ("Probe", "256", "on")
    assert 0 < answer["remaining_ms"] <= 5000
    assert answer["trace"].startswith("Root=1-")
    assert answer["event"] == {"x": [1, 2]}
    assert function.init_error is None
    assert function.init_duration_ms > 0
    assert result.max_memory_used_kb > 0


def test_handler_exception_is_a_function_error_with_lambdas_shape(task_root):
    with local(task_root) as function:
        failed = function.invoke({"raise": "boom"})
        after = function.invoke({"x": 1})
    error = failed.json()
    assert failed.function_error == "Unhandled"
    assert (error["errorType"], error["errorMessage"]) == ("KeyError", "'boom'")
    assert error["requestId"] == failed.request_id
    assert after.function_error is None


def test_invoke_past_the_timeout_ends_the_environment(task_root):
    with local(task_root, timeout_s=1.0) as function:
        result = function.invoke({"sleep": 30})
        with pytest.raises(RuntimeError, match="not running"):
            function.invoke({"x": 1})
    assert result.function_error == "Unhandled"
    assert result.json() == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"{result.request_id} Task timed out after 1.00 seconds",
    }


def test_runtime_exiting_mid_invoke_is_reported(task_root):
    with local(task_root) as function:
        result = function.invoke({"exit": 3})
    assert result.function_error == "Unhandled"
    assert result.json() == {
        "errorType": "Runtime.ExitError",
        "errorMessage": f"RequestId: {result.request_id} Error: "
        "Runtime exited with error: exit status 3",
    }


def test_response_over_six_mb_is_lambdas_size_error(task_root):
    with local(task_root) as function:
        too_large = function.invoke({"bytes": MAX_RESPONSE_BYTES - 1})
        at_limit = function.invoke({"bytes": MAX_RESPONSE_BYTES - 2})
    assert too_large.function_error == "Unhandled"
    assert too_large.json()["errorType"] == "Function.ResponseSizeTooLarge"
    assert (at_limit.function_error, len(at_limit.payload)) == (None, MAX_RESPONSE_BYTES)


def test_init_failure_is_reported_by_the_runtime_and_answers_every_invoke(task_root):
    with local(task_root, environment={"FAIL_INIT": "1"}) as function:
        result = function.invoke({"x": 1})
    assert function.init_duration_ms is None
    assert function.init_error is not None
    assert function.init_error.error_type == "ZeroDivisionError"
    assert result.function_error == "Unhandled"
    assert result.json()["errorType"] == "ZeroDivisionError"


def test_a_handler_that_cannot_be_imported_is_an_init_error(task_root):
    with local(task_root, handler="missing.handler") as function:
        assert function.init_error is not None
        assert function.init_error.error_type == "Runtime.ImportModuleError"


def test_runtime_api_answers_unknown_paths_and_request_ids_like_lambda():
    server = RuntimeApiServer(RuntimeState())
    server.start()
    try:
        connection = http.client.HTTPConnection(server.address)
        answers = []
        for method, path in [
            ("GET", "/2018-06-01/runtime/nothing"),
            ("POST", "/2018-06-01/runtime/invocation/unknown-id/response"),
            ("POST", "/2018-06-01/runtime/nothing"),
        ]:
            connection.request(method, path, body=b"{}" if method == "POST" else None)
            response = connection.getresponse()
            answers.append((response.status, json.loads(response.read())["errorType"]))
    finally:
        server.stop()
    assert answers == [(404, "NotFound"), (400, "InvalidRequestID"), (404, "NotFound")]


def test_strict_json_refuses_non_finite_numbers():
    assert strict_json(b'{"p": 1e-7}') == {"p": 1e-7}
    for constant in ("NaN", "Infinity", "-Infinity"):
        with pytest.raises(ValueError, match="not strict JSON"):
            strict_json(f'{{"p": {constant}}}'.encode())


def test_function_config_comes_from_the_template_with_overrides():
    config = function_config(TEMPLATE, "InferenceFunction", {"LogLevel": "WARNING"})
    assert config == FunctionConfig(
        name="InferenceFunction",
        handler="app.handler",
        runtime="python3.13",
        memory_mb=512,
        timeout_s=10.0,
        environment={
            "MAX_BATCH_ROWS": "1000",
            "LOG_LEVEL": "WARNING",
            # The template's namespace, for the stack name local runs stand in with.
            "METRICS_NAMESPACE": "onnx-lambda/local",
            "OPENBLAS_NUM_THREADS": "1",
        },
    )
