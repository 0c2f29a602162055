"""The Lambda Runtime API, the HTTP interface between Lambda and the runtime client.

Only the endpoints awslambdaric uses in the standard (one request at a time) mode are served:
`invocation/next`, `invocation/{id}/response`, `invocation/{id}/error` and `init/error`. The
headers of `next` are the ones the client reads into the context object.
"""

from __future__ import annotations

import json
import queue
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

API_PREFIX = "/2018-06-01/runtime"
ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type"
# What Lambda's X-Amz-Function-Error says when the runtime reported the failure.
UNHANDLED = "Unhandled"
# Lambda's limit on a synchronous response; a larger answer reaches the caller as this error.
MAX_RESPONSE_BYTES = 6_291_556
RESPONSE_TOO_LARGE = json.dumps(
    {
        "errorMessage": "Response payload size exceeded maximum allowed payload size "
        f"({MAX_RESPONSE_BYTES} bytes).",
        "errorType": "Function.ResponseSizeTooLarge",
    }
).encode()


@dataclass
class Invocation:
    """One event on its way through the runtime, and what came back."""

    request_id: str
    event: bytes
    function_arn: str
    trace_id: str
    timeout_s: float
    delivered_ns: int = 0
    finished_ns: int = 0
    payload: bytes = b""
    function_error: str | None = None
    done: threading.Event = field(default_factory=threading.Event)

    def finish(self, payload: bytes, function_error: str | None = None) -> None:
        """Record the outcome once; a late answer after a timeout or exit is ignored."""
        if self.done.is_set():
            return
        self.finished_ns = time.perf_counter_ns()
        self.payload = payload
        self.function_error = function_error
        self.done.set()


@dataclass
class RuntimeState:
    """What the server threads share with the caller: the queue of events and init progress."""

    pending: queue.Queue[Invocation | None] = field(default_factory=queue.Queue)
    in_flight: dict[str, Invocation] = field(default_factory=dict)
    first_next_ns: int = 0
    init_error: bytes | None = None
    init_error_type: str | None = None
    # Set when init is over either way: first `next`, an init error, or the process exiting.
    init_over: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take_next(self) -> Invocation | None:
        """Block until an event is queued; `None` means the server is shutting down."""
        with self.lock:
            if not self.first_next_ns:
                self.first_next_ns = time.perf_counter_ns()
        self.init_over.set()
        invocation = self.pending.get()
        if invocation is not None:
            invocation.delivered_ns = time.perf_counter_ns()
            with self.lock:
                self.in_flight[invocation.request_id] = invocation
        return invocation

    def complete(self, request_id: str, payload: bytes, function_error: str | None) -> bool:
        """Finish the in-flight invocation `request_id`; False if there is none by that id."""
        with self.lock:
            invocation = self.in_flight.pop(request_id, None)
        if invocation is None:
            return False
        invocation.finish(payload, function_error)
        return True

    def fail_in_flight(self, error_payload: Callable[[Invocation], bytes]) -> None:
        """End every in-flight invocation with an error, e.g. after the runtime process died."""
        with self.lock:
            stranded = list(self.in_flight.values())
            self.in_flight.clear()
        for invocation in stranded:
            invocation.finish(error_payload(invocation), UNHANDLED)


class RuntimeApiHandler(BaseHTTPRequestHandler):
    """Request handler; one thread per connection (the client keeps its connection alive)."""

    # Headers and body must leave in one segment: with Nagle's algorithm on, the body waits for
    # the client's delayed ACK and every invoke stalls ~40 ms.
    disable_nagle_algorithm = True
    protocol_version = "HTTP/1.1"
    server: RuntimeApiServer

    def do_GET(self) -> None:
        """`invocation/next`: hand out the next event with the headers the client reads."""
        if self.path != f"{API_PREFIX}/invocation/next":
            self._reply(404, {"errorType": "NotFound", "errorMessage": self.path})
            return
        invocation = self.server.state.take_next()
        if invocation is None:
            self._reply(503, {"errorType": "ShuttingDown", "errorMessage": "server stopping"})
            return
        deadline_ms = int(time.time() * 1000 + invocation.timeout_s * 1000)
        headers = {
            "Lambda-Runtime-Aws-Request-Id": invocation.request_id,
            "Lambda-Runtime-Deadline-Ms": str(deadline_ms),
            "Lambda-Runtime-Invoked-Function-Arn": invocation.function_arn,
            "Lambda-Runtime-Trace-Id": invocation.trace_id,
        }
        self._send(200, invocation.event, headers)

    def do_POST(self) -> None:
        """Responses, invocation errors and init errors from the runtime client."""
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        parts = self.path.removeprefix(API_PREFIX).strip("/").split("/")
        state = self.server.state
        if parts == ["init", "error"]:
            state.init_error = body
            state.init_error_type = self.headers.get(ERROR_TYPE_HEADER)
            state.init_over.set()
            self._reply(202, {"status": "OK"})
        elif len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
            error = UNHANDLED if parts[2] == "error" else None
            if len(body) > MAX_RESPONSE_BYTES:
                body, error = RESPONSE_TOO_LARGE, UNHANDLED
            if state.complete(parts[1], body, error):
                self._reply(202, {"status": "OK"})
            else:
                self._reply(400, {"errorType": "InvalidRequestID", "errorMessage": parts[1]})
        else:
            self._reply(404, {"errorType": "NotFound", "errorMessage": self.path})

    def _reply(self, status: int, document: dict[str, str]) -> None:
        self._send(status, json.dumps(document).encode(), {})

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Silence the per-request access log: it would drown the function's own logs."""


class RuntimeApiServer(ThreadingHTTPServer):
    """A Runtime API endpoint on 127.0.0.1 and an ephemeral port."""

    daemon_threads = True

    def __init__(self, state: RuntimeState) -> None:
        self.state = state
        self._serving: threading.Thread | None = None
        super().__init__(("127.0.0.1", 0), RuntimeApiHandler)

    @property
    def address(self) -> str:
        """`host:port` as AWS_LAMBDA_RUNTIME_API wants it."""
        host, port = self.server_address[:2]
        return f"{host}:{port}"

    def handle_error(self, request: object, client_address: object) -> None:
        """A runtime killed mid-connection (timeout, stop) resets it: expected, not news."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def start(self) -> None:
        """Serve in a daemon thread."""
        self._serving = threading.Thread(target=self.serve_forever, name="runtime-api", daemon=True)
        self._serving.start()

    def stop(self) -> None:
        """Release a `next` still waiting, then stop serving (`shutdown` hangs if never served)."""
        self.state.pending.put(None)
        if self._serving is not None:
            self.shutdown()
        self.server_close()
