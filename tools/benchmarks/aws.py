"""``make benchmark-aws``: the same measurements against deployed functions, from Lambda's logs.

A cold start is forced by changing an environment variable: Lambda then retires every execution
environment of ``$LATEST`` and the next invoke starts a new one. Each invoke asks for the log
tail (``LogType=Tail``); its REPORT line carries Lambda's own ``Init Duration``, ``Duration``
and ``Max Memory Used``. The functions' original environment is restored at the end.

SnapStart (``--snapstart``) applies to published versions only: each cold start then also
publishes a version after the environment change (Lambda initialises it and takes the snapshot),
invokes that version, whose REPORT carries ``Restore Duration`` instead of ``Init Duration``,
and deletes it again. The samples' ``init_ms`` is then the restore duration.

Function names come from the stacks' outputs unless given: ``InferenceFunctionName`` of the
application's stack, ``PickleBaselineFunctionName`` of the baseline's own stack (deployed only
for benchmarks; without it the run measures ONNX alone).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tools.benchmarks.analysis import ONE_ROW
from tools.benchmarks.environment import now_utc
from tools.benchmarks.report_line import Report, parse_log_result
from tools.benchmarks.results import LAMBDA, BenchmarkRun, ColdSample, Machine, ModeResults

MARKER = "BENCHMARK_COLD_START"
APPLICATION_STACK = "onnx-lambda"
BASELINE_STACK = "onnx-lambda-baseline"
FUNCTION_OUTPUT = "InferenceFunctionName"
BASELINE_OUTPUT = "PickleBaselineFunctionName"
METHOD = (
    "Deployed functions. Cold start: an environment-variable update (then the FunctionUpdated "
    "waiter) before each invoke retires every warm environment; init and first-invoke durations "
    "and Max Memory Used are read from the REPORT line of that invoke (LogType=Tail). "
    "Contenders alternate, order flipped every round. Warm: invokes in a row after the cold "
    "ones, REPORT Duration of each."
)


class AwsBenchmarkError(RuntimeError):
    """An invoke failed or did not behave as the measurement assumes (e.g. a warm 'cold')."""


def stack_output(cloudformation: Any, stack: str, key: str) -> str | None:
    """Output ``key`` of ``stack``; None when the stack does not exist or has no such output."""
    try:
        described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    except cloudformation.exceptions.ClientError as exc:
        if "does not exist" in str(exc):
            return None
        raise
    found = [o["OutputValue"] for o in described.get("Outputs", []) if o["OutputKey"] == key]
    return found[0] if found else None


def function_names(
    cloudformation: Any,
    onnx_function: str | None,
    pickle_function: str | None,
    stack: str = APPLICATION_STACK,
    baseline_stack: str = BASELINE_STACK,
) -> dict[str, str]:
    """The functions to measure: the names given, else the stacks' outputs; pickle only if its
    stack is deployed."""
    onnx = onnx_function or stack_output(cloudformation, stack, FUNCTION_OUTPUT)
    if onnx is None:
        raise AwsBenchmarkError(
            f"no --onnx-function given and stack {stack} has no {FUNCTION_OUTPUT}"
        )
    pickle = pickle_function or stack_output(cloudformation, baseline_stack, BASELINE_OUTPUT)
    return {"onnx": onnx, **({"pickle": pickle} if pickle else {})}


@dataclass(frozen=True)
class AwsSettings:
    """Which functions, the events they answer (the one-row event for cold starts), and how many
    cold and warm samples of each."""

    functions: dict[str, str]
    events: dict[str, bytes]
    cold_starts: int = 10
    warm_invokes: int = 50
    snapstart: bool = False


def _environment(client: Any, function: str) -> dict[str, str]:
    config = client.get_function_configuration(FunctionName=function)
    return dict(config.get("Environment", {}).get("Variables", {}))


def _set_environment(client: Any, function: str, variables: dict[str, str]) -> None:
    client.update_function_configuration(
        FunctionName=function, Environment={"Variables": variables}
    )
    client.get_waiter("function_updated").wait(FunctionName=function)


def invoke(client: Any, function: str, event: bytes, qualifier: str | None = None) -> Report:
    """Invoke synchronously (``qualifier``: a version) and parse the log tail's REPORT line."""
    response = client.invoke(
        FunctionName=function,
        InvocationType="RequestResponse",
        LogType="Tail",
        Payload=event,
        **({"Qualifier": qualifier} if qualifier else {}),
    )
    payload = response["Payload"].read()
    if response.get("FunctionError"):
        raise AwsBenchmarkError(f"{function}: {response['FunctionError']}: {payload[:300]!r}")
    return parse_log_result(response["LogResult"])


def cold_invoke(
    client: Any, function: str, base: dict[str, str], marker: str, event: bytes
) -> Report:
    """Force a new execution environment, invoke once, insist that it was a cold start."""
    _set_environment(client, function, {**base, MARKER: marker})
    report = invoke(client, function, event)
    if not report.cold:
        raise AwsBenchmarkError(f"{function}: invoke after an update was not a cold start")
    return report


def restored_invoke(
    client: Any, function: str, base: dict[str, str], marker: str, event: bytes
) -> Report:
    """A SnapStart cold start: publish a fresh version, invoke it once, delete it."""
    _set_environment(client, function, {**base, MARKER: marker})
    version = client.publish_version(FunctionName=function, Description=f"{MARKER} {marker}")
    number = version["Version"]
    try:
        client.get_waiter("published_version_active").wait(FunctionName=function, Qualifier=number)
        report = invoke(client, function, event, qualifier=number)
    finally:
        client.delete_function(FunctionName=function, Qualifier=number)
    if report.restore_duration_ms is None:
        raise AwsBenchmarkError(
            f"{function}:{number}: no Restore Duration in its first REPORT; is SnapStart on?"
        )
    return report


def run_aws(
    client: Any,
    settings: AwsSettings,
    tick: Callable[[str], None],
    set_total: Callable[[int], None],
) -> BenchmarkRun:
    """Cold and warm samples of each function."""
    names = list(settings.functions)
    events = settings.events
    set_total(len(names) * (settings.cold_starts + len(events) * settings.warm_invokes))
    originals = {n: _environment(client, settings.functions[n]) for n in names}
    cold: dict[str, list[ColdSample]] = {n: [] for n in names}
    memory: dict[str, int] = {}
    try:
        for index in range(settings.cold_starts):
            for name in names if index % 2 == 0 else list(reversed(names)):
                start = restored_invoke if settings.snapstart else cold_invoke
                marker = f"{now_utc()}-{index}"
                function = settings.functions[name]
                report = start(client, function, originals[name], marker, events[ONE_ROW])
                memory[name] = report.memory_size_mb
                cold[name].append(
                    ColdSample(
                        report.startup_ms, report.duration_ms, float(report.max_memory_used_mb)
                    )
                )
                tick(f"cold start {name}")
        warm: dict[str, dict[str, list[float]]] = {
            n: {label: [] for label in events} for n in names
        }
        for _ in range(settings.warm_invokes):
            for name in names:
                for label, event in events.items():
                    report = invoke(client, settings.functions[name], event)
                    warm[name][label].append(report.duration_ms)
                    tick(f"warm {name}")
    finally:
        for name in names:
            _set_environment(client, settings.functions[name], originals[name])
    sizes = ", ".join(f"{n} {memory.get(n, '?')} MB" for n in names)
    return BenchmarkRun(
        kind="aws",
        created_utc=now_utc(),
        machine=Machine(f"AWS Lambda, memory sizes {sizes}"),
        method=METHOD,
        versions={},
        modes=[ModeResults(LAMBDA, cold, warm)],
        settings={
            "functions": settings.functions,
            "cold_starts": settings.cold_starts,
            "warm_invokes": settings.warm_invokes,
            "snapstart": settings.snapstart,
        },
    )
