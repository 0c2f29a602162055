"""What a rejected request costs against the largest legal one: ``make benchmark-request-cost``.

A function that parses a whole body before checking it pays for an attacker's 6 MB of tiny
objects in time and memory, and CPython keeps that memory afterwards. This measures, through the
real runtime client on the ``sam build`` output, each hostile request and each heavy legal
request, every sample in a fresh process (one warm-up invoke first, so that only the request is
measured), cases alternating and the order flipped every round. It prints the medians and the two
ratios that matter: the worst rejected request over the largest legal one, in Duration and in
peak RSS (Lambda's "Max Memory Used"), against a target of at most 1.0.

Every request is sized so that its whole invoke payload fits Lambda's 6 MB request limit, as it
must to reach the function at all. Direct invokes are parsed by the runtime client before the
handler runs: their numbers say what the runtime pays, which no handler can change.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

from onnx_serving.card import ModelCard
from tools.benchmarks.cold_start import alternating
from tools.benchmarks.environment import machine, now_utc
from tools.benchmarks.stats import median
from tools.local_lambda import FunctionConfig, LocalLambda
from tools.local_lambda.cpu_quota import CpuLimit
from tools.local_lambda.runner import proc_status_kb
from tools.reliability.corpus import fitted_payload, invoke_payload
from tools.reliability.sam_build_output import FUNCTION, built_config, built_lambda
from tools.reliability.verdict import judge

OUT = Path("build/request-cost")
TARGET_RATIO = 1.0
HTTP = "http-api"
DIRECT = "direct"


@dataclass(frozen=True)
class CostCase:
    """One request: whether a correct function must answer it 200, and its invoke payload."""

    name: str
    entry: str
    legal: bool
    raw: bytes


@dataclass(frozen=True)
class CostSample:
    """One fresh process: the request's Duration, peak RSS and RSS left once it answered."""

    duration_ms: float
    handler_ms: float | None
    peak_rss_mb: float
    rss_after_mb: float
    status: int | None
    error_type: str | None


def _midpoint(card: ModelCard) -> list[str]:
    """A valid row in fixed notation, so that appending zeros never changes a value."""
    ranges = zip(card.feature_min, card.feature_max, strict=True)
    return [f"{(lo + hi) / 2:.3f}" for lo, hi in ranges]


def cases(card: ModelCard, max_rows: int) -> list[CostCase]:
    """The heaviest legal requests and the hostile ones the review found, for both entries."""
    row = _midpoint(card)
    pairs = zip(card.feature_names, row, strict=True)
    named = "{" + ", ".join(f"{json.dumps(name)}: {value}" for name, value in pairs) + "}"
    positional = ", ".join(row)
    rows_body = "[" + ", ".join([named] * max_rows) + "]"
    bodies: dict[str, tuple[bool, Callable[[int], str]]] = {
        "legal: max rows": (True, lambda n: '{"instances": ' + rows_body + "}"),
        "legal: max rows, padded": (True, lambda n: '{"instances": ' + rows_body + " " * n + "}"),
        # Indented JSON: every newline becomes an escape in the event, which the runtime client
        # unescapes chunk by chunk; as costly to receive as any body of this size can be.
        "legal: max rows, pretty-printed": (
            True,
            lambda n: '{"instances": ' + rows_body + "\n  " * (n // 3) + "}",
        ),
        "legal: max rows, long numbers": (
            True,
            lambda n: (
                '{"instances": ['
                + ", ".join(
                    ["[" + ", ".join(f"{v}{'0' * (n // (len(row) * max_rows))}" for v in row) + "]"]
                    * max_rows
                )
                + "]}"
            ),
        ),
        "legal: one 6 MB number": (
            True,
            lambda n: '{"features": [' + ", ".join([row[0] + "0" * n, *row[1:]]) + "]}",
        ),
        "tiny objects": (False, lambda n: '{"instances": [' + ", ".join(["{}"] * n) + "]}"),
        "tiny arrays": (False, lambda n: "[" + ",".join(["[]"] * n) + "]"),
        "many feature keys": (
            False,
            lambda n: '{"features": {' + ", ".join(f'"k{i}": 0' for i in range(n)) + "}}",
        ),
        "many request fields": (
            False,
            lambda n: "{" + ", ".join(f'"k{i}": 0' for i in range(n)) + "}",
        ),
        "rows over the limit": (
            False,
            lambda n: '{"instances": [' + ", ".join([f"[{positional}]"] * n) + "]}",
        ),
        "6 MB string value": (False, lambda n: '{"features": ["' + "k" * n + '"]}'),
        "6 MB integer": (False, lambda n: '{"features": [' + "9" * n + ", 1, 2, 3]}"),
        "6 MB field name": (False, lambda n: '{"' + "k" * n + '": 1}'),
        "deep nesting": (False, lambda n: '{"features": ' + "[" * n + "]" * n + "}"),
        # The densest JSON there is: the most lists per byte (reliability.memory_bound).
        "densest JSON": (False, lambda n: "[" + ",".join(["[" * 100 + "]" * 100] * n) + "]"),
    }
    direct = {
        "legal: max rows",
        "legal: max rows, padded",
        "legal: max rows, pretty-printed",
        "legal: max rows, long numbers",
        "tiny objects",
        "many feature keys",
        "many request fields",
        "densest JSON",
    }
    found = [
        CostCase(name, entry, legal, fitted_payload(entry, body))
        for name, (legal, body) in bodies.items()
        for entry in (HTTP, DIRECT)
        if entry == HTTP or name in direct
    ]
    padded = bodies["legal: max rows, padded"][1]
    found.append(
        CostCase("legal: max rows, padded, base64", HTTP, True, fitted_payload(HTTP, padded, True))
    )
    garbage = fitted_payload(HTTP, lambda n: "\udcff" * n, True)
    found.append(CostCase("6 MB base64, not UTF-8", HTTP, False, garbage))
    return found


def sample(case: CostCase, start: Callable[[IO[bytes]], LocalLambda], warm_up: str) -> CostSample:
    """One fresh runtime: a small valid request through the same entry, then ``case``.

    The function's own log line for the request gives the handler's share of the Duration;
    the rest is the runtime client receiving and parsing the event.
    """
    with tempfile.TemporaryFile() as logs:
        with start(logs) as function:
            if function.init_error is not None:
                raise RuntimeError(f"init failed: {function.init_error.payload[:300]!r}")
            function.invoke(invoke_payload(case.entry, warm_up))
            result = function.invoke(case.raw)
            rss_after = proc_status_kb(function.pid) / 1024
            peak = function.peak_rss_kb / 1024
        logs.seek(0)
        handler_ms = _handler_latency(logs.read().decode("utf-8", "replace"), result.request_id)
    verdict = judge(result.payload, result.function_error, result.request_id)
    return CostSample(
        result.duration_ms, handler_ms, peak, rss_after, verdict.status, verdict.error_type
    )


def _handler_latency(log: str, request_id: str) -> float | None:
    """``latency_ms`` of the request's log line; None when the runtime refused the event."""
    for line in log.splitlines():
        if line.startswith("{") and request_id in line:
            return json.loads(line).get("latency_ms")
    return None


def _starter(
    build_dir: Path, config: FunctionConfig, cpu_limit: CpuLimit | None
) -> Callable[[IO[bytes]], LocalLambda]:
    runner = functools.partial(LocalLambda, cpu_limit=cpu_limit)
    return lambda logs: built_lambda(build_dir, logs, config, runner=runner)


def measure(build_dir: Path, rounds: int, cpu: str, tick: Callable[[str], None]) -> dict[str, Any]:
    """Every case ``rounds`` times in one CPU mode (``quota`` falls back to free if it must)."""
    config = built_config(build_dir)
    card = ModelCard.load(build_dir / FUNCTION / "model.json")
    all_cases = cases(card, int(config.environment.get("MAX_BATCH_ROWS", "1000")))
    warm_up = '{"features": [' + ", ".join(_midpoint(card)) + "]}"
    samples: dict[str, list[CostSample]] = {f"{c.entry}: {c.name}": [] for c in all_cases}
    limit = CpuLimit() if cpu == "quota" and CpuLimit().available() is None else None
    start = _starter(build_dir, config, limit)
    for case in alternating(all_cases, rounds):
        tick(f"{'one CPU' if limit else 'free'} {case.entry}: {case.name}")
        samples[f"{case.entry}: {case.name}"].append(sample(case, start, warm_up))
    return {
        "cpu": "one CPU (CFS quota)" if limit is not None else "free (no quota)",
        "cases": {
            key: {
                "entry": case.entry,
                "legal": case.legal,
                "payload_bytes": len(case.raw),
                "status": [s.status for s in samples[key]][-1],
                "error_type": [s.error_type for s in samples[key]][-1],
                "duration_ms": median([s.duration_ms for s in samples[key]]),
                "handler_ms": _median_or_none([s.handler_ms for s in samples[key]]),
                "peak_rss_mb": median([s.peak_rss_mb for s in samples[key]]),
                "rss_after_mb": median([s.rss_after_mb for s in samples[key]]),
                "samples": [asdict(s) for s in samples[key]],
            }
            for case in all_cases
            for key in [f"{case.entry}: {case.name}"]
        },
    }


def _median_or_none(values: list[float | None]) -> float | None:
    found = [v for v in values if v is not None]
    return median(found) if found else None


METRICS = (
    ("duration_ms", "time"),
    ("peak_rss_mb", "peak RSS"),
    ("handler_ms", "handler's own time"),
)


def ratios(run: dict[str, Any], entry: str) -> dict[str, Any]:
    """Worst rejected over largest legal for one entry point: Duration, peak RSS, and the
    handler's own share of the time (what the function controls; the rest is the runtime
    client receiving and parsing the event)."""
    found = {name: c for name, c in run["cases"].items() if c["entry"] == entry}
    result: dict[str, Any] = {}
    for metric, _ in METRICS:
        measured = {name: c for name, c in found.items() if c[metric] is not None}
        legal = max((n for n, c in measured.items() if c["legal"]), key=lambda n: found[n][metric])
        rejected = max(
            (n for n, c in measured.items() if not c["legal"]), key=lambda n: found[n][metric]
        )
        result[metric] = {
            "largest_legal": legal,
            "worst_rejected": rejected,
            "ratio": round(found[rejected][metric] / found[legal][metric], 3),
        }
    return result


def report(runs: list[dict[str, Any]]) -> str:
    """The table of medians and the ratios, per CPU mode and entry point."""
    lines = []
    for run in runs:
        lines.append(f"\n{run['cpu']}: medians over fresh processes")
        lines.append(
            f"{'request':<44} {'answer':<26} {'Duration ms':>12} {'handler ms':>11} "
            f"{'peak MB':>8} {'after MB':>9}"
        )
        for name, case in run["cases"].items():
            answer = f"{case['status']} {case['error_type'] or ''}".strip()
            handler = "-" if case["handler_ms"] is None else f"{case['handler_ms']:.1f}"
            lines.append(
                f"{name:<44} {answer:<26} {case['duration_ms']:>12.1f} {handler:>11} "
                f"{case['peak_rss_mb']:>8.1f} {case['rss_after_mb']:>9.1f}"
            )
        for entry in (HTTP, DIRECT):
            found = ratios(run, entry)
            for metric, label in METRICS:
                r = found[metric]
                verdict = "meets" if r["ratio"] <= TARGET_RATIO else "misses"
                lines.append(
                    f"{entry} {label}: worst rejected ({r['worst_rejected']}) / largest legal "
                    f"({r['largest_legal']}) = {r['ratio']:.3f} ({verdict} the target <= "
                    f"{TARGET_RATIO})"
                )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Measure, write ``build/request-cost/results.json``, print the report."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.benchmarks.request_cost", description=__doc__
    )
    parser.add_argument("--build-dir", type=Path, default=Path(".aws-sam/build"))
    parser.add_argument("--rounds", type=int, default=5, help="fresh processes per case")
    parser.add_argument("--cpu", choices=["quota", "free", "both"], default="both")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    modes = ["quota", "free"] if args.cpu == "both" else [args.cpu]
    started = {"when": now_utc(), "machine": machine()}
    runs = [
        measure(args.build_dir, args.rounds, mode, lambda what: print(what, flush=True))
        for mode in modes
    ]
    results = {**started, "load_average_at_end": list(os.getloadavg()), "runs": runs}
    for run in runs:
        run["ratios"] = {entry: ratios(run, entry) for entry in (HTTP, DIRECT)}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    text = report(runs)
    (args.out / "summary.txt").write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
