"""Score one S3 object whole, or one batch of a CSV's rows, in bounded memory.

Rows go through in chunks: read, validated by the online rules, scored, written to a multipart
upload. A bad row is rejected and counted; a bad file (no header, missing features, not its
format, too large, too slow for the time left) aborts the upload and gets a manifest saying why,
so nothing partial ever appears under the output prefix.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from ..answers import Model
from .csv_rows import CsvFile, CsvRows
from .events import FileJob, RowsJob
from .failures import BadFile
from .json_lines import JsonLinesFile
from .manifest import (
    REFUSED,
    SCORED,
    InputObject,
    Tally,
    manifest,
    manifest_bytes,
    output_folder,
)
from .records import Chunk, Format
from .row_checks import predictions
from .s3_io import MultipartWriter, s3_uri, unreadable_reason
from .settings import BatchSettings
from .text_lines import TextLines

# The format each extension names (see ``_open``).
FORMATS = {".csv": CsvFile.name, ".jsonl": JsonLinesFile.name, ".ndjson": JsonLinesFile.name}
# Left for completing the upload and writing the manifest: scoring stops (and the file is
# refused) when less than this remains of the invocation.
FINISH_RESERVE_S = 10.0


@dataclass(frozen=True)
class Batch:
    """What every job needs: the model, the S3 client, the settings and the time left."""

    model: Model
    s3: Any
    settings: BatchSettings
    remaining_s: Callable[[], float]

    @classmethod
    def for_invocation(
        cls, model: Model, s3: Any, settings: BatchSettings, context: object
    ) -> Batch:
        """The invocation's own clock, from the Lambda context (unlimited without one)."""
        remaining_ms = getattr(context, "get_remaining_time_in_millis", None)
        clock = (lambda: remaining_ms() / 1000) if callable(remaining_ms) else (lambda: math.inf)
        return cls(model, s3, settings, clock)

    def distributed_map_hint(self, key: str) -> str:
        """Where to send a file one invocation cannot finish."""
        target = self.settings.state_machine_arn or "the batch state machine (DeployBatch=true)"
        return f'score it on the Distributed Map path: start {target} with {{"key": "{key}"}}'


def score_file(job: FileJob, batch: Batch) -> dict[str, Any]:
    """Score ``job``'s object into ``<folder>/predictions.<ext>`` plus ``manifest.json``."""
    uri = s3_uri(job.bucket, job.key)
    if batch.settings.output_prefix and job.key.startswith(batch.settings.output_prefix):
        return _summary(REFUSED, uri, Tally(), reason=f"{uri} is under the output prefix")
    started = time.perf_counter()
    condition = {"IfMatch": job.etag} if job.etag else {}
    obj, reason = _readable(batch.s3.get_object, uri, Bucket=job.bucket, Key=job.key, **condition)
    if obj is None:
        return _summary(REFUSED, uri, Tally(), reason=reason)
    card = batch.model.card
    suffix = job.key[job.key.rfind(".") :].lower() if "." in job.key else ""
    format_name = FORMATS.get(suffix)
    source = InputObject(job.bucket, job.key, obj["ETag"], obj["ContentLength"], format_name)
    folder = output_folder(job.output_prefix, job.key, source.etag, card)
    tally = Tally()
    output_uri = None
    try:
        if format_name is None:
            raise BadFile(
                f"{job.key!r} has no supported extension: name it .csv, .jsonl or .ndjson"
            )
        _check_limits(source, batch)
        fmt = _open(format_name, TextLines(obj["Body"]), batch)
        output_key = f"{folder}predictions.{fmt.extension}"
        _write(
            fmt,
            MultipartWriter(batch.s3, job.bucket, output_key, fmt.content_type),
            batch,
            tally,
            job.key,
        )
        output_uri = s3_uri(job.bucket, output_key)
        status, reason = SCORED, None
    except BadFile as exc:
        status, reason = REFUSED, str(exc)
    finally:
        obj["Body"].close()
    seconds = time.perf_counter() - started
    document = manifest(status, reason, source, output_uri, tally, card, seconds)
    manifest_key = f"{folder}manifest.json"
    batch.s3.put_object(
        Bucket=job.bucket,
        Key=manifest_key,
        Body=manifest_bytes(document),
        ContentType="application/json",
    )
    return _summary(
        status, uri, tally, reason, output_uri, s3_uri(job.bucket, manifest_key), seconds
    )


def score_rows(job: RowsJob, batch: Batch) -> dict[str, Any]:
    """Score a Distributed Map batch of one CSV's rows into ``<folder>/parts/<first>.csv``."""
    uri = s3_uri(job.bucket, job.key)
    started = time.perf_counter()
    head, reason = _readable(batch.s3.head_object, uri, Bucket=job.bucket, Key=job.key)
    if head is None:
        return _summary(REFUSED, uri, Tally(), reason=reason)
    card = batch.model.card
    folder = output_folder(job.output_prefix, job.key, head["ETag"], card)
    first = min(index for index, _ in job.rows)
    tally = Tally()
    try:
        fmt = CsvRows(job.columns, job.rows, card, keep_formulas=batch.settings.keep_csv_formulas)
    except BadFile as exc:
        return _summary(REFUSED, uri, tally, reason=str(exc))
    output_key = f"{folder}parts/{first:012d}.csv"
    writer = MultipartWriter(batch.s3, job.bucket, output_key, fmt.content_type)
    _write(fmt, writer, batch, tally, job.key)
    summary = _summary(
        SCORED,
        uri,
        tally,
        output=s3_uri(job.bucket, output_key),
        seconds=time.perf_counter() - started,
    )
    summary["rejected_rows"] = tally.shown
    return summary


def _open(format_name: str, lines: TextLines, batch: Batch) -> Format:
    """The reader and writer of ``format_name`` over ``lines``."""
    card = batch.model.card
    if format_name == CsvFile.name:
        return CsvFile(lines, card, keep_formulas=batch.settings.keep_csv_formulas)
    return JsonLinesFile(lines, card)


def _readable(
    call: Callable[..., dict[str, Any]], uri: str, **params: str
) -> tuple[dict[str, Any] | None, str | None]:
    """``call(**params)``'s answer, or None and why the object cannot be read; S3 errors a
    retry could fix propagate."""
    try:
        return call(**params), None
    except ClientError as exc:
        reason = unreadable_reason(exc, uri)
        if reason is None:
            raise
        return None, reason


def _check_limits(source: InputObject, batch: Batch) -> None:
    """Refuse, before reading a row, a file over the size limit or too slow for the time left."""
    settings = batch.settings
    if source.size > settings.max_input_bytes:
        raise BadFile(
            f"the object is {source.size} bytes, over the limit of {settings.max_input_bytes} "
            f"(BATCH_MAX_INPUT_BYTES); {batch.distributed_map_hint(source.key)}"
        )
    needed_s = source.size / settings.bytes_per_second
    available_s = batch.remaining_s() - FINISH_RESERVE_S
    if needed_s > available_s:
        raise BadFile(
            f"the object is {source.size} bytes: at {settings.bytes_per_second} bytes/s "
            f"(BATCH_BYTES_PER_SECOND) it needs about {needed_s:.0f} s, more than the "
            f"{max(available_s, 0):.0f} s this invocation has; "
            f"{batch.distributed_map_hint(source.key)}"
        )


def _write(fmt: Format, writer: MultipartWriter, batch: Batch, tally: Tally, key: str) -> None:
    """Every chunk of ``fmt``'s rows through validation, the model and ``writer``."""
    try:
        writer.write(fmt.header().encode())
        settings = batch.settings
        for chunk in fmt.chunks(settings.chunk_rows, settings.chunk_chars):
            writer.write(_scored_chunk(chunk, fmt, batch.model, tally).encode())
            if batch.remaining_s() < FINISH_RESERVE_S:
                raise BadFile(
                    f"out of time after line {chunk.lines[-1]} ({tally.read} rows); "
                    f"{batch.distributed_map_hint(key)}"
                )
        writer.close()
    except BaseException:
        writer.abort()
        raise


def _scored_chunk(chunk: Chunk, fmt: Format, model: Model, tally: Tally) -> str:
    tally.read += len(chunk.lines)
    columns, kept, refused = fmt.feature_values(chunk)
    for position, reason in refused.items():
        tally.reject(chunk.lines[position], reason)
    return fmt.render(chunk, kept, predictions(model, columns))


def _summary(
    status: str,
    uri: str,
    tally: Tally,
    reason: str | None = None,
    output: str | None = None,
    manifest_uri: str | None = None,
    seconds: float = 0.0,
) -> dict[str, Any]:
    """The answer for one job: the DESIGN contract's rows/rejected/output/manifest and more."""
    return {
        "status": status,
        "reason": reason,
        "input": uri,
        "rows": tally.read,
        "rejected": tally.rejected,
        "written": tally.written,
        "output": output,
        "manifest": manifest_uri,
        "seconds": round(seconds, 3),
    }
