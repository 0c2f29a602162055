"""Turn whatever started BatchFunction into jobs: files to score, or one batch of CSV rows.

Four shapes arrive: a direct invoke ``{"bucket", "key"}``; an S3 ``ObjectCreated`` notification
(keys URL-encoded, ``+`` for a space); a Distributed Map item over a prefix listing (the direct
shape plus the listing's ``etag``, built by the state machine's ``ItemSelector``); and a
Distributed Map item batch over the rows of one CSV (``{"BatchInput": {"bucket", "key"},
"Items": [{"index": n, "row": {column: text}}, ...]}``, the CSV reader's rows numbered by the
``ItemSelector`` before the ``ItemBatcher`` groups them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from ..errors import RequestError, bad_request, quoted, quoted_list

DIRECT = "direct"
S3_NOTIFICATION = "s3-notification"
ROW_BATCH = "distributed-map-rows"
FILE_FIELDS = {"bucket", "key", "etag", "output_prefix"}


@dataclass(frozen=True)
class FileJob:
    """One S3 object to score whole; ``etag`` (from the event) pins the version to read."""

    bucket: str
    key: str
    output_prefix: str
    etag: str | None = None


@dataclass(frozen=True)
class RowsJob:
    """A slice of one CSV's rows, read by Step Functions: ``rows`` are ``(index, cells)``."""

    bucket: str
    key: str
    output_prefix: str
    columns: list[str]
    rows: list[tuple[int, list[str]]]


def read_event(event: object, default_prefix: str) -> tuple[str, list[FileJob | RowsJob]]:
    """The event's shape and its jobs, or a ``RequestError`` saying what is wrong with it."""
    if not isinstance(event, dict):
        raise bad_request("InvalidEvent", "the event must be a JSON object")
    if "Records" in event:
        return S3_NOTIFICATION, _notification_jobs(event, default_prefix)
    if "Items" in event or "BatchInput" in event:
        return ROW_BATCH, [_rows_job(event, default_prefix)]
    return DIRECT, [_file_job(event, default_prefix)]


def _file_job(event: dict[str, Any], default_prefix: str) -> FileJob:
    unknown = sorted(set(event) - FILE_FIELDS)
    if unknown:
        raise bad_request(
            "InvalidEvent",
            f"unknown fields {quoted_list(unknown)}; send "
            '{"bucket": ..., "key": ...} (optionally "output_prefix")',
        )
    etag = event.get("etag")
    if etag is not None and not isinstance(etag, str):
        raise bad_request("InvalidEvent", "etag must be a string")
    return FileJob(
        _text(event, "bucket", "the event"),
        _text(event, "key", "the event"),
        _prefix(event, default_prefix),
        etag,
    )


def _notification_jobs(event: dict[str, Any], default_prefix: str) -> list[FileJob]:
    records = event["Records"]
    if not isinstance(records, list) or not records:
        raise bad_request("InvalidEvent", "Records must be a non-empty list of S3 records")
    jobs = []
    for index, record in enumerate(records):
        where = f"Records[{index}]"
        if not isinstance(record, dict) or record.get("eventSource") != "aws:s3":
            raise bad_request("InvalidEvent", f"{where} is not an S3 event record")
        name = record.get("eventName")
        if not isinstance(name, str) or not name.startswith("ObjectCreated:"):
            shown = quoted(name) if isinstance(name, str) else "no eventName"
            raise bad_request(
                "InvalidEvent", f"{where} is {shown}; only ObjectCreated events are scored"
            )
        s3 = record.get("s3")
        bucket = s3.get("bucket") if isinstance(s3, dict) else None
        obj = s3.get("object") if isinstance(s3, dict) else None
        if not isinstance(bucket, dict) or not isinstance(obj, dict):
            raise bad_request("InvalidEvent", f"{where} has no s3.bucket and s3.object")
        etag = obj.get("eTag")
        jobs.append(
            FileJob(
                _text(bucket, "name", f"{where}.s3.bucket"),
                # S3 notifications carry the key URL-encoded, with '+' for a space.
                unquote_plus(_text(obj, "key", f"{where}.s3.object")),
                default_prefix,
                etag if isinstance(etag, str) and etag else None,
            )
        )
    return jobs


def _rows_job(event: dict[str, Any], default_prefix: str) -> RowsJob:
    batch_input, items = event.get("BatchInput"), event.get("Items")
    if set(event) != {"BatchInput", "Items"} or not isinstance(batch_input, dict):
        raise bad_request(
            "InvalidEvent",
            'a Distributed Map item batch is {"BatchInput": {"bucket", "key"}, "Items": [...]}',
        )
    if not isinstance(items, list) or not items:
        raise bad_request("InvalidEvent", "Items must be a non-empty list")
    columns: list[str] | None = None
    rows = []
    for position, item in enumerate(items):
        where = f"Items[{position}]"
        index = item.get("index") if isinstance(item, dict) else None
        row = item.get("row") if isinstance(item, dict) else None
        if type(index) is not int or index < 0 or not isinstance(row, dict):
            raise bad_request(
                "InvalidEvent", f'{where} must be {{"index": row number, "row": {{...}}}}'
            )
        if not all(isinstance(cell, str) for cell in row.values()):
            raise bad_request(
                "InvalidEvent", f"{where}.row values must be text, as the CSV reader sends them"
            )
        if columns is None:
            columns = list(row)
        elif list(row) != columns:
            raise bad_request(
                "InvalidEvent",
                f"{where}.row has columns {quoted_list(list(row))}, Items[0].row "
                f"{quoted_list(columns)}: every row of one CSV has the same columns",
            )
        rows.append((index, list(row.values())))
    return RowsJob(
        _text(batch_input, "bucket", "BatchInput"),
        _text(batch_input, "key", "BatchInput"),
        _prefix(batch_input, default_prefix),
        columns or [],
        rows,
    )


def _text(holder: dict[str, Any], name: str, where: str) -> str:
    value = holder.get(name)
    if not isinstance(value, str) or not value:
        raise bad_request("InvalidEvent", f"{where} needs {name!r}, a non-empty string")
    return value


def _prefix(holder: dict[str, Any], default_prefix: str) -> str:
    """``output_prefix`` from the event, which must stay inside the deployed output prefix."""
    prefix = holder.get("output_prefix", default_prefix)
    if not isinstance(prefix, str) or (prefix and not prefix.endswith("/")):
        raise bad_request("InvalidEvent", "output_prefix must be a string ending with '/'")
    if not prefix.startswith(default_prefix):
        raise RequestError(
            403,
            "OutputPrefixNotAllowed",
            f"output_prefix {quoted(prefix)} is outside {quoted(default_prefix)}, the only "
            "prefix this function may write to",
        )
    return prefix
