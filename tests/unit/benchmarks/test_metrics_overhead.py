"""The metrics' overhead in the local benchmark: bytes per line written by the function's own
code, their price, the copy of the function without metrics, and how a run shows them."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from onnx_serving.card import ModelCard
from tools.benchmarks.metrics_overhead import (
    HUNDRED_ROWS,
    NO_METRICS,
    ONE_ROW_DIRECT,
    ONE_ROW_HTTP,
    LineBytes,
    case_events,
    line_bytes,
    warm_lines,
    without_metrics,
)
from tools.benchmarks.packages import Contender
from tools.benchmarks.results import BenchmarkRun
from tools.benchmarks.tables import all_tables, metrics_line, metrics_table
from tools.example_rows import example_rows

RECORDED = Path(__file__).parent / "benchmark_run.json"


def test_added_bytes_are_priced_as_log_ingestion_per_million_requests():
    line = LineBytes(without=130, with_metrics=930)
    assert line.added == 800
    # 800 bytes x 1e6 requests = 0.8 GB at $0.50 per GB.
    assert line.usd_per_million == pytest.approx(0.40)


def test_each_case_is_one_line_whose_metrics_are_all_the_difference(model_dir):
    card = ModelCard.load(model_dir / "model.json")
    events = case_events(example_rows(card, 100))
    assert json.loads(events[ONE_ROW_HTTP]["body"]) == events[ONE_ROW_DIRECT]
    assert len(events[HUNDRED_ROWS]["instances"]) == 100
    lines = warm_lines(model_dir, events)
    assert list(lines) == [ONE_ROW_DIRECT, ONE_ROW_HTTP, HUNDRED_ROWS]
    for case, (without, with_metrics) in lines.items():
        assert without.count("\n") == with_metrics.count("\n") == 1, case
        plain, measured = json.loads(without), json.loads(with_metrics)
        assert "_aws" not in plain and "cold_start" not in measured, case
        assert set(plain) < set(measured), case
        # latency_ms differs between the two requests; every other member is the same.
        plain.pop("latency_ms"), measured.pop("latency_ms")
        assert {key: measured[key] for key in plain} == plain, case
    assert [json.loads(w)["rows"] for _, w in lines.values()] == [1, 1, 100]
    assert json.loads(lines[ONE_ROW_HTTP][0])["event"] == "http-api"
    assert line_bytes({"case": ("é\n", "{}\n")}) == {"case": LineBytes(3, 3)}


def test_the_copy_without_metrics_answers_the_same_and_logs_no_metrics(model_dir, tmp_path):
    served = tmp_path / "onnx"
    function_dir = Path(__file__).resolve().parents[3] / "function"
    served.mkdir()
    (served / "app.py").write_text((function_dir / "app.py").read_text())
    for name in ("model.json", "model.onnx"):
        (served / name).write_bytes((model_dir / name).read_bytes())
    (served / "onnx_serving").symlink_to(function_dir / "onnx_serving")
    copy = without_metrics(Contender("onnx", served, ()))
    assert copy.name == NO_METRICS
    assert (copy.task_root / "served_app.py").read_text() == (function_dir / "app.py").read_text()
    script = (
        "import json, app, served_app\n"
        "event = {'features': [5.1, 3.5, 1.4, 0.2]}\n"
        "print(json.dumps([app.handler(event, None), served_app.handler(event, None)]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=copy.task_root,
        env={**os.environ, "PYTHONPATH": str(copy.task_root)},
        capture_output=True,
        text=True,
        check=True,
    )
    without, served_line, answers = done.stdout.splitlines()
    assert "_aws" not in json.loads(without)
    assert "_aws" in json.loads(served_line)
    first, second = json.loads(answers)
    assert first == second


def test_a_run_shows_the_overhead_table_and_the_summary_line():
    run = BenchmarkRun.from_json(RECORDED.read_text())
    main = run.main
    warm = {**main.warm_ms, NO_METRICS: {"1 row": [0.9, 0.95, 1.0], "1000 rows": [4.0]}}
    run = dataclasses.replace(
        run,
        modes=[dataclasses.replace(main, warm_ms=warm), *run.modes[1:]],
        log_lines={
            ONE_ROW_DIRECT: {"without": 127, "with_metrics": 927},
            HUNDRED_ROWS: {"without": 129, "with_metrics": 1049},
        },
    )
    assert BenchmarkRun.from_json(run.to_json()) == run
    table = metrics_table(run)
    assert table.rows == [
        [ONE_ROW_DIRECT, "127", "927", "+800", "0.400"],
        [HUNDRED_ROWS, "129", "1049", "+920", "0.460"],
    ]
    assert [t.key for t in all_tables(run)][-1] == "metrics"
    onnx_median = sorted(main.warm_ms["onnx"]["1 row"])[len(main.warm_ms["onnx"]["1 row"]) // 2]
    assert metrics_line(run) == (
        "Metrics: +800 bytes per warm 1-row line (127 → 927), $0.40 of log ingestion per million "
        f"requests; warm 1-row p50 {onnx_median:.3f} ms with, 0.950 ms without."
    )
    assert metrics_line(dataclasses.replace(run, log_lines={})) == ""
