"""Faults the model-load tests do not cover: a card inconsistent with its model, onnxruntime
failing or misbehaving at run time, init failures seen through the real runtime client, and
proof that the function writes no file at all (so a full or read-only /tmp cannot hurt it).

Every fault ends in a loud init error or a 500 with the request id: never a 200 with a wrong
answer.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import onnxruntime as ort
import pytest
import sam_support
from conftest import FUNCTION_DIR
from fixture_models import edit_card, swap_in_impostor
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier

from convert.export import export_onnx
from convert.schema import positional_schema
from tools.local_lambda import FunctionConfig, LocalLambda
from tools.local_lambda.runner import strict_json
from tools.reliability.corpus import load_cases
from tools.reliability.sam_build_output import FUNCTION, built_config, built_lambda
from tools.reliability.tracing import file_writes, strace_launcher, strace_works
from tools.reliability.verdict import judge

CLASSES = ["setosa", "versicolor", "virginica"]
SETOSA = [5.1, 3.5, 1.4, 0.2]
INTERNAL_ERROR = {
    "status": 500,
    "type": "InternalError",
    "message": "the model could not answer; see logs",
}


def three_feature_model() -> bytes:
    """A valid ONNX forest taking 3 features: the served model's schema is 4."""
    x, y = load_iris(return_X_y=True)
    forest = RandomForestClassifier(n_estimators=3, random_state=0).fit(x[:, :3], y)
    return export_onnx(forest, positional_schema(forest, 3))


class StubSession:
    """Stands in for the InferenceSession with fixed outputs, as a misbehaving runtime would."""

    def __init__(self, labels: list[str], probabilities: list[list[float]]) -> None:
        self.outputs = [np.array(labels), np.array(probabilities, dtype=np.float32)]

    def run(self, names, feeds):
        return self.outputs


def answer_with(app, monkeypatch, session, capsys) -> tuple[dict, list[dict]]:
    """The handler's answer to one valid row with the model's session replaced."""
    monkeypatch.setattr(app.MODEL, "_session", session)
    body = app.handler({"features": SETOSA}, SimpleNamespace(aws_request_id="req-fault"))
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    return body, records


def test_onnxruntime_raising_at_run_time_is_a_500_with_the_trace_in_the_log(
    app, monkeypatch, capsys
):
    """A genuine onnxruntime error: a session whose graph takes 3 features gets 4."""
    session = ort.InferenceSession(three_feature_model(), providers=["CPUExecutionProvider"])
    body, records = answer_with(app, monkeypatch, session, capsys)
    assert body == {"error": INTERNAL_ERROR, "request_id": "req-fault"}
    assert [(r["status"], r["request_id"], r["level"]) for r in records] == [
        (500, "req-fault", "ERROR")
    ]
    assert "onnxruntime" in records[0]["traceback"]
    assert "Got invalid dimensions for input" in records[0]["traceback"]


@pytest.mark.parametrize(
    ("labels", "probabilities"),
    [
        (["setosa"], [[float("nan"), 0.0, 0.0]]),
        (["setosa"], [[float("inf"), 0.0, 0.0]]),
        (["tulip"], [[1.0, 0.0, 0.0]]),
    ],
    ids=["nan-probability", "infinite-probability", "unknown-label"],
)
def test_a_model_answering_outside_its_card_is_a_500(
    app, monkeypatch, capsys, labels, probabilities
):
    body, records = answer_with(app, monkeypatch, StubSession(labels, probabilities), capsys)
    assert body == {"error": INTERNAL_ERROR, "request_id": "req-fault"}
    assert "the model answered outside its card" in records[0]["traceback"]


def test_importing_the_handler_writes_nothing_to_home(tmp_path, model_dir):
    """onnxruntime's telemetry would create $HOME/.cache/Microsoft/DeveloperTools/... at import;
    app turns it off first. Lambda's home is read-only: each cold start would fail and warn.
    """
    home = tmp_path / "home"
    home.mkdir()
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "LOG_LEVEL": "WARNING",
        "MODEL_DIR": str(model_dir),
    }
    probe = "import app; app.handler({'features': [5.1, 3.5, 1.4, 0.2]}, None)"
    run = subprocess.run(
        [sys.executable, "-c", probe], cwd=FUNCTION_DIR, env=env, capture_output=True, text=True
    )
    assert (run.returncode, run.stdout, run.stderr) == (0, "", "")
    assert list(home.iterdir()) == []


# --- through the real runtime client ------------------------------------------------------------

FAULTY_APP = '''
"""app.handler with its session swapped for one whose graph takes 3 features."""
from pathlib import Path

import onnxruntime

import app

app.MODEL._session = onnxruntime.InferenceSession(
    str(Path(__file__).with_name("other.onnx")), providers=["CPUExecutionProvider"]
)
handler = app.handler
'''


def task_copy(tmp_path: Path) -> Path:
    """A writable copy of the built function, to break."""
    task_root = tmp_path / "task"
    shutil.copytree(sam_support.sam_build_dir() / FUNCTION, task_root)
    return task_root


def config_with(**changes) -> FunctionConfig:
    """The built function's config with ``changes``; ``env`` adds environment variables."""
    config = built_config(sam_support.sam_build_dir())
    environment = {**config.environment, **changes.pop("env", {})}
    return dataclasses.replace(config, environment=environment, **changes)


def run(task_root: Path, config, logs: Path, events) -> tuple[LocalLambda, list]:
    """Start a runtime on ``task_root``, invoke ``events``, stop; the function and the results."""
    build_dir = sam_support.sam_build_dir()
    with logs.open("wb") as sink, built_lambda(build_dir, sink, config, task_root) as function:
        results = [function.invoke(event) for event in events]
    return function, results


def card_reordered(task_root: Path) -> None:
    edit_card(task_root, classes=["versicolor", "setosa", "virginica"])


def feature_names_permuted(task_root: Path) -> None:
    columns = json.loads((task_root / "model.json").read_text())["columns"]
    edit_card(task_root, columns=columns[::-1])


def card_removed(task_root: Path) -> None:
    (task_root / "model.json").unlink()


def model_from_another_schema(task_root: Path) -> None:
    data = three_feature_model()
    (task_root / "model.onnx").write_bytes(data)
    edit_card(task_root, sha256=hashlib.sha256(data).hexdigest())


@pytest.mark.slow
@pytest.mark.parametrize(
    ("break_it", "env", "message"),
    [
        (card_reordered, {}, "the card lists the classes in another order than the model"),
        (
            feature_names_permuted,
            {},
            "model.json is not the card this model was converted with",
        ),
        (card_removed, {}, "model.json: model card not found"),
        (model_from_another_schema, {}, "input is tensor(float) [None, 3]"),
        (
            swap_in_impostor,
            {},
            "this is not the model the card was written for",
        ),
        (None, {"MAX_BATCH_ROWS": "0"}, "MAX_BATCH_ROWS must be an integer from 1 to 67647"),
        (None, {"LOG_LEVEL": "CHATTY"}, "LOG_LEVEL must be one of"),
    ],
    ids=[
        "classes-reordered",
        "feature-names-permuted",
        "card-missing",
        "other-schema",
        "same-schema-impostor",
        "zero-batch-cap",
        "bad-log-level",
    ],
)
def test_init_failure_is_reported_and_nothing_is_served(tmp_path, break_it, env, message):
    task_root = task_copy(tmp_path)
    if break_it is not None:
        break_it(task_root)
    events = [{"features": SETOSA}, {"action": "describe"}]
    function, results = run(task_root, config_with(env=env), tmp_path / "init.log", events)
    assert function.init_duration_ms is None
    error = strict_json(function.init_error.payload)
    assert error["errorType"] == function.init_error.error_type == "Runtime.ImportModuleError"
    assert error["stackTrace"] == []
    assert message in error["errorMessage"]
    assert judge(function.init_error.payload, "Unhandled", "").problems == ()
    assert [r.function_error for r in results] == ["Unhandled", "Unhandled"]
    assert [r.json() for r in results] == [error, error]


@pytest.mark.slow
def test_onnxruntime_raising_in_the_runtime_is_a_500_and_the_trace_stays_in_the_log(tmp_path):
    task_root = task_copy(tmp_path)
    (task_root / "other.onnx").write_bytes(three_feature_model())
    (task_root / "faulty_app.py").write_text(FAULTY_APP)
    config = config_with(handler="faulty_app.handler")
    event = json.loads((sam_support.ROOT / "events" / "apigw-http-v2.json").read_text())
    log = tmp_path / "faulty.log"
    _, results = run(task_root, config, log, [event, {"features": SETOSA}])
    verdicts = [judge(r.payload, r.function_error, r.request_id) for r in results]
    assert [(v.status, v.error_type, v.problems) for v in verdicts] == [
        (500, "InternalError", ()),
        (500, "InternalError", ()),
    ]
    records = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    assert [r["request_id"] for r in records] == [r.request_id for r in results]
    assert all("Got invalid dimensions for input" in r["traceback"] for r in records)


@pytest.mark.slow
def test_the_function_writes_no_file_anywhere(tmp_path):
    """Traced at the system-call level through init and the whole hostile corpus: no file is
    created, written, renamed or removed, so /tmp being full or read-only changes nothing.
    """
    if not strace_works():
        pytest.skip("strace is missing or may not trace here")
    trace = tmp_path / "syscalls.txt"
    config = config_with(env={"TMPDIR": str(tmp_path / "no-such-dir")})
    traced = functools.partial(LocalLambda, launcher=strace_launcher(trace))
    with (
        (tmp_path / "traced.log").open("wb") as sink,
        built_lambda(sam_support.sam_build_dir(), sink, config, runner=traced) as function,
    ):
        assert function.init_error is None
        verdicts = [judge(function.invoke(case.raw).payload, None, "") for case in load_cases()]
    assert sum(v.labels is not None for v in verdicts) > 0
    assert file_writes(trace) == []
