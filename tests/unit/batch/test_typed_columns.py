"""Typed columns in batch files: string cells as strings, empty cells and nulls as missing, the
shared refusals (``Column.refusal``) per row with the column named, and a regressor's ``value``."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from fixture_models import synthetic_card, typed_regressor_card

from onnx_serving.batch.csv_rows import CsvFile
from onnx_serving.batch.json_lines import JsonLinesFile
from onnx_serving.batch.records import Answers
from onnx_serving.batch.text_lines import TextLines
from onnx_serving.rows import graph_feed

CARD = typed_regressor_card()
MISSING_NUMBER = "is missing; the model needs a number for it"


def read(fmt):
    [chunk] = fmt.chunks(100, 1 << 20)
    columns, kept, refused = fmt.feature_values(chunk)
    return chunk, columns, kept, {chunk.lines[p]: reason for p, reason in refused.items()}


def csv_file(text: str) -> CsvFile:
    return CsvFile(TextLines(io.BytesIO(text.encode())), CARD, keep_formulas=False)


def json_lines(lines: list[object]) -> JsonLinesFile:
    text = "".join(json.dumps(line) + "\n" for line in lines)
    return JsonLinesFile(TextLines(io.BytesIO(text.encode())), CARD)


def as_lists(columns):
    return [
        [None if v is None or (isinstance(v, float) and np.isnan(v)) else v for v in c.tolist()]
        for c in columns
    ]


def test_csv_cells_become_typed_columns_with_empty_cells_missing():
    text = "id,area,note,rooms,city\na,61.5,,3,lyon\nb,20,quiet,,paris\n"
    _, columns, kept, refused = read(csv_file(text))
    assert (kept, refused) == ([0, 1], {})
    assert [c.dtype for c in columns] == [object, np.float64, object, np.float64]
    assert as_lists(columns) == [
        ["lyon", "paris"],
        [3.0, None],
        [None, "quiet"],
        [61.5, 20.0],
    ]


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        (
            "berlin,2,,40",
            "row.city is 'berlin', not a category the model knows: one of 'lyon', 'nice', 'paris'",
        ),
        (",2,,40", "row.city is missing; the model needs a string for it"),
        ("nice,2,,", f"row.area {MISSING_NUMBER}"),
        ("nice,two,,40", "row.rooms must be a number, got 'two'"),
        ("nice,2,,nan", "row.area must be a finite number, got nan"),
        ("nice,2,,1e400", "row.area must be a finite number, got inf"),
        ("nice,2," + "x" * 257 + ",40", "row.note is longer than 256 characters"),
        ("nice,2", "row has 2 fields; the header has 4"),
    ],
)
def test_a_bad_csv_cell_refuses_its_row_naming_the_column(cells, reason):
    text = f"city,rooms,note,area\nlyon,1,,30\n{cells}\nparis,,,50\n"
    _, columns, kept, refused = read(csv_file(text))
    assert (kept, refused) == ([0, 2], {3: reason})
    assert as_lists(columns)[0] == ["lyon", "paris"]


def test_a_row_is_refused_for_its_first_bad_column_in_card_order():
    _, _, kept, refused = read(csv_file("area,city,rooms,note\n,rome,x,\n"))
    assert (kept, refused) == (
        [],
        {2: "row.city is 'rome', not a category the model knows: one of 'lyon', 'nice', 'paris'"},
    )


def test_json_lines_values_follow_the_contract_positional_or_named():
    lines = [
        ["lyon", 3, None, 61.5],
        {"id": 7, "city": "nice", "rooms": None, "note": "", "area": 40},
        ["lyon", 3, None, True],
        {"city": 5, "rooms": 1, "note": None, "area": 40},
        {"city": "nice", "rooms": "2", "note": None, "area": 40},
        {"city": "nice", "rooms": 2, "note": None},
        ["paris", 1, 2, 30],
        [None, 1, None, 30],
    ]
    _, columns, kept, refused = read(json_lines(lines))
    assert kept == [0, 1]
    assert as_lists(columns) == [["lyon", "nice"], [3.0, None], [None, None], [61.5, 40.0]]
    assert refused == {
        3: "row.area must be a number, got a boolean",
        4: "row.city must be a string, got a number",
        5: "row.rooms must be a number, got a string",
        6: "row lacks the columns ['area']; the model takes ['city', 'rooms', 'note', 'area']",
        7: "row.note must be a string, got a number",
        8: "row.city is missing; the model needs a string for it",
    }


def test_typed_columns_feed_the_graph_through_graph_feed():
    _, columns, _, _ = read(csv_file("city,rooms,note,area\nlyon,,,61.5\n"))
    feed = graph_feed(CARD, columns)
    assert list(feed) == ["city", "rooms", "note", "area"]
    assert feed["city"].tolist() == [["lyon"]] and feed["note"].tolist() == [[""]]
    assert feed["area"].dtype == np.float64 and np.isnan(feed["rooms"][0, 0])


def test_numbers_beyond_float32_are_refused_only_where_the_graph_takes_float32():
    assert CARD.number_type == "float64"
    assert read(csv_file("city,rooms,note,area\nlyon,1,,3.5e38\n"))[3] == {}
    card = synthetic_card(["a", "b"], ["x", "y"])
    fmt = CsvFile(TextLines(io.BytesIO(b"a,b\n1,3.5e38\n")), card, keep_formulas=False)
    assert read(fmt)[3] == {2: "row.b is too large for float32 (|x| > 3.4e38)"}


def test_regressor_output_is_the_value_column_and_field():
    text = "id,city,rooms,note,area\n=a,lyon,1,,30\nb,nice,2,,40\n"
    fmt = csv_file(text)
    chunk, _, kept, _ = read(fmt)
    answers = Answers(None, None, ["231000.5", "0.1"])
    assert fmt.header() == "id,value\n"
    assert fmt.render(chunk, kept, answers) == "'=a,231000.5\nb,0.1\n"
    lines = json_lines([{"id": 1, "city": "lyon", "rooms": 1, "note": None, "area": 30}])
    chunk, _, kept, _ = read(lines)
    assert lines.render(chunk, kept, Answers(None, None, ["0.1"])) == '{"id":1,"value":0.1}\n'


def test_a_csv_column_named_value_would_be_overwritten_for_a_regressor():
    with pytest.raises(Exception, match=r"^the columns \['value'\] would be overwritten"):
        csv_file("value,city,rooms,note,area\n")
