"""The local pieces batch scoring needs: a template's !Sub, the S3 server, the runtime SDK."""

from __future__ import annotations

import hashlib
import urllib.request

import pytest
from sam_support import TEMPLATE

from layer.interpreters import Interpreter
from tools.local_lambda.installs import COMPILED_LAYOUT
from tools.local_lambda.runtime_sdk import LOCK, runtime_sdk_dir
from tools.local_lambda.s3_server import LocalS3
from tools.local_lambda.template import function_config


def test_a_sub_over_parameters_and_pseudo_parameters_resolves_like_cloudformation():
    config = function_config(TEMPLATE, "BatchFunction", {"BatchOutputPrefix": "out/"})
    assert config.environment == {
        "BATCH_OUTPUT_PREFIX": "out/",
        "BATCH_STATE_MACHINE_ARN": "arn:aws:states:us-east-1:123456789012:stateMachine:"
        "local-batch-scoring",
        "LOG_LEVEL": "INFO",
        "METRICS_NAMESPACE": "onnx-lambda/local",
        "OPENBLAS_NUM_THREADS": "1",
    }
    assert (config.handler, config.memory_mb, config.timeout_s) == ("batch_app.handler", 1769, 900)


def test_local_s3_serves_the_s3_api_on_loopback_and_stops(tmp_path):
    with LocalS3(logs=tmp_path / "moto.log") as server:
        assert server.endpoint.startswith("http://127.0.0.1:")
        client = server.client()
        client.create_bucket(Bucket="probe")
        client.put_object(Bucket="probe", Key="k", Body=b"v")
        assert client.get_object(Bucket="probe", Key="k")["Body"].read() == b"v"
        assert server.client_environment()["AWS_ENDPOINT_URL_S3"] == server.endpoint
    with pytest.raises(OSError):
        urllib.request.urlopen(server.endpoint, timeout=2)


def test_the_runtime_sdk_lock_pins_the_runtime_boto3_with_hashes():
    text = LOCK.read_text()
    assert "boto3==1.38.36 \\" in text and "botocore==1.38.36 \\" in text
    assert text.count("--hash=sha256:") >= 7


def test_an_installed_runtime_sdk_is_reused_not_reinstalled(tmp_path):
    interpreter = Interpreter(tmp_path / "no-python", "3.13", matches_runtime=True)
    digest = hashlib.sha256(LOCK.read_bytes() + COMPILED_LAYOUT).hexdigest()[:12]
    ready = tmp_path / f"runtime-sdk-3.13-{digest}"
    (ready / "boto3").mkdir(parents=True)
    assert runtime_sdk_dir(interpreter, tmp_path) == ready
