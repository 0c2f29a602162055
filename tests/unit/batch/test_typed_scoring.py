"""DataFrame pipelines converted by the converter, scored from CSV and JSON Lines files with
string and empty cells: the answers are the fitted pipeline's own, rows it cannot take are
rejected with the column named, and the output carries a regressor's value."""

from __future__ import annotations

import csv
import io
import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from batch_support import body, manifest_of, write_csv
from fixture_models import typed_classifier, typed_regressor

from onnx_serving.batch.handler import handle
from onnx_serving.batch.settings import BatchSettings
from onnx_serving.card import VALUE_TOLERANCE, value_gap
from onnx_serving.model import load_model
from tools.example_rows import example_rows

ROWS = 300


def scored(model, s3, bucket, key, text):
    s3.put_object(Bucket=bucket, Key=key, Body=text.encode())
    context = SimpleNamespace(aws_request_id="req", get_remaining_time_in_millis=lambda: 9e8)
    return handle({"bucket": bucket, "key": key}, context, model, s3, BatchSettings())


def frame_of(rows, names):
    frame = pd.DataFrame(rows, columns=names)
    return frame.replace({None: np.nan}).infer_objects()


def test_a_dataframe_regressor_scores_a_csv_with_string_and_empty_cells_as_the_pipeline_does(
    s3, bucket
):
    fixture = typed_regressor()
    model = load_model(fixture.model_dir)
    names = model.card.feature_names
    rows = example_rows(model.card, ROWS, seed=5)
    assert any(None in row for row in rows)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["trip", *reversed(names)])
    writer.writerows([f"t{i}", *reversed(row)] for i, row in enumerate(rows))
    # Unknown categories are ignored and numbers imputed by this pipeline: only a cell that is
    # no number is refused.
    writer.writerow(["bad", "truck", "hail", "abc", ""])
    summary = scored(model, s3, bucket, "incoming/trips.csv", buffer.getvalue())
    assert (summary["rows"], summary["rejected"], summary["written"]) == (ROWS + 1, 1, ROWS)
    assert manifest_of(s3, summary)["rejected_rows"] == [
        {"line": ROWS + 2, "reason": "row.hour must be a number, got 'abc'"}
    ]
    written = list(csv.reader(io.StringIO(body(s3, summary["output"]).decode())))
    assert written[0] == ["trip", "value"]
    assert [line[0] for line in written[1:]] == [f"t{i}" for i in range(ROWS)]
    expected = fixture.estimator.predict(frame_of(rows, names))
    gaps = [value_gap(float(line[1]), e) for line, e in zip(written[1:], expected, strict=True)]
    assert max(gaps) < VALUE_TOLERANCE


def test_a_dataframe_classifier_scores_json_lines_and_refuses_what_its_encoder_refuses(s3, bucket):
    fixture = typed_classifier()
    model = load_model(fixture.model_dir)
    names = model.card.feature_names
    rows = example_rows(model.card, 50, seed=2)
    lines = [
        json.dumps({"id": i, **dict(zip(names, row, strict=True))}) for i, row in enumerate(rows)
    ]
    lines.append(json.dumps({"id": "x", "distance": 3.0, "hour": 4.0, "vehicle": "bus"}))
    summary = scored(model, s3, bucket, "incoming/trips.jsonl", "\n".join(lines) + "\n")
    assert (summary["rows"], summary["rejected"]) == (51, 1)
    [rejected] = manifest_of(s3, summary)["rejected_rows"]
    assert rejected["line"] == 51
    assert rejected["reason"].startswith("row.vehicle is 'bus', not a category the model knows")
    answers = [json.loads(line) for line in body(s3, summary["output"]).decode().splitlines()]
    frame = frame_of(rows, names)
    probabilities = fixture.estimator.predict_proba(frame)
    classes = [str(c) for c in fixture.estimator.classes_]
    assert [a["id"] for a in answers] == list(range(50))
    assert [a["label"] for a in answers] == [str(c) for c in fixture.estimator.predict(frame)]
    for answer, expected in zip(answers, probabilities, strict=True):
        got = [answer["probabilities"][c] for c in classes]
        assert max(map(abs, np.subtract(got, expected))) < 1e-5 + 5e-7


@pytest.mark.parametrize("fixture", [typed_regressor, typed_classifier], ids=lambda f: f.__name__)
def test_the_demo_sample_file_of_a_typed_model_has_exactly_its_two_bad_rows_rejected(
    fixture, s3, bucket, tmp_path
):
    model = load_model(fixture().model_dir)
    path = tmp_path / "sample.csv"
    write_csv(path, model.card, 20, bad_rows=True)
    summary = scored(model, s3, bucket, "incoming/sample.csv", path.read_text())
    assert (summary["rows"], summary["rejected"]) == (22, 2)
    assert [r["reason"] for r in manifest_of(s3, summary)["rejected_rows"]] == [
        "row.distance must be a finite number, got nan",
        "row.distance must be a number, got 'n/a'",
    ]
