"""JSON Lines in and out: one object keyed by feature name (extra keys kept) or one array.

Each line is parsed by the online handler's strict parser (no NaN or Infinity literals, no
repeated keys), so a line gets the reason the online handler would give that body. Values are
then converted column by column (``typed_columns``): numbers, strings, null where missing.
Blank lines are skipped. The first row must parse: a file whose first row is not JSON is not
JSON Lines.

Output values are written as they came, whatever ``BATCH_CSV_FORMULAS`` says: JSON Lines is not
a spreadsheet format, and a quote added to a string would change the data a program reads.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import numpy as np

from ..answers import VALUE_FIELD, formatted_rows, prediction_arguments, prediction_fields
from ..card import ModelCard
from ..errors import RequestError, quoted_list
from ..events import parse_json
from .failures import BadFile
from .records import CELL_CHARS, Answers, Chunk, cut, output_fields
from .row_checks import ROW
from .text_lines import TextLines
from .typed_columns import json_columns, without_refused


class JsonLinesFile:
    """A whole JSON Lines object."""

    name = "jsonl"
    extension = "jsonl"
    content_type = "application/x-ndjson"

    def __init__(self, lines: TextLines, card: ModelCard) -> None:
        self._lines = lines
        self._card = card
        self._names = card.feature_names
        self._features = set(card.feature_names)
        self._output_fields = output_fields(card)
        self._first = True

    def chunks(self, max_rows: int, max_chars: int) -> Iterator[Chunk]:
        """Every non-blank line, parsed, in chunks; the first one must be JSON."""
        lines = self._lines
        while True:
            first = lines.line_number + 1
            block = lines.rest_of_read()
            if not block:
                return
            numbers: list[int] = []
            sizes: list[int] = []
            values: list[Any] = []
            refused: dict[int, str] = {}
            for line_number, line in enumerate(block, start=first):
                if not line.strip():
                    continue
                # Every value but the last of each array or object is followed by a comma;
                # commas inside strings only make the size err high.
                sizes.append(len(line) + CELL_CHARS * line.count(","))
                numbers.append(line_number)
                try:
                    values.append(parse_json(line))
                except RequestError as exc:
                    if self._first:
                        raise BadFile(
                            f"the file is not JSON Lines: line {line_number}: {exc.message}"
                        ) from None
                    refused[len(values)] = exc.message
                    values.append(None)
                self._first = False
            for start, end in cut(sizes, max_rows, max_chars):
                yield Chunk(
                    numbers[start:end],
                    values[start:end],
                    {p - start: reason for p, reason in refused.items() if start <= p < end},
                )

    def feature_values(self, chunk: Chunk) -> tuple[list[np.ndarray], list[int], dict[int, str]]:
        """The typed columns of the rows that are a list of one value per column or an object
        holding every column, their positions, and why each other row is refused."""
        refused = dict(chunk.refused)
        kept: list[int] = []
        rows: list[Any] = []
        for position, value in enumerate(chunk.values):
            if position in refused:
                continue
            row, reason = self._row(value)
            if reason:
                refused[position] = reason
            else:
                kept.append(position)
                rows.append(row)
        raw = list(zip(*rows, strict=True)) if rows else [() for _ in self._names]
        columns, bad = json_columns(self._card, raw)
        return without_refused(columns, kept, bad, refused)

    def header(self) -> str:
        """JSON Lines has no header."""
        return ""

    def render(self, chunk: Chunk, kept: list[int], answers: Answers) -> str:
        """One object per kept row: its pass-through fields, then label and probabilities, or
        the value, written as the online answers write a prediction (``answers``): one
        ``%``-format over the chunk, the pass-through fields encoded row by row before it."""
        if not kept:
            return ""
        if answers.values is not None:
            fields, columns = VALUE_FIELD, [list(map(repr, answers.values))]
        else:
            classes = self._card.classes
            fields = prediction_fields(classes)
            columns = prediction_arguments(classes, answers.labels, answers.probabilities)
        features = self._features
        leading = [_passthrough_members(chunk.values[p], features) for p in kept]
        return formatted_rows("{%s" + fields + "}", [leading, *columns], "\n") + "\n"

    def _row(self, value: Any) -> tuple[Any, str]:
        """The row's values in card order, or why it is refused."""
        names = self._names
        if type(value) is list:
            if len(value) == len(names):
                return value, ""
            return None, (
                f"{ROW} has {len(value)} values; the model takes {len(names)}: {', '.join(names)}"
            )
        if type(value) is not dict:
            return None, (
                f"{ROW} must be a list of {len(names)} values or an object keyed by column name"
            )
        clashes = [name for name in self._output_fields if name in value]
        if clashes:
            return None, (
                f"{ROW} has the fields {quoted_list(clashes)}, which the prediction would "
                "overwrite; rename them"
            )
        missing = [name for name in names if name not in value]
        if missing:
            return None, f"{ROW} lacks the columns {missing}; the model takes {names}"
        return [value[name] for name in names], ""


def _passthrough_members(value: Any, features: set[str]) -> str:
    """The fields of an object row that are not the model's columns, as the members that open
    its output object (their comma included); "" for a list row or an object of features only."""
    if type(value) is not dict:
        return ""
    fields = {name: v for name, v in value.items() if name not in features}
    return _ENCODER.encode(fields)[1:-1] + "," if fields else ""


# Pass-through values are written as they came: strings unescaped beyond what JSON requires.
_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))
