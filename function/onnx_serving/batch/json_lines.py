"""JSON Lines in and out: one object keyed by feature name (extra keys kept) or one array.

Each line is parsed by the online handler's strict parser (no NaN or Infinity literals, no
repeated keys), so a line gets the reason the online handler would give that body. Blank lines
are skipped. The first row must parse: a file whose first row is not JSON is not JSON Lines.

Output values are written as they came, whatever ``BATCH_CSV_FORMULAS`` says: JSON Lines is not
a spreadsheet format, and a quote added to a string would change the data a program reads.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ..card import ModelCard
from ..errors import RequestError, quoted_list
from ..events import parse_json
from .failures import BadFile
from .records import CELL_CHARS, LABEL, PROBABILITIES, Record
from .row_checks import ROW
from .text_lines import TextLines

OUTPUT_FIELDS = (LABEL, PROBABILITIES)


class JsonLinesFile:
    """A whole JSON Lines object."""

    name = "jsonl"
    extension = "jsonl"
    content_type = "application/x-ndjson"

    def __init__(self, lines: TextLines, card: ModelCard) -> None:
        self._lines = lines
        self._features = set(card.feature_names)
        self._classes = list(card.classes)

    def records(self) -> Iterator[Record]:
        """Every non-blank line, parsed; the first one must be JSON."""
        first = True
        for line_number, line in enumerate(self._lines, start=1):
            # Every value but the last of each array or object is followed by a comma; commas
            # inside strings only make the size err high.
            size = self._lines.end_record() + CELL_CHARS * line.count(",")
            if not line.strip():
                continue
            try:
                value = parse_json(line)
            except RequestError as exc:
                if first:
                    raise BadFile(
                        f"the file is not JSON Lines: line {line_number}: {exc.message}"
                    ) from None
                yield Record(line_number, size, None, None, exc.message)
                continue
            first = False
            yield self._record(line_number, size, value)

    def header(self) -> str:
        """JSON Lines has no header."""
        return ""

    def render(
        self, kept: list[Record], labels: list[str], probabilities: list[list[float]]
    ) -> str:
        """One object per kept row: its pass-through fields, then label and probabilities."""
        classes = self._classes
        return "".join(
            json.dumps(
                {
                    **(record.passthrough or {}),
                    LABEL: label,
                    PROBABILITIES: dict(zip(classes, p, strict=True)),
                },
                ensure_ascii=False,
                allow_nan=False,
                separators=(",", ":"),
            )
            + "\n"
            for record, label, p in zip(kept, labels, probabilities, strict=True)
        )

    def _record(self, line: int, size: int, value: Any) -> Record:
        if not isinstance(value, dict):
            return Record(line, size, value, None)
        clashes = [name for name in OUTPUT_FIELDS if name in value]
        if clashes:
            reason = (
                f"{ROW} has the fields {quoted_list(clashes)}, which the prediction would "
                "overwrite; rename them"
            )
            return Record(line, size, None, None, reason)
        row = {name: v for name, v in value.items() if name in self._features}
        passthrough = {name: v for name, v in value.items() if name not in self._features}
        return Record(line, size, row, passthrough)
