"""Lines of UTF-8 text from a byte stream, read in fixed chunks, each line and record bounded.

Memory stays bounded whatever the object's size: one chunk of bytes, the decoded text of that
chunk and at most one partial line are held at a time. Every complete line's length is checked
before it is handed on, and the unfinished tail after each read as well, so a line longer than
``MAX_LINE_CHARS`` makes the file bad instead of growing the buffer.

A format reader marks where each of its records ends (``end_record``): a record may then span at
most ``MAX_RECORD_LINES`` lines and ``MAX_RECORD_CHARS`` characters. A CSV quote left open makes
the rest of the file one field; the bound refuses such a file after a thousand lines, not at the
end of the object, and caps what one record can hold while it is being parsed.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from typing import Protocol

from .failures import BadFile

READ_BYTES = 256 * 1024
# Lengths count characters (not bytes), the line ending included.
MAX_LINE_CHARS = 1024 * 1024
MAX_RECORD_LINES = 1000
MAX_RECORD_CHARS = 1024 * 1024
# What gzip, zip and Parquet files start with: named .csv or .jsonl, they get a precise reason.
BINARY_MAGIC = {b"\x1f\x8b": "gzip-compressed", b"PK": "a zip archive", b"PAR1": "Parquet"}


class Readable(Protocol):
    """What botocore's StreamingBody (and a file opened "rb") offer."""

    def read(self, amt: int) -> bytes: ...


class TextLines:
    """Every line of a body with its line ending (a leading byte-order mark dropped), in order.

    Lines are handed out one at a time (iteration, for records that may span lines) or as the
    rest of one read at a time (``rest_of_read``, for readers that take many lines in one C
    call). ``line_number`` is the number of the last line handed out (1-based). Records are
    counted from the first line handed out after the last ``end_record`` call.
    """

    def __init__(self, body: Readable, read_bytes: int = READ_BYTES) -> None:
        self._reads = _bounded_reads(body, read_bytes)
        self._read: list[str] = []
        self._at = 0
        # Whether the current read's text holds a double quote, and a carriage return (each
        # found by one C scan of it).
        self.read_quoted = False
        self.read_returns = False
        self.line_number = 0
        self._record_start = 1
        self._record_chars = 0

    def __iter__(self) -> TextLines:
        return self

    def __next__(self) -> str:
        if self._at == len(self._read):
            (self._read, self.read_quoted, self.read_returns), self._at = next(self._reads), 0
        line = self._read[self._at]
        self._at += 1
        self.line_number += 1
        self._record_chars += len(line)
        start = self._record_start
        if self.line_number - start >= MAX_RECORD_LINES:
            raise BadFile(
                f"the record starting on line {start} spans more than {MAX_RECORD_LINES} lines "
                "(is a quote left open?)"
            )
        if self._record_chars > MAX_RECORD_CHARS:
            raise BadFile(
                f"the record starting on line {start} is longer than {MAX_RECORD_CHARS} characters"
            )
        return line

    @property
    def read_pending(self) -> bool:
        """Whether lines of the current read are still to be handed out."""
        return self._at < len(self._read)

    def rest_of_read(self) -> list[str]:
        """The lines of the current read not handed out yet (those of the next read when none
        are left), each a record of its own; [] at the end of the body."""
        if self._at == len(self._read):
            self._at = 0
            self._read, self.read_quoted, self.read_returns = next(self._reads, ([], False, False))
        lines = self._read[self._at :] if self._at else self._read
        self._at = len(self._read)
        self.line_number += len(lines)
        self._record_start = self.line_number + 1
        self._record_chars = 0
        return lines

    def unread(self, count: int) -> None:
        """Hand the last ``count`` lines of the current read out again (they were taken by
        ``rest_of_read`` and are to be read one at a time)."""
        self._at -= count
        self.line_number -= count
        self._record_start = self.line_number + 1
        self._record_chars = 0

    def end_record(self) -> int:
        """Close the record made of the lines handed out since the last call; its characters."""
        chars = self._record_chars
        self._record_start = self.line_number + 1
        self._record_chars = 0
        return chars


def _bounded_reads(body: Readable, read_bytes: int) -> Iterator[tuple[list[str], bool, bool]]:
    """The lines of ``body``, one list per read (never empty), each line checked against
    ``MAX_LINE_CHARS`` before it is handed on; whether the read's text holds a quote, and a
    carriage return."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    pending = ""
    offset = 0
    line_number = 0
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
            text = pending + text
            lines = text.split("\n")
            pending = lines.pop()
            if lines and max(map(len, lines)) >= MAX_LINE_CHARS:
                _check_lengths(line_number, lines)
            line_number += len(lines)
            _check_length(line_number + 1, len(pending))
            if lines:
                yield [line + "\n" for line in lines], '"' in text, "\r" in text
        if not data:
            break
    if pending:
        yield [pending], '"' in pending, "\r" in pending


def _check_lengths(line_number: int, lines: list[str]) -> None:
    """Refuse the first of ``lines`` (after line ``line_number``) over the bound."""
    for number, line in enumerate(lines, start=line_number + 1):
        _check_length(number, len(line) + 1)


def _check_length(line_number: int, chars: int) -> None:
    if chars > MAX_LINE_CHARS:
        raise BadFile(
            f"line {line_number} is longer than {MAX_LINE_CHARS} characters "
            "(its line ending included)"
        )


def _refuse_binary(head: bytes) -> None:
    for magic, kind in BINARY_MAGIC.items():
        if head.startswith(magic):
            raise BadFile(f"the file is {kind}, not text; upload it uncompressed as CSV or JSON")
