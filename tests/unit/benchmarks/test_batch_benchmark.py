"""The batch benchmark's pieces: its table, CPU-time reading and the one-CPU quota."""

from __future__ import annotations

import json
import os
import time

from tools.benchmarks.batch import cpu_seconds, table, write
from tools.benchmarks.results import BatchRun, BatchSample, Machine


def sample(rows_per_second: float, rss: float) -> BatchSample:
    return BatchSample(
        1.0, rows_per_second, rows_per_second / 1e5, rows_per_second * 1.5, rss, 100.0
    )


RUN = BatchRun(
    created_utc="2026-01-01T00:00:00Z",
    machine=Machine("a CPU", load_at_start=1.0, load_at_end=2.0),
    versions={},
    rows=1000,
    file_bytes=31_400,
    model="iris-forest 2",
    task="classifier",
    rounds=3,
    samples={
        "one-cpu": {
            "onnx": [sample(40_000, 110), sample(50_000, 112), sample(45_000, 111)],
            "pickle": [sample(30_000, 170), sample(36_000, 171), sample(33_000, 172)],
        }
    },
)


def test_the_table_shows_medians_ranges_and_onnx_over_pickle():
    assert table(RUN).splitlines() == [
        "Batch scoring, model iris-forest 2 (classifier), 1,000 CSV rows (0.0 MB), 3 cold runs "
        "each, through the runtime client from a local S3 server",
        "",
        "| CPU | measure | ONNX | pickle | ONNX / pickle |",
        "|---|---|---|---|---|",
        "| one-cpu | rows/s | 45000 [40000–50000] | 33000 [30000–36000] | 1.36 |",
        "| one-cpu | MB/s of input | 0.45 [0.40–0.50] | 0.33 [0.30–0.36] | 1.36 |",
        "| one-cpu | rows per CPU-second | 67500 [60000–75000] | 49500 [45000–54000] | 1.36 |",
        "| one-cpu | peak RSS (MB) | 111 [110–112] | 171 [170–172] | 0.65 |",
        "",
        "Machine: a CPU (1-min load average 1.00 at start, 2.00 at end).",
    ]


def test_write_puts_the_raw_samples_beside_the_summary(tmp_path):
    summary = write(RUN, tmp_path)
    assert (tmp_path / "summary.md").read_text() == summary == table(RUN)
    recorded = json.loads((tmp_path / "results.json").read_text())
    assert recorded["samples"]["one-cpu"]["onnx"][0]["rows_per_second"] == 40_000


def test_cpu_seconds_count_this_process_work_not_its_sleep():
    before = cpu_seconds(os.getpid())
    time.sleep(0.2)
    slept = cpu_seconds(os.getpid()) - before
    end = time.process_time() + 0.3
    while time.process_time() < end:
        pass
    worked = cpu_seconds(os.getpid()) - before - slept
    assert slept < 0.1
    assert worked >= 0.2
