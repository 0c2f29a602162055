"""What a format reader yields (chunks of input rows), how chunks are cut, and what every format
writer offers."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple, Protocol

import numpy as np

from ..card import ModelCard

# Output columns / fields beside the passed-through ones, named as in the online answers.
LABEL = "label"
PROBABILITIES = "probabilities"
VALUE = "value"
# A cell, or a JSON value, is an object of its own (a ~50-byte header beside its characters) and
# a pointer in its row: a record's size counts each as this many characters besides its own, so
# that a chunk of many short values is cut about as early as one of four-byte characters. A row
# of an id, a few numbers and a note still fits 8,192 times in the default BATCH_CHUNK_CHARS.
CELL_CHARS = 8


def output_fields(card: ModelCard) -> list[str]:
    """The fields a prediction adds to a row: label and probabilities, or the value."""
    return [LABEL, PROBABILITIES] if card.is_classifier else [VALUE]


class Chunk(NamedTuple):
    """Input rows read together, in file order: each row's line, their raw content and, by
    position, the rows refused while reading (wrong field count, a line that is not JSON).

    The content is the format's own: JSON Lines keeps one parsed value per row; CSV keeps the
    cells of the rows it did not refuse in one list, row after row (a column is then one slice
    of it), so that a row's cells are never gathered into a list of their own."""

    lines: list[int]
    values: Sequence[Any]
    refused: dict[int, str]


class Answers(NamedTuple):
    """The model's answers for the kept rows of a chunk: labels and rounded probabilities
    (float64 ``[rows, classes]``) for a classifier, values (as the online answers print them:
    ``answers.answered_values``) for a regressor."""

    labels: list[str] | None
    probabilities: np.ndarray | None
    values: list[float] | None


class Format(Protocol):
    """A readable input and the writer of its output, in the same format."""

    name: str
    extension: str
    content_type: str

    def chunks(self, max_rows: int, max_chars: int) -> Iterator[Chunk]:
        """The input rows in file order, cut by ``cut``."""
        ...

    def feature_values(self, chunk: Chunk) -> tuple[list[np.ndarray], list[int], dict[int, str]]:
        """The typed columns of the rows kept, their positions, and why each other is refused."""
        ...

    def header(self) -> str:
        """Text written before the first output row ("" when the format has none)."""
        ...

    def render(self, chunk: Chunk, kept: list[int], answers: Answers) -> str:
        """Output rows: each kept row's pass-through values and its answer."""
        ...


def cut(
    sizes: Sequence[int] | np.ndarray, max_rows: int, max_chars: int
) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of consecutive runs of ``sizes`` of at most ``max_rows`` rows; a run is
    also closed by the row that brings its size (in characters) to ``max_chars`` or more.

    A chunk therefore holds less than ``max_chars`` plus one row's size: what it costs in
    memory is bounded by the input it came from, however long or wide its rows are.
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    start = 0
    while start < len(sizes):
        running = np.cumsum(sizes[start : start + max_rows])
        reached = int(np.searchsorted(running, max_chars))
        end = start + min(reached + 1, len(running))
        yield start, end
        start = end
