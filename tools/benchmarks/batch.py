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

import argparse
import json
import os
import sys
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from layer.interpreters import find_interpreter
from layer.runtimes import DEFAULT_ARCH, DEFAULT_RUNTIME, LAMBDA_ARCHES, LAMBDA_RUNTIMES
from onnx_serving.card import ModelCard
from tools.benchmarks import packages
from tools.benchmarks.cold_start import alternating
from tools.benchmarks.environment import layer_versions, machine, now_utc
from tools.benchmarks.stats import Summary, ratio
from tools.local_lambda import FunctionConfig, LocalLambda
from tools.local_lambda.cpu_quota import CpuLimit
from tools.local_lambda.s3_server import LocalS3
from tools.local_lambda.sample_files import write_csv
from tools.local_lambda.template import function_config

ROOT = packages.ROOT
OUT = ROOT / "build" / "benchmarks" / "batch"
BUCKET = "batch-benchmark"


@dataclass(frozen=True)
class BatchSample:
    """One cold process scoring the whole file."""

    seconds: float
    rows_per_second: float
    megabytes_per_second: float
    rows_per_cpu_second: float
    peak_rss_mb: float
    init_ms: float


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far: unlike the wall clock, barely moved by
    other work on a shared machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _contenders(runtime: str, arch: str) -> list[packages.Contender]:
    onnx_layer = packages.build_layer("onnxruntime", runtime, arch, [], False)
    sklearn_layer = packages.build_layer(
        "sklearn",
        runtime,
        arch,
        ["--requirements", f"tools/baseline/layer/requirements-{arch}.txt", "--profile", "generic"],
        False,
    )
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


def run(rows: int, rounds: int, runtime: str, arch: str) -> dict[str, Any]:
    """Measure every contender ``rounds`` times per CPU mode; the results document."""
    OUT.mkdir(parents=True, exist_ok=True)
    contenders = _contenders(runtime, arch)
    base = function_config(ROOT / "template.yaml", "BatchFunction", {"Runtime": runtime})
    card = ModelCard.load(contenders[0].task_root / "model.json")
    path = OUT / f"rows-{rows}.csv"
    size = write_csv(path, card, rows)
    unavailable = CpuLimit().available()
    if unavailable:
        print(f"no one-CPU quota here, measuring free only: {unavailable}", file=sys.stderr)
    modes = ["free"] if unavailable else ["one-cpu", "free"]
    samples: dict[str, dict[str, list[BatchSample]]] = {m: {} for m in modes}
    with LocalS3(logs=OUT / "moto.log") as local_s3:
        s3 = local_s3.client()
        s3.create_bucket(Bucket=BUCKET)
        key = f"incoming/{path.name}"
        s3.upload_file(str(path), BUCKET, key)
        config = replace(base, environment={**base.environment, **local_s3.client_environment()})
        for mode in modes:
            limit = CpuLimit() if mode == "one-cpu" else None
            for contender in alternating(contenders, rounds):
                sample = _sample(contender, config, key, rows, size, limit)
                samples[mode].setdefault(contender.name, []).append(sample)
                print(f"{mode:8} {contender.name:7} {sample}", file=sys.stderr, flush=True)
    return {
        "created_utc": now_utc(),
        "machine": machine(),
        "versions": {
            **layer_versions(contenders[0].layers[0] / "python"),
            **layer_versions(contenders[1].layers[0] / "python"),
        },
        "file": {"rows": rows, "bytes": size, "format": "csv", "model": card.name},
        "rounds": rounds,
        "samples": {
            mode: {name: [asdict(s) for s in series] for name, series in by_name.items()}
            for mode, by_name in samples.items()
        },
    }


def table(results: dict[str, Any]) -> str:
    """Markdown: medians [min–max] per mode, and the ONNX / pickle ratio of the medians."""
    lines = [
        f"Batch scoring, {results['file']['rows']:,} CSV rows "
        f"({results['file']['bytes'] / 1e6:.1f} MB), {results['rounds']} cold runs each, "
        "through the runtime client from a local S3 server",
        "",
        "| CPU | measure | ONNX | pickle | ONNX / pickle |",
        "|---|---|---|---|---|",
    ]
    for mode, by_name in results["samples"].items():
        for field, label, digits in (
            ("rows_per_second", "rows/s", 0),
            ("megabytes_per_second", "MB/s of input", 2),
            ("rows_per_cpu_second", "rows per CPU-second", 0),
            ("peak_rss_mb", "peak RSS (MB)", 0),
        ):
            onnx = Summary.of([s[field] for s in by_name["onnx"]])
            pickle = Summary.of([s[field] for s in by_name["pickle"]])
            lines.append(
                f"| {mode} | {label} | {onnx.spread(digits)} | {pickle.spread(digits)} | "
                f"{ratio(onnx.median, pickle.median):.2f} |"
            )
    load = results["machine"]["load_average_at_start"]
    lines += ["", f"Machine: {results['machine']['description']}; load average at start {load}."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run, write ``results.json`` and ``summary.md`` under ``--out``, print the table."""
    parser = argparse.ArgumentParser(prog="python -m tools.benchmarks.batch", description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runtime", default=DEFAULT_RUNTIME, choices=LAMBDA_RUNTIMES)
    parser.add_argument("--arch", default=DEFAULT_ARCH, choices=LAMBDA_ARCHES)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    results = run(args.rows, args.rounds, args.runtime, args.arch)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    summary = table(results)
    (args.out / "summary.md").write_text(summary)
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
