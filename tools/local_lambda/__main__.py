"""`python -m tools.local_lambda invoke EVENT.json ...` or `python -m tools.local_lambda serve`.

``invoke`` runs events (and, with ``--golden``, the model card's golden rows, checked against
the reference answers) through the sam build output: each answer goes to stdout as the raw
payload (what `aws lambda invoke` writes to its outfile), a REPORT line like Lambda's to stderr.
All events share one warm process, so the first REPORT carries the Init Duration. The exit
status is 1 if init or any invoke failed, or a golden row was answered differently.

``serve`` puts the stack's HTTP API in front of the same runtime on 127.0.0.1 (``gateway``): it
prints the URL, logs the function's lines to stderr and stops on Ctrl-C or SIGTERM.

Where the template's Python is not installed, both run the host Python on a layer built for it
(``host_layer``) and say so once on stderr.
"""

from __future__ import annotations

import argparse
import math
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from layer.interpreters import Interpreter, find_interpreter
from onnx_serving.card import ModelCard, golden_mismatches
from tools.local_lambda import host_layer
from tools.local_lambda.function import FunctionConfig
from tools.local_lambda.gateway import LocalGateway, http_api_routes
from tools.local_lambda.golden import SAMPLE_ROWS, golden_event, sample_event
from tools.local_lambda.runner import InvokeResult, LocalLambda
from tools.local_lambda.template import function_config


class UsageError(ValueError):
    """The command line cannot be run as given; the message says why."""


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tools.local_lambda", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    invoke = commands.add_parser("invoke", help="run events through the local runtime")
    invoke.add_argument("events", nargs="*", type=Path, help="event JSON files")
    invoke.add_argument(
        "--golden",
        action="store_true",
        help="also send the golden rows of the built model's card, and check the answers",
    )
    serve = commands.add_parser("serve", help="the HTTP API on 127.0.0.1, like sam local start-api")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=3000, help="0 picks a free port")
    for command in (invoke, serve):
        command.add_argument("--build-dir", type=Path, default=Path(".aws-sam/build"))
        command.add_argument("--function", default="InferenceFunction", help="SAM logical id")
        command.add_argument(
            "--layer", action="append", help="SAM logical id of a layer (default OnnxRuntimeLayer)"
        )
        command.add_argument(
            "--layer-dir",
            action="append",
            type=Path,
            help="a built layer folder, instead of --layer",
        )
        command.add_argument(
            "--runtime", help="Lambda runtime, e.g. python3.13 (default: template's)"
        )
    return parser.parse_args(argv)


def report_line(result: InvokeResult, memory_mb: int, init_ms: float | None) -> str:
    """Lambda's REPORT log line for one invoke."""
    line = (
        f"REPORT RequestId: {result.request_id}\tDuration: {result.duration_ms:.2f} ms\t"
        f"Billed Duration: {math.ceil(result.duration_ms + (init_ms or 0))} ms\t"
        f"Memory Size: {memory_mb} MB\tMax Memory Used: {result.max_memory_used_kb // 1024} MB"
    )
    return line + (f"\tInit Duration: {init_ms:.2f} ms" if init_ms is not None else "")


def _function(args: argparse.Namespace) -> tuple[FunctionConfig, Callable[[], LocalLambda]]:
    """The function's config and a factory for fresh execution environments of it."""
    overrides = {"Runtime": args.runtime} if args.runtime else {}
    config = function_config(args.build_dir / "template.yaml", args.function, overrides)
    interpreter = find_interpreter(config.runtime)
    layers = _layers(args, config.runtime, interpreter)
    task_root = args.build_dir / args.function
    return config, lambda: LocalLambda(task_root, layers, config, interpreter, logs=sys.stderr)


def _layers(args: argparse.Namespace, runtime: str, interpreter: Interpreter) -> list[Path]:
    """The layers to load, saying once on stderr which Python runs them."""
    layers = args.layer_dir or [
        args.build_dir / name for name in args.layer or [host_layer.ONNX_LAYER]
    ]
    if interpreter.matches_runtime:
        print(f"local_lambda: {runtime} -> {interpreter.path}", file=sys.stderr)
        return layers
    if args.layer_dir:
        print(
            f"local_lambda: {runtime} not found here; running host Python "
            f"{interpreter.version} ({interpreter.path}) with the layers given (--layer-dir)",
            file=sys.stderr,
        )
        return layers
    try:
        layers = host_layer.runnable_layers(layers, interpreter)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    print(host_layer.fallback_note(runtime, interpreter, layers), file=sys.stderr)
    return layers


def _invoke(args: argparse.Namespace) -> int:
    if not args.events and not args.golden:
        raise UsageError("give event files, --golden, or both")
    config, start = _function(args)
    card = ModelCard.load(args.build_dir / args.function / "model.json") if args.golden else None
    invocations = [(str(path), path.read_bytes()) for path in args.events]
    sample = f"{SAMPLE_ROWS} example rows of the model"
    if card is not None:
        invocations.append((sample, sample_event(card)))
        invocations.append(
            (f"the {len(card.golden_rows)} golden rows of model.json", golden_event(card))
        )
    failed = False
    with start() as function:
        if function.init_error is not None:
            print(f"INIT ERROR {function.init_error.error_type}", file=sys.stderr)
        init_ms = function.init_duration_ms
        for name, payload in invocations:
            print(f"# {name}", file=sys.stderr, flush=True)
            result = function.invoke(payload)
            print(result.payload.decode(), flush=True)
            print(report_line(result, config.memory_mb, init_ms), file=sys.stderr)
            init_ms = None
            failed = failed or result.function_error is not None
            if name == sample and result.function_error is None and "error" in result.json():
                print(f"{sample}: not answered", file=sys.stderr)
                failed = True
    if card is not None and result.function_error is None:
        problems = golden_mismatches(card, result.json())
        done = f"golden rows: all {len(card.golden_rows)} answered as the reference model did"
        print("\n".join(problems) or done, file=sys.stderr)
        failed = failed or bool(problems)
    return 1 if failed else 0


def _stop_on_signal(signum: int, frame: FrameType | None) -> None:
    """Ctrl-C and SIGTERM end ``serve``. Both are set here, not inherited: a shell that starts a
    job in the background hands it SIGINT ignored, and Python then leaves Ctrl-C ignored."""
    raise KeyboardInterrupt


def _serve(args: argparse.Namespace) -> int:
    _, start = _function(args)
    routes = http_api_routes(args.build_dir / "template.yaml")
    signal.signal(signal.SIGINT, _stop_on_signal)
    signal.signal(signal.SIGTERM, _stop_on_signal)
    server = LocalGateway((args.host, args.port), routes, start)
    try:
        if server.function.init_error is not None:
            print(f"INIT ERROR {server.function.init_error.error_type}", file=sys.stderr)
        print(f"Serving {args.function} at {server.url}", flush=True)
        for route in routes:
            method, _, path = route.key.partition(" ")
            print(f"  {method:<5} {server.url}{path}", flush=True)
        print("Ctrl-C to stop", flush=True)
        server.serve_forever()
    except KeyboardInterrupt:
        # A second Ctrl-C while stopping must not cut the stop short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    finally:
        server.stop()
    print("Stopped", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the `invoke` or `serve` command; returns the process exit status."""
    args = _arguments(argv)
    try:
        return _serve(args) if args.command == "serve" else _invoke(args)
    except UsageError as exc:
        print(f"local_lambda: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
