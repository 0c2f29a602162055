"""``make benchmark-batch``: batch scoring throughput and peak RSS, ONNX vs the pickle baseline.

Both contenders are the batch entry point over the same batch code (``onnx_serving.batch``),
built by their Makefile targets, on their own layers, scoring the same CSV from a local S3
server through the real runtime client: a fresh runtime process per sample, contenders
alternating and the order flipped each round, once with one CPU of time (a CFS quota, as Lambda
gives below 1,769 MB; the process joins the quota after init) and once free. Rows/s and MB/s
are over the invoke's Duration; rows per CPU-second over the process's own CPU time during the
invoke (steadier than the wall clock on a shared machine); peak RSS is the process's VmHWM
(Lambda's Max Memory Used).
Results go to ``build/benchmarks/batch/`` (not committed).
"""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path

from layer.interpreters import find_interpreter
from onnx_serving.card import ModelCard
from tools.benchmarks import packages
from tools.benchmarks.cold_start import alternating, cpu_modes
from tools.benchmarks.environment import layer_versions, machine, now_utc
from tools.benchmarks.results import BatchRun, BatchSample, model_measured, model_words
from tools.benchmarks.stats import Summary, ratio
from tools.benchmarks.summary import machine_line
from tools.local_lambda import FunctionConfig, LocalLambda
from tools.local_lambda.cpu_quota import CpuLimit
from tools.local_lambda.s3_server import LocalS3
from tools.local_lambda.sample_files import write_csv
from tools.local_lambda.template import function_config

ROOT = packages.ROOT
OUT = packages.BUILD / "batch"
BUCKET = "batch-benchmark"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far: unlike the wall clock, barely moved by
    other work on a shared machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _contenders(runtime: str, arch: str) -> list[packages.Contender]:
    onnx_layer, sklearn_layer = packages.build_layers(runtime, arch)
    onnx = packages.build_function("onnx-batch", ["-C", "function", "build-BatchFunction"])
    pickle = packages.build_function(
        "pickle-batch", ["-f", "tools/baseline/Makefile", "build-PickleBatchBaseline"]
    )
    return [
        packages.Contender("onnx", onnx, (onnx_layer,)),
        packages.Contender("pickle", pickle, (sklearn_layer,)),
    ]


def _sample(
    contender: packages.Contender,
    config: FunctionConfig,
    key: str,
    rows: int,
    size: int,
    cpu_limit: CpuLimit | None,
) -> BatchSample:
    with LocalLambda(
        contender.task_root,
        contender.layers,
        replace(config, name=contender.name),
        find_interpreter(config.runtime),
        logs=(OUT / f"{contender.name}.log").open("ab"),
        cpu_limit=cpu_limit,
    ) as function:
        if function.init_error is not None or function.pid is None:
            raise RuntimeError(f"{contender.name}: init failed {function.init_error}")
        cpu_before = cpu_seconds(function.pid)
        result = function.invoke({"bucket": BUCKET, "key": key})
        cpu = cpu_seconds(function.pid) - cpu_before
        summary = result.json()
        if result.function_error or summary.get("written") != rows:
            raise RuntimeError(f"{contender.name}: {result.payload[:400]!r}")
        seconds = result.duration_ms / 1000
        return BatchSample(
            seconds,
            rows / seconds,
            size / seconds / 1e6,
            rows / cpu,
            function.peak_rss_kb / 1024,
            function.init_duration_ms or 0.0,
        )


def run(rows: int, rounds: int, runtime: str, arch: str) -> BatchRun:
    """Measure every contender ``rounds`` times per CPU mode."""
    OUT.mkdir(parents=True, exist_ok=True)
    started = machine()
    contenders = _contenders(runtime, arch)
    base = function_config(ROOT / "template.yaml", "BatchFunction", {"Runtime": runtime})
    card = ModelCard.load(contenders[0].task_root / "model.json")
    path = OUT / f"rows-{rows}.csv"
    size = write_csv(path, card, rows)
    modes, cpu_note = cpu_modes(free=True)
    if cpu_note:
        print(f"WARNING: {cpu_note}", file=sys.stderr)
    samples: dict[str, dict[str, list[BatchSample]]] = {mode: {} for mode, _ in modes}
    with LocalS3(logs=OUT / "moto.log") as local_s3:
        s3 = local_s3.client()
        s3.create_bucket(Bucket=BUCKET)
        key = f"incoming/{path.name}"
        s3.upload_file(str(path), BUCKET, key)
        config = replace(base, environment={**base.environment, **local_s3.client_environment()})
        for mode, limit in modes:
            for contender in alternating(contenders, rounds):
                sample = _sample(contender, config, key, rows, size, limit)
                samples[mode].setdefault(contender.name, []).append(sample)
                print(f"{mode:8} {contender.name:7} {sample}", file=sys.stderr, flush=True)
    model, task = model_measured(card)
    return BatchRun(
        created_utc=now_utc(),
        machine=replace(started, load_at_end=os.getloadavg()[0]),
        versions={
            **layer_versions(contenders[0].layers[0] / "python"),
            **layer_versions(contenders[1].layers[0] / "python"),
        },
        rows=rows,
        file_bytes=size,
        model=model,
        task=task,
        rounds=rounds,
        samples=samples,
    )


def table(results: BatchRun) -> str:
    """Markdown: medians [min–max] per mode, and the ONNX / pickle ratio of the medians."""
    measured = model_words(results.model, results.task)
    lines = [
        f"Batch scoring, {measured + ', ' if measured else ''}"
        f"{results.rows:,} CSV rows ({results.file_bytes / 1e6:.1f} MB), "
        f"{results.rounds} cold runs each, through the runtime client from a local S3 server",
        "",
        "| CPU | measure | ONNX | pickle | ONNX / pickle |",
        "|---|---|---|---|---|",
    ]
    for mode, by_name in results.samples.items():
        for field, label, digits in (
            ("rows_per_second", "rows/s", 0),
            ("megabytes_per_second", "MB/s of input", 2),
            ("rows_per_cpu_second", "rows per CPU-second", 0),
            ("peak_rss_mb", "peak RSS (MB)", 0),
        ):
            onnx = Summary.of([getattr(s, field) for s in by_name["onnx"]])
            pickle = Summary.of([getattr(s, field) for s in by_name["pickle"]])
            lines.append(
                f"| {mode} | {label} | {onnx.spread(digits)} | {pickle.spread(digits)} | "
                f"{ratio(onnx.median, pickle.median):.2f} |"
            )
    lines += ["", f"Machine: {machine_line(results.machine)}."]
    return "\n".join(lines) + "\n"


def write(results: BatchRun, out: Path) -> str:
    """``results.json`` and ``summary.md`` under ``out``; the summary's text."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(results.to_json())
    summary = table(results)
    (out / "summary.md").write_text(summary)
    return summary
