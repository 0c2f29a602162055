"""Lines of UTF-8 text from a byte stream, read in fixed chunks, each line bounded in length.

Memory stays bounded whatever the object's size: one chunk of bytes, the decoded text of that
chunk and at most one partial line are held at a time. A line longer than ``MAX_LINE_CHARS``
would defeat that, so it makes the file bad instead of growing the buffer.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from typing import Protocol

from .failures import BadFile

READ_BYTES = 1024 * 1024
MAX_LINE_CHARS = 1024 * 1024
# What gzip, zip and Parquet files start with: named .csv or .jsonl, they get a precise reason.
BINARY_MAGIC = {b"\x1f\x8b": "gzip-compressed", b"PK": "a zip archive", b"PAR1": "Parquet"}


class Readable(Protocol):
    """What botocore's StreamingBody (and a file opened "rb") offer."""

    def read(self, amt: int) -> bytes: ...


def text_lines(body: Readable, read_bytes: int = READ_BYTES) -> Iterator[str]:
    """Every line of ``body`` with its line ending; a leading byte-order mark is dropped."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    pending = ""
    offset = 0
    first = True
    while True:
        data = body.read(read_bytes)
        if first:
            _refuse_binary(data)
            first = False
        # The decoder keeps the bytes of a character cut at the end of the last chunk; the
        # error's position counts from them.
        held = len(decoder.getstate()[0])
        try:
            text = decoder.decode(data, final=not data)
        except UnicodeDecodeError as exc:
            raise BadFile(
                f"the file is not UTF-8 text (invalid byte at offset {offset - held + exc.start})"
            ) from None
        offset += len(data)
        if text:
            lines = (pending + text).split("\n")
            pending = lines.pop()
            for line in lines:
                yield line + "\n"
            if len(pending) > MAX_LINE_CHARS:
                raise BadFile(f"a line is longer than {MAX_LINE_CHARS} characters")
        if not data:
            break
    if pending:
        yield pending


def _refuse_binary(head: bytes) -> None:
    for magic, kind in BINARY_MAGIC.items():
        if head.startswith(magic):
            raise BadFile(f"the file is {kind}, not text; upload it uncompressed as CSV or JSON")
