"""``make tune``: which Lambda memory size serves this model cheapest within a latency goal,
measured here before anything is deployed.

Lambda gives CPU in proportion to memory: one vCPU of time at 1,769 MB ("Configure Lambda function
memory", docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html), so memory sets latency
as well as price. For every size in ``MEMORY_SIZES_MB`` the function as ``sam build`` packages it
runs under the real runtime client with that size's share of CPU time as a CFS quota (every CPU
still visible, as on Lambda; ``cpu_quota``): cold starts in fresh processes, sizes taking turns
so a slow minute lands on all of them, then warm 1-row and N-row invokes in one process per size
(N = ``local.BATCH_ROWS`` or the most rows one direct answer of this model may hold, if fewer),
each after an idle quota period: the latency of a request reaching an idle warm environment.

Price per million requests of the goal's kind, from list prices (``dollar_cost``), a share of
them cold (init billed since August 2025). Cold starts are under 1% of invocations in AWS's
analysis of production workloads (the INIT billing post, AWS Compute Blog, 2025), hence the
default share. The cheapest size whose goal percentile meets the goal, that holds the measured
peak RSS and is not below the template's ``MemorySize`` MinValue (the worst legal request's
memory, docs/security.md), is the proposed default. Architecture does not change the order:
both rates scale the same GB-seconds and the request fee is the same.

What a quota cannot reproduce: Lambda's host CPU, its memory bandwidth and caches, reading the
package from a cold disk, the network, Lambda's own work before and around init (sandbox,
extensions), any burst Lambda grants during init, and Lambda's own accounting period (a
request needing more CPU than one period's share waits for the next, so the period decides
which sizes a short request fits); above the CPUs visible here the quota is capped, so such
sizes are measured with fewer CPUs than Lambda gives them. arm64 prices are
for the durations measured on this machine's architecture.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from samtranslator.yaml_helper import yaml_parse

from layer.interpreters import Interpreter, find_interpreter
from layer.runtimes import DEFAULT_ARCH, DEFAULT_RUNTIME
from onnx_serving.answers import RequestLimits
from onnx_serving.card import ModelCard
from onnx_serving.events import DIRECT
from onnx_serving.handler import DEFAULT_MAX_BATCH_ROWS
from tools.benchmarks import packages
from tools.benchmarks.analysis import ONE_ROW
from tools.benchmarks.cold_start import alternating, cold_start, warm_latencies
from tools.benchmarks.dollar_cost import PRICE_PER_GB_SECOND_BY_ARCH, price_per_million
from tools.benchmarks.environment import layer_versions, machine, now_utc
from tools.benchmarks.local import BATCH_ROWS, WARMUP_INVOKES, event
from tools.benchmarks.results import ColdSample, Machine
from tools.benchmarks.stats import Summary, median, percentile
from tools.benchmarks.summary import machine_line
from tools.example_rows import example_rows
from tools.local_lambda import FunctionConfig
from tools.local_lambda.cpu_quota import MB_PER_VCPU, PERIOD_US, CpuLimit, cpus_for_memory
from tools.local_lambda.template import function_config

OUT = packages.ROOT / "build" / "tune"
TEMPLATE = packages.ROOT / "template.yaml"
# From the smallest size Lambda takes to 3,008 MB, through one full vCPU (1,769 MB); 10,240 MB,
# the largest, as a reference.
MEMORY_SIZES_MB = (128, 256, 512, 768, 1024, 1536, MB_PER_VCPU, 2048, 3008, 10_240)
# What the goal can be about: a warm 1-row request, a warm N-row one, or a cold start.
GOAL_ONE_ROW = "1-row"
GOAL_BATCH = "batch"
GOAL_COLD = "cold"
GOAL_KINDS = (GOAL_ONE_ROW, GOAL_BATCH, GOAL_COLD)
DEFAULT_GOAL_MS = 50.0
DEFAULT_PERCENTILE = "p99"
DEFAULT_COLD_PERCENT = 1.0
ARCHES = tuple(PRICE_PER_GB_SECOND_BY_ARCH)


def parse_percentile(text: str) -> float:
    """``p99`` / ``p99.9`` / ``99`` / ``median`` as a percentile in (0, 100]."""
    if text == "median":
        return 50.0
    found = re.fullmatch(r"p?(\d+(?:\.\d+)?)", text)
    if found is None or not 0 < float(found.group(1)) <= 100:
        raise ValueError(f"not a percentile: {text!r} (p50, p99, p99.9, median)")
    return float(found.group(1))


def quota_for(memory_mb: int, visible_cpus: int) -> CpuLimit:
    """The CFS quota that gives a runtime process the CPU time Lambda gives ``memory_mb``."""
    return CpuLimit(cpus_for_memory(memory_mb, visible_cpus))


def batch_rows(card: ModelCard, max_batch_rows: int) -> int:
    """Rows of the large warm request: ``BATCH_ROWS``, or fewer when the deployer's limit or the
    largest answer this model's direct invoke can return allows fewer."""
    return min(BATCH_ROWS, RequestLimits.of(card, max_batch_rows).row_limits[DIRECT].rows)


@dataclass(frozen=True)
class Goal:
    """A latency the user wants: ``percentile`` of ``kind`` at most ``latency_ms``."""

    latency_ms: float = DEFAULT_GOAL_MS
    percentile: float = parse_percentile(DEFAULT_PERCENTILE)
    kind: str = GOAL_ONE_ROW

    def describe(self, batch_label: str) -> str:
        """``p99 of a warm 1-row request ≤ 50 ms``."""
        what = {
            GOAL_ONE_ROW: "a warm 1-row request",
            GOAL_BATCH: f"a warm {batch_label} request",
            GOAL_COLD: "a cold start (init + first invoke)",
        }[self.kind]
        return f"p{self.percentile:g} of {what} ≤ {self.latency_ms:g} ms"


@dataclass(frozen=True)
class SizeResult:
    """What one memory size measured: cold starts, warm durations per event, warm peak RSS."""

    memory_mb: int
    cpus: float
    cold: list[ColdSample]
    warm_ms: dict[str, list[float]]
    warm_peak_rss_mb: float

    @property
    def lambda_cpus(self) -> float:
        """The CPU time Lambda gives this size (more than ``cpus`` where the quota was capped)."""
        return self.memory_mb / MB_PER_VCPU

    @property
    def peak_rss_mb(self) -> float:
        """The most any process of this size held: Lambda's Max Memory Used."""
        return max([self.warm_peak_rss_mb, *(s.peak_rss_mb for s in self.cold)])

    def goal_samples(self, goal: Goal, batch_label: str) -> list[float]:
        """The durations (ms) the goal speaks of."""
        if goal.kind == GOAL_COLD:
            return [s.total_ms for s in self.cold]
        return self.warm_ms[ONE_ROW if goal.kind == GOAL_ONE_ROW else batch_label]

    def meets(self, goal: Goal, batch_label: str) -> bool:
        """Whether the goal's percentile of its samples is within the goal."""
        return percentile(self.goal_samples(goal, batch_label), goal.percentile) <= goal.latency_ms

    def price_per_million(
        self, goal: Goal, batch_label: str, cold_share: float, arch: str
    ) -> float:
        """USD for a million requests of the goal's kind (a cold goal prices the warm 1-row
        request), ``cold_share`` of them cold and billed init + first invoke, at medians."""
        warm_label = batch_label if goal.kind == GOAL_BATCH else ONE_ROW
        warm = price_per_million(median(self.warm_ms[warm_label]), self.memory_mb, arch).usd
        cold = price_per_million(median([s.total_ms for s in self.cold]), self.memory_mb, arch).usd
        return (1 - cold_share) * warm + cold_share * cold


def verdict(result: SizeResult, run: TuneRun) -> str:
    """Why a size is or is not the choice, in a table's words."""
    if result.memory_mb == run.chosen_mb:
        return "**cheapest meeting the goal**"
    if result.peak_rss_mb > result.memory_mb:
        return "peak RSS over the size"
    if not result.meets(run.goal, run.batch_label):
        return "misses the goal"
    if result.memory_mb < run.floor_mb:
        return f"below the {run.floor_mb} MB floor"
    return "meets the goal"


def cheapest(
    results: Sequence[SizeResult], goal: Goal, batch_label: str, cold_share: float, floor_mb: int
) -> SizeResult | None:
    """The size of least price that meets the goal, holds its peak RSS and is at least
    ``floor_mb``; the smaller size on a tie; None when no size qualifies."""
    fitting = [
        result
        for result in results
        if result.memory_mb >= floor_mb
        and result.peak_rss_mb <= result.memory_mb
        and result.meets(goal, batch_label)
    ]
    if not fitting:
        return None
    return min(
        fitting,
        key=lambda r: (r.price_per_million(goal, batch_label, cold_share, ARCHES[0]), r.memory_mb),
    )


def template_memory(template: Path = TEMPLATE) -> tuple[int, int]:
    """``MemorySize``'s default and MinValue in the application's template."""
    parameter = yaml_parse(template.read_text())["Parameters"]["MemorySize"]
    return int(parameter["Default"]), int(parameter["MinValue"])


@dataclass(frozen=True)
class TuneSettings:
    """What to measure and what to choose by; the defaults are what ``make tune`` runs."""

    sizes: tuple[int, ...] = MEMORY_SIZES_MB
    cold_starts: int = 7
    warm_rounds: int = 100
    goal: Goal = field(default_factory=Goal)
    cold_percent: float = DEFAULT_COLD_PERCENT
    runtime: str = DEFAULT_RUNTIME
    arch: str = DEFAULT_ARCH
    # The smallest size that may be chosen; None: the template's MemorySize MinValue.
    floor_mb: int | None = None


@dataclass(frozen=True)
class TuneRun:
    """A whole tune: every size measured, the goal, and the size chosen (None: none qualifies)."""

    created_utc: str
    machine: Machine
    versions: dict[str, str]
    model: str
    visible_cpus: int
    goal: Goal
    cold_percent: float
    batch_label: str
    template_default_mb: int
    floor_mb: int
    cold_starts: int
    warm_rounds: int
    results: list[SizeResult]
    chosen_mb: int | None

    def to_json(self) -> str:
        """The whole run, raw samples included."""
        return json.dumps(asdict(self), indent=1) + "\n"


def _measure_size(
    contender: packages.Contender,
    config: FunctionConfig,
    interpreter: Interpreter,
    events: dict[str, bytes],
    rounds: int,
    limit: CpuLimit,
) -> tuple[dict[str, list[float]], float]:
    peaks: dict[str, float] = {}
    warm = warm_latencies(
        [contender],
        events,
        rounds,
        config,
        interpreter,
        lambda _: None,
        WARMUP_INVOKES,
        limit,
        peaks,
        idle_s=PERIOD_US / 1e6,
    )
    return warm[contender.name], peaks[contender.name]


def run(
    settings: TuneSettings,
    progress: Callable[[str], None],
    model_dir: Path = packages.SERVED_MODEL_DIR,
    template: Path = TEMPLATE,
) -> TuneRun:
    """Build the function serving ``model_dir`` as deployed, measure every size, choose."""
    unavailable = CpuLimit().available()
    if unavailable:
        raise packages.BuildError(f"no CPU quota here, so no size can be measured: {unavailable}")
    interpreter = find_interpreter(settings.runtime)
    if not interpreter.matches_runtime:
        raise packages.BuildError(f"{settings.runtime} is not installed here; tune runs it")
    started = machine()
    layer = packages.build_layer("onnxruntime", settings.runtime, settings.arch, [], False)
    contender = packages.onnx_contender(layer, settings.runtime, model_dir)
    card = ModelCard.load(contender.task_root / "model.json")
    base = function_config(template, "InferenceFunction", {"Runtime": settings.runtime})
    max_rows = int(base.environment.get("MAX_BATCH_ROWS", DEFAULT_MAX_BATCH_ROWS))
    rows = batch_rows(card, max_rows)
    batch_label = f"{rows} rows"
    events = {ONE_ROW: event(example_rows(card, 1)), batch_label: event(example_rows(card, rows))}
    visible = os.cpu_count() or 1
    configs = {size: replace(base, memory_mb=size) for size in settings.sizes}
    limits = {size: quota_for(size, visible) for size in settings.sizes}
    cold: dict[int, list[ColdSample]] = {size: [] for size in settings.sizes}
    for size in alternating(settings.sizes, settings.cold_starts):
        sample = cold_start(contender, events[ONE_ROW], configs[size], interpreter, limits[size])
        cold[size].append(sample)
        progress(f"cold {size:>6} MB  {sample.total_ms:8.1f} ms  {sample.peak_rss_mb:6.1f} MB")
    results = []
    for size in settings.sizes:
        warm, peak = _measure_size(
            contender, configs[size], interpreter, events, settings.warm_rounds, limits[size]
        )
        progress(
            f"warm {size:>6} MB  " + "  ".join(f"{k}: {median(v):.2f} ms" for k, v in warm.items())
        )
        results.append(SizeResult(size, limits[size].cpus, cold[size], warm, peak))
    default_mb, min_value_mb = template_memory(template)
    floor_mb = min_value_mb if settings.floor_mb is None else settings.floor_mb
    choice = cheapest(results, settings.goal, batch_label, settings.cold_percent / 100, floor_mb)
    return TuneRun(
        created_utc=now_utc(),
        machine=replace(started, load_at_end=os.getloadavg()[0]),
        versions={**layer_versions(layer / "python"), "python (runtime)": interpreter.version},
        model=f"{card.name} {card.version}",
        visible_cpus=visible,
        goal=settings.goal,
        cold_percent=settings.cold_percent,
        batch_label=batch_label,
        template_default_mb=default_mb,
        floor_mb=floor_mb,
        cold_starts=settings.cold_starts,
        warm_rounds=settings.warm_rounds,
        results=results,
        chosen_mb=None if choice is None else choice.memory_mb,
    )


def _cpu_cell(result: SizeResult) -> str:
    if math.isclose(result.cpus, result.lambda_cpus):
        return f"{result.cpus:.2f}"
    return f"{result.cpus:.2f} (Lambda {result.lambda_cpus:.2f})"


def _tail(samples: Sequence[float], q: float) -> str:
    return f"{median(samples):.1f} / {percentile(samples, q):.1f}"


def render_markdown(run: TuneRun) -> str:
    """The table, the choice against the template's default, and how it was measured."""
    goal = run.goal
    q = goal.percentile
    share = run.cold_percent / 100
    lines = [
        f"# Memory size for {run.model}",
        "",
        f"Goal: {goal.describe(run.batch_label)}. Price: USD per million requests of the goal's "
        f"kind{' (warm 1-row)' if goal.kind == GOAL_COLD else ''}, {run.cold_percent:g}% of them "
        "cold (init billed), at median durations.",
        "",
        f"| memory (MB) | CPU quota | cold start (ms), median [min–max] | 1 row (ms), "
        f"median / p{q:g} | {run.batch_label} (ms), median / p{q:g} | peak RSS (MB) | "
        "x86_64 $/1M | arm64 $/1M | |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for result in run.results:
        prices = [result.price_per_million(goal, run.batch_label, share, arch) for arch in ARCHES]
        lines.append(
            f"| {result.memory_mb:,} | {_cpu_cell(result)} | "
            f"{Summary.of([s.total_ms for s in result.cold]).spread(0)} | "
            f"{_tail(result.warm_ms[ONE_ROW], q)} | {_tail(result.warm_ms[run.batch_label], q)} | "
            f"{result.peak_rss_mb:.0f} | {prices[0]:.4f} | {prices[1]:.4f} | "
            f"{verdict(result, run)} |"
        )
    lines += ["", _conclusion(run), "", *_method(run)]
    return "\n".join(lines) + "\n"


def _conclusion(run: TuneRun) -> str:
    if run.chosen_mb is None:
        proposal = (
            f"No size of {run.floor_mb} MB or more meets the goal and holds its peak RSS: "
            "relax the goal (GOAL_MS, PERCENTILE) or make the model cheaper to serve."
        )
    elif run.chosen_mb == run.template_default_mb:
        proposal = f"Proposed MemorySize: {run.chosen_mb} MB, the template's default already."
    else:
        proposal = (
            f"Proposed MemorySize: {run.chosen_mb} MB; template.yaml's default is "
            f"{run.template_default_mb} MB."
        )
    return proposal + _below_floor(run)


def _below_floor(run: TuneRun) -> str:
    """A cheaper size the floor ruled out, if any: what the floor costs."""
    share = run.cold_percent / 100
    free = cheapest(run.results, run.goal, run.batch_label, share, floor_mb=0)
    if free is None or free.memory_mb >= run.floor_mb:
        return ""
    price = free.price_per_million(run.goal, run.batch_label, share, ARCHES[0])
    return (
        f" Below the {run.floor_mb} MB floor, {free.memory_mb} MB would meet the goal for "
        f"${price:.4f} per million on x86_64."
    )


def _method(run: TuneRun) -> list[str]:
    return [
        f"Each size's runtime process ran under a CFS quota of its Lambda CPU share (memory / "
        f"{MB_PER_VCPU} MB CPUs, capped at the {run.visible_cpus} CPUs visible here), every CPU "
        f"visible; {run.cold_starts} cold starts per size (fresh process, init + first 1-row "
        f"invoke, sizes alternating), {run.warm_rounds} warm invokes per event after "
        f"{WARMUP_INVOKES} warm-ups in one process per size; peak RSS is the largest VmHWM of any "
        f"of the size's processes. Sizes below {run.floor_mb} MB are measured, not chosen (the "
        "template's MemorySize MinValue unless overridden: what the worst legal request needs, "
        "docs/security.md). "
        "Percentiles are nearest-rank (with few samples, the tail is the largest one).",
        "",
        "Not reproduced by a quota: Lambda's host CPU, memory bandwidth and caches, a cold read "
        "of the package, the network, Lambda's own init work (sandbox, extensions), any CPU "
        f"burst during init, and Lambda's accounting period (the quota's is {PERIOD_US // 1000} "
        "ms: a request needing more CPU than one period's share waits for the next); sizes above "
        "the CPUs visible here ran with fewer CPUs than Lambda gives them. arm64 prices apply the "
        "arm64 rate to durations measured on this machine.",
        "",
        f"Machine: {machine_line(run.machine)}; {run.created_utc}. "
        + ", ".join(f"{name} {version}" for name, version in sorted(run.versions.items()))
        + ".",
    ]


def write(run: TuneRun, out: Path = OUT) -> str:
    """``tune.json`` and ``tune.md`` under ``out``; the Markdown's text."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "tune.json").write_text(run.to_json())
    text = render_markdown(run)
    (out / "tune.md").write_text(text)
    return text
