"""``python -m tools.benchmarks [--quick]`` (local), ``python -m tools.benchmarks aws ...`` (AWS).

Writes ``tools/benchmarks/results/{local,aws}.json`` (raw samples, machine, versions, method), a
Markdown summary and a PNG chart, and prints the tables with every target as measured / target.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from layer.runtimes import DEFAULT_ARCH, DEFAULT_RUNTIME, LAMBDA_ARCHES, LAMBDA_RUNTIMES, host_arch
from tools.benchmarks.chart import write_chart
from tools.benchmarks.summary import print_tables, render_markdown

RESULTS = Path(__file__).resolve().parent / "results"
# Where a --quick smoke run writes unless --out says otherwise: never over the committed results.
QUICK_RESULTS = Path(__file__).resolve().parents[2] / "build" / "benchmarks" / "quick"


def write_outputs(results: dict[str, Any], out: Path, stem: str, summary: str, chart: str) -> None:
    """The JSON, the Markdown summary and the chart, side by side in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{stem}.json").write_text(json.dumps(results, indent=1) + "\n")
    write_chart(results, out / chart)
    (out / summary).write_text(render_markdown(results, chart))


def _with_progress(console: Console, measure: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    columns = (
        TextColumn("{task.description:<28}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("starting", total=None)

        def tick(description: str) -> None:
            progress.update(task, advance=1, description=description)

        def set_total(total: int) -> None:
            progress.update(task, total=total)

        return measure(tick, set_total)


def output_dir(out: Path | None, quick: bool) -> Path:
    """``--out`` if given; else the committed results folder, or ``build/`` for a smoke run,
    whose few samples must never replace the numbers README shows."""
    if out is not None:
        return out
    return QUICK_RESULTS if quick else RESULTS


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tools.benchmarks", description=__doc__)
    parser.add_argument(
        "--out",
        type=Path,
        help=f"where results are written (default {RESULTS}; --quick: {QUICK_RESULTS})",
    )
    sub = parser.add_subparsers(dest="mode")
    local = sub.add_parser("local", help="(default) local runtime, no AWS")
    for target in (parser, local):
        target.add_argument("--quick", action="store_true", help="few samples: a smoke run")
        target.add_argument("--cold-starts", type=int, help="Iris cold starts per contender")
        target.add_argument("--grid-cold-starts", type=int, help="per contender and grid point")
        target.add_argument("--warm-rounds", type=int, help="warm invokes per event")
        target.add_argument("--lever-rounds", type=int, help="fresh processes per lever")
        target.add_argument("--no-grid", action="store_true", help="skip the forest grid")
        target.add_argument("--no-levers", action="store_true", help="skip the lever study")
        target.add_argument("--rebuild-layers", action="store_true")
        target.add_argument("--runtime", default=DEFAULT_RUNTIME, choices=LAMBDA_RUNTIMES)
        target.add_argument("--arch", default=DEFAULT_ARCH, choices=LAMBDA_ARCHES)
    aws = sub.add_parser("aws", help="deployed stacks; needs AWS credentials")
    aws.add_argument("--onnx-function", required=True, help="name or ARN of InferenceFunction")
    aws.add_argument("--pickle-function", help="name or ARN of PickleBaselineFunction")
    aws.add_argument("--cold-starts", type=int, default=10)
    aws.add_argument("--warm-invokes", type=int, default=50)
    aws.add_argument("--region")
    aws.add_argument(
        "--snapstart",
        action="store_true",
        help="functions deployed with SnapStart=true: measure restores of published versions",
    )
    return parser


def _local(args: argparse.Namespace, console: Console) -> dict[str, Any]:
    from tools.benchmarks.local import LocalBenchmarkSettings, run

    overrides = {
        key: value
        for key, value in {
            "cold_starts": args.cold_starts,
            "grid_cold_starts": args.grid_cold_starts,
            "warm_rounds": args.warm_rounds,
            "lever_rounds": args.lever_rounds,
        }.items()
        if value is not None
    }
    flags = {
        "grid": not args.no_grid,
        "levers": not args.no_levers,
        "rebuild_layers": args.rebuild_layers,
        "runtime": args.runtime,
        "arch": args.arch,
    }
    settings = (
        LocalBenchmarkSettings.quick(**overrides, **flags)
        if args.quick
        else LocalBenchmarkSettings(**overrides, **flags)
    )
    return _with_progress(console, lambda tick, total: run(settings, tick, total))


def _aws(args: argparse.Namespace, console: Console) -> dict[str, Any]:
    import boto3

    from tools.benchmarks.aws import AwsSettings, run_aws

    client = boto3.client("lambda", region_name=args.region)
    functions = {"onnx": args.onnx_function}
    if args.pickle_function:
        functions["pickle"] = args.pickle_function
    settings = AwsSettings(functions, args.cold_starts, args.warm_invokes, args.snapstart)
    return _with_progress(console, lambda tick, total: run_aws(client, settings, tick, total))


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark the arguments ask for; 0 when it ran (targets are reported only)."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.mode != "aws" and args.arch != host_arch():
        parser.error(
            f"--arch {args.arch}: local benchmarks run the layer on this machine's CPU "
            f"({host_arch()}); measure {args.arch} on AWS with make benchmark-aws"
        )
    args.out = output_dir(args.out, args.quick)
    console = Console(width=None if sys.stdout.isatty() else 140)
    if args.mode == "aws":
        results = _aws(args, console)
        write_outputs(results, args.out, "aws", "summary-aws.md", "chart-aws.png")
    else:
        results = _local(args, console)
        write_outputs(results, args.out, "local", "summary.md", "chart.png")
    print_tables(results, console)
    console.print(f"wrote {args.out}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
