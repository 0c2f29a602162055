"""What a format reader yields per input row, and what every format writer offers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple, Protocol

# Output columns / fields beside the passed-through ones, named as in the online answers.
LABEL = "label"
PROBABILITIES = "probabilities"


class Record(NamedTuple):
    """One input row: its line, the row for validation, what is passed through, or a reason.

    ``reason`` is set when the row was refused before validation (wrong field count, a cell that
    is not a number, a line that is not JSON); ``row`` is then None.
    """

    line: int
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
