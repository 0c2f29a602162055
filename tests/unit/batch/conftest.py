"""Batch scoring in this process, against a real S3 API over HTTP (a local moto server)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
from batch_support import new_bucket

from local_lambda.s3_server import LocalS3
from onnx_serving.batch.handler import handle
from onnx_serving.batch.settings import BatchSettings


@pytest.fixture(scope="session")
def local_s3(tmp_path_factory):
    with LocalS3(logs=tmp_path_factory.mktemp("moto") / "moto.log") as server:
        yield server


@pytest.fixture(scope="session")
def s3(local_s3):
    return local_s3.client()


@pytest.fixture
def bucket(s3):
    return new_bucket(s3)


@pytest.fixture
def card(app):
    return app.MODEL.card


@pytest.fixture
def score(app, s3):
    """Run one event through the batch handler with the served model; ``remaining_s`` (seconds,
    or a callable giving them) is the time left, as the Lambda context would say."""

    def run(event, settings=None, remaining_s=math.inf):
        clock = remaining_s if callable(remaining_s) else lambda: remaining_s
        context = SimpleNamespace(
            aws_request_id="req-batch", get_remaining_time_in_millis=lambda: clock() * 1000
        )
        return handle(event, context, app.MODEL, s3, settings or BatchSettings())

    return run
