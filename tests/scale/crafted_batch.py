"""Score one crafted input through BatchFunction's handler in this process; print its peak RSS.

Run as a script by ``test_batch_crafted_files`` in a fresh process per file, so that the peak
(VmHWM, what Lambda reports as Max Memory Used) is this file's alone. The model, the S3 client
and the settings are made as ``function/batch_app.py`` makes them at init; the output goes to
the local S3 server the environment names. The input is generated while it is read, from a few
repeated lines, so that a file of more than a gigabyte is never written anywhere: the S3 client
answers ``get_object`` for the crafted key with that generator and passes every other call on.

Usage: ``python crafted_batch.py CASE MODEL_DIR BUCKET``; its last line on stdout is JSON.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from onnx_serving.batch.handler import handle
from onnx_serving.batch.s3_io import s3_client
from onnx_serving.batch.settings import BatchSettings
from onnx_serving.batch.text_lines import MAX_LINE_CHARS
from onnx_serving.card import ModelCard
from onnx_serving.model import load_model

# A repeated line and how many times it repeats, in file order.
Segment = tuple[str, int]
GIB = 1024**3
QUOTED_RECORD_LINES = 200_000
# Pass-through columns of the wide file: its header (7 characters a name) stays under the line
# bound, and every row holds that many two-letter cells, each its own string object.
WIDE_COLUMNS = 140_000
# Pass-through fields of the wide JSON Lines file: 14 characters each, its lines under the bound.
WIDE_FIELDS = 70_000
# A small ordinary file scored first: the first S3 calls load botocore's models, which every
# warm execution environment has done already.
WARM_UP = ("warm-up.csv", 1000)
# One row in this many of the gigabyte file is scored, the others rejected: every line is read,
# parsed and held in its chunk, and the output stays small enough for the local S3 server.
SCORED_EVERY = 64


class GeneratedBody:
    """A read-only byte stream of ``segments``, encoded as UTF-8 one line at a time."""

    def __init__(self, segments: list[Segment]) -> None:
        self._segments = segments
        self.size = sum(len(line.encode()) * count for line, count in segments)
        self._lines = self._encoded()
        self._rest = memoryview(b"")

    def _encoded(self) -> Iterator[bytes]:
        for line, count in self._segments:
            data = line.encode()
            for _ in range(count):
                yield data

    def read(self, amt: int) -> bytes:
        """Up to ``amt`` bytes; ``b""`` at the end, as botocore's StreamingBody answers."""
        out = bytearray()
        while len(out) < amt:
            if not self._rest:
                self._rest = memoryview(next(self._lines, b""))
                if not self._rest:
                    break
            taken = self._rest[: amt - len(out)]
            out += taken
            self._rest = self._rest[len(taken) :]
        return bytes(out)

    def close(self) -> None:
        """Nothing to release."""


class GeneratedObjectS3:
    """An S3 client that reads ``key`` from ``segments`` and everything else from S3."""

    def __init__(self, s3: Any, key: str, segments: list[Segment]) -> None:
        self._s3 = s3
        self._key = key
        self._segments = segments

    def get_object(self, **params: str) -> dict[str, Any]:
        """The generated object for the crafted key, S3's answer for any other."""
        if params["Key"] != self._key:
            return self._s3.get_object(**params)
        body = GeneratedBody(self._segments)
        return {"Body": body, "ETag": '"' + "0" * 32 + '"', "ContentLength": body.size}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._s3, name)


def features_tail(card: ModelCard, scored: bool = True) -> str:
    """A comma, then the features and the line ending (the first feature not a number unless
    ``scored``)."""
    features = ["1.5"] * card.n_features
    if not scored:
        features[0] = "n/a"
    return "," + ",".join(features) + "\n"


def csv_line(card: ModelCard, chars: int, fill: str = "x", scored: bool = True) -> str:
    """A CSV row of exactly ``chars`` characters, its line ending included: an ``id`` of
    ``fill`` characters, then the features."""
    tail = features_tail(card, scored)
    return fill * (chars - len(tail)) + tail


def csv_header(card: ModelCard) -> str:
    """``id`` and the features."""
    return ",".join(["id", *card.feature_names]) + "\n"


def json_line(card: ModelCard, chars: int) -> str:
    """A JSON Lines object of exactly ``chars`` characters: a long ``id``, then the features."""
    features = "".join(f',"{name}":1.5' for name in card.feature_names)
    frame = '{"id":""' + features + "}\n"
    return '{"id":"' + "x" * (chars - len(frame)) + '"' + features + "}\n"


def crafted(case: str, card: ModelCard) -> tuple[str, list[Segment]]:
    """The key and the lines of the crafted file ``case``; only its own lines are built."""
    header = csv_header(card)
    if case == "csv-quoted-record-200k-lines":
        opened = [('"\n', 1), ("a\n", QUOTED_RECORD_LINES - 2), ('a"' + features_tail(card), 1)]
        return "quoted.csv", [(header, 1), *opened, (csv_line(card, 40), 1)]
    if case == "jsonl-lines-at-limit":
        return "at-limit.jsonl", [(json_line(card, MAX_LINE_CHARS), 100)]
    if case == "jsonl-wide-objects":
        fields = "".join(f',"c{i:05x}":"ab"' for i in range(WIDE_FIELDS))
        features = "".join(f',"{name}":1.5' for name in card.feature_names)
        return "wide.jsonl", [("{" + fields[1:] + features + "}\n", 100)]
    if case == "csv-astral-lines-at-limit":
        return "astral.csv", [(header, 1), (csv_line(card, MAX_LINE_CHARS, "\U0001f600"), 25)]
    if case == "csv-gib-near-limit-lines":
        lines = -(-GIB // MAX_LINE_CHARS) + SCORED_EVERY
        rejected = (csv_line(card, MAX_LINE_CHARS - 10, scored=False), SCORED_EVERY - 1)
        scored = (csv_line(card, MAX_LINE_CHARS - 10), 1)
        return "gib.csv", [(header, 1), *[rejected, scored] * -(-lines // SCORED_EVERY)]
    if case == "csv-wide-rows":
        names = [f"c{i:05x}" for i in range(WIDE_COLUMNS)]
        cells = ",".join(["ab"] * WIDE_COLUMNS)
        wide_header = ",".join([*names, *card.feature_names]) + "\n"
        return "wide.csv", [(wide_header, 1), (cells + features_tail(card), 200)]
    at_limit = csv_line(card, MAX_LINE_CHARS)
    if case == "csv-lines-at-limit":
        return "at-limit.csv", [(header, 1), (at_limit, 200)]
    if case == "csv-line-over-limit":
        over = csv_line(card, MAX_LINE_CHARS + 1)
        return "over-limit.csv", [(header, 1), (at_limit, 100), (over, 1), (at_limit, 10)]
    raise ValueError(f"no crafted file {case!r}")


def peak_rss_kb() -> int:
    """This process's peak resident set (VmHWM), in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def score(model: Any, s3: Any, bucket: str, key: str, segments: list[Segment]) -> dict[str, Any]:
    """The handler's summary for the generated object ``incoming/<key>``."""
    crafted = GeneratedObjectS3(s3, f"incoming/{key}", segments)
    event = {"bucket": bucket, "key": f"incoming/{key}"}
    return handle(event, None, model, crafted, BatchSettings.from_env(os.environ))


def main(case: str, model_dir: Path, bucket: str) -> None:
    """Score a small file, then ``case``, into ``bucket``; print the summary, size, seconds and
    the peaks after init, after the small file and after ``case``."""
    model = load_model(model_dir)
    s3 = s3_client()
    init_kb = peak_rss_kb()
    card = model.card
    key, rows = WARM_UP
    score(model, s3, bucket, key, [(csv_header(card), 1), (csv_line(card, 40), rows)])
    warm_kb = peak_rss_kb()
    key, segments = crafted(case, card)
    started = time.perf_counter()
    summary = score(model, s3, bucket, key, segments)
    record = {
        "case": case,
        "bytes": GeneratedBody(segments).size,
        "summary": summary,
        "seconds": round(time.perf_counter() - started, 1),
        "init_peak_kb": init_kb,
        "warm_peak_kb": warm_kb,
        "peak_kb": peak_rss_kb(),
    }
    # The handler logs a line per file on stdout as well; this one is last.
    print(json.dumps(record))


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]), sys.argv[3])
