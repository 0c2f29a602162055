"""S3 through boto3 as the Lambda runtime provides it: streamed reads, multipart writes.

No endpoint is ever named here: boto3 reads ``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL`` from
the environment itself, which is how the tests and ``make batch-demo`` reach a local S3 server.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

# S3's smallest part but the last, 5 MiB (10,000 parts: 50 GB of output). A fixed part size
# makes the same bytes upload as the same parts, so a re-run writes an object with the same ETag
# as well as the same bytes.
PART_BYTES = 5 * 1024 * 1024
MISSING = {"NoSuchKey", "404", "NotFound"}
DENIED = {"AccessDenied", "403", "Forbidden"}
CHANGED = {"PreconditionFailed", "412"}


def s3_client() -> Any:
    """One client per execution environment, created at init; retries in standard mode."""
    return boto3.client("s3", config=Config(retries={"mode": "standard", "max_attempts": 5}))


def s3_uri(bucket: str, key: str) -> str:
    """``s3://bucket/key``, as answers and manifests name objects."""
    return f"s3://{bucket}/{key}"


def error_code(exc: ClientError) -> str:
    """The S3 error code of a failed call (``NoSuchKey``, ``403``, ...)."""
    return str(exc.response.get("Error", {}).get("Code", ""))


def unreadable_reason(exc: ClientError, uri: str) -> str | None:
    """Why an object cannot be read, for errors the caller can act on; None for the others.

    Without s3:ListBucket, S3 answers 403 for a missing key as well, so both say the same.
    """
    code = error_code(exc)
    if code in MISSING or code in DENIED:
        return f"{uri} does not exist or this function may not read it"
    if code in CHANGED:
        return (
            f"{uri} changed since the event was sent (its ETag no longer matches); the new "
            "version is scored by its own event"
        )
    return None


def clean_etag(etag: str) -> str:
    """The ETag without its quotes, safe inside an output key."""
    text = etag.strip().strip('"').lower()
    return text if text and all(c in "0123456789abcdef-" for c in text) else "unknown-etag"


@dataclass
class MultipartWriter:
    """Collects bytes and uploads them in fixed-size parts; nothing is visible until ``close``.

    The part buffer is allocated once and refilled in place: resizing a growing buffer, or a
    new 5 MiB block per part, lets the C allocator scatter freed blocks and peak RSS creep with
    the file's size. An object that ends smaller than one part goes up with a single PutObject.
    ``abort`` discards the parts already uploaded, so a file that fails half-way leaves no output.
    """

    s3: Any
    bucket: str
    key: str
    content_type: str
    part_bytes: int = PART_BYTES
    _buffer: bytearray = field(default_factory=bytearray)
    _filled: int = 0
    _upload_id: str | None = None
    _parts: list[dict[str, Any]] = field(default_factory=list)

    def write(self, data: bytes) -> None:
        """Copy ``data`` into the part buffer; every full part is uploaded at once."""
        if not self._buffer:
            self._buffer = bytearray(self.part_bytes)
        view = memoryview(data)
        while view:
            room = self.part_bytes - self._filled
            taken = view[:room]
            self._buffer[self._filled : self._filled + len(taken)] = taken
            self._filled += len(taken)
            view = view[len(taken) :]
            if self._filled == self.part_bytes:
                self._upload(self._buffer)
                self._filled = 0

    def close(self) -> None:
        """Upload what is left and make the object visible."""
        rest = memoryview(self._buffer)[: self._filled]
        if self._upload_id is None:
            self.s3.put_object(
                Bucket=self.bucket, Key=self.key, Body=bytes(rest), ContentType=self.content_type
            )
        else:
            if self._filled:
                self._upload(bytes(rest))
            self.s3.complete_multipart_upload(
                Bucket=self.bucket,
                Key=self.key,
                UploadId=self._upload_id,
                MultipartUpload={"Parts": self._parts},
            )
        self._filled = 0

    def abort(self) -> None:
        """Drop the upload: the parts go, no object appears."""
        self._filled = 0
        if self._upload_id is not None:
            self.s3.abort_multipart_upload(
                Bucket=self.bucket, Key=self.key, UploadId=self._upload_id
            )
            self._upload_id = None

    def _upload(self, part: bytes | bytearray) -> None:
        if self._upload_id is None:
            started = self.s3.create_multipart_upload(
                Bucket=self.bucket, Key=self.key, ContentType=self.content_type
            )
            self._upload_id = started["UploadId"]
        number = len(self._parts) + 1
        done = self.s3.upload_part(
            Bucket=self.bucket, Key=self.key, UploadId=self._upload_id, PartNumber=number, Body=part
        )
        self._parts.append({"PartNumber": number, "ETag": done["ETag"]})
