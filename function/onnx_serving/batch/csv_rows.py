"""CSV in and out: a header naming the model's columns, any column order, extra columns kept.

Cells are text. A number cell is read with Python's ``float()`` (surrounding whitespace,
exponents and ``1_000`` are accepted as ``float`` accepts them), a string cell is taken as it
is; an empty cell is a missing value (``typed_columns`` has the rules). Reading is column-wise:
each read of the object is split into lines and cut into chunks. A read holding no quote and no
carriage return is split at line ends and commas in one pass per chunk, its columns taken by
slices, its last chunk filled from the next such read; one holding carriage returns is handed
whole to the C csv reader; one holding a quote goes record by record, since a quoted field may
hold line breaks. Each chunk's columns are then converted whole, and written whole: each line
its cells joined by commas, a cell holding a delimiter, a quote or a line break in quotes.

Output cells that came from the input (pass-through cells and header names) and start with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return are written behind a ``'`` unless they are
plain decimal numbers: a spreadsheet opening the output would otherwise run them as formulas
(OWASP, "CSV Injection"). ``keep_formulas`` writes them as they came.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Generator, Iterator, Sequence
from itertools import chain, repeat
from typing import NamedTuple

import numpy as np

from ..answers import probability_texts
from ..card import ModelCard
from ..errors import quoted_list
from .failures import BadFile
from .records import CELL_CHARS, LABEL, VALUE, Answers, Chunk, cut
from .row_checks import ROW
from .text_lines import MAX_RECORD_CHARS, TextLines
from .typed_columns import text_columns, without_refused

csv.field_size_limit(MAX_RECORD_CHARS)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# What makes a CSV cell need quotes: the delimiter, the quote, a line break.
QUOTED_CHARACTERS = (",", '"', "\n", "\r")
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
        kept = [p for p in range(len(chunk.lines)) if p not in refused]
        columns, bad = text_columns(self.card, self._columns(chunk, self.feature_at))
        return without_refused(columns, kept, bad, refused)

    def header(self) -> str:
        """The output header line."""
        return _csv_lines([[cell] for cell in self._cells(self.output_columns)])

    def render(self, chunk: Chunk, kept: list[int], answers: Answers) -> str:
        """Output lines: pass-through cells, then label and one probability per class, or the
        value."""
        passthrough = self._columns(chunk, self.passthrough_at)
        if len(kept) != len(chunk.lines) - len(chunk.refused):
            passthrough = _kept_cells(passthrough, chunk, kept)
        if not self.keep_formulas:
            passthrough = [_neutralised_column(cells) for cells in passthrough]
        if answers.values is not None:
            return _csv_lines([*passthrough, list(map(repr, answers.values))], numbers=1)
        probabilities = probability_texts(answers.probabilities)
        return _csv_lines(
            [*passthrough, answers.labels, *probabilities], numbers=len(probabilities)
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
        clashes = sorted(set(answer_columns(card)) & set(columns))
        if clashes:
            raise BadFile(
                f"the columns {quoted_list(clashes)} would be overwritten by the predictions; "
                "rename them"
            )

    def _columns(self, chunk: Chunk, at: list[int]) -> list[list[str]]:
        """The columns at ``at`` of the chunk's rows, each taken by one slice of its cells."""
        width = len(self.columns)
        return [chunk.values[j::width] for j in at]

    def _chunk(self, lines: list[int], rows: list[list[str]]) -> Chunk:
        """Rows with their lines and their cells in one list; a row whose field count is not
        the header's is refused."""
        width = len(self.columns)
        refused = {}
        if set(map(len, rows)) - {width}:
            refused = {
                p: _field_count_refusal(len(row), width)
                for p, row in enumerate(rows)
                if len(row) != width
            }
            rows = [row for p, row in enumerate(rows) if p not in refused]
        return Chunk(lines, list(chain.from_iterable(rows)), refused)

    def _plain_chunks(
        self, plain: PlainLines, max_rows: int, max_chars: int, *, hold: bool
    ) -> Generator[Chunk, None, PlainLines]:
        """``plain`` lines (no quote, no carriage return), each a record, in chunks; with ``hold``,
        a last chunk that neither bound closed is returned instead of yielded, for the next
        read's lines to fill (so that chunks do not end at read boundaries: a backend may pay a
        fixed cost per call).

        Without quotes or carriage returns a CSV record is its line split at commas. Each
        chunk's lines are joined and split at line ends and commas in one pass; with every row
        of the header's field count, column ``j`` is then every ``width``-th cell from the
        ``j``-th, taken by one slice when it is needed (``_columns``).
        """
        width = len(self.columns)
        numbers, block = plain
        count = len(block)
        fields = np.fromiter(map(str.count, block, repeat(",")), np.int64, count) + 1
        sizes = np.fromiter(map(len, block), np.int64, count) + CELL_CHARS * fields
        cuts = list(cut(sizes, max_rows, max_chars))
        rest = PlainLines([], [])
        if hold and cuts:
            start, end = cuts[-1]
            if end - start < max_rows and sizes[start:end].sum() < max_chars:
                cuts.pop()
                rest = PlainLines(numbers[start:], block[start:])
        for start, end in cuts:
            lines = block[start:end]
            wrong = np.flatnonzero(fields[start:end] != width).tolist()
            refused = {p: _field_count_refusal(int(fields[start + p]), width) for p in wrong}
            if refused:
                lines = [line for p, line in enumerate(lines) if p not in refused]
            yield Chunk(numbers[start:end], _cells(lines), refused)
        return rest


class CsvFile(CsvLayout):
    """A whole CSV object: the header from its first line, then its records.

    A read without a quote is one record per line: split in one pass per chunk
    (``_plain_chunks``), or with carriage returns by one call of the C reader. A read holding a
    quote is parsed record by record: the csv reader takes lines one at a time and
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
        held = PlainLines([], [])
        while True:
            first = lines.line_number + 1
            block = lines.rest_of_read()
            if block and not lines.read_quoted and not lines.read_returns:
                numbers, block = _non_blank(first, block)
                held = PlainLines(held.numbers + numbers, held.lines + block)
                held = yield from self._plain_chunks(held, max_rows, max_chars, hold=True)
                continue
            yield from self._plain_chunks(held, max_rows, max_chars, hold=False)
            held = PlainLines([], [])
            if not block:
                return
            records = None
            if not lines.read_quoted:
                records = _unquoted_records(first, block)
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


class PlainLines(NamedTuple):
    """Lines without a quote or a carriage return and their line numbers, blank lines left out."""

    numbers: list[int]
    lines: list[str]


def _non_blank(first: int, block: list[str]) -> PlainLines:
    """``block``'s lines from line ``first`` on, less the blank ones: a blank line is no
    record, as the csv reader has it."""
    if block.count("\n"):
        numbers = [first + p for p, line in enumerate(block) if line != "\n"]
        return PlainLines(numbers, [line for line in block if line != "\n"])
    return PlainLines(list(range(first, first + len(block))), block)


def _field_count_refusal(fields: int, width: int) -> str:
    return f"{ROW} has {fields} fields; the header has {width}"


def _cells(lines: list[str]) -> list[str]:
    """The comma-separated fields of ``lines``, row after row, in one list: one join and one
    split, where splitting line by line would build a list per row."""
    if not lines:
        return []
    return "".join(lines).removesuffix("\n").replace("\n", ",").split(",")


def _kept_cells(columns: list[Sequence[str]], chunk: Chunk, kept: list[int]) -> list[list[str]]:
    """The cells of the ``kept`` rows: ``columns`` hold one cell per row the chunk did not
    refuse while reading."""
    read = [p for p in range(len(chunk.lines)) if p not in chunk.refused]
    index = np.searchsorted(read, kept).tolist()
    return [[column[i] for i in index] for column in columns]


def _unquoted_records(
    first: int, block: list[str]
) -> tuple[list[int], np.ndarray, list[list[str]]] | None:
    """Lines without a quote but with carriage returns, from line ``first`` on: one record
    each, parsed in one call of the csv reader (which decides what a carriage return ends);
    None when the reader refuses one of them (the record-by-record path then names its line).
    """
    try:
        rows = list(csv.reader(block, strict=True))
    except csv.Error:
        return None
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


def _csv_lines(columns: list[Sequence[str]], *, numbers: int = 0) -> str:
    """CSV lines of rows given column by column, the last ``numbers`` columns printed numbers
    (which never need quotes). Each line is its cells joined by commas, at C speed; a column
    holding a cell that needs quotes is quoted cell by cell first."""
    if not columns[0]:
        return ""
    texts = len(columns) - numbers
    columns = [*map(_quoted_column, columns[:texts]), *columns[texts:]]
    return "\n".join(map(",".join, zip(*columns, strict=True))) + "\n"


def _quoted_column(cells: Sequence[str]) -> Sequence[str]:
    """``cells`` as CSV writes them: one C-speed scan when none needs quotes (the usual case)."""
    text = "".join(cells)
    if not any(character in text for character in QUOTED_CHARACTERS):
        return cells
    return [_quoted(cell) for cell in cells]


def _quoted(cell: str) -> str:
    """``cell`` in double quotes (its quotes doubled) when it holds a delimiter, a quote or a
    line break, as RFC 4180 has it; the csv writer of Python 3.11 and 3.12 leaves a lone carriage
    return unquoted, which readers then take for a line end."""
    if any(character in cell for character in QUOTED_CHARACTERS):
        return '"' + cell.replace('"', '""') + '"'
    return cell


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
