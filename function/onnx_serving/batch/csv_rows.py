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

import numpy as np

from ..card import ModelCard
from ..errors import quoted_list
from .failures import BadFile
from .records import CELL_CHARS, LABEL, VALUE, Answers, Chunk, cut
from .row_checks import ROW
from .text_lines import MAX_RECORD_CHARS, TextLines
from .typed_columns import text_columns, without_refused

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
        # The last chunk's cells column by column, kept for its render.
        self._transposed: tuple[Chunk | None, int, list[tuple[str, ...]]] = (None, 0, [])
        self.output_columns = [
            *(self.columns[j] for j in self.passthrough_at),
            *answer_columns(card),
        ]

    def feature_values(self, chunk: Chunk) -> tuple[list[np.ndarray], list[int], dict[int, str]]:
        """The typed columns of the chunk's rows that have the header's field count and whose
        cells convert, their positions, and why each other row is refused."""
        refused = dict(chunk.refused)
        kept = [p for p in range(len(chunk.rows)) if p not in refused]
        every = _columns(_rows(chunk, kept), len(self.columns))
        self._transposed = (chunk, len(kept), every)
        columns, bad = text_columns(self.card, [every[j] for j in self.feature_at])
        return without_refused(columns, kept, bad, refused)

    def header(self) -> str:
        """The output header line."""
        return _csv_text([self._cells(self.output_columns)])

    def render(self, chunk: Chunk, kept: list[int], answers: Answers) -> str:
        """Output lines: pass-through cells, then label and one probability per class, or the
        value."""
        every = self._transposed[2]
        if self._transposed[0] is not chunk or self._transposed[1] != len(kept):
            every = _columns(_rows(chunk, kept), len(self.columns))
        passthrough = [every[j] for j in self.passthrough_at]
        if not self.keep_formulas:
            passthrough = [_neutralised_column(cells) for cells in passthrough]
        if answers.values is not None:
            answer = [answers.values]
        else:
            answer = [answers.labels, *map(_number_texts, answers.probabilities.T)]
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
        if set(map(len, rows)) - {width}:
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
            if not lines.read_quoted:
                records = _plain_records(first, block, lines.read_returns)
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


def _rows(chunk: Chunk, kept: list[int]) -> list[list[str]]:
    """The rows of ``chunk`` at ``kept``, in order (the chunk's own list when all are kept)."""
    return chunk.rows if len(kept) == len(chunk.rows) else [chunk.rows[p] for p in kept]


def _columns(rows: list[list[str]], width: int) -> list[tuple[str, ...]]:
    """Rows of ``width`` cells, transposed by one C call."""
    return list(zip(*rows, strict=True)) if rows else [() for _ in range(width)]


def _number_texts(values: np.ndarray) -> list[str]:
    """``repr`` of each float, each distinct value printed once: rounded probabilities take
    few distinct values, and the csv writer copies text faster than it prints floats."""
    distinct, at = np.unique(values, return_inverse=True)
    texts = np.array([repr(value) for value in distinct.tolist()], dtype=object)
    return texts[at.reshape(-1)].tolist()


def _plain_records(
    first: int, block: list[str], returns: bool
) -> tuple[list[int], np.ndarray, list[list[str]]] | None:
    """Lines without a quote, from line ``first`` on: one record each, parsed in one C call;
    None when the reader refuses one of them (the record-by-record path then names its line).

    Without quotes or carriage returns a CSV record is its line split at commas, which
    ``str.split`` mapped over the lines does faster than the csv reader; a blank line is no
    record, as the csv reader has it. With carriage returns the csv reader decides.
    """
    if returns:
        try:
            rows = list(csv.reader(block, strict=True))
        except csv.Error:
            return None
    else:
        rows = list(map(str.split, map(str.rstrip, block, repeat("\n")), repeat(",")))
        if rows.count([""]):
            rows = [[] if row == [""] else row for row in rows]
    count = len(block)
    sizes = np.fromiter(map(len, block), np.int64, count)
    sizes += CELL_CHARS * np.fromiter(map(len, rows), np.int64, count)
    numbers = list(range(first, first + count))
    if rows.count([]):
        kept = [p for p, row in enumerate(rows) if row]
        return [numbers[p] for p in kept], sizes[kept], [rows[p] for p in kept]
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
