"""CSV in and out: a header naming the model's features, any column order, extra columns kept.

Cells are text, so each feature cell is read with Python's ``float()`` (surrounding whitespace,
exponents and ``1_000`` are accepted as ``float`` accepts them); an empty cell or one ``float``
refuses rejects the row. ``nan``, ``inf`` and values beyond float32 do parse, and are then
refused by the online validation with the online handler's own messages.

Output cells that came from the input (pass-through cells and header names) and start with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return are written behind a ``'`` unless they are
plain decimal numbers: a spreadsheet opening the output would otherwise run them as formulas
(OWASP, "CSV Injection"). ``keep_formulas`` writes them as they came.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterable, Iterator

from ..card import ModelCard
from ..errors import quoted, quoted_list
from .failures import BadFile
from .records import CELL_CHARS, LABEL, Record
from .row_checks import ROW
from .text_lines import MAX_RECORD_CHARS, TextLines

csv.field_size_limit(MAX_RECORD_CHARS)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


class CsvLayout:
    """Where the features and the pass-through columns sit, checked against the card."""

    name = "csv"
    extension = "csv"
    content_type = "text/csv"

    def __init__(self, columns: list[str], card: ModelCard, *, keep_formulas: bool) -> None:
        self.columns = [column.strip() for column in columns]
        self.card = card
        self.keep_formulas = keep_formulas
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

    def record(self, line: int, chars: int, cells: list[str]) -> Record:
        """One data row of ``chars`` input characters: the feature values in card order, or why
        the row is refused."""
        size = chars + CELL_CHARS * len(cells)
        passthrough = [cells[j] for j in self.passthrough_at if j < len(cells)]
        if len(cells) != len(self.columns):
            reason = f"{ROW} has {len(cells)} fields; the header has {len(self.columns)}"
            return Record(line, size, None, passthrough, reason)
        try:
            return Record(line, size, [float(cells[j]) for j in self.feature_at], passthrough)
        except ValueError:
            return Record(line, size, None, passthrough, self._cell_reason(cells))

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
        return _csv_text([self._cells(self.output_columns)])

    def render(
        self, kept: list[Record], labels: list[str], probabilities: list[list[float]]
    ) -> str:
        """Output lines: pass-through cells, label, one probability per class."""
        return _csv_text(
            [*self._cells(record.passthrough), label, *p]
            for record, label, p in zip(kept, labels, probabilities, strict=True)
        )

    def _cells(self, cells: list[str]) -> list[str]:
        """``cells`` as they are written: formula-looking ones neutralised unless kept."""
        return cells if self.keep_formulas else [neutralised(cell) for cell in cells]

    def _check(self, columns: list[str]) -> None:
        card = self.card
        missing = [name for name in card.feature_names if name not in columns]
        if missing and len(missing) == card.n_features and all(map(_is_number, columns)):
            raise BadFile(
                "the file has no header: its first line is data; add a first line naming "
                f"the columns, the model's features being {card.feature_names}"
            )
        repeated = sorted(column for column, count in Counter(columns).items() if count > 1)
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
    """A whole CSV object: the header from its first line, then its records.

    The csv reader takes lines one at a time and asks for the next only while a quoted field is
    open, so after each record the lines it has taken are exactly that record's: that is where
    the record is ended for ``TextLines``'s bounds.
    """

    def __init__(self, lines: TextLines, card: ModelCard, *, keep_formulas: bool) -> None:
        self._lines = lines
        self._reader = csv.reader(lines, strict=True)
        try:
            header = next(self._reader, None)
        except csv.Error as exc:
            raise BadFile(f"line 1 is not CSV ({exc})") from None
        if not header:
            raise BadFile("the file is empty; a CSV needs a header line naming the features")
        lines.end_record()
        super().__init__(header, card, keep_formulas=keep_formulas)

    def records(self) -> Iterator[Record]:
        """Every data row; blank lines are skipped; a record's line is where it starts."""
        reader = self._reader
        start = reader.line_num + 1
        try:
            for cells in reader:
                chars = self._lines.end_record()
                if cells:
                    yield self.record(start, chars, cells)
                start = reader.line_num + 1
        except csv.Error as exc:
            raise BadFile(f"line {start} is not CSV ({exc})") from None


class CsvRows(CsvLayout):
    """Rows Step Functions read from a CSV (header already split off), numbered from 0."""

    def __init__(
        self,
        columns: list[str],
        rows: list[tuple[int, list[str]]],
        card: ModelCard,
        *,
        keep_formulas: bool,
    ) -> None:
        super().__init__(columns, card, keep_formulas=keep_formulas)
        self._rows = rows

    def records(self) -> Iterator[Record]:
        """Data row ``index`` is line ``index + 2``: the header is line 1. A row's size is its
        cells and the separators between them, as it stood in the file unquoted."""
        for index, cells in self._rows:
            chars = sum(map(len, cells)) + len(cells)
            yield self.record(index + 2, chars, cells)


def _csv_text(rows: Iterable[list[object]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def neutralised(cell: str) -> str:
    """``cell`` behind a ``'`` when a spreadsheet would read it as a formula; numbers such as
    ``-1.5`` or ``+3e2`` stay as they are."""
    if cell.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True
