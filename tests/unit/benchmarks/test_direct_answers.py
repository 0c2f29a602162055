"""The direct-answer measurement's set-up and arithmetic: what each case runs on, and the
summary's medians, spreads and ratios; exact answers on made-up samples, nothing timed."""

from __future__ import annotations

import json

from tools.benchmarks.direct_answers import (
    FUNCTION_FILES,
    cases,
    summary,
)
from tools.benchmarks.local import BATCH_ROWS


def test_every_case_runs_the_same_rows_and_only_columns_asks_for_the_layout(tmp_path, function_dir):
    found = cases(tmp_path / "work", function_dir, function_dir)
    assert [(c.name, c.handler) for c in found] == [
        ("empty", "empty_handler.handler"),
        ("predict", "predict_only.handler"),
        ("rows", "app.handler"),
        ("columns", "app.handler"),
        ("before", "app.handler"),
    ]
    bodies = {c.name: json.loads(c.event) for c in found}
    rows = bodies["rows"]["instances"]
    assert len(rows) == BATCH_ROWS
    assert bodies["columns"] == {"instances": rows, "layout": "columns"}
    assert bodies["empty"] == bodies["predict"] == bodies["before"] == {"instances": rows}
    after = found[0].task_root
    assert sorted(p.name for p in after.iterdir()) == sorted(
        [*FUNCTION_FILES, "empty_handler.py", "predict_only.py"]
    )
    assert (after / "model.onnx").read_bytes() == (function_dir / "model.onnx").read_bytes()
    assert not list(after.glob("onnx_serving/__pycache__"))
    assert found[4].task_root == tmp_path / "work" / "before"


def test_the_summary_gives_medians_spreads_and_the_cost_beyond_the_runtime_over_predict():
    runs = [
        ({"empty": 1.0, "predict": 3.0, "columns": 5.0}, 2.0),
        ({"empty": 2.0, "predict": 4.0, "columns": 8.0}, 2.0),
        ({"empty": 1.0, "predict": 4.0, "columns": 6.0}, 4.0),
    ]
    assert summary(runs) == [
        "onnxruntime predict in process: 2.00 [2.00-4.00] ms",
        "empty: 1.00 [1.00-2.00] ms, beyond empty 0.00 [0.00-0.00] ms, 0.00 [0.00-0.00]x predict",
        "predict: 4.00 [3.00-4.00] ms, beyond empty 2.00 [2.00-3.00] ms, 1.00 [0.75-1.00]x predict",
        "columns: 6.00 [5.00-8.00] ms, beyond empty 5.00 [4.00-6.00] ms, 2.00 [1.25-3.00]x predict",
    ]
