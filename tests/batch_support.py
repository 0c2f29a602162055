"""Shared by the batch tests: the local S3 server fixtures, small CSVs made from the model card,
S3 listings and bodies (registered as a plugin by ``conftest``, so every batch test module gets
the same session-wide server).

Large files come from ``local_lambda.sample_files``, the rows from ``tools.example_rows``.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from onnx_serving.card import ModelCard
from tools.example_rows import example_rows
from tools.local_lambda.s3_server import LocalS3
from tools.local_lambda.sample_files import write_csv, write_json_lines

__all__ = ["example_rows", "write_csv", "write_json_lines"]
ROOT = Path(__file__).resolve().parent.parent


def csv_text(card: ModelCard, rows: list[list[Any]], columns: list[str] | None = None) -> str:
    """A CSV with ``id`` first, the features reversed (order is free) and a ``note`` last."""
    features = list(reversed(card.feature_names))
    header = columns or ["id", *features, "note"]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for i, row in enumerate(rows):
        by_name = dict(zip(card.feature_names, row, strict=True))
        writer.writerow([f"r{i}", *(by_name[name] for name in features), f"note {i}"])
    return buffer.getvalue()


def new_bucket(s3: Any) -> str:
    """A fresh, empty bucket on the local S3 server."""
    name = f"batch-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name


def keys(s3: Any, bucket: str, prefix: str = "") -> list[str]:
    """Every key under ``prefix``, sorted."""
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


def body(s3: Any, uri: str) -> bytes:
    """The bytes of ``s3://bucket/key``."""
    bucket, key = uri.removeprefix("s3://").split("/", 1)
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def manifest_of(s3: Any, summary: dict[str, Any]) -> dict[str, Any]:
    """The manifest a summary points at."""
    return json.loads(body(s3, summary["manifest"]))


@pytest.fixture(scope="session")
def local_s3(tmp_path_factory: Any) -> Iterator[LocalS3]:
    """One local S3 server for the session, its log in a temporary folder."""
    with LocalS3(logs=tmp_path_factory.mktemp("moto") / "moto.log") as server:
        yield server


@pytest.fixture(scope="session")
def s3(local_s3: LocalS3) -> Any:
    """A boto3 S3 client on the local server."""
    return local_s3.client()


@pytest.fixture
def bucket(s3: Any) -> str:
    """A fresh, empty bucket for one test."""
    return new_bucket(s3)


@pytest.fixture
def card(app: Any) -> ModelCard:
    """The card of the model the ``app`` fixture serves."""
    return app.MODEL.card
