"""CSV in and out: a header naming the model's features, any column order, extra columns kept.

Cells are text, so each feature cell is read with Python's ``float()`` (surrounding whitespace,
exponents and ``1_000`` are accepted as ``float`` accepts them); an empty cell or one ``float``
refuses rejects the row. ``nan``, ``inf`` and values beyond float32 do parse, and are then
refused by the online validation with the online handler's own messages.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from ..card import ModelCard
from ..errors import quoted, quoted_list
from .failures import BadFile
from .records import LABEL, Record
from .row_checks import ROW
from .text_lines import MAX_LINE_CHARS

csv.field_size_limit(MAX_LINE_CHARS)


class CsvLayout:
    """Where the features and the pass-through columns sit, checked against the card."""

    name = "csv"
    extension = "csv"
    content_type = "text/csv"

    def __init__(self, columns: list[str], card: ModelCard) -> None:
        self.columns = [column.strip() for column in columns]
        self.card = card
        self._check(self.columns)
        at = {column: j for j, column in enumerate(self.columns)}
        self.feature_at = [at[name] for name in card.feature_names]
        features = set(card.feature_names)
        self.passthrough_at = [j for j, column in enumerate(self.columns) if column not in features]
        self.output_columns = [
            *(self.columns[j] for j in self.passthrough_at),
            LABEL,
            *(f"probability_{name}" for name in card.classes),
        ]

    def record(self, line: int, cells: list[str]) -> Record:
        """One data row: the feature values in card order, or why the row is refused."""
        passthrough = [cells[j] for j in self.passthrough_at if j < len(cells)]
        if len(cells) != len(self.columns):
            reason = f"{ROW} has {len(cells)} fields; the header has {len(self.columns)}"
            return Record(line, None, passthrough, reason)
        try:
            return Record(line, [float(cells[j]) for j in self.feature_at], passthrough)
        except ValueError:
            return Record(line, None, passthrough, self._cell_reason(cells))

    def _cell_reason(self, cells: list[str]) -> str:
        """Why the first feature cell that ``float()`` refuses is not a number."""
        for position, (name, j) in enumerate(
            zip(self.card.feature_names, self.feature_at, strict=True)
        ):
            where = f"{ROW}[{position}] ({name})"
            if not cells[j].strip():
                return f"{where} is empty"
            try:
                float(cells[j])
            except ValueError:
                return f"{where} must be a number, got {quoted(cells[j])}"
        raise AssertionError("a cell failed float() once and passed it again")

    def header(self) -> str:
        """The output header line."""
        return _csv_text([self.output_columns])

    def render(
        self, kept: list[Record], labels: list[str], probabilities: list[list[float]]
    ) -> str:
        """Output lines: pass-through cells, label, one probability per class."""
        return _csv_text(
            [*record.passthrough, label, *p]
            for record, label, p in zip(kept, labels, probabilities, strict=True)
        )

    def _check(self, columns: list[str]) -> None:
        card = self.card
        missing = [name for name in card.feature_names if name not in columns]
        if missing and len(missing) == card.n_features and all(map(_is_number, columns)):
            raise BadFile(
                "the file has no header: its first line is data; add a first line naming "
                f"the columns, the model's features being {card.feature_names}"
            )
        repeated = sorted({c for c in columns if columns.count(c) > 1})
        if repeated:
            raise BadFile(f"the header repeats the columns {quoted_list(repeated)}")
        if missing:
            raise BadFile(
                f"the header lacks the feature columns {missing}; the model takes "
                f"{card.feature_names} (found {quoted_list(columns)})"
            )
        outputs = {LABEL, *(f"probability_{name}" for name in card.classes)}
        clashes = sorted(outputs & set(columns))
        if clashes:
            raise BadFile(
                f"the columns {quoted_list(clashes)} would be overwritten by the predictions; "
                "rename them"
            )


class CsvFile(CsvLayout):
    """A whole CSV object: the header from its first line, then its records."""

    def __init__(self, lines: Iterator[str], card: ModelCard) -> None:
        self._reader = csv.reader(lines, strict=True)
        try:
            header = next(self._reader, None)
        except csv.Error as exc:
            raise BadFile(f"line 1 is not CSV ({exc})") from None
        if not header:
            raise BadFile("the file is empty; a CSV needs a header line naming the features")
        super().__init__(header, card)

    def records(self) -> Iterator[Record]:
        """Every data row; blank lines are skipped; a record's line is where it starts."""
        reader = self._reader
        start = reader.line_num + 1
        try:
            for cells in reader:
                if cells:
                    yield self.record(start, cells)
                start = reader.line_num + 1
        except csv.Error as exc:
            raise BadFile(f"line {start} is not CSV ({exc})") from None


class CsvRows(CsvLayout):
    """Rows Step Functions read from a CSV (header already split off), numbered from 0."""

    def __init__(
        self, columns: list[str], rows: list[tuple[int, list[str]]], card: ModelCard
    ) -> None:
        super().__init__(columns, card)
        self._rows = rows

    def records(self) -> Iterator[Record]:
        """Data row ``index`` is line ``index + 2``: the header is line 1."""
        for index, cells in self._rows:
            yield self.record(index + 2, cells)


def _csv_text(rows: Iterable[list[object]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True
