"""Typed columns in batch files: string cells as strings, empty cells and nulls as missing, the
shared refusals (``Column.refusal``) per row with the column named, and a regressor's ``value``."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from fixture_models import synthetic_card, typed_card

from onnx_serving.batch.csv_rows import CsvFile
from onnx_serving.batch.failures import BadFile
from onnx_serving.batch.json_lines import JsonLinesFile
from onnx_serving.batch.records import Answers
from onnx_serving.batch.text_lines import TextLines
from onnx_serving.rows import graph_feed

# distance: number, may be missing; hour: number; weather: dry, rain or snow, others refused;
# note: any string, may be missing.
CARD = typed_card()
HEADER = "weather,distance,note,hour\n"
UNKNOWN = "row.weather is 'hail', not a category the model knows: one of 'dry', 'rain', 'snow'"


def read(fmt):
    [chunk] = fmt.chunks(100, 1 << 20)
    columns, kept, refused = fmt.feature_values(chunk)
    return chunk, columns, kept, {chunk.lines[p]: reason for p, reason in refused.items()}


def csv_file(text: str, card=CARD) -> CsvFile:
    return CsvFile(TextLines(io.BytesIO(text.encode())), card, keep_formulas=False)


def json_lines(lines: list[object]) -> JsonLinesFile:
    text = "".join(json.dumps(line) + "\n" for line in lines)
    return JsonLinesFile(TextLines(io.BytesIO(text.encode())), CARD)


def as_lists(columns):
    return [
        [None if v is None or (isinstance(v, float) and np.isnan(v)) else v for v in c.tolist()]
        for c in columns
    ]


def test_csv_cells_become_typed_columns_with_empty_cells_missing():
    text = "id,hour,note,distance,weather\na,8,,12.5,rain\nb,20,quiet,,dry\n"
    _, columns, kept, refused = read(csv_file(text))
    assert (kept, refused) == ([0, 1], {})
    assert [c.dtype for c in columns] == [np.float64, np.float64, object, object]
    assert as_lists(columns) == [[12.5, None], [8.0, 20.0], ["rain", "dry"], [None, "quiet"]]


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        ("hail,2,,4", UNKNOWN),
        (",2,,4", "row.weather is missing; the model needs a string for it"),
        ("dry,2,,", "row.hour is missing; the model needs a number for it"),
        ("dry,two,,4", "row.distance must be a number, got 'two'"),
        ("dry,2,,nan", "row.hour must be a finite number, got nan"),
        ("dry,2,,1e400", "row.hour must be a finite number, got inf"),
        ("dry,2," + "x" * 257 + ",4", "row.note is longer than 256 characters"),
        ("dry,2", "row has 2 fields; the header has 4"),
    ],
)
def test_a_bad_csv_cell_refuses_its_row_naming_the_column(cells, reason):
    text = f"{HEADER}rain,1,,3\n{cells}\nsnow,,,5\n"
    _, columns, kept, refused = read(csv_file(text))
    assert (kept, refused) == ([0, 2], {3: reason})
    assert as_lists(columns)[2] == ["rain", "snow"]


def test_a_row_is_refused_for_its_first_bad_column_in_card_order():
    _, _, kept, refused = read(csv_file(f"{HEADER}hail,x,,\n"))
    assert (kept, refused) == ([], {2: "row.distance must be a number, got 'x'"})


def test_json_lines_values_follow_the_contract_positional_or_named():
    lines = [
        [12.5, 8, "rain", None],
        {"id": 7, "distance": None, "hour": 20, "weather": "dry", "note": ""},
        [12.5, True, "rain", None],
        {"distance": 1, "hour": 2, "weather": 5, "note": None},
        {"distance": "2", "hour": 2, "weather": "dry", "note": None},
        {"distance": 2, "weather": "dry", "note": None},
        [1, 2, "snow", 3],
        [1, 2, None, None],
        [1, 2, "hail", None],
    ]
    _, columns, kept, refused = read(json_lines(lines))
    assert kept == [0, 1]
    assert as_lists(columns) == [[12.5, None], [8.0, 20.0], ["rain", "dry"], [None, None]]
    assert refused == {
        3: "row.hour must be a number, got a boolean",
        4: "row.weather must be a string, got a number",
        5: "row.distance must be a number, got a string",
        6: "row lacks the columns ['hour']; the model takes ['distance', 'hour', 'weather', "
        "'note']",
        7: "row.note must be a string, got a number",
        8: "row.weather is missing; the model needs a string for it",
        9: UNKNOWN,
    }


def test_typed_columns_feed_the_graph_through_graph_feed():
    _, columns, _, _ = read(csv_file(f"{HEADER}rain,,,8\n"))
    feed = graph_feed(CARD, columns)
    assert list(feed) == ["distance", "hour", "weather", "note"]
    assert feed["weather"].tolist() == [["rain"]] and feed["note"].tolist() == [[""]]
    assert feed["hour"].dtype == np.float64 and np.isnan(feed["distance"][0, 0])


def test_numbers_beyond_float32_are_refused_only_where_the_graph_takes_float32():
    assert CARD.number_type == "float64"
    assert read(csv_file(f"{HEADER}rain,1,,3.5e38\n"))[3] == {}
    card = synthetic_card(["a", "b"], ["x", "y"])
    assert read(csv_file("a,b\n1,3.5e38\n", card))[3] == {
        2: "row.b is too large for float32 (|x| > 3.4e38)"
    }


def test_regressor_output_is_the_value_column_and_field():
    fmt = csv_file("id,weather,distance,note,hour\n=a,rain,1,,3\nb,dry,2,,4\n")
    chunk, _, kept, _ = read(fmt)
    assert fmt.header() == "id,value\n"
    assert fmt.render(chunk, kept, Answers(None, None, [31.5, 0.1])) == "'=a,31.5\nb,0.1\n"
    lines = json_lines([{"id": 1, "distance": 1, "hour": 2, "weather": "dry", "note": None}])
    chunk, _, kept, _ = read(lines)
    assert lines.render(chunk, kept, Answers(None, None, [0.1])) == '{"id":1,"value":0.1}\n'


def test_a_csv_column_named_value_would_be_overwritten_for_a_regressor():
    with pytest.raises(BadFile, match=r"^the columns \['value'\] would be overwritten"):
        csv_file("value," + HEADER)
