"""Every start shape BatchFunction accepts, from the sample events, and the refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from onnx_serving.batch.events import (
    DIRECT,
    ROW_BATCH,
    S3_NOTIFICATION,
    FileJob,
    RowsJob,
    read_event,
)
from onnx_serving.errors import RequestError

EVENTS = Path(__file__).resolve().parents[3] / "events" / "batch"
BUCKET = "onnx-lambda-batch-demo"


def sample(name: str) -> dict:
    return json.loads((EVENTS / f"{name}.json").read_text())


def test_the_sample_events_are_exactly_these():
    assert sorted(p.name for p in EVENTS.iterdir()) == [
        "direct.json",
        "distributed-map-item.json",
        "distributed-map-rows.json",
        "s3-object-created.json",
    ]


def test_direct_invoke_names_one_object():
    assert read_event(sample("direct"), "scored/") == (
        DIRECT,
        [FileJob(BUCKET, "incoming/sample.csv", "scored/")],
    )


def test_s3_notification_key_is_url_decoded_and_its_etag_pins_the_version():
    assert read_event(sample("s3-object-created"), "scored/") == (
        S3_NOTIFICATION,
        [
            FileJob(
                BUCKET,
                "incoming/iris sample (2024)+q1.csv",
                "scored/",
                "b21b2d5e2a1b9f8c6c0a3e9a4d7f1e55",
            )
        ],
    )


def test_distributed_map_item_is_the_direct_shape_with_the_listing_etag():
    assert read_event(sample("distributed-map-item"), "scored/") == (
        DIRECT,
        [
            FileJob(
                BUCKET,
                "incoming/2026-01-15/part-0001.csv",
                "scored/",
                '"b21b2d5e2a1b9f8c6c0a3e9a4d7f1e55"',
            )
        ],
    )


def test_distributed_map_item_batch_carries_numbered_csv_rows():
    shape, [job] = read_event(sample("distributed-map-rows"), "scored/")
    assert shape == ROW_BATCH
    assert job == RowsJob(
        BUCKET,
        "incoming/large.csv",
        "scored/",
        ["id", "sepal_length", "sepal_width", "petal_length", "petal_width"],
        [
            (0, ["a-1", "5.1", "3.5", "1.4", "0.2"]),
            (1, ["a-2", "6.7", "3.0", "5.2", "2.3"]),
            (2, ["a-3", "nan", "3.0", "5.2", "2.3"]),
        ],
    )


def test_an_output_prefix_inside_the_deployed_one_is_taken():
    event = {"bucket": "b", "key": "k.csv", "output_prefix": "scored/team-a/"}
    assert read_event(event, "scored/")[1] == [FileJob("b", "k.csv", "scored/team-a/")]


REFUSED = {
    "not-an-object": ([1, 2], 400, "InvalidEvent", "the event must be a JSON object"),
    "no-key": ({"bucket": "b"}, 400, "InvalidEvent", "the event needs 'key', a non-empty string"),
    "unknown-field": (
        {"bucket": "b", "key": "k", "keys": ["x"]},
        400,
        "InvalidEvent",
        'unknown fields [\'keys\']; send {"bucket": ..., "key": ...} (optionally "output_prefix")',
    ),
    "prefix-outside": (
        {"bucket": "b", "key": "k", "output_prefix": "elsewhere/"},
        403,
        "OutputPrefixNotAllowed",
        "output_prefix 'elsewhere/' is outside 'scored/', the only prefix this function may "
        "write to",
    ),
    "prefix-without-slash": (
        {"bucket": "b", "key": "k", "output_prefix": "scored/x"},
        400,
        "InvalidEvent",
        "output_prefix must be a string ending with '/'",
    ),
    "records-empty": (
        {"Records": []},
        400,
        "InvalidEvent",
        "Records must be a non-empty list of S3 records",
    ),
    "object-removed": (
        {
            "Records": [
                {**sample("s3-object-created")["Records"][0], "eventName": "ObjectRemoved:Delete"}
            ]
        },
        400,
        "InvalidEvent",
        "Records[0] is 'ObjectRemoved:Delete'; only ObjectCreated events are scored",
    ),
    "not-s3": (
        {"Records": [{"eventSource": "aws:sqs"}]},
        400,
        "InvalidEvent",
        "Records[0] is not an S3 event record",
    ),
    "items-without-index": (
        {"BatchInput": {"bucket": "b", "key": "k"}, "Items": [{"row": {"a": "1"}}]},
        400,
        "InvalidEvent",
        'Items[0] must be {"index": row number, "row": {...}}',
    ),
    "items-with-numbers": (
        {"BatchInput": {"bucket": "b", "key": "k"}, "Items": [{"index": 0, "row": {"a": 1}}]},
        400,
        "InvalidEvent",
        "Items[0].row values must be text, as the CSV reader sends them",
    ),
    "items-with-other-columns": (
        {
            "BatchInput": {"bucket": "b", "key": "k"},
            "Items": [{"index": 0, "row": {"a": "1"}}, {"index": 1, "row": {"b": "1"}}],
        },
        400,
        "InvalidEvent",
        "Items[1].row has columns ['b'], Items[0].row ['a']: every row of one CSV has the "
        "same columns",
    ),
    "batch-without-input": (
        {"Items": [{"index": 0, "row": {"a": "1"}}]},
        400,
        "InvalidEvent",
        'a Distributed Map item batch is {"BatchInput": {"bucket", "key"}, "Items": [...]}',
    ),
}


@pytest.mark.parametrize(
    ("event", "status", "error_type", "message"), REFUSED.values(), ids=REFUSED
)
def test_events_that_are_not_batch_events_are_refused_with_a_reason(
    event, status, error_type, message
):
    with pytest.raises(RequestError) as refused:
        read_event(event, "scored/")
    assert (refused.value.status, refused.value.error_type) == (status, error_type)
    assert refused.value.message == message
