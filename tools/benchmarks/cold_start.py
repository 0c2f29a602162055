"""Cold and warm invocations through the local Lambda runtime, contenders alternating.

Every cold start is a fresh runtime process (``LocalLambda``): interpreter start, the imports
from the layer, the handler's init, then one invoke. Contenders take turns, and the order flips
every round, so a slow minute on a shared machine lands on both and not on one.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import replace
from typing import TypeVar

from layer.interpreters import Interpreter
from tools.benchmarks.packages import Contender
from tools.benchmarks.results import FREE, ONE_CPU, ColdSample
from tools.local_lambda import FunctionConfig, LocalLambda
from tools.local_lambda.cpu_quota import CpuLimit

Turn = TypeVar("Turn")


class InvokeFailed(RuntimeError):
    """A contender failed to init or answered with an error: its numbers would mean nothing."""


def cpu_modes(free: bool) -> tuple[list[tuple[str, CpuLimit | None]], str]:
    """The CPU modes to measure, the main one first, and why one-CPU is missing if it is.

    Where no cgroup can be made (not root, no writable cpu controller), every number is taken
    with free CPU and the results say so, rather than silently measuring another machine.
    """
    limit = CpuLimit()
    unavailable = limit.available()
    if unavailable:
        return [(FREE, None)], f"no one-CPU quota here ({unavailable}): measured with free CPU"
    return [(ONE_CPU, limit)] + ([(FREE, None)] if free else []), ""


def alternating(turns: Sequence[Turn], rounds: int) -> list[Turn]:
    """Round-robin order, reversed every other round: A B, B A, A B, ..."""
    order: list[Turn] = []
    for index in range(rounds):
        order.extend(turns if index % 2 == 0 else list(reversed(turns)))
    return order


def _start(
    contender: Contender,
    base: FunctionConfig,
    interpreter: Interpreter,
    cpu_limit: CpuLimit | None,
) -> LocalLambda:
    return LocalLambda(
        contender.task_root,
        contender.layers,
        replace(base, name=contender.name),
        interpreter,
        logs=subprocess.DEVNULL,
        cpu_limit=cpu_limit,
    )


def _checked(function: LocalLambda, contender: Contender, event: bytes) -> float:
    result = function.invoke(event)
    if result.function_error is not None or "error" in result.json():
        raise InvokeFailed(f"{contender.name}: {result.payload[:300]!r}")
    return result.duration_ms


def cold_start(
    contender: Contender,
    event: bytes,
    base: FunctionConfig,
    interpreter: Interpreter,
    cpu_limit: CpuLimit | None = None,
) -> ColdSample:
    """Start a fresh runtime (under ``cpu_limit``, if any), invoke once, stop it."""
    with _start(contender, base, interpreter, cpu_limit) as function:
        if function.init_error is not None or function.init_duration_ms is None:
            detail = function.init_error.payload[:300] if function.init_error else b""
            raise InvokeFailed(f"{contender.name}: init failed {detail!r}")
        first = _checked(function, contender, event)
        return ColdSample(function.init_duration_ms, first, function.peak_rss_kb / 1024)


def cold_starts(
    contenders: Sequence[Contender],
    rounds: int,
    event: bytes,
    base: FunctionConfig,
    interpreter: Interpreter,
    tick: Callable[[str], None],
    cpu_limit: CpuLimit | None = None,
) -> dict[str, list[ColdSample]]:
    """``rounds`` cold starts of each contender, alternating; ``tick`` after each one."""
    samples: dict[str, list[ColdSample]] = {c.name: [] for c in contenders}
    for contender in alternating(contenders, rounds):
        samples[contender.name].append(cold_start(contender, event, base, interpreter, cpu_limit))
        tick(f"cold start {contender.name}")
    return samples


def warm_latencies(
    contenders: Sequence[Contender],
    events: dict[str, bytes],
    rounds: int,
    base: FunctionConfig,
    interpreter: Interpreter,
    tick: Callable[[str], None],
    warmup: int = 5,
    cpu_limit: CpuLimit | None = None,
    peak_rss_mb: dict[str, float] | None = None,
    idle_s: float = 0.0,
) -> dict[str, dict[str, list[float]]]:
    """Per-invoke durations (ms) of each event in one warm process per contender.

    All processes stay up together and take the same event in turn, so all see the same load;
    each event is measured in its own phase, so a large batch does not disturb the next small
    request's timing. ``peak_rss_mb``, when given, receives each process's peak RSS once all its
    invokes are done: what a warm environment needs, larger than a cold start's after a batch.
    ``idle_s`` passes before each measured invoke: under a CPU quota, a request reaching an idle
    environment has its period's whole quota, where back-to-back requests share one.
    """
    durations = {c.name: {label: [] for label in events} for c in contenders}
    with ExitStack() as stack:
        running = [
            (c, stack.enter_context(_start(c, base, interpreter, cpu_limit))) for c in contenders
        ]
        for contender, function in running:
            if function.init_error is not None:
                raise InvokeFailed(f"{contender.name}: init failed")
            for event in events.values():
                for _ in range(warmup):
                    _checked(function, contender, event)
        for label, event in events.items():
            for index in range(rounds):
                order = running if index % 2 == 0 else list(reversed(running))
                for contender, function in order:
                    time.sleep(idle_s)
                    durations[contender.name][label].append(_checked(function, contender, event))
                tick(f"warm {label}")
        if peak_rss_mb is not None:
            peak_rss_mb.update({c.name: function.peak_rss_kb / 1024 for c, function in running})
    return durations
