"""The batch benchmark's pieces: its table, its results file, CPU-time reading."""

from __future__ import annotations

import json
import os
import time

import pytest

from tools.benchmarks.batch import cpu_seconds, table, write
from tools.benchmarks.results import BatchRun, BatchSample, CeilingSample, Machine, PackageSizes


def sample(rows_per_second: float, rss: float) -> BatchSample:
    return BatchSample(
        1.0, rows_per_second, rows_per_second / 1e5, rows_per_second * 1.5, rss, 100.0
    )


def sizes(layer_mb: float, function_mb: float) -> PackageSizes:
    return PackageSizes(int(layer_mb * 1e6), 0, int(function_mb * 1e6), 0)


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
            "pickle-pandas": [sample(20_000, 250), sample(24_000, 260), sample(22_000, 255)],
        },
        "free": {
            "onnx": [sample(60_000, 110), sample(62_000, 111), sample(64_000, 112)],
            "pickle": [sample(40_000, 170), sample(41_000, 171), sample(42_000, 172)],
            "pickle-pandas": [sample(30_000, 250), sample(32_000, 252), sample(34_000, 254)],
        },
    },
    ceiling={
        "one-cpu": {
            "onnx": [
                CeilingSample(0.004, 0.008, 250_000),
                CeilingSample(0.0025, 0.005, 400_000),
                CeilingSample(0.003, 0.006, 337_500),
            ],
            "pickle": [
                CeilingSample(0.01, 0.01, 100_000),
                CeilingSample(0.008, 0.008, 125_000),
                CeilingSample(0.009, 0.009, 112_500),
            ],
        },
        "free": {
            "onnx": [
                CeilingSample(0.003, 0.003, 300_000),
                CeilingSample(0.003, 0.003, 310_000),
                CeilingSample(0.003, 0.003, 320_000),
            ],
            "pickle": [
                CeilingSample(0.01, 0.01, 100_000),
                CeilingSample(0.01, 0.01, 124_000),
                CeilingSample(0.01, 0.01, 110_000),
            ],
        },
    },
    sizes={
        "onnx": sizes(80.0, 1.1),
        "pickle": sizes(200.0, 1.9),
        "pickle-pandas": sizes(240.0, 0.3),
    },
    chunk_rows=8192,
)


def test_the_table_shows_medians_ranges_onnx_over_pickle_the_references_and_sizes():
    assert table(RUN).splitlines() == [
        "Batch scoring, model iris-forest 2 (classifier), 1,000 CSV rows (0.0 MB), 3 cold runs "
        "each, through the runtime client from a local S3 server",
        "",
        "| CPU | measure | ONNX | pickle | ONNX / pickle | pickle, pandas |",
        "|---|---|---|---|---|---|",
        "| one-cpu | rows/s | 45000 [40000–50000] | 33000 [30000–36000] | 1.36 | "
        "22000 [20000–24000] |",
        "| one-cpu | MB/s of input | 0.45 [0.40–0.50] | 0.33 [0.30–0.36] | 1.36 | "
        "0.22 [0.20–0.24] |",
        "| one-cpu | rows per CPU-second | 67500 [60000–75000] | 49500 [45000–54000] | 1.36 | "
        "33000 [30000–36000] |",
        "| one-cpu | peak RSS (MB) | 111 [110–112] | 171 [170–172] | 0.65 | 255 [250–260] |",
        "| one-cpu | model alone: rows per CPU-second | 337500 [250000–400000] | "
        "112500 [100000–125000] | 3.00 |  |",
        "| free | rows/s | 62000 [60000–64000] | 41000 [40000–42000] | 1.51 | "
        "32000 [30000–34000] |",
        "| free | MB/s of input | 0.62 [0.60–0.64] | 0.41 [0.40–0.42] | 1.51 | 0.32 [0.30–0.34] |",
        "| free | rows per CPU-second | 93000 [90000–96000] | 61500 [60000–63000] | 1.51 | "
        "48000 [45000–51000] |",
        "| free | peak RSS (MB) | 111 [110–112] | 171 [170–172] | 0.65 | 252 [250–254] |",
        "| free | model alone: rows per CPU-second | 310000 [300000–320000] | "
        "110000 [100000–124000] | 2.82 |  |",
        "| any | deployed unzipped (MB) | 81.1 | 201.9 | 0.40 | 240.3 |",
        "",
        "Batch scoring's rows per CPU-second as a share of its model alone's (medians): "
        "onnx 20% one-cpu, pickle 44% one-cpu, onnx 30% free, pickle 56% free.",
        "",
        "ONNX and pickle: the project's batch code (reading, checks, per-row rejects, manifest) "
        "over each backend. pickle, pandas: the pickle scored as teams commonly write it "
        "(pandas.read_csv in chunks, predict_proba, DataFrame.to_csv, a multipart upload), with "
        "no validation and no per-row rejects. model alone: each backend's predict on the "
        "file's rows parsed beforehand, 8,192 rows at a time (onnxruntime with one intra-op "
        "thread; scikit-learn), in a fresh process on its own layer: the ceiling of any batch "
        "scorer with that backend.",
        "",
        "Machine: a CPU (1-min load average 1.00 at start, 2.00 at end).",
    ]


def test_write_puts_the_raw_samples_beside_the_summary(tmp_path):
    summary = write(RUN, tmp_path)
    assert (tmp_path / "summary.md").read_text() == summary == table(RUN)
    recorded = json.loads((tmp_path / "results.json").read_text())
    assert recorded["samples"]["one-cpu"]["onnx"][0]["rows_per_second"] == 40_000
    assert recorded["ceiling"]["free"]["onnx"][2]["rows_per_cpu_second"] == 320_000


def test_a_written_run_reads_back_as_the_same_run(tmp_path):
    write(RUN, tmp_path)
    assert BatchRun.from_json((tmp_path / "results.json").read_text()) == RUN


def test_a_run_recorded_before_the_references_is_refused():
    older = json.loads(RUN.to_json())
    for name in ("ceiling", "sizes", "chunk_rows"):
        del older[name]
    with pytest.raises(ValueError, match="recorded without ceiling, chunk_rows, sizes: measure"):
        BatchRun.from_json(json.dumps(older))


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
