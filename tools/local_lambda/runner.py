"""`LocalLambda`: one execution environment, from cold start to shutdown.

Like Lambda, one process serves invocations one at a time and keeps its state between them, so
init cost, warm latency and memory growth can be measured the way Lambda would see them.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from layer.interpreters import Interpreter, find_interpreter
from tools.local_lambda.cpu_quota import CpuCgroup, CpuLimit
from tools.local_lambda.function import FunctionConfig, runtime_environment
from tools.local_lambda.installs import runtime_client_dir
from tools.local_lambda.runtime_api import UNHANDLED, Invocation, RuntimeApiServer, RuntimeState
from tools.local_lambda.runtime_sdk import runtime_sdk_dir

# Lambda's limit on the init phase.
INIT_TIMEOUT_S = 10.0


def _reject_constant(name: str) -> Any:
    raise ValueError(f"not strict JSON: {name}")


def strict_json(payload: str | bytes) -> Any:
    """Parse JSON as a strict client would: NaN, Infinity and -Infinity are errors."""
    return json.loads(payload, parse_constant=_reject_constant)


def proc_status_kb(pid: int | None, field_name: str = "VmRSS:") -> int:
    """A memory figure of process ``pid`` from /proc, in kB (0 once it has exited)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    line = next((ln for ln in status.splitlines() if ln.startswith(field_name)), f"{field_name} 0")
    return int(line.split()[1])


def _error_payload(error_type: str, message: str) -> bytes:
    return json.dumps({"errorType": error_type, "errorMessage": message}).encode()


@dataclass(frozen=True)
class InvokeResult:
    """What `lambda:Invoke` returns: the payload and, if the function failed, the error flag."""

    request_id: str
    payload: bytes
    # Lambda's X-Amz-Function-Error: "Unhandled" when the runtime reported an error.
    function_error: str | None
    duration_ms: float
    max_memory_used_kb: int

    def json(self) -> Any:
        """The payload as strict JSON."""
        return strict_json(self.payload)


@dataclass(frozen=True)
class InitError:
    """An init failure as the runtime client reported it (or as Lambda would describe it)."""

    error_type: str
    payload: bytes


class LocalLambda:
    """A local Lambda execution environment running the real runtime client.

    `task_root` is the built function (`/var/task`), `layers` the built layers (each holding a
    `python/` folder, like `/opt`). Use as a context manager: entering starts the process and
    waits for init to end; leaving stops it. ``launcher`` is a command prefix that runs the
    runtime (under strace, say) and execs it, so the pid stays the runtime's; ``cpu_limit`` gives
    the runtime Lambda's CPU share (``cpu_quota``), joined between fork and exec.
    """

    def __init__(
        self,
        task_root: Path,
        layers: Sequence[Path] = (),
        config: FunctionConfig | None = None,
        interpreter: Interpreter | None = None,
        logs: IO[Any] | int | None = None,
        init_timeout_s: float = INIT_TIMEOUT_S,
        launcher: Sequence[str] = (),
        cpu_limit: CpuLimit | None = None,
    ) -> None:
        self.task_root = Path(task_root).resolve()
        self.layers = [Path(layer).resolve() for layer in layers]
        self.config = config or FunctionConfig()
        self.interpreter = interpreter or find_interpreter(self.config.runtime)
        self.logs = logs
        self.init_timeout_s = init_timeout_s
        self.launcher = list(launcher)
        self.cpu_limit = cpu_limit
        self._cgroup: CpuCgroup | None = None
        self.init_duration_ms: float | None = None
        self.init_error: InitError | None = None
        self._state = RuntimeState()
        self._server = RuntimeApiServer(self._state)
        self._process: subprocess.Popen[bytes] | None = None
        self._peak_rss_kb = 0

    def __enter__(self) -> LocalLambda:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def command(self) -> list[str]:
        """How the runtime starts: `-S` keeps the interpreter's own site-packages off sys.path.

        A ``launcher`` (strace) goes first and must exec the rest.
        """
        python = [str(self.interpreter.path), "-S", "-m", "awslambdaric", self.config.handler]
        return [*self.launcher, *python]

    @property
    def running(self) -> bool:
        """Whether the runtime process is alive (a timeout or a crash ends it)."""
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        """The runtime process id while it runs."""
        return self._process.pid if self._process else None

    def start(self) -> None:
        """Start the runtime process; return when it asks for its first event or init failed."""
        self._server.start()
        env = runtime_environment(
            self.config,
            self.task_root,
            self.layers,
            runtime_client_dir(self.interpreter),
            self.interpreter.version,
            self._server.address,
            runtime_sdk=runtime_sdk_dir(self.interpreter),
        )
        join_cgroup, descriptor = None, None
        if self.cpu_limit is not None:
            self._cgroup = self.cpu_limit.open()
            descriptor, join_cgroup = self._cgroup.joiner()
        try:
            self._process = subprocess.Popen(
                self.command,
                cwd=self.task_root,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=self.logs,
                stderr=subprocess.STDOUT if self.logs is not None else None,
                preexec_fn=join_cgroup,
            )
        finally:
            if descriptor is not None:
                os.close(descriptor)
        # Popen returns once the child has exec'd the interpreter: the clock starts where the
        # runtime process starts, as Lambda's Init Duration does. Not before Popen: joining a
        # cgroup needs a preexec_fn, so Python forks this (large) process instead of spawning,
        # and that fork, ~25 ms here, is the benchmark's cost, not the function's.
        started = time.perf_counter_ns()
        threading.Thread(target=self._watch_exit, name="runtime-exit", daemon=True).start()
        if not self._state.init_over.wait(self.init_timeout_s):
            self._kill()
            message = f"Init phase did not finish in {self.init_timeout_s:.2f} seconds"
            self.init_error = InitError(
                "Sandbox.Timedout", _error_payload("Sandbox.Timedout", message)
            )
            return
        self._sample_rss()
        if self._state.first_next_ns:
            self.init_duration_ms = (self._state.first_next_ns - started) / 1e6
        elif self._state.init_error is not None:
            error_type = self._state.init_error_type or "Runtime.Unknown"
            self.init_error = InitError(error_type, self._state.init_error)
        else:
            self._process.wait()
            message = f"Runtime exited with error: exit status {self._process.returncode}"
            self.init_error = InitError(
                "Runtime.ExitError", _error_payload("Runtime.ExitError", message)
            )

    def invoke(self, event: Any) -> InvokeResult:
        """Send `event` (JSON-serialisable, or bytes sent as is) and wait for the answer.

        After an init error every invoke answers that error, as Lambda does. An invoke that
        outlives the function timeout ends the process, as Lambda ends the environment.
        """
        request_id = str(uuid.uuid4())
        if self.init_error is not None:
            return InvokeResult(
                request_id, self.init_error.payload, UNHANDLED, 0.0, self._peak_rss_kb
            )
        if self._process is None or self._process.poll() is not None:
            raise RuntimeError("the runtime process is not running")
        body = event if isinstance(event, bytes) else json.dumps(event).encode()
        trace_id = f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Sampled=0"
        invocation = Invocation(request_id, body, self.config.arn, trace_id, self.config.timeout_s)
        self._state.pending.put(invocation)
        if not invocation.done.wait(self.config.timeout_s):
            message = f"{request_id} Task timed out after {self.config.timeout_s:.2f} seconds"
            invocation.finish(_error_payload("Sandbox.Timedout", message), UNHANDLED)
            self._kill()
        self._sample_rss()
        duration_ms = (
            invocation.finished_ns - (invocation.delivered_ns or invocation.finished_ns)
        ) / 1e6
        return InvokeResult(
            request_id,
            invocation.payload,
            invocation.function_error,
            duration_ms,
            self._peak_rss_kb,
        )

    @property
    def peak_rss_kb(self) -> int:
        """The runtime process's peak resident memory (VmHWM), as Lambda's Max Memory Used."""
        self._sample_rss()
        return self._peak_rss_kb

    def stop(self) -> None:
        """End the runtime process and the server."""
        self._kill()
        self._server.stop()
        if self._cgroup is not None:
            self._cgroup.remove()
            self._cgroup = None

    def _sample_rss(self) -> None:
        """Read VmHWM while the process lives; the last reading stands once it has exited."""
        if self._process is None:
            return
        self._peak_rss_kb = max(self._peak_rss_kb, proc_status_kb(self._process.pid, "VmHWM:"))

    def _watch_exit(self) -> None:
        """When the runtime exits, fail what it was running and wake a caller waiting on init."""
        assert self._process is not None
        status = self._process.wait()
        message = f"Runtime exited with error: exit status {status}"
        self._state.fail_in_flight(
            lambda invocation: _error_payload(
                "Runtime.ExitError", f"RequestId: {invocation.request_id} Error: {message}"
            )
        )
        self._state.init_over.set()

    def _kill(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()
