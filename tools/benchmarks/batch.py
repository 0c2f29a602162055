"""``make benchmark-batch``: batch scoring throughput and peak RSS, ONNX vs the pickle baseline,
beside two references: the pickle scored as teams commonly write it, and the model's session
alone.

The ONNX and pickle contenders are the batch entry point over the same batch code
(``onnx_serving.batch``), so they compare backends; "pickle, pandas"
(``tools/baseline/pandas_batch_app.py``, on the pickle baseline's pandas layer) is the common
way, pandas in and out with no validation and no per-row rejects, so it shows what the batch
code's checks and streaming cost or save against it. Each is built by its Makefile target and
scores the same CSV from a local S3 server through the real runtime client: a fresh runtime
process per sample, once with one CPU of time (a CFS quota, as Lambda gives below 1,769 MB; the
process joins the quota after init) and once free. All read the file in chunks of the batch
function's default size (``BATCH_CHUNK_ROWS``, set for every contender).

"Model alone" is each backend's ceiling: its model's predict on the same file's rows, parsed
beforehand, in chunks of that size (onnxruntime's ``InferenceSession.run`` on the ONNX layer,
scikit-learn on the pickle's), in a fresh process of the runtime's Python
(``probes/model_alone.py``), under the same CPU modes. No batch code over a backend can beat its
ceiling, and code the two backends share adds the same work to both, so the ratio of the
ceilings is what the ONNX / pickle ratio tends to as that code gets cheaper. Each takes its
turn with the contenders, the order flipped each round, so a slow minute on a shared machine
lands on all of them.

Rows/s and MB/s are over the invoke's Duration; rows per CPU-second over the process's own CPU
time during the invoke (steadier than the wall clock on a shared machine), and for the ceiling
over the CPU time of the runs alone; peak RSS is the process's VmHWM (Lambda's Max Memory Used).
Results go to ``build/benchmarks/batch/`` (not committed).
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import replace
from pathlib import Path

from layer.interpreters import Interpreter, find_interpreter
from onnx_serving.batch.settings import DEFAULT_CHUNK_ROWS
from onnx_serving.card import ModelCard
from tools.benchmarks import packages
from tools.benchmarks.cold_start import alternating, cpu_modes
from tools.benchmarks.environment import layer_versions, machine, now_utc
from tools.benchmarks.local import package_sizes
from tools.benchmarks.results import (
    BatchRun,
    BatchSample,
    CeilingSample,
    model_measured,
    model_words,
)
from tools.benchmarks.stats import Summary, ratio
from tools.benchmarks.summary import machine_line
from tools.benchmarks.tables import MB
from tools.local_lambda import FunctionConfig, LocalLambda
from tools.local_lambda.cpu_quota import CpuLimit, run_limited
from tools.local_lambda.function import isolated_python, layer_python_paths
from tools.local_lambda.s3_server import LocalS3
from tools.local_lambda.sample_files import write_csv
from tools.local_lambda.template import function_config

ROOT = packages.ROOT
OUT = packages.BUILD / "batch"
BUCKET = "batch-benchmark"
ONNX = "onnx"
PICKLE = "pickle"
PANDAS = "pickle-pandas"
# The table's columns, in order: the two backends over the project's batch code, then the
# common way.
CONTENDERS = (ONNX, PICKLE, PANDAS)
# Each backend's model alone: a turn of its own in the alternation, a line of the table.
ALONE = {ONNX: "onnx-alone", PICKLE: "pickle-alone"}
ALONE_PROBE = packages.PROBES / "model_alone.py"
# What the table shows of each sample, per CPU mode: field, label, decimals.
MEASURES = (
    ("rows_per_second", "rows/s", 0),
    ("megabytes_per_second", "MB/s of input", 2),
    ("rows_per_cpu_second", "rows per CPU-second", 0),
    ("peak_rss_mb", "peak RSS (MB)", 0),
)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far: unlike the wall clock, barely moved by
    other work on a shared machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _contenders(runtime: str, arch: str) -> list[packages.Contender]:
    """The three contenders, built as their Makefile targets build them, over their layers."""
    packages.check_same_model(packages.SERVED_MODEL_DIR, packages.BASELINE_MODEL_DIR)
    onnx_layer, sklearn_layer = packages.build_layers(runtime, arch)
    pandas_layer = packages.build_baseline_layer(packages.SKLEARN_PANDAS_LAYER, runtime, arch)
    baseline = ["-f", "tools/baseline/Makefile"]
    built = (
        (ONNX, ["-C", "function", "build-BatchFunction"], onnx_layer),
        (PICKLE, [*baseline, "build-PickleBatchBaseline"], sklearn_layer),
        (PANDAS, [*baseline, "build-PandasBatchBaseline"], pandas_layer),
    )
    return [
        packages.Contender(
            name,
            packages.build_function(f"{name}-batch", [*target, f"RUNTIME={runtime}"]),
            (layer,),
        )
        for name, target, layer in built
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


def ceiling_sample(
    contender: packages.Contender,
    config: FunctionConfig,
    interpreter: Interpreter,
    path: Path,
    rows: int,
    cpu_limit: CpuLimit | None,
) -> CeilingSample:
    """The contender's model alone on the file's rows, in a fresh process on its layer."""
    paths = [contender.task_root, *layer_python_paths(contender.layers, interpreter.version)]
    command, environment = isolated_python(interpreter.path, paths)
    name = ALONE[contender.name]
    arguments = [str(ALONE_PROBE), str(contender.task_root), str(path), str(DEFAULT_CHUNK_ROWS)]
    done = run_limited(
        [*command, *arguments],
        cpu_limit,
        env={**config.environment, **environment},
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{name}: exited {done.returncode}: {done.stderr[-400:]}")
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    if measured["rows"] != rows:
        raise RuntimeError(f"{name}: ran {measured['rows']} rows of {rows}")
    cpu = measured["cpu_seconds"]
    return CeilingSample(cpu, measured["seconds"], rows / cpu)


def run(rows: int, rounds: int, runtime: str, arch: str) -> BatchRun:
    """Measure every contender and each backend's model alone ``rounds`` times per CPU mode."""
    OUT.mkdir(parents=True, exist_ok=True)
    started = machine()
    contenders = _contenders(runtime, arch)
    by_name = {contender.name: contender for contender in contenders}
    base = function_config(ROOT / "template.yaml", "BatchFunction", {"Runtime": runtime})
    interpreter = find_interpreter(runtime)
    card = ModelCard.load(by_name[ONNX].task_root / "model.json")
    path = OUT / f"rows-{rows}.csv"
    size = write_csv(path, card, rows)
    modes, cpu_note = cpu_modes(free=True)
    if cpu_note:
        print(f"WARNING: {cpu_note}", file=sys.stderr)
    samples: dict[str, dict[str, list[BatchSample]]] = {mode: {} for mode, _ in modes}
    ceiling: dict[str, dict[str, list[CeilingSample]]] = {mode: {} for mode, _ in modes}
    backend = {alone: name for name, alone in ALONE.items()}
    with LocalS3(logs=OUT / "moto.log") as local_s3:
        s3 = local_s3.client()
        s3.create_bucket(Bucket=BUCKET)
        key = f"incoming/{path.name}"
        s3.upload_file(str(path), BUCKET, key)
        environment = {
            **base.environment,
            **local_s3.client_environment(),
            "BATCH_CHUNK_ROWS": str(DEFAULT_CHUNK_ROWS),
        }
        config = replace(base, environment=environment)
        for mode, limit in modes:
            for name in alternating([*CONTENDERS, *backend], rounds):
                if name in backend:
                    contender = by_name[backend[name]]
                    measured = ceiling_sample(contender, config, interpreter, path, rows, limit)
                    ceiling[mode].setdefault(contender.name, []).append(measured)
                else:
                    measured = _sample(by_name[name], config, key, rows, size, limit)
                    samples[mode].setdefault(name, []).append(measured)
                print(f"{mode:8} {name:17} {measured}", file=sys.stderr, flush=True)
    model, task = model_measured(card)
    return BatchRun(
        created_utc=now_utc(),
        machine=replace(started, load_at_end=os.getloadavg()[0]),
        versions={
            name: version
            for contender in contenders
            for name, version in layer_versions(contender.layers[0] / "python").items()
        },
        rows=rows,
        file_bytes=size,
        model=model,
        task=task,
        rounds=rounds,
        samples=samples,
        ceiling=ceiling,
        sizes=package_sizes(contenders),
        chunk_rows=DEFAULT_CHUNK_ROWS,
    )


def table(results: BatchRun) -> str:
    """Markdown: medians [min–max] per mode, the ONNX / pickle ratio of the medians, the
    "pickle, pandas" reference beside them, each backend's model alone per mode and the package
    sizes; then each backend's batch rows per CPU-second as a share of its model alone's."""
    measured = model_words(results.model, results.task)
    lines = [
        f"Batch scoring, {measured + ', ' if measured else ''}"
        f"{results.rows:,} CSV rows ({results.file_bytes / 1e6:.1f} MB), "
        f"{results.rounds} cold runs each, through the runtime client from a local S3 server",
        "",
        "| CPU | measure | ONNX | pickle | ONNX / pickle | pickle, pandas |",
        "|---|---|---|---|---|---|",
    ]
    shares = []
    for mode, by_name in results.samples.items():
        for field, label, digits in MEASURES:
            onnx, pickle, pandas = (
                Summary.of([getattr(s, field) for s in by_name[name]]) for name in CONTENDERS
            )
            lines.append(
                f"| {mode} | {label} | {onnx.spread(digits)} | {pickle.spread(digits)} | "
                f"{ratio(onnx.median, pickle.median):.2f} | {pandas.spread(digits)} |"
            )
        alone = {
            name: Summary.of([s.rows_per_cpu_second for s in results.ceiling[mode][name]])
            for name in ALONE
        }
        lines.append(
            f"| {mode} | model alone: rows per CPU-second | {alone[ONNX].spread(0)} | "
            f"{alone[PICKLE].spread(0)} | {ratio(alone[ONNX].median, alone[PICKLE].median):.2f} "
            "|  |"
        )
        for name in ALONE:
            rate = Summary.of([s.rows_per_cpu_second for s in by_name[name]]).median
            shares.append(f"{name} {ratio(rate, alone[name].median):.0%} {mode}")
    deployed = [results.sizes[name].deployed_unzipped for name in CONTENDERS]
    lines.append(
        f"| any | deployed unzipped (MB) | {deployed[0] / MB:.1f} | {deployed[1] / MB:.1f} | "
        f"{ratio(deployed[0], deployed[1]):.2f} | {deployed[2] / MB:.1f} |"
    )
    lines += [
        "",
        "Batch scoring's rows per CPU-second as a share of its model alone's (medians): "
        + ", ".join(shares)
        + ".",
        "",
        "ONNX and pickle: the project's batch code (reading, checks, per-row rejects, manifest) "
        "over each backend. pickle, pandas: the pickle scored as teams commonly write it "
        "(pandas.read_csv in chunks, predict_proba, DataFrame.to_csv, a multipart upload), with "
        "no validation and no per-row rejects. model alone: each backend's predict on the "
        f"file's rows parsed beforehand, {results.chunk_rows:,} rows at a time (onnxruntime "
        "with one intra-op thread; scikit-learn), in a fresh process on its own layer: the "
        "ceiling of any batch scorer with that backend.",
        "",
        f"Machine: {machine_line(results.machine)}.",
    ]
    return "\n".join(lines) + "\n"


def write(results: BatchRun, out: Path) -> str:
    """``results.json`` and ``summary.md`` under ``out``; the summary's text."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(results.to_json())
    summary = table(results)
    (out / "summary.md").write_text(summary)
    return summary
