"""What a format reader yields per input row, and what every format writer offers."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple, Protocol

# Output columns / fields beside the passed-through ones, named as in the online answers.
LABEL = "label"
PROBABILITIES = "probabilities"
# A cell, or a JSON value, is an object of its own (a ~50-byte header beside its characters) and
# a pointer in its row: a record's size counts each as this many characters besides its own, so
# that a chunk of many short values is cut about as early as one of four-byte characters. A row
# of an id, a few numbers and a note still fits 8,192 times in the default BATCH_CHUNK_CHARS.
CELL_CHARS = 8


class Record(NamedTuple):
    """One input row: its line, its size, the row for validation, what is passed through, or a
    reason.

    ``size`` is what the record holds, in characters: the input characters it came from, plus
    ``CELL_CHARS`` per cell (CSV) or per comma (JSON Lines). Chunks are cut by it, so that
    what a chunk holds is bounded by its text as well as by its rows. ``reason`` is set when
    the row was refused before validation (wrong field count, a cell that is not a number, a
    line that is not JSON); ``row`` is then None.
    """

    line: int
    size: int
    row: Any
    passthrough: Any
    reason: str | None = None


class Format(Protocol):
    """A readable input and the writer of its output, in the same format."""

    name: str
    extension: str
    content_type: str

    def records(self) -> Iterator[Record]:
        """The input rows in file order."""
        ...

    def header(self) -> str:
        """Text written before the first output row ("" when the format has none)."""
        ...

    def render(
        self, kept: list[Record], labels: list[str], probabilities: list[list[float]]
    ) -> str:
        """Output rows: each kept record's pass-through values, its label and probabilities."""
        ...


def chunks(records: Iterable[Record], max_rows: int, max_chars: int) -> Iterator[list[Record]]:
    """``records`` in file order, in lists of at most ``max_rows`` records; a list is also closed
    by the record that brings its size (in characters) to ``max_chars`` or more.

    A chunk therefore holds less than ``max_chars`` plus one record's size: what it costs in
    memory is bounded by the input it came from, however long or wide its rows are.
    """
    chunk: list[Record] = []
    size = 0
    for record in records:
        chunk.append(record)
        size += record.size
        if len(chunk) == max_rows or size >= max_chars:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk
