"""Whole files scored in this process against a local S3 server: formats, rejected rows, bad
files, idempotent re-delivery, and answers identical to the online handler's."""

from __future__ import annotations

import csv
import gzip
import importlib.util
import io
import itertools
import json
import math
from pathlib import Path
from types import SimpleNamespace

import pytest
from batch_support import (
    body,
    csv_text,
    example_rows,
    keys,
    manifest_of,
)

from onnx_serving.batch.csv_rows import CsvFile
from onnx_serving.batch.handler import handle
from onnx_serving.batch.records import CELL_CHARS
from onnx_serving.batch.scoring import FINISH_RESERVE_S
from onnx_serving.batch.settings import BatchSettings
from onnx_serving.batch.text_lines import TextLines

KEY = "incoming/day 1.csv"
EVENTS = Path(__file__).resolve().parents[3] / "events" / "batch"


@pytest.fixture
def score(app, s3):
    """Run one event through the batch handler with the served model; ``remaining_s`` (seconds,
    or a callable giving them) is the time left, as the Lambda context would say."""

    def run(event, settings=None, remaining_s=math.inf):
        clock = remaining_s if callable(remaining_s) else lambda: remaining_s
        context = SimpleNamespace(
            aws_request_id="req-batch", get_remaining_time_in_millis=lambda: clock() * 1000
        )
        return handle(event, context, app.MODEL, s3, settings or BatchSettings())

    return run


def online(app, context, rows):
    """The online handler's predictions for ``rows``."""
    return app.handler({"instances": rows}, context)["predictions"]


def output_folder(card, etag):
    return f"scored/{KEY}/{etag}-{card.sha256[:16]}/"


def put(s3, bucket, key, data):
    s3.put_object(Bucket=bucket, Key=key, Body=data if isinstance(data, bytes) else data.encode())
    return s3.head_object(Bucket=bucket, Key=key)["ETag"].strip('"')


def read_csv(s3, uri):
    return list(csv.reader(io.StringIO(body(s3, uri).decode())))


def test_csv_predictions_are_the_online_answers_with_the_extra_columns_passed_through(
    app, context, card, s3, bucket, score
):
    rows = example_rows(card, 40)
    etag = put(s3, bucket, KEY, csv_text(card, rows))
    summary = score({"bucket": bucket, "key": KEY})
    folder = output_folder(card, etag)
    assert summary == {
        "status": "scored",
        "reason": None,
        "input": f"s3://{bucket}/{KEY}",
        "rows": 40,
        "rejected": 0,
        "written": 40,
        "output": f"s3://{bucket}/{folder}predictions.csv",
        "manifest": f"s3://{bucket}/{folder}manifest.json",
        "seconds": summary["seconds"],
    }
    header, *lines = read_csv(s3, summary["output"])
    assert header == ["id", "note", "label", *(f"probability_{c}" for c in card.classes)]
    expected = online(app, context, rows)
    assert [line[:2] for line in lines] == [[f"r{i}", f"note {i}"] for i in range(40)]
    assert [line[2] for line in lines] == [p["label"] for p in expected]
    assert [[float(v) for v in line[3:]] for line in lines] == [
        [p["probabilities"][c] for c in card.classes] for p in expected
    ]
    assert keys(s3, bucket) == sorted([KEY, f"{folder}predictions.csv", f"{folder}manifest.json"])


def test_manifest_says_what_was_read_written_and_with_which_model(card, s3, bucket, score):
    etag = put(s3, bucket, KEY, csv_text(card, example_rows(card, 5)) + "r5,1,2\n")
    summary = score({"bucket": bucket, "key": KEY})
    document = manifest_of(s3, summary)
    assert set(document.pop("timings")) == {"seconds", "rows_per_second"}
    assert document == {
        "manifest_format": 1,
        "status": "scored",
        "reason": None,
        "input": {
            "uri": f"s3://{bucket}/{KEY}",
            "etag": etag,
            "bytes": s3.head_object(Bucket=bucket, Key=KEY)["ContentLength"],
            "format": "csv",
        },
        "output": {"uri": summary["output"], "format": "csv"},
        "rows": {"read": 6, "written": 5, "rejected": 1},
        "rejected_rows": [
            {"line": 7, "reason": f"row has 3 fields; the header has {card.n_features + 2}"}
        ],
        "model": {"name": card.name, "version": card.version, "sha256": card.sha256},
    }


def test_each_scored_row_keeps_its_own_cells_around_refused_rows_and_blank_lines(
    app, context, card, s3, bucket, score
):
    """A file without quotes is split column-wise: rows refused for their field count or a bad
    cell, and blank lines, must not shift any other row's cells."""
    rows = example_rows(card, 6)
    good = [",".join([f"r{i}", *map(str, row)]) for i, row in enumerate(rows)]
    bad_cell = ",".join(["r-bad", "abc", *map(str, rows[0][1:])])
    lines = [good[0], "short,1", good[1], "", good[2], bad_cell, good[3], good[4], "", good[5]]
    text = ",".join(["id", *card.feature_names]) + "\n" + "\n".join(lines)
    put(s3, bucket, KEY, text)
    summary = score({"bucket": bucket, "key": KEY})
    document = manifest_of(s3, summary)
    assert document["rows"] == {"read": 8, "written": 6, "rejected": 2}
    first = card.feature_names[0]
    assert document["rejected_rows"] == [
        {"line": 3, "reason": f"row has 2 fields; the header has {card.n_features + 1}"},
        {"line": 7, "reason": f"row.{first} must be a number, got 'abc'"},
    ]
    written = read_csv(s3, summary["output"])[1:]
    expected = online(app, context, rows)
    assert [line[0] for line in written] == [f"r{i}" for i in range(6)]
    assert [line[1] for line in written] == [p["label"] for p in expected]
    assert [[float(v) for v in line[2:]] for line in written] == [
        [p["probabilities"][c] for c in card.classes] for p in expected
    ]


def bad_cell_cases(card):
    first = card.feature_names[0]
    where = f"row.{first}"
    return {
        "nan": ("nan", f"{where} must be a finite number, got nan"),
        "infinity": ("-inf", f"{where} must be a finite number, got -inf"),
        "overflow-to-infinity": ("1e400", f"{where} must be a finite number, got inf"),
        "beyond-float32": ("3.5e38", f"{where} is too large for float32 (|x| > 3.4e38)"),
        "text": ("abc", f"{where} must be a number, got 'abc'"),
        "empty": ("", f"{where} is missing; the model needs a number for it"),
        "blank": ("  ", f"{where} is missing; the model needs a number for it"),
        "comma-decimal": ("5,1", f"{where} must be a number, got '5,1'"),
    }


CELLS = [
    "nan",
    "infinity",
    "overflow-to-infinity",
    "beyond-float32",
    "text",
    "empty",
    "blank",
    "comma-decimal",
]


@pytest.mark.parametrize("case", CELLS)
def test_a_bad_csv_cell_rejects_its_row_with_the_online_reason(case, card, s3, bucket, score):
    cell, reason = bad_cell_cases(card)[case]
    rows = example_rows(card, 3)
    text = csv_text(card, rows, columns=["id", *card.feature_names, "note"])
    lines = text.splitlines()
    good = lines[2].split(",")
    lines.insert(2, ",".join(["bad", f'"{cell}"', *good[2:]]))
    put(s3, bucket, KEY, "\n".join(lines) + "\n")
    summary = score({"bucket": bucket, "key": KEY})
    assert (summary["status"], summary["rows"], summary["rejected"]) == ("scored", 4, 1)
    assert manifest_of(s3, summary)["rejected_rows"] == [{"line": 3, "reason": reason}]
    assert [line[0] for line in read_csv(s3, summary["output"])[1:]] == ["r0", "r1", "r2"]


def test_csv_text_maps_to_numbers_as_python_float_reads_it(app, context, card, s3, bucket, score):
    names = card.feature_names
    variants = [" 5.5 ", "5.5e0", "55E-1", "+5.5", "5_5e-1"]
    lines = [",".join(["id", *names])]
    lines += [",".join([f"v{i}", *([v] * len(names))]) for i, v in enumerate(variants)]
    put(s3, bucket, KEY, "\n".join(lines) + "\n")
    summary = score({"bucket": bucket, "key": KEY})
    assert summary["written"] == len(variants)
    [expected] = online(app, context, [[5.5] * len(names)])
    for line in read_csv(s3, summary["output"])[1:]:
        assert line[1] == expected["label"]


def test_quoted_fields_crlf_bom_and_blank_lines_are_read_and_lines_counted_where_rows_start(
    card, s3, bucket, score
):
    names = card.feature_names
    values = ",".join(["1.0"] * len(names))
    text = (
        "\ufeffid,"
        + ",".join(names)
        + "\r\n"
        + f'"multi\r\nline id",{values}\r\n'
        + "\r\n"
        + f"plain,{values}\r\n"
        + f"broken,{values},extra\r\n"
    )
    put(s3, bucket, KEY, text)
    summary = score({"bucket": bucket, "key": KEY})
    document = manifest_of(s3, summary)
    assert document["rows"] == {"read": 3, "written": 2, "rejected": 1}
    assert document["rejected_rows"] == [
        {"line": 6, "reason": f"row has {len(names) + 2} fields; the header has {len(names) + 1}"}
    ]
    assert [line[0] for line in read_csv(s3, summary["output"])[1:]] == [
        "multi\r\nline id",
        "plain",
    ]


def test_json_lines_objects_keep_their_extra_fields_and_arrays_are_in_card_order(
    app, context, card, s3, bucket, score
):
    rows = example_rows(card, 4)
    lines = [
        json.dumps(
            {"id": 0, "meta": {"k": [1, 2]}, **dict(zip(card.feature_names, rows[0], strict=True))}
        ),
        json.dumps(rows[1]),
        "",
        json.dumps(
            {**dict(reversed(list(zip(card.feature_names, rows[2], strict=True)))), "id": "x"}
        ),
        json.dumps(rows[3]),
    ]
    put(s3, bucket, "incoming/rows.jsonl", "\n".join(lines))
    summary = score({"bucket": bucket, "key": "incoming/rows.jsonl"})
    assert summary["output"].endswith("/predictions.jsonl")
    answers = [json.loads(line) for line in body(s3, summary["output"]).decode().splitlines()]
    expected = online(app, context, rows)
    assert answers == [
        {
            "id": 0,
            "meta": {"k": [1, 2]},
            "label": expected[0]["label"],
            "probabilities": expected[0]["probabilities"],
        },
        {"label": expected[1]["label"], "probabilities": expected[1]["probabilities"]},
        {"id": "x", "label": expected[2]["label"], "probabilities": expected[2]["probabilities"]},
        {"label": expected[3]["label"], "probabilities": expected[3]["probabilities"]},
    ]


def test_a_bad_json_line_rejects_its_row_with_the_online_reason(card, s3, bucket, score):
    names = card.feature_names
    good = json.dumps(example_rows(card, 1)[0])
    named = dict(zip(names, example_rows(card, 1)[0], strict=True))
    lines = [
        good,
        json.dumps({**named, names[0]: True}),
        json.dumps({**named, names[0]: "1.5"}),
        json.dumps(example_rows(card, 1)[0][:-1]),
        json.dumps({k: v for k, v in named.items() if k != names[-1]}),
        '{"x": 1, "x": 2}',
        "[NaN" + ", 1.0" * (len(names) - 1) + "]",
        '"just text"',
        json.dumps({**named, "label": "mine"}),
        "{not json",
    ]
    put(s3, bucket, "incoming/rows.jsonl", "\n".join(lines) + "\n")
    summary = score({"bucket": bucket, "key": "incoming/rows.jsonl"})
    document = manifest_of(s3, summary)
    assert document["rows"] == {"read": 10, "written": 1, "rejected": 9}
    reasons = [r["reason"] for r in document["rejected_rows"]]
    assert [r["line"] for r in document["rejected_rows"]] == list(range(2, 11))
    assert reasons[:5] == [
        f"row.{names[0]} must be a number, got a boolean",
        f"row.{names[0]} must be a number, got a string",
        f"row has {len(names) - 1} values; the model takes {len(names)}: {', '.join(names)}",
        f"row lacks the columns {[names[-1]]}; the model takes {list(names)}",
        "the key 'x' appears more than once",
    ]
    assert reasons[5] == "NaN is not valid JSON; send finite numbers"
    assert reasons[6] == (
        f"row must be a list of {len(names)} values or an object keyed by column name"
    )
    assert reasons[7] == (
        "row has the fields ['label'], which the prediction would overwrite; rename them"
    )
    assert reasons[8].startswith("the body is not valid JSON: ")


def bad_files(card):
    names = card.feature_names
    data_line = ",".join(["1.5"] * len(names))
    header = ",".join(["id", *names])
    return {
        "empty": ("x.csv", b"", "the file is empty; a CSV needs a header line naming the features"),
        "no-header": (
            "x.csv",
            f"{data_line}\n{data_line}\n".encode(),
            "the file has no header: its first line is data; add a first line naming the "
            f"columns, the model's features being {list(names)}",
        ),
        "missing-feature": (
            "x.csv",
            f"id,{','.join(names[:-1])}\n".encode(),
            f"the header lacks the feature columns {[names[-1]]}; the model takes {list(names)} "
            f"(found {['id', *names[:-1]]})",
        ),
        "repeated-column": (
            "x.csv",
            f"id,{','.join(names)},id\n".encode(),
            "the header repeats the columns ['id']",
        ),
        "output-clash": (
            "x.csv",
            f"label,{','.join(names)}\n".encode(),
            "the columns ['label'] would be overwritten by the predictions; rename them",
        ),
        "gzip": (
            "x.csv",
            gzip.compress(f"{header}\n".encode()),
            "the file is gzip-compressed, not text; upload it uncompressed as CSV or JSON",
        ),
        "not-utf8": (
            "x.csv",
            f"{header}\nr0,{data_line}\n".encode() + b"r1,\xff\xfe\n",
            "the file is not UTF-8 text "
            f"(invalid byte at offset {len(header) + len(data_line) + 8})",
        ),
        "csv-named-jsonl": (
            "x.jsonl",
            f"{header}\n".encode(),
            "the file is not JSON Lines: line 1: the body is not valid JSON: Expecting value: "
            "line 1 column 1 (char 0)",
        ),
        "unsupported-extension": (
            "x.parquet",
            b"PAR1",
            "'incoming/x.parquet' has no supported extension: name it .csv, .jsonl or .ndjson",
        ),
    }


FILES = [
    "empty",
    "no-header",
    "missing-feature",
    "repeated-column",
    "output-clash",
    "gzip",
    "not-utf8",
    "csv-named-jsonl",
    "unsupported-extension",
]


@pytest.mark.parametrize("case", FILES)
def test_a_bad_file_gets_a_manifest_saying_why_and_no_output(case, card, s3, bucket, score):
    name, data, reason = bad_files(card)[case]
    key = f"incoming/{name}"
    etag = put(s3, bucket, key, data)
    summary = score({"bucket": bucket, "key": key})
    assert (summary["status"], summary["reason"], summary["output"]) == ("refused", reason, None)
    folder = f"scored/{key}/{etag}-{card.sha256[:16]}/"
    assert keys(s3, bucket, "scored/") == [f"{folder}manifest.json"]
    document = manifest_of(s3, summary)
    assert (document["status"], document["reason"], document["output"]) == ("refused", reason, None)


def test_a_file_over_the_size_limit_is_refused_before_a_row_is_read(card, s3, bucket, score):
    put(s3, bucket, KEY, csv_text(card, example_rows(card, 3)))
    size = s3.head_object(Bucket=bucket, Key=KEY)["ContentLength"]
    settings = BatchSettings(max_input_bytes=size - 1, state_machine_arn="arn:sm")
    summary = score({"bucket": bucket, "key": KEY}, settings)
    assert summary["reason"] == (
        f"the object is {size} bytes, over the limit of {size - 1} (BATCH_MAX_INPUT_BYTES); "
        f'score it on the Distributed Map path: start arn:sm with {{"key": "{KEY}"}}'
    )
    assert manifest_of(s3, summary)["rows"] == {"read": 0, "written": 0, "rejected": 0}


def test_a_file_too_slow_for_the_time_left_is_refused_up_front(card, s3, bucket, score):
    put(s3, bucket, KEY, csv_text(card, example_rows(card, 3)))
    size = s3.head_object(Bucket=bucket, Key=KEY)["ContentLength"]
    rate = size // 20
    settings = BatchSettings(bytes_per_second=rate)
    summary = score({"bucket": bucket, "key": KEY}, settings, remaining_s=FINISH_RESERVE_S + 15)
    assert summary["reason"] == (
        f"the object is {size} bytes: at {rate} bytes/s (BATCH_BYTES_PER_SECOND) it needs "
        f"about {size / rate:.0f} s, more than the 15 s this invocation has; score it on the "
        "Distributed Map "
        "path: start the batch state machine (DeployBatch=true) with "
        f'{{"key": "{KEY}"}}'
    )
    assert keys(s3, bucket, "scored/") == [summary["manifest"].split("/", 3)[3]]


def test_running_out_of_time_mid_file_aborts_the_upload_and_leaves_no_output(
    card, s3, bucket, score
):
    """Enough rows that the output passes one 5 MiB part before the clock runs down."""
    text = csv_text(card, example_rows(card, 130_000))
    put(s3, bucket, KEY, text)
    reader = CsvFile(TextLines(io.BytesIO(text.encode())), card, keep_formulas=False)
    settings = BatchSettings()
    # Chunks of 8,192 rows whatever the reads: the 15th ends at row 122,880.
    *_, last = itertools.islice(reader.chunks(settings.chunk_rows, settings.chunk_chars), 15)
    calls = []

    def clock():
        calls.append(1)
        # One reading up front, then one after each chunk: the 16th sees the time run out.
        return 900.0 if len(calls) <= 15 else FINISH_RESERVE_S - 1

    summary = score({"bucket": bucket, "key": KEY}, remaining_s=clock)
    assert summary["status"] == "refused"
    line = last.lines[-1]
    assert summary["reason"].startswith(f"out of time after line {line} ({line - 1} rows); ")
    assert keys(s3, bucket, "scored/") == [summary["manifest"].split("/", 3)[3]]
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_chunks_are_cut_by_characters_and_the_output_does_not_depend_on_them(
    card, s3, bucket, score
):
    line = ",".join(["r0", *(["1.5"] * card.n_features)]) + "\n"
    text = ",".join(["id", *card.feature_names]) + "\n" + line * 10
    put(s3, bucket, KEY, text)
    calls = []

    def clock():
        calls.append(1)
        return 900.0

    # Three rows reach twice a row's size and one character: chunks of 3, 3, 3 and 1 rows, one
    # clock reading after each, one up front.
    row_size = len(line) + CELL_CHARS * (1 + card.n_features)
    settings = BatchSettings(chunk_chars=2 * row_size + 1)
    cut = score({"bucket": bucket, "key": KEY}, settings, remaining_s=clock)
    assert (cut["written"], len(calls)) == (10, 1 + 4)
    by_characters = body(s3, cut["output"])
    calls.clear()
    whole = score({"bucket": bucket, "key": KEY}, remaining_s=clock)
    assert (whole["written"], len(calls)) == (10, 1 + 1)
    assert body(s3, whole["output"]) == by_characters


def test_formula_looking_csv_cells_are_neutralised_unless_kept(card, s3, bucket, score):
    names = card.feature_names
    text = (
        ",".join(["@who", *names, "note"])
        + "\n"
        + ",".join(['"=HYPERLINK(""http://x.example"")"', *(["1.5"] * len(names)), "-1.5"])
        + "\n"
    )
    put(s3, bucket, KEY, text)
    neutral = read_csv(s3, score({"bucket": bucket, "key": KEY})["output"])
    assert (neutral[0][:2], neutral[1][:2]) == (
        ["'@who", "note"],
        ['\'=HYPERLINK("http://x.example")', "-1.5"],
    )
    kept = score({"bucket": bucket, "key": KEY}, BatchSettings(keep_csv_formulas=True))
    kept_rows = read_csv(s3, kept["output"])
    assert (kept_rows[0][:2], kept_rows[1][:2]) == (
        ["@who", "note"],
        ['=HYPERLINK("http://x.example")', "-1.5"],
    )


def test_json_lines_output_keeps_formula_looking_values_as_they_came(card, s3, bucket, score):
    row = {"id": "=1+2", "@who": "-x", **dict.fromkeys(card.feature_names, 1.5)}
    put(s3, bucket, "incoming/rows.jsonl", json.dumps(row) + "\n")
    summary = score({"bucket": bucket, "key": "incoming/rows.jsonl"})
    [answer] = [json.loads(line) for line in body(s3, summary["output"]).decode().splitlines()]
    assert (answer["id"], answer["@who"]) == ("=1+2", "-x")


def test_re_delivery_writes_the_same_keys_and_bytes(card, s3, bucket, score):
    """Large enough for a multipart upload: the same parts give the same ETag too."""
    put(s3, bucket, KEY, csv_text(card, example_rows(card, 130_000)))
    first = score({"bucket": bucket, "key": KEY})
    first_output = body(s3, first["output"])
    first_manifest = manifest_of(s3, first)
    first_etag = s3.head_object(Bucket=bucket, Key=first["output"].split("/", 3)[3])["ETag"]
    again = score({"bucket": bucket, "key": KEY})
    assert (again["output"], again["manifest"]) == (first["output"], first["manifest"])
    assert body(s3, again["output"]) == first_output
    assert len(first_output) > 5 * 1024 * 1024
    assert first_etag.endswith('-2"')
    assert s3.head_object(Bucket=bucket, Key=again["output"].split("/", 3)[3])["ETag"] == first_etag
    second_manifest = manifest_of(s3, again)
    first_manifest.pop("timings")
    second_manifest.pop("timings")
    assert second_manifest == first_manifest


def test_new_content_under_the_same_key_goes_to_a_new_folder(card, s3, bucket, score):
    put(s3, bucket, KEY, csv_text(card, example_rows(card, 3)))
    first = score({"bucket": bucket, "key": KEY})
    put(s3, bucket, KEY, csv_text(card, example_rows(card, 4)))
    second = score({"bucket": bucket, "key": KEY})
    assert first["output"] != second["output"]
    assert len(keys(s3, bucket, "scored/")) == 4


def test_s3_notification_decodes_the_key_and_answers_per_file(card, s3, bucket, score):
    event = json.loads((EVENTS / "s3-object-created.json").read_text())
    record = event["Records"][0]
    record["s3"]["bucket"]["name"] = bucket
    etag = put(
        s3, bucket, "incoming/iris sample (2024)+q1.csv", csv_text(card, example_rows(card, 2))
    )
    record["s3"]["object"]["eTag"] = etag
    answer = score(event)
    assert list(answer) == ["files"]
    [summary] = answer["files"]
    assert (summary["status"], summary["input"]) == (
        "scored",
        f"s3://{bucket}/incoming/iris sample (2024)+q1.csv",
    )


def test_an_event_etag_that_no_longer_matches_is_refused_without_output(card, s3, bucket, score):
    put(s3, bucket, KEY, csv_text(card, example_rows(card, 2)))
    summary = score({"bucket": bucket, "key": KEY, "etag": '"0123456789abcdef0123456789abcdef"'})
    assert summary["reason"] == (
        f"s3://{bucket}/{KEY} changed since the event was sent (its ETag no longer matches); "
        "the new version is scored by its own event"
    )
    assert (summary["manifest"], keys(s3, bucket, "scored/")) == (None, [])


def test_a_missing_object_is_refused_without_a_manifest(s3, bucket, score):
    summary = score({"bucket": bucket, "key": "incoming/none.csv"})
    assert summary["reason"] == (
        f"s3://{bucket}/incoming/none.csv does not exist or this function may not read it"
    )
    assert (summary["status"], summary["manifest"]) == ("refused", None)


def test_an_object_under_the_output_prefix_is_never_scored(s3, bucket, score):
    key = "scored/incoming/x.csv/e-m/predictions.csv"
    summary = score({"bucket": bucket, "key": key})
    assert summary["reason"] == f"s3://{bucket}/{key} is under the output prefix"
    assert keys(s3, bucket) == []


def test_a_malformed_event_gets_the_error_shape(score):
    assert score({"bucket": "b"}) == {
        "error": {
            "status": 400,
            "type": "InvalidEvent",
            "message": "the event needs 'key', a non-empty string",
        },
        "request_id": "req-batch",
    }


def test_distributed_map_row_batch_writes_one_part_named_by_its_first_row(
    app, context, card, s3, bucket, score
):
    big = "incoming/large.csv"
    rows = example_rows(card, 6)
    etag = put(s3, bucket, big, csv_text(card, rows))
    header = ["id", *reversed(card.feature_names), "note"]
    items = [
        {
            "index": 100 + i,
            "row": dict(zip(header, [f"r{i}", *map(str, reversed(row)), "n"], strict=True)),
        }
        for i, row in enumerate(rows)
    ]
    items[2]["row"][card.feature_names[0]] = "oops"
    summary = score({"BatchInput": {"bucket": bucket, "key": big}, "Items": items})
    part = f"scored/{big}/{etag}-{card.sha256[:16]}/parts/000000000100.csv"
    assert summary["output"] == f"s3://{bucket}/{part}"
    assert (summary["rows"], summary["rejected"], summary["manifest"]) == (6, 1, None)
    assert summary["rejected_rows"] == [
        {"line": 104, "reason": f"row.{card.feature_names[0]} must be a number, got 'oops'"}
    ]
    lines = read_csv(s3, summary["output"])
    expected = online(app, context, [row for i, row in enumerate(rows) if i != 2])
    assert [line[2] for line in lines[1:]] == [p["label"] for p in expected]


def test_the_entry_point_loads_the_model_and_an_s3_client_from_the_environment(
    app, model_dir, local_s3, s3, bucket, card, monkeypatch
):
    """``function/batch_app.py`` as the runtime imports it: settings, model and S3 client come
    from the environment (``AWS_ENDPOINT_URL_S3`` reaches the local server; nothing names it)."""
    for name, value in local_s3.client_environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("BATCH_OUTPUT_PREFIX", "out/")
    monkeypatch.setenv("MODEL_DIR", str(model_dir))
    spec = importlib.util.spec_from_file_location(
        "batch_app", Path(app.__file__).with_name("batch_app.py")
    )
    entry = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(entry)
    put(s3, bucket, KEY, csv_text(card, example_rows(card, 2)))
    summary = entry.handler({"bucket": bucket, "key": KEY}, SimpleNamespace(aws_request_id="r"))
    assert entry.MODEL.card == card
    assert (summary["status"], summary["written"]) == ("scored", 2)
    assert summary["output"].startswith(f"s3://{bucket}/out/{KEY}/")
