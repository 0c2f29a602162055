"""Soak: one warm local runtime answers tens of thousands of mixed requests.

``python -m tools.reliability.soak --count 50000`` (``make soak``) starts the function built by
``sam build`` under the real runtime client, on 127.0.0.1 only, and cycles through a fixed
palette: valid rows on every entry point and the small cases of the hostile corpus. It reports
unexpected answers (must be 0), lost invocations (must be 0), p50/p99 latency, the runtime's RSS
after warm-up and at the end, and determinism: every palette entry must give the same bytes each
time (the request id aside). The runtime client itself grows RSS by ~110 bytes per invocation
(see ``rss_baseline``); a no-op handler measures that, and only growth beyond it counts as a
leak. It stops by itself after ``--count`` invocations or ``--max-seconds``, whichever comes
first; the exit status is 1 unless everything held.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from onnx_serving.card import ModelCard
from tools.example_rows import example_rows
from tools.local_lambda import InvokeResult, LocalLambda
from tools.local_lambda.runner import proc_status_kb
from tools.reliability.corpus import DIRECT, HTTP_SAMPLES, cases_for, http_event
from tools.reliability.rss_baseline import runtime_bytes_per_invoke
from tools.reliability.sam_build_output import FUNCTION, built_config, built_lambda
from tools.reliability.verdict import Verdict, as_expected, judge

# Cases bigger than this (the 6 MB bodies) would turn a soak into a parsing benchmark.
MAX_PALETTE_BYTES = 64 * 1024
VALID_ROWS = 64
# Lambda's invoke stays well under a second here; a runtime silent for this long is lost.
DEFAULT_MAX_SECONDS = 900.0
SHOWN_FAILURES = 10
# The handler's own growth over a whole soak, after subtracting the runtime client's: a leak of
# even 40 bytes per request would pass 2 MB over 50,000 invocations.
RSS_EXCESS_LIMIT_KB = 2048


@dataclass(frozen=True)
class SoakRequest:
    """One palette entry: the invoke payload and the answer it must get."""

    name: str
    raw: bytes
    expected: Verdict


@dataclass
class SoakReport:
    """What a soak saw; ``held`` says whether it passed."""

    requested: int
    sent: int = 0
    answered: int = 0
    unexpected: int = 0
    nondeterministic: int = 0
    failures: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    rss_start_kb: int = 0
    rss_end_kb: int = 0
    peak_rss_kb: int = 0
    seconds: float = 0.0
    # RSS growth per invocation of a no-op handler under the same runtime client, if measured.
    runtime_bytes_per_invoke: float | None = None

    @property
    def excess_rss_kb(self) -> float:
        """RSS growth beyond what the runtime client alone explains (0 if not measured)."""
        if self.runtime_bytes_per_invoke is None:
            return 0.0
        explained = self.runtime_bytes_per_invoke * self.sent / 1024
        return self.rss_end_kb - self.rss_start_kb - explained

    @property
    def held(self) -> bool:
        """Every request sent and answered as expected, byte for byte the same each time."""
        return (
            self.sent == self.answered == self.requested
            and self.unexpected == 0
            and self.nondeterministic == 0
            and self.excess_rss_kb <= RSS_EXCESS_LIMIT_KB
        )

    def percentile(self, q: float) -> float:
        """Nearest-rank percentile of the runtime-side invoke durations, in ms."""
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))] if ordered else 0.0

    def lines(self) -> list[str]:
        """The report, one figure per line."""
        return [
            f"invocations: {self.sent} sent, {self.answered} answered of {self.requested}",
            f"unexpected answers: {self.unexpected}",
            f"nondeterministic answers: {self.nondeterministic}",
            f"latency (runtime side): p50 {self.percentile(50):.3f} ms, "
            f"p99 {self.percentile(99):.3f} ms",
            f"RSS: {self.rss_start_kb} kB after warm-up, {self.rss_end_kb} kB at the end "
            f"({self.rss_end_kb - self.rss_start_kb:+d} kB); peak {self.peak_rss_kb} kB",
            *_baseline_lines(self),
            f"wall time: {self.seconds:.1f} s",
            *(f"failure: {text}" for text in self.failures),
            "SOAK HELD" if self.held else "SOAK FAILED",
        ]


def _baseline_lines(report: SoakReport) -> list[str]:
    if report.runtime_bytes_per_invoke is None or not report.sent:
        return []
    growth = (report.rss_end_kb - report.rss_start_kb) * 1024 / report.sent
    return [
        f"RSS growth per invocation: {growth:.1f} B; a no-op handler under the same runtime "
        f"client: {report.runtime_bytes_per_invoke:.1f} B (its per-invoke trace-id setenv)",
        f"RSS growth beyond the runtime client: {report.excess_rss_kb:+.0f} kB "
        f"(limit {RSS_EXCESS_LIMIT_KB} kB)",
    ]


def palette(card: ModelCard) -> list[SoakRequest]:
    """Example rows of the served model on every entry point, interleaved with the small
    hostile cases that apply to it (``corpus.cases_for``), its typed-column ones included."""
    valid = []
    entries = [DIRECT, *HTTP_SAMPLES]
    for i, row in enumerate(example_rows(card, VALID_ROWS)):
        entry = entries[i % len(entries)]
        body = {"features": row}
        event = body if entry == DIRECT else http_event(entry, {"body": json.dumps(body)})
        valid.append(
            SoakRequest(f"{entry}:valid-{i}", json.dumps(event).encode(), Verdict(200, None, None))
        )
    hostile = [
        SoakRequest(case.name, case.raw, Verdict(case.status, case.error_type, case.labels))
        for case in cases_for(card)
        if len(case.raw) <= MAX_PALETTE_BYTES
    ]
    mixed = []
    for i in range(max(len(valid), len(hostile))):
        mixed += [valid[i % len(valid)], hostile[i % len(hostile)]]
    return mixed


def _problem(request: SoakRequest, result: InvokeResult) -> str | None:
    """Why ``result`` is not the answer ``request`` must get, or None."""
    verdict = judge(result.payload, result.function_error, result.request_id)
    if as_expected(verdict, request.expected) != request.expected:
        return f"{request.name}: expected {request.expected}, got {verdict}"
    return None


def run_soak(
    function: LocalLambda,
    requests: Sequence[SoakRequest],
    count: int,
    max_seconds: float = DEFAULT_MAX_SECONDS,
    clock: Callable[[], float] = time.monotonic,
) -> SoakReport:
    """Send ``count`` invocations cycling through ``requests``; one warm-up pass goes first."""
    report = SoakReport(requested=count)
    for request in requests:
        function.invoke(request.raw)
    report.rss_start_kb = proc_status_kb(function.pid)
    digests: dict[str, bytes] = {}
    started = clock()
    for i in range(count):
        if clock() - started > max_seconds:
            report.failures.append(f"stopped by the {max_seconds:.0f} s budget after {i}")
            break
        request = requests[i % len(requests)]
        try:
            result = function.invoke(request.raw)
        except RuntimeError as exc:
            report.failures.append(f"{request.name}: {exc} after {i} invocations")
            break
        report.sent += 1
        report.answered += bool(result.payload)
        report.latencies_ms.append(result.duration_ms)
        problem = _problem(request, result)
        if problem:
            report.unexpected += 1
        digest = hashlib.sha256(result.payload.replace(result.request_id.encode(), b"")).digest()
        if digests.setdefault(request.name, digest) != digest:
            report.nondeterministic += 1
            problem = problem or f"{request.name}: answer changed between invocations"
        if problem and len(report.failures) < SHOWN_FAILURES:
            report.failures.append(problem)
    report.seconds = clock() - started
    report.rss_end_kb = proc_status_kb(function.pid)
    report.peak_rss_kb = proc_status_kb(function.pid, "VmHWM:")
    return report


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tools.reliability.soak", description=__doc__)
    parser.add_argument("--count", type=int, default=50_000)
    parser.add_argument("--max-seconds", type=float, default=DEFAULT_MAX_SECONDS)
    parser.add_argument("--build-dir", type=Path, default=Path(".aws-sam/build"))
    parser.add_argument("--runtime", help="Lambda runtime, e.g. python3.13 (default: template's)")
    parser.add_argument("--log", type=Path, default=Path("build/soak.log"))
    parser.add_argument(
        "--baseline-count",
        type=int,
        default=20_000,
        help="invocations of a no-op handler measuring the runtime client's own RSS growth "
        "(0: skip)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the soak on the sam build output; 0 if it held."""
    args = _arguments(argv)
    args.log.parent.mkdir(parents=True, exist_ok=True)
    requests = palette(ModelCard.load(args.build_dir / FUNCTION / "model.json"))
    print(f"soak: {args.count} invocations over {len(requests)} distinct requests", flush=True)
    config = built_config(args.build_dir, args.runtime)
    with (
        args.log.open("wb") as logs,
        built_lambda(args.build_dir, logs, config) as function,
    ):
        if function.init_error is not None:
            print(f"init failed: {function.init_error.payload.decode()}", file=sys.stderr)
            return 1
        report = run_soak(function, requests, args.count, args.max_seconds)
    if args.baseline_count:
        report.runtime_bytes_per_invoke = runtime_bytes_per_invoke(
            args.build_dir, config, args.baseline_count
        )
    print("\n".join(report.lines()))
    return 0 if report.held else 1


if __name__ == "__main__":
    sys.exit(main())
