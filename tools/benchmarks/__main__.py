"""``python -m tools.benchmarks [local|batch|tune|aws]``: the one command line of the benchmarks.

local (the default, ``make benchmark``): the ONNX function against the pickle baseline and two
anchors, through the real runtime client, one CPU of time and free, then the same comparison for
a forest regressor and a DataFrame pipeline the run fits itself; writes ``local.json``,
``summary.md`` and ``chart.png`` to ``tools/benchmarks/results/`` (``--quick``: a smoke run,
under ``build/``). batch (``make benchmark-batch``): batch scoring throughput and peak RSS,
ONNX against pickle, beside the pickle scored with pandas and each backend's model alone (its
ceiling), to ``build/benchmarks/batch/``. tune (``make tune``): cold start, warm latency, peak
RSS and price per Lambda memory size, each under its CPU share, and the cheapest size meeting a
latency goal, to ``build/tune/``. aws (``make benchmark-aws``): cold and warm
against deployed functions, from Lambda's REPORT lines; needs AWS credentials.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from layer.runtimes import DEFAULT_ARCH, DEFAULT_RUNTIME, LAMBDA_ARCHES, LAMBDA_RUNTIMES, host_arch
from onnx_serving.card import ModelCard
from tools.benchmarks import batch, local, tune
from tools.benchmarks.aws import (
    APPLICATION_STACK,
    BASELINE_STACK,
    AwsSettings,
    function_names,
    run_aws,
)
from tools.benchmarks.chart import write_chart
from tools.benchmarks.packages import BUILD, SERVED_MODEL_DIR
from tools.benchmarks.results import BenchmarkRun, model_measured
from tools.benchmarks.summary import print_tables, render_markdown
from tools.benchmarks.tables import metrics_line

RESULTS = Path(__file__).resolve().parent / "results"
# Where a --quick smoke run writes unless --out says otherwise: never over the committed results.
QUICK_RESULTS = BUILD / "quick"
# The model card of the model this checkout deploys: the AWS mode's events are drawn from it.
CARD = SERVED_MODEL_DIR / "model.json"
MODES = ("local", "batch", "tune", "aws")
Measure = Callable[[Callable[[str], None], Callable[[int], None]], BenchmarkRun]


def write_outputs(run: BenchmarkRun, out: Path) -> None:
    """The JSON, the Markdown summary and the chart, side by side in ``out``."""
    suffix = "" if run.kind == "local" else f"-{run.kind}"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{run.kind}.json").write_text(run.to_json())
    write_chart(run, out / f"chart{suffix}.png")
    (out / f"summary{suffix}.md").write_text(render_markdown(run, f"chart{suffix}.png"))


def with_progress(console: Console, measure: Measure) -> BenchmarkRun:
    """Run ``measure`` with a progress bar it advances (``tick``) and sizes (``set_total``)."""
    columns = (TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=console) as progress:
        task = progress.add_task("starting", total=None)
        return measure(
            lambda description: progress.update(task, advance=1, description=description),
            lambda total: progress.update(task, total=total),
        )


def output_dir(out: Path | None, quick: bool) -> Path:
    """``--out`` if given; else the committed results folder, or ``build/`` for a smoke run,
    whose few samples must never replace the numbers README shows."""
    if out is not None:
        return out
    return QUICK_RESULTS if quick else RESULTS


def with_default_mode(argv: list[str]) -> list[str]:
    """``argv`` with ``local`` in front unless it names a mode (or asks for help): ``make
    benchmark`` and a bare ``python -m tools.benchmarks`` run the local benchmark."""
    if argv and argv[0] in (*MODES, "-h", "--help"):
        return list(argv)
    return ["local", *argv]


def _target_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--runtime", default=DEFAULT_RUNTIME, choices=LAMBDA_RUNTIMES)
    parser.add_argument("--arch", default=DEFAULT_ARCH, choices=LAMBDA_ARCHES)


def parser() -> argparse.ArgumentParser:
    """The command line: one subcommand per mode."""
    top = argparse.ArgumentParser(
        prog="python -m tools.benchmarks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = top.add_subparsers(dest="mode", required=True)
    local_mode = sub.add_parser("local", help="(default) local runtime, no AWS")
    local_mode.add_argument("--quick", action="store_true", help="few samples: a smoke run")
    local_mode.add_argument(
        "--cold-starts", type=int, help="cold starts per contender and CPU mode"
    )
    local_mode.add_argument("--warm-rounds", type=int, help="warm invokes per contender and event")
    local_mode.add_argument("--no-free", action="store_true", help="one CPU of time only")
    local_mode.add_argument(
        "--no-model-pairs",
        action="store_true",
        help="the served model only, not the regressor and DataFrame pipeline pairs",
    )
    local_mode.add_argument("--pair-cold-starts", type=int, help="cold starts per pair contender")
    local_mode.add_argument("--pair-warm-rounds", type=int, help="warm invokes per pair and event")
    local_mode.add_argument("--rebuild-layers", action="store_true")
    local_mode.add_argument("--out", type=Path, help=f"default {RESULTS}; --quick: {QUICK_RESULTS}")
    _target_options(local_mode)
    batch_mode = sub.add_parser("batch", help="batch scoring through the local runtime")
    batch_mode.add_argument("--rows", type=int, default=1_000_000)
    batch_mode.add_argument("--rounds", type=int, default=3)
    batch_mode.add_argument("--out", type=Path, default=batch.OUT)
    _target_options(batch_mode)
    tune_mode = sub.add_parser(
        "tune",
        help="the cheapest memory size meeting a latency goal",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    tune_mode.add_argument(
        "--goal-ms", type=float, default=tune.DEFAULT_GOAL_MS, help="the latency goal (ms)"
    )
    tune_mode.add_argument(
        "--percentile",
        type=tune.parse_percentile,
        default=tune.DEFAULT_PERCENTILE,
        help="of the goal's latencies: p50, p99, p99.9, median",
    )
    tune_mode.add_argument(
        "--goal-on",
        choices=tune.GOAL_KINDS,
        default=tune.GOAL_ONE_ROW,
        help="a warm 1-row request, a warm batch request, or a cold start",
    )
    tune_mode.add_argument(
        "--cold-percent",
        type=float,
        default=tune.DEFAULT_COLD_PERCENT,
        help="percent of requests that are cold starts, in the price",
    )
    tune_mode.add_argument(
        "--sizes",
        type=_sizes,
        default=tune.MEMORY_SIZES_MB,
        help="memory sizes in MB, comma-separated",
    )
    tune_mode.add_argument(
        "--floor-mb",
        type=int,
        help="smallest size to choose; unset: the template's MemorySize MinValue",
    )
    tune_mode.add_argument(
        "--cold-starts", type=int, default=tune.TuneSettings.cold_starts, help="per size"
    )
    tune_mode.add_argument(
        "--warm-rounds", type=int, default=tune.TuneSettings.warm_rounds, help="per size and event"
    )
    tune_mode.add_argument("--out", type=Path, default=tune.OUT, help="tune.md and tune.json")
    _target_options(tune_mode)
    aws_mode = sub.add_parser("aws", help="deployed functions; needs AWS credentials")
    aws_mode.add_argument("--stack", default=APPLICATION_STACK, help="the application's stack")
    aws_mode.add_argument("--baseline-stack", default=BASELINE_STACK, help="the pickle baseline's")
    aws_mode.add_argument("--onnx-function", help="name or ARN (default: the stack's output)")
    aws_mode.add_argument("--pickle-function", help="name or ARN (default: the baseline's output)")
    aws_mode.add_argument("--cold-starts", type=int, default=10)
    aws_mode.add_argument("--warm-invokes", type=int, default=50)
    aws_mode.add_argument("--region")
    aws_mode.add_argument(
        "--snapstart",
        action="store_true",
        help="functions deployed with SnapStart=true: measure restores of published versions",
    )
    aws_mode.add_argument("--out", type=Path, default=RESULTS)
    return top


def _local(args: argparse.Namespace, console: Console) -> BenchmarkRun:
    counts = {
        "cold_starts": args.cold_starts,
        "warm_rounds": args.warm_rounds,
        "pair_cold_starts": args.pair_cold_starts,
        "pair_warm_rounds": args.pair_warm_rounds,
    }
    chosen = {key: value for key, value in counts.items() if value is not None}
    flags = {
        "free": not args.no_free,
        "model_pairs": not args.no_model_pairs,
        "rebuild_layers": args.rebuild_layers,
        "runtime": args.runtime,
        "arch": args.arch,
    }
    settings = (
        local.LocalSettings.quick(**chosen, **flags)
        if args.quick
        else local.LocalSettings(**chosen, **flags)
    )
    return with_progress(console, lambda tick, total: local.run(settings, tick, total))


def _aws(args: argparse.Namespace, console: Console) -> BenchmarkRun:
    import boto3  # only here: the local modes run without AWS

    functions = function_names(
        boto3.client("cloudformation", region_name=args.region),
        args.onnx_function,
        args.pickle_function,
        args.stack,
        args.baseline_stack,
    )
    client = boto3.client("lambda", region_name=args.region)
    card = ModelCard.load(CARD)
    events = local.sample_events(card)
    settings = AwsSettings(functions, events, args.cold_starts, args.warm_invokes, args.snapstart)
    run = with_progress(console, lambda tick, total: run_aws(client, settings, tick, total))
    model, task = model_measured(card)
    return replace(run, model=model, task=task)


def _sizes(text: str) -> tuple[int, ...]:
    return tuple(int(size) for size in text.split(","))


def _tune(args: argparse.Namespace) -> None:
    settings = tune.TuneSettings(
        sizes=args.sizes,
        cold_starts=args.cold_starts,
        warm_rounds=args.warm_rounds,
        goal=tune.Goal(args.goal_ms, args.percentile, args.goal_on),
        cold_percent=args.cold_percent,
        runtime=args.runtime,
        arch=args.arch,
        floor_mb=args.floor_mb,
    )
    measured = tune.run(settings, lambda line: print(line, file=sys.stderr, flush=True))
    print(tune.write(measured, args.out), end="")
    print(f"wrote {args.out}/tune.md and tune.json")


def _batch(args: argparse.Namespace) -> None:
    print(batch.write(batch.run(args.rows, args.rounds, args.runtime, args.arch), args.out))


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark the arguments ask for; 0 when it ran (targets are reported only)."""
    top = parser()
    args = top.parse_args(with_default_mode(sys.argv[1:] if argv is None else argv))
    if args.mode != "aws" and args.arch != host_arch():
        top.error(
            f"--arch {args.arch}: local benchmarks run the layer on this machine's CPU "
            f"({host_arch()}); measure {args.arch} on AWS with make benchmark-aws"
        )
    if args.mode == "batch":
        _batch(args)
        return 0
    if args.mode == "tune":
        _tune(args)
        return 0
    console = Console(width=None if sys.stdout.isatty() else 140)
    if args.mode == "aws":
        run = _aws(args, console)
    else:
        args.out = output_dir(args.out, args.quick)
        run = _local(args, console)
    write_outputs(run, args.out)
    print_tables(run, console)
    if metrics_line(run):
        console.print(metrics_line(run))
    console.print(f"wrote {args.out}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
