"""The CSV and JSON Lines readers on bounded lines: record sizes and bounds, chunks cut by rows
and characters, and formula-looking CSV cells written so that no spreadsheet runs them."""

from __future__ import annotations

import io
import json

import pytest

from onnx_serving.batch.csv_rows import CsvFile, CsvRows, neutralised
from onnx_serving.batch.failures import BadFile
from onnx_serving.batch.json_lines import JsonLinesFile
from onnx_serving.batch.records import CELL_CHARS, Record, chunks
from onnx_serving.batch.text_lines import MAX_RECORD_LINES, TextLines


def csv_file(text: str, card, keep_formulas: bool = False) -> CsvFile:
    return CsvFile(TextLines(io.BytesIO(text.encode())), card, keep_formulas=keep_formulas)


def header(card, *extra: str) -> str:
    return ",".join([*extra, *card.feature_names]) + "\n"


def data(card, *extra: str) -> str:
    return ",".join([*extra, *(["1.5"] * card.n_features)]) + "\n"


def test_csv_records_are_sized_by_their_lines_and_cells_quoted_line_breaks_included(card):
    text = header(card, "id") + data(card, '"a\nb"') + "\n" + data(card, "c")
    records = list(csv_file(text, card).records())
    cells = CELL_CHARS * (1 + card.n_features)
    assert [(r.line, r.size, r.passthrough) for r in records] == [
        (2, len(data(card, '"a\nb"')) + cells, ["a\nb"]),
        (5, len(data(card, "c")) + cells, ["c"]),
    ]


def test_a_quoted_record_may_span_the_line_bound_and_one_more_line_refuses_the_file(card):
    def quoted_over(lines: int) -> str:
        return header(card, "id") + data(card, '"' + "\n" * (lines - 1) + '"') + data(card, "z")

    records = list(csv_file(quoted_over(MAX_RECORD_LINES), card).records())
    assert [(r.line, r.passthrough) for r in records] == [
        (2, ["\n" * (MAX_RECORD_LINES - 1)]),
        (2 + MAX_RECORD_LINES, ["z"]),
    ]
    with pytest.raises(
        BadFile,
        match=(
            rf"^the record starting on line 2 spans more than {MAX_RECORD_LINES} lines "
            r"\(is a quote left open\?\)$"
        ),
    ):
        list(csv_file(quoted_over(MAX_RECORD_LINES + 1), card).records())


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
    lines = TextLines(io.BytesIO(text.encode()))
    records = list(JsonLinesFile(lines, card).records())
    assert [(r.line, r.size) for r in records] == [
        (1, len(row) + CELL_CHARS * (card.n_features - 1)),
        (4, len(named) + CELL_CHARS * (card.n_features + 1)),
    ]


def test_step_functions_rows_are_sized_as_their_unquoted_line(card):
    columns = ["id", *card.feature_names]
    rows = [(0, ["ab", *(["1.5"] * card.n_features)])]
    [record] = CsvRows(columns, rows, card, keep_formulas=False).records()
    cells = CELL_CHARS * (1 + card.n_features)
    assert (record.line, record.size) == (2, len(data(card, "ab")) + cells)


def sized(*chars: int) -> list[Record]:
    return [Record(line, size, [1.0], None) for line, size in enumerate(chars, start=1)]


def test_chunks_are_cut_by_rows():
    records = sized(1, 1, 1, 1, 1)
    assert [[r.line for r in c] for c in chunks(records, 2, 100)] == [[1, 2], [3, 4], [5]]


def test_chunks_are_cut_by_the_record_that_reaches_the_characters_bound():
    records = sized(3, 3, 4, 9, 1, 1)
    assert [[r.line for r in c] for c in chunks(records, 100, 10)] == [[1, 2, 3], [4, 5], [6]]


def test_a_record_over_the_characters_bound_is_a_chunk_of_its_own():
    records = sized(1, 25, 2)
    assert [[r.line for r in c] for c in chunks(records, 100, 10)] == [[1, 2], [3]]
    assert list(chunks([], 100, 10)) == []


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
    records = list(csv.records())
    classes = list(card.classes)
    assert (
        csv.header()
        == ",".join(["'=cmd", "note", "label", *(f"probability_{c}" for c in classes)]) + "\n"
    )
    probabilities = [[0.5] + [0.0] * (len(classes) - 1)]
    assert (
        csv.render(records, [classes[0]], probabilities)
        == ",".join(["'=1+2", "-1.5", classes[0], "0.5", *(["0.0"] * (len(classes) - 1))]) + "\n"
    )


def test_keep_formulas_writes_cells_as_they_came(card):
    text = header(card, "=cmd") + data(card, "@x")
    csv = csv_file(text, card, keep_formulas=True)
    [record] = csv.records()
    assert csv.header().split(",")[0] == "=cmd"
    assert csv.render([record], ["l"], [[1.0]]).split(",")[:2] == ["@x", "l"]
