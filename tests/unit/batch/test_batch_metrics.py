"""The CloudWatch metrics of each batch job (``onnx_serving.batch.metrics``): a job's log line is
valid EMF in the batch namespace and its metrics are the job's summary, through the handler
against the local S3 server."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from types import SimpleNamespace

import pytest
from batch_support import csv_text, example_rows
from emf_support import declared, emf_problems

from onnx_serving.batch.handler import handle
from onnx_serving.batch.metrics import JobMetrics, batch_namespace
from onnx_serving.batch.settings import BatchSettings

NAMESPACE = "onnx-lambda/stack/batch"
BY_MODEL = {(), ("model", "model_version")}


@pytest.fixture
def score_logged(app, s3):
    """Score one event with job metrics; the summary and the job's log line, parsed."""

    def run(event):
        context = SimpleNamespace(
            aws_request_id="req-batch", get_remaining_time_in_millis=lambda: 600_000
        )
        metrics = JobMetrics(app.MODEL.card, NAMESPACE)
        log = io.StringIO()
        with redirect_stdout(log):
            summary = handle(event, context, app.MODEL, s3, BatchSettings(), metrics)
        lines = log.getvalue().splitlines()
        assert len(lines) == 1
        return summary, json.loads(lines[0])

    return run


def test_a_scored_file_publishes_rows_rejected_rows_time_and_throughput(
    card, s3, bucket, score_logged
):
    rows = example_rows(card, 3)
    rows[1][0] = "not a number"
    s3.put_object(Bucket=bucket, Key="in/a.csv", Body=csv_text(card, rows).encode())
    summary, record = score_logged({"bucket": bucket, "key": "in/a.csv"})
    assert emf_problems(record) == []
    assert (summary["status"], summary["rows"], summary["rejected"]) == ("scored", 3, 1)
    assert (record["rows"], record["rejected"], record["refused_files"]) == (3, 1, 0)
    assert (record["model"], record["model_version"]) == (card.name, card.version)
    assert record["seconds"] == summary["seconds"] > 0
    assert record["rows_per_second"] == round(3 / summary["seconds"], 1)
    assert declared(record) == {
        name: BY_MODEL
        for name in ("rows", "rejected", "refused_files", "seconds", "rows_per_second")
    }
    [directive] = record["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == NAMESPACE
    assert {d["Name"]: d.get("Unit") for d in directive["Metrics"]} == {
        "rows": None,
        "rejected": None,
        "refused_files": None,
        "seconds": "Seconds",
        "rows_per_second": "Count/Second",
    }


def test_a_refused_file_counts_as_refused_with_no_throughput(s3, bucket, score_logged):
    s3.put_object(Bucket=bucket, Key="in/a.parquet", Body=b"PAR1")
    summary, record = score_logged({"bucket": bucket, "key": "in/a.parquet"})
    assert summary["status"] == "refused"
    assert emf_problems(record) == []
    assert (record["rows"], record["rejected"], record["refused_files"]) == (0, 0, 1)
    assert "rows_per_second" not in record
    assert set(declared(record)) == {"rows", "rejected", "refused_files", "seconds"}


@pytest.mark.parametrize(
    ("env", "namespace"),
    [
        ({}, "onnx-lambda/batch"),
        ({"METRICS_NAMESPACE": "onnx-lambda/prod"}, "onnx-lambda/prod/batch"),
    ],
)
def test_the_batch_namespace_is_the_stacks_with_batch_appended(env, namespace):
    assert batch_namespace(env) == namespace
