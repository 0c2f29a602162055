"""CSV in and out: a header naming the model's columns, any column order, extra columns kept.

Cells are text. A number cell is read with Python's ``float()`` (surrounding whitespace,
exponents and ``1_000`` are accepted as ``float`` accepts them), a string cell is taken as it
is; an empty cell is a missing value (``typed_columns`` has the rules). Reading is column-wise:
each read of the object (a megabyte) is split into lines and, when it holds no quote, handed
whole to the C csv reader, its rows cut into chunks, and each chunk's columns converted whole;
a read holding a quote goes record by record, since a quoted field may hold line breaks.

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
from itertools import repeat
from operator import itemgetter
from typing import Any

import numpy as np

from ..card import ModelCard
from ..errors import quoted_list
from .failures import BadFile
from .records import CELL_CHARS, LABEL, VALUE, Answers, Chunk, cut
from .row_checks import ROW
from .text_lines import MAX_RECORD_CHARS, TextLines
from .typed_columns import text_columns

csv.field_size_limit(MAX_RECORD_CHARS)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


class CsvLayout:
    """Where the model's columns and the pass-through columns sit, checked against the card."""

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
            *answer_columns(card),
        ]

    def feature_values(self, chunk: Chunk) -> tuple[list[np.ndarray], list[int], dict[int, str]]:
        """The typed columns of the chunk's rows that have the header's field count and whose
        cells convert, their positions, and why each other row is refused."""
        refused = dict(chunk.refused)
        kept = [p for p in range(len(chunk.rows)) if p not in refused]
        rows = [chunk.rows[p] for p in kept] if refused else chunk.rows
        raw = list(zip(*map(_getter(self.feature_at), rows), strict=True)) if rows else []
        if not rows:
            raw = [() for _ in self.feature_at]
        columns, bad = text_columns(self.card, raw)
        if bad:
            refused.update((kept[p], reason) for p, reason in bad.items())
            good = np.ones(len(kept), dtype=bool)
            good[list(bad)] = False
            columns = [column[good] for column in columns]
            kept = [p for p, ok in zip(kept, good.tolist(), strict=True) if ok]
        return columns, kept, dict(sorted(refused.items()))

    def header(self) -> str:
        """The output header line."""
        return _csv_text([self._cells(self.output_columns)])

    def render(self, chunk: Chunk, kept: list[int], answers: Answers) -> str:
        """Output lines: pass-through cells, then label and one probability per class, or the
        value."""
        rows = [chunk.rows[p] for p in kept]
        passthrough = [
            [row[j] if j < len(row) else "" for row in rows] for j in self.passthrough_at
        ]
        if not self.keep_formulas:
            passthrough = [_neutralised_column(cells) for cells in passthrough]
        if answers.values is not None:
            answer = [answers.values]
        else:
            answer = [answers.labels, *answers.probabilities.T.tolist()]
        return _csv_text(zip(*passthrough, *answer, strict=True))

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
        clashes = sorted(set(answer_columns(card)) & set(columns))
        if clashes:
            raise BadFile(
                f"the columns {quoted_list(clashes)} would be overwritten by the predictions; "
                "rename them"
            )

    def _chunk(self, lines: list[int], rows: list[list[str]]) -> Chunk:
        """Rows with their lines; a row whose field count is not the header's is refused."""
        width = len(self.columns)
        refused = {}
        if rows.count([]) or any(len(row) != width for row in rows):
            refused = {
                p: f"{ROW} has {len(row)} fields; the header has {width}"
                for p, row in enumerate(rows)
                if len(row) != width
            }
        return Chunk(lines, rows, refused)


class CsvFile(CsvLayout):
    """A whole CSV object: the header from its first line, then its records.

    A read without a quote is parsed in one call of the C reader, one record per line. A read
    holding a quote is parsed record by record: the csv reader takes lines one at a time and
    asks for the next only while a quoted field is open, so after each record the lines it has
    taken are exactly that record's: that is where the record is ended for ``TextLines``'s
    bounds, and a record open at the end of the read takes lines from the next.
    """

    def __init__(self, lines: TextLines, card: ModelCard, *, keep_formulas: bool) -> None:
        self._lines = lines
        try:
            header = next(csv.reader(_one_record(lines), strict=True), None)
        except csv.Error as exc:
            raise BadFile(f"line 1 is not CSV ({exc})") from None
        if not header:
            raise BadFile("the file is empty; a CSV needs a header line naming the features")
        lines.end_record()
        super().__init__(header, card, keep_formulas=keep_formulas)

    def chunks(self, max_rows: int, max_chars: int) -> Iterator[Chunk]:
        """Every data row, in chunks; blank lines are skipped; a record's line is where it
        starts."""
        lines = self._lines
        while True:
            first = lines.line_number + 1
            block = lines.rest_of_read()
            if not block:
                return
            records = None
            if not any(map(str.__contains__, block, repeat('"'))):
                records = _plain_records(first, block)
            if records is None:
                lines.unread(len(block))
                records = self._quoted_records()
            numbers, sizes, rows = records
            for start, end in cut(sizes, max_rows, max_chars):
                yield self._chunk(numbers[start:end], rows[start:end])

    def _quoted_records(self) -> tuple[list[int], list[int], list[list[str]]]:
        """Records of the current read, one at a time, the last taking lines from the next
        reads while its quote is open."""
        lines = self._lines
        record_open = [False]

        def feed() -> Iterator[str]:
            while lines.read_pending or record_open[0]:
                try:
                    line = next(lines)
                except StopIteration:
                    return
                record_open[0] = True
                yield line

        reader = csv.reader(feed(), strict=True)
        numbers: list[int] = []
        sizes: list[int] = []
        rows: list[list[str]] = []
        start = lines.line_number + 1
        try:
            for cells in reader:
                record_open[0] = False
                chars = lines.end_record()
                if cells:
                    numbers.append(start)
                    sizes.append(chars + CELL_CHARS * len(cells))
                    rows.append(cells)
                start = lines.line_number + 1
        except csv.Error as exc:
            raise BadFile(f"line {start} is not CSV ({exc})") from None
        return numbers, sizes, rows


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

    def chunks(self, max_rows: int, max_chars: int) -> Iterator[Chunk]:
        """Data row ``index`` is line ``index + 2``: the header is line 1. A row's size is its
        cells and the separators between them, as it stood in the file unquoted."""
        numbers = [index + 2 for index, _ in self._rows]
        rows = [cells for _, cells in self._rows]
        sizes = [sum(map(len, cells)) + len(cells) * (1 + CELL_CHARS) for cells in rows]
        for start, end in cut(sizes, max_rows, max_chars):
            yield self._chunk(numbers[start:end], rows[start:end])


def answer_columns(card: ModelCard) -> list[str]:
    """The columns a prediction adds: label and one probability per class, or the value."""
    if not card.is_classifier:
        return [VALUE]
    return [LABEL, *(f"probability_{name}" for name in card.classes)]


def _getter(positions: list[int]) -> Any:
    """A C-speed function picking ``positions`` out of a row, always as a tuple."""
    if len(positions) == 1:
        only = positions[0]
        return lambda row: (row[only],)
    return itemgetter(*positions)


def _plain_records(
    first: int, block: list[str]
) -> tuple[list[int], list[int], list[list[str]]] | None:
    """Lines without a quote, from line ``first`` on: one record each, parsed in one call of
    the C reader; None when the reader refuses one of them (the record-by-record path then
    names its line)."""
    try:
        rows = list(csv.reader(block, strict=True))
    except csv.Error:
        return None
    sizes = [
        chars + CELL_CHARS * cells
        for chars, cells in zip(map(len, block), map(len, rows), strict=True)
    ]
    numbers = list(range(first, first + len(block)))
    if rows.count([]):
        kept = [p for p, row in enumerate(rows) if row]
        return [numbers[p] for p in kept], [sizes[p] for p in kept], [rows[p] for p in kept]
    return numbers, sizes, rows


def _one_record(lines: TextLines) -> Iterator[str]:
    """``lines`` one at a time, for the header's record."""
    yield from lines


def _neutralised_column(cells: list[str]) -> list[str]:
    """``cells`` with every formula-looking one neutralised; a column with none is returned as
    it is after one C-speed scan."""
    if not any(map(str.startswith, cells, repeat(FORMULA_STARTS))):
        return cells
    return [neutralised(cell) for cell in cells]


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
