"""Coverage-guided fuzzing of the handler with atheris: ``make fuzz`` (FUZZ_SECONDS, default 60).

Each input is decoded into one invocation: a raw direct-invoke payload, or an HTTP request (entry
point, method, Content-Type, base64 or not, body) around the sample event of that entry point.
It goes through the runtime client's own unmarshal and marshal steps (``InProcessFunction``) and
the answer must pass ``judge``: strict JSON, no trace or internal path, an error body with the
request id; every log line must pass ``log_problems``; a 500 counts as a finding, since no
request should reach the handler's last-resort path. A finding raises, and atheris saves the
input under ``tools/reliability/fuzz_regressions/``, replayed by
``tests/reliability/test_fuzz_regressions.py``.

Usage: ``python -m tools.reliability.fuzz [libFuzzer flags] [corpus dirs]``. The first corpus dir is
seeded with the hostile corpus when empty.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import sys
from pathlib import Path

import atheris
import numpy  # noqa: F401 - imported before instrumentation, so only the handler is instrumented
import onnxruntime  # noqa: F401

from tools.reliability.corpus import DIRECT, HTTP_SAMPLES, HostileCase, http_event, load_cases
from tools.reliability.inprocess import InProcessFunction
from tools.reliability.verdict import judge, log_problems

REQUEST_ID = "fuzz-request"
ENTRIES = [DIRECT, *HTTP_SAMPLES]
METHODS = ["POST", "GET", "post", "PUT", "", "OPTIONS"]
CONTENT_TYPES = [None, "application/json", "application/x+json; charset=utf-8", "text/plain", ""]
SEED_BYTES = 4096


class Finding(AssertionError):
    """An answer that breaks the function's contract."""


def invocation(data: bytes) -> bytes:
    """The invoke payload ``data`` stands for; every byte string maps to exactly one.

    Byte 0 picks the entry point. A direct invoke sends the rest as is. For HTTP, bytes 1-3 pick
    the method, the Content-Type and base64 or not; the rest is the body, decoded with
    ``surrogateescape`` when not base64, so invalid UTF-8 becomes lone surrogates in the event.
    """
    head = data[:4].ljust(4, b"\0")
    entry = ENTRIES[head[0] % len(ENTRIES)]
    if entry == DIRECT:
        return data[1:]
    rest = data[4:]
    spec: dict[str, object] = {
        "method": METHODS[head[1] % len(METHODS)],
        "content_type": CONTENT_TYPES[head[2] % len(CONTENT_TYPES)],
    }
    if head[3] % 2:
        spec["body_base64"] = base64.b64encode(rest).decode()
    else:
        spec["body"] = rest.decode("utf-8", "surrogateescape")
    return json.dumps(http_event(entry, spec)).encode()


def seeds(case: HostileCase) -> list[bytes]:
    """Inputs that decode to ``case``: as is for a direct invoke, its body for HTTP (none for an
    event the fuzzer's inputs cannot express, such as a non-boolean ``isBase64Encoded``)."""
    if case.entry == DIRECT:
        return [b"\x00" + case.raw]
    event = json.loads(case.raw)
    body = event.get("body")
    if not isinstance(body, str) or type(event.get("isBase64Encoded")) is not bool:
        return []
    entry = bytes([ENTRIES.index(case.entry)])
    if event.get("isBase64Encoded"):
        try:
            return [entry + b"\x00\x01\x01" + base64.b64decode(body, validate=True)]
        except ValueError:
            return []
    return [entry + b"\x00\x01\x00" + body.encode("utf-8", "surrogatepass")]


class FuzzTarget:
    """The handler behind the runtime client, and the checks every answer must pass."""

    def __init__(self) -> None:
        self.function = InProcessFunction()

    def __call__(self, data: bytes) -> None:
        """One fuzz input: raise ``Finding`` (or whatever the handler raised) on a violation."""
        raw = invocation(data)
        log = io.StringIO()
        with contextlib.redirect_stdout(log):
            answer = self.function.invoke(raw, REQUEST_ID)
        verdict = judge(answer.payload, answer.function_error, REQUEST_ID)
        problems = list(verdict.problems)
        if verdict.status == 500:
            problems.append("a request reached the 500 path")
        if verdict.status is None and verdict.error_type != "Runtime.UnmarshalError":
            problems.append(f"function error {verdict.error_type}")
        for line in log.getvalue().splitlines():
            problems += log_problems(line, {REQUEST_ID})
        if problems:
            raise Finding(f"{problems} for payload {raw[:200]!r}")


def seed_corpus(directory: Path) -> None:
    """Fill an empty corpus directory with the small cases of the hostile corpus."""
    directory.mkdir(parents=True, exist_ok=True)
    if any(directory.iterdir()):
        return
    inputs = {data for case in load_cases() for data in seeds(case) if len(data) <= SEED_BYTES}
    for i, data in enumerate(sorted(inputs)):
        (directory / f"seed-{i:04d}").write_bytes(data)


def main(argv: list[str]) -> None:
    """Instrument the handler's modules, seed the corpus, hand over to libFuzzer."""
    corpus_dirs = [arg for arg in argv[1:] if not arg.startswith("-")]
    if corpus_dirs:
        seed_corpus(Path(corpus_dirs[0]))
    with atheris.instrument_imports():
        target = FuzzTarget()
    atheris.Setup(argv, target)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
