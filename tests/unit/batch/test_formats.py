"""The CSV and JSON Lines readers on bounded lines: record lines and bounds, chunks cut by rows
and characters, and formula-looking CSV cells written so that no spreadsheet runs them."""

from __future__ import annotations

import csv as stdlib_csv
import io
import json

import numpy as np
import pytest

from onnx_serving.batch.csv_rows import CsvFile, CsvRows, neutralised
from onnx_serving.batch.failures import BadFile
from onnx_serving.batch.json_lines import JsonLinesFile
from onnx_serving.batch.records import CELL_CHARS, Answers, cut
from onnx_serving.batch.text_lines import MAX_RECORD_LINES, TextLines


def csv_file(text: str, card, keep_formulas: bool = False) -> CsvFile:
    return CsvFile(TextLines(io.BytesIO(text.encode())), card, keep_formulas=keep_formulas)


def header(card, *extra: str) -> str:
    return ",".join([*extra, *card.feature_names]) + "\n"


def data(card, *extra: str) -> str:
    return ",".join([*extra, *(["1.5"] * card.n_features)]) + "\n"


def rows_of(fmt, max_rows: int = 8192, max_chars: int = 1 << 20):
    """``(line, row)`` of every row the reader yields, and the chunks' lengths."""
    chunked = list(fmt.chunks(max_rows, max_chars))
    rows = [
        (line, row) for c in chunked for line, row in zip(c.lines, chunk_rows(fmt, c), strict=True)
    ]
    return rows, [len(c.lines) for c in chunked]


def chunk_rows(fmt, chunk) -> list:
    """A chunk's rows: JSON values as they are, CSV cells gathered row by row from their columns
    (None for a row refused while reading)."""
    if isinstance(fmt, JsonLinesFile):
        return list(chunk.values)
    width = len(fmt.columns)
    read = iter(range(0, len(chunk.values), width))
    return [
        None if p in chunk.refused else chunk.values[(at := next(read)) : at + width]
        for p in range(len(chunk.lines))
    ]


def test_csv_records_keep_their_first_line_quoted_line_breaks_included(card):
    text = header(card, "id") + data(card, '"a\nb"') + "\n" + data(card, "c")
    rows, _ = rows_of(csv_file(text, card))
    assert [(line, row[0]) for line, row in rows] == [(2, "a\nb"), (5, "c")]


def test_csv_chunks_are_cut_by_characters_as_lines_and_cells(card):
    line = data(card, "c")
    size = len(line) + CELL_CHARS * (1 + card.n_features)
    text = header(card, "id") + line * 5
    _, lengths = rows_of(csv_file(text, card), max_chars=2 * size)
    assert lengths == [2, 2, 1]
    _, lengths = rows_of(csv_file(text, card), max_chars=2 * size + 1)
    assert lengths == [3, 2]


def test_plain_chunks_are_filled_across_reads(card):
    """Reads of a few lines each: chunks still hold the rows they may, a blank line skipped."""
    rows = [data(card, f"r{i}") for i in range(95)]
    text = header(card, "id") + "".join(rows[:50]) + "\n" + "".join(rows[50:])
    lines = TextLines(io.BytesIO(text.encode()), read_bytes=len(rows[0]) * 3)
    chunked = list(CsvFile(lines, card, keep_formulas=False).chunks(10, 1 << 20))
    assert [len(c.lines) for c in chunked] == [10] * 9 + [5]
    assert [n for c in chunked for n in c.lines] == [*range(2, 52), *range(53, 98)]
    width = 1 + card.n_features
    assert [cell for c in chunked for cell in c.values[::width]] == [f"r{i}" for i in range(95)]


def test_plain_and_quoted_reads_give_the_same_rows_and_lines(card):
    plain = header(card, "id") + "".join(data(card, f"r{i}") for i in range(50))
    quoted_row = data(card, '"q,1"')
    text = plain + quoted_row + "".join(data(card, f"s{i}") for i in range(50))
    lines = TextLines(io.BytesIO(text.encode()), read_bytes=200)
    rows, _ = rows_of(CsvFile(lines, card, keep_formulas=False))
    assert [(line, row[0]) for line, row in rows] == [
        *((i + 2, f"r{i}") for i in range(50)),
        (52, "q,1"),
        *((i + 53, f"s{i}") for i in range(50)),
    ]


def test_a_quoted_record_may_span_the_line_bound_and_one_more_line_refuses_the_file(card):
    def quoted_over(lines: int) -> str:
        return header(card, "id") + data(card, '"' + "\n" * (lines - 1) + '"') + data(card, "z")

    rows, _ = rows_of(csv_file(quoted_over(MAX_RECORD_LINES), card))
    assert [(line, row[0]) for line, row in rows] == [
        (2, "\n" * (MAX_RECORD_LINES - 1)),
        (2 + MAX_RECORD_LINES, "z"),
    ]
    with pytest.raises(
        BadFile,
        match=(
            rf"^the record starting on line 2 spans more than {MAX_RECORD_LINES} lines "
            r"\(is a quote left open\?\)$"
        ),
    ):
        rows_of(csv_file(quoted_over(MAX_RECORD_LINES + 1), card))


def test_a_header_spanning_more_than_the_line_bound_refuses_the_file(card):
    text = '"' + "\n" * MAX_RECORD_LINES + '",' + header(card)
    with pytest.raises(
        BadFile,
        match=(
            rf"^the record starting on line 1 spans more than {MAX_RECORD_LINES} lines "
            r"\(is a quote left open\?\)$"
        ),
    ):
        csv_file(text, card)


def test_json_lines_records_are_one_line_each_sized_by_characters_and_commas(card):
    row = "[" + ",".join(["1.5"] * card.n_features) + "]\n"
    named = json.dumps({"note": "a,b", **dict.fromkeys(card.feature_names, 1.5)}) + "\n"
    text = f"{row}\n  \n{named}"

    def reader():
        return JsonLinesFile(TextLines(io.BytesIO(text.encode())), card)

    rows, _ = rows_of(reader())
    assert [line for line, _ in rows] == [1, 4]
    first = len(row) + CELL_CHARS * (card.n_features - 1)
    second = len(named) + CELL_CHARS * (card.n_features + 1)
    assert rows_of(reader(), max_chars=first + second)[1] == [2]
    assert rows_of(reader(), max_chars=first)[1] == [1, 1]


def test_json_lines_output_keeps_pass_through_fields_as_they_came_then_the_answer(card):
    names = card.feature_names
    objects = [
        {"id": "é %s 100%", "meta": {"k": [1, None]}, **dict.fromkeys(names, 1.5)},
        [1.5] * len(names),
        {**dict.fromkeys(names, 1.5)},
    ]
    text = "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objects)
    reader = JsonLinesFile(TextLines(io.BytesIO(text.encode())), card)
    [chunk] = reader.chunks(100, 1 << 20)
    _, kept, refused = reader.feature_values(chunk)
    assert (kept, refused) == ([0, 1, 2], {})
    classes = list(card.classes)
    probabilities = np.zeros((3, len(classes)))
    probabilities[:, -1] = 1.0
    written = reader.render(chunk, kept, Answers([classes[-1]] * 3, probabilities, None))
    answer = {"label": classes[-1], "probabilities": dict.fromkeys(classes, 0.0)}
    answer["probabilities"][classes[-1]] = 1.0
    assert [json.loads(line) for line in written.splitlines()] == [
        {"id": "é %s 100%", "meta": {"k": [1, None]}, **answer},
        answer,
        answer,
    ]
    assert written.splitlines()[0].startswith('{"id":"é %s 100%","meta":{"k":[1,null]},"label":')


def test_step_functions_rows_are_sized_as_their_unquoted_line(card):
    columns = ["id", *card.feature_names]
    rows = [(0, ["ab", *(["1.5"] * card.n_features)])] * 2
    size = len(data(card, "ab")) + CELL_CHARS * (1 + card.n_features)
    fmt = CsvRows(columns, rows, card, keep_formulas=False)
    assert rows_of(fmt, max_chars=2 * size)[1] == [2]
    assert rows_of(fmt, max_chars=size)[1] == [1, 1]
    assert [line for line, _ in rows_of(fmt)[0]] == [2, 2]


def test_chunks_are_cut_by_rows():
    assert list(cut([1, 1, 1, 1, 1], 2, 100)) == [(0, 2), (2, 4), (4, 5)]


def test_chunks_are_cut_by_the_record_that_reaches_the_characters_bound():
    assert list(cut([3, 3, 4, 9, 1, 1], 100, 10)) == [(0, 3), (3, 5), (5, 6)]


def test_a_record_over_the_characters_bound_is_a_chunk_of_its_own():
    assert list(cut([1, 25, 2], 100, 10)) == [(0, 2), (2, 3)]
    assert list(cut([], 100, 10)) == []


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("http://x.example","click")', '\'=HYPERLINK("http://x.example","click")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\rx", "'\rx"),
        ("-", "'-"),
        ("-inf", "'-inf"),
        ("-1.5", "-1.5"),
        ("+3e2", "+3e2"),
        ("-.5E-3", "-.5E-3"),
        ("1-2", "1-2"),
        ("a=b", "a=b"),
        ("'=x", "'=x"),
        ("", ""),
    ],
)
def test_formula_looking_cells_are_neutralised_and_numbers_kept(cell, written):
    assert neutralised(cell) == written


def test_csv_output_neutralises_pass_through_cells_and_header_names(card):
    text = header(card, "=cmd", "note") + data(card, "=1+2", "-1.5")
    csv = csv_file(text, card)
    [chunk] = csv.chunks(10, 1000)
    classes = list(card.classes)
    assert (
        csv.header()
        == ",".join(["'=cmd", "note", "label", *(f"probability_{c}" for c in classes)]) + "\n"
    )
    probabilities = np.array([[0.5] + [0.0] * (len(classes) - 1)])
    assert (
        csv.render(chunk, [0], Answers([classes[0]], probabilities, None))
        == ",".join(["'=1+2", "-1.5", classes[0], "0.5", *(["0.0"] * (len(classes) - 1))]) + "\n"
    )


def test_csv_output_quotes_the_cells_holding_a_delimiter_a_quote_or_a_line_break(card):
    """Pass-through cells come back from a CSV reader as they were read: a carriage return is
    quoted too, which Python 3.11's csv writer does not do."""
    cells = ["plain", "a,b", 'say "hi"', "two\nlines", "cr\rhere", ""]
    quoted = "".join(
        '"' + cell.replace('"', '""') + '",' + data(card) if cell else "," + data(card)
        for cell in cells
    )
    text = header(card, "note") + quoted
    reader = csv_file(text, card)
    [chunk] = reader.chunks(100, 1 << 20)
    classes = list(card.classes)
    probabilities = np.zeros((len(cells), len(classes)))
    probabilities[:, 0] = 1.0
    written = reader.render(
        chunk, list(range(len(cells))), Answers([classes[0]] * 6, probabilities, None)
    )
    rest = ",".join([classes[0], "1.0", *(["0.0"] * (len(classes) - 1))])
    assert written == "".join(
        f"{cell},{rest}\n"
        for cell in ["plain", '"a,b"', '"say ""hi"""', '"two\nlines"', '"cr\rhere"', ""]
    )
    assert [row[0] for row in stdlib_csv.reader(io.StringIO(written))] == cells


def test_csv_output_of_rows_kept_after_refusals_pairs_each_answer_with_its_row(card):
    text = header(card, "id") + "".join(data(card, f"r{i}") for i in range(5))
    reader = csv_file(text.replace("r2,1.5", "r2,abc"), card)
    [chunk] = reader.chunks(100, 1 << 20)
    _, kept, refused = reader.feature_values(chunk)
    assert kept == [0, 1, 3, 4]
    assert list(refused) == [2]
    classes = list(card.classes)
    probabilities = np.eye(len(classes))[[0, 1, 0, 1]]
    labels = [classes[0], classes[1], classes[0], classes[1]]
    written = reader.render(chunk, kept, Answers(labels, probabilities, None))
    assert [line.split(",")[:2] for line in written.splitlines()] == [
        ["r0", classes[0]],
        ["r1", classes[1]],
        ["r3", classes[0]],
        ["r4", classes[1]],
    ]


def test_keep_formulas_writes_cells_as_they_came(card):
    text = header(card, "=cmd") + data(card, "@x")
    csv = csv_file(text, card, keep_formulas=True)
    [chunk] = csv.chunks(10, 1000)
    assert csv.header().split(",")[0] == "=cmd"
    assert csv.render(chunk, [0], Answers(["l"], np.array([[1.0]]), None)).split(",")[:2] == [
        "@x",
        "l",
    ]
