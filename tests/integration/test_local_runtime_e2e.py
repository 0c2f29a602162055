"""End to end on what `sam build` produced, through the real awslambdaric in a fresh process."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sam_support
from conftest import event_expectations, event_names, load_event
from sam_support import ROOT

from layer.interpreters import HOST_VERSION, Interpreter, find_interpreter, host_interpreter
from tools.local_lambda import LocalLambda
from tools.local_lambda.host_layer import fallback_note, host_layer, runnable_layers
from tools.local_lambda.installs import runtime_client_dir
from tools.local_lambda.runner import strict_json
from tools.local_lambda.template import function_config

pytestmark = pytest.mark.slow

LAYER = "OnnxRuntimeLayer"
CLI = [sys.executable, "-m", "tools.local_lambda"]
LABELS = {"setosa", "versicolor", "virginica"}
# Modules that exist in the dev virtualenv and must not be importable by the function.
DEV_ONLY_MODULES = ["sklearn", "skl2onnx", "onnx", "google.protobuf", "pytest", "samcli"]
PROBE = """
import importlib.util
import sys


def handler(event, context):
    specs = {name: importlib.util.find_spec(name.split(".")[0]) for name in event["modules"]}
    return {
        "path": sys.path,
        "origins": {name: spec.origin if spec else None for name, spec in specs.items()},
    }
"""


@pytest.fixture(scope="module")
def build_dir() -> Path:
    return sam_support.sam_build_dir()


@pytest.fixture(scope="module")
def config(build_dir):
    return function_config(build_dir / "template.yaml", "InferenceFunction")


def start(task_root: Path, build_dir: Path, config, logs: Path) -> LocalLambda:
    """A LocalLambda on `task_root` with the built layer, its logs kept in `logs`."""
    interpreter = find_interpreter(config.runtime)
    layers = runnable_layers([build_dir / LAYER], interpreter)
    function = LocalLambda(task_root, layers, config, interpreter, logs=logs.open("ab"))
    function.start()
    return function


@pytest.fixture(scope="module")
def warm(build_dir, config, tmp_path_factory):
    logs = tmp_path_factory.mktemp("logs") / "warm.log"
    function = start(build_dir / "InferenceFunction", build_dir, config, logs)
    yield function
    function.stop()


def http_answer(payload: dict) -> tuple[int | None, dict]:
    """(HTTP status, body) of an HTTP-style answer; (None, payload) for a direct invoke."""
    if "statusCode" in payload:
        headers = payload.get("headers") or {
            name: values[0] for name, values in payload["multiValueHeaders"].items()
        }
        assert headers["Content-Type"] == "application/json"
        return payload["statusCode"], strict_json(payload["body"])
    return None, payload


def test_runs_under_the_template_python_or_says_it_cannot(warm, config, build_dir):
    """python3.13 when it is installed here; otherwise the host Python, with the onnxruntime
    layer built for it in place of the one sam build made for python3.13."""
    assert config.runtime == "python3.13"
    expected = find_interpreter("python3.13")
    assert warm.interpreter == expected
    if expected.matches_runtime:
        assert (warm.interpreter.version, warm.layers) == ("3.13", [(build_dir / LAYER).resolve()])
    else:
        assert warm.interpreter.version == HOST_VERSION
        assert warm.layers == [host_layer(expected).resolve()]
    assert warm.init_error is None
    assert warm.init_duration_ms > 0


def test_sys_path_is_lambdas_and_nothing_from_the_dev_virtualenv(build_dir, config, tmp_path):
    task_root = tmp_path / "task"
    shutil.copytree(build_dir / "InferenceFunction", task_root)
    (task_root / "probe.py").write_text(PROBE)
    probe_config = dataclasses.replace(config, handler="probe.handler")
    function = start(task_root, build_dir, probe_config, tmp_path / "probe.log")
    try:
        modules = ["numpy", "onnxruntime", "awslambdaric", *DEV_ONLY_MODULES]
        answer = function.invoke({"modules": modules}).json()
    finally:
        function.stop()
    layer = function.layers[0] / "python"
    version = function.interpreter.version
    runtime_client = runtime_client_dir(function.interpreter)
    runtime_sdk = Path(answer["path"][3])
    assert answer["path"][:5] == [
        str(task_root.resolve()),
        str(layer / "lib" / f"python{version}" / "site-packages"),
        str(layer),
        str(runtime_sdk),
        str(runtime_client),
    ]
    assert runtime_sdk.parent == ROOT / "build" and runtime_sdk.name.startswith("runtime-sdk-")
    prefix = str(function.interpreter.path.parents[1])
    assert all(p.startswith(prefix) and "site-packages" not in p for p in answer["path"][5:])
    origins = answer["origins"]
    assert origins["numpy"].startswith(str(layer))
    assert origins["onnxruntime"].startswith(str(layer))
    assert origins["awslambdaric"].startswith(str(runtime_client))
    assert {name: origins[name] for name in DEV_ONLY_MODULES} == dict.fromkeys(DEV_ONLY_MODULES)


def test_every_sample_event_has_an_expectation():
    assert sorted(event_expectations()) == event_names()


@pytest.mark.parametrize("name", event_names())
def test_sample_event_gets_its_expected_answer(warm, name):
    result = warm.invoke(load_event(name))
    assert result.function_error is None
    expected = event_expectations()[name]
    status, body = http_answer(result.json())
    assert status == expected["status"]
    if "error_type" in expected:
        assert body["error"]["type"] == expected["error_type"]
    else:
        assert [p["label"] for p in body.get("predictions", [])] == expected["labels"]
        assert body["model"]["name"]


def http_event(body: str) -> dict:
    """The sample HTTP API v2 predict event with another request body."""
    event = load_event("apigw-http-v2")
    event.update(body=body, isBase64Encoded=False)
    return event


BAD_REQUESTS = {
    "direct-overflow-to-infinity": b'{"features": [1e400, 3.5, 1.4, 0.2]}',
    "direct-three-values": b'{"features": [5.1, 3.5, 1.4]}',
    "direct-string-value": b'{"features": [5.1, "3.5", 1.4, 0.2]}',
    "http-not-json": json.dumps(http_event("features=1,2,3,4")).encode(),
    "http-nan": json.dumps(http_event('{"features": [NaN, 3.5, 1.4, 0.2]}')).encode(),
    "http-no-features": json.dumps(http_event('{"rows": []}')).encode(),
}


@pytest.mark.parametrize("raw", BAD_REQUESTS.values(), ids=BAD_REQUESTS.keys())
def test_bad_request_gets_a_400_not_a_function_error(warm, raw):
    result = warm.invoke(raw)
    assert result.function_error is None
    status, body = http_answer(result.json())
    assert body["error"]["status"] == 400
    assert status in (None, 400)


def test_batch_over_the_templates_max_batch_rows_gets_413(warm, config):
    assert config.environment["MAX_BATCH_ROWS"] == "1000"
    body = warm.invoke({"instances": [[5.1, 3.5, 1.4, 0.2]] * 1001}).json()
    assert (body["error"]["status"], body["error"]["type"]) == (413, "PayloadTooLarge")


@pytest.mark.parametrize(
    "raw",
    [b'{"features": [NaN, 3.5, 1.4, 0.2]}', b'{"features": [5.1, -Infinity, 1.4, 0.2]}', b"{"],
    ids=["nan", "infinity", "truncated"],
)
def test_runtime_client_refuses_a_direct_payload_that_is_not_strict_json(warm, raw):
    """Lambda's Invoke API refuses such payloads too; locally the runtime client does."""
    result = warm.invoke(raw)
    assert result.function_error == "Unhandled"
    assert result.json()["errorType"] == "Runtime.UnmarshalError"


def test_answers_are_strict_json_with_finite_probabilities(warm):
    body = warm.invoke({"instances": [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]}).json()
    probabilities = [v for p in body["predictions"] for v in p["probabilities"].values()]
    assert len(probabilities) == 6
    assert all(0.0 <= v <= 1.0 for v in probabilities)


def test_the_columns_layout_crosses_the_runtime_client_as_the_rows_answer_transposed(warm):
    rows = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3], [99.0, 3.0, 5.2, 2.3]]
    by_row = warm.invoke({"instances": rows}).json()
    result = warm.invoke({"instances": rows, "layout": "columns"})
    predictions = by_row["predictions"]
    assert result.function_error is None
    assert result.json() == {
        "labels": [p["label"] for p in predictions],
        "probabilities": {
            name: [p["probabilities"][name] for p in predictions]
            for name in predictions[0]["probabilities"]
        },
        "out_of_range": [p["out_of_range"] for p in predictions],
        "model": by_row["model"],
    }
    assert result.json()["out_of_range"][2] == ["sepal_length"]
    assert len(result.payload) < len(json.dumps(by_row))


def test_function_url_base64_body_is_decoded(warm):
    event = load_event("function-url")
    event.update(body=base64.b64encode(b'{"features": [6.7, 3.0, 5.2, 2.3]}').decode())
    event.update(isBase64Encoded=True)
    status, body = http_answer(warm.invoke(event).json())
    assert (status, [p["label"] for p in body["predictions"]]) == (200, ["virginica"])


def test_broken_model_fails_init_and_every_invoke_reports_it(build_dir, config, tmp_path):
    task_root = tmp_path / "task"
    shutil.copytree(build_dir / "InferenceFunction", task_root)
    (task_root / "model.onnx").write_bytes(b"\x08\x07 this is not an onnx model")
    function = start(task_root, build_dir, config, tmp_path / "init.log")
    try:
        result = function.invoke({"features": [5.1, 3.5, 1.4, 0.2]})
    finally:
        function.stop()
    assert function.init_duration_ms is None
    assert function.init_error is not None
    error = strict_json(function.init_error.payload)
    assert error["errorType"] == function.init_error.error_type
    # An ImportError, so the runtime client sends it without stack frames; the message names
    # the file by name, not by its path under /var/task.
    digest = hashlib.sha256((task_root / "model.onnx").read_bytes()).hexdigest()
    card_digest = json.loads((task_root / "model.json").read_text())["sha256"]
    assert error == {
        "errorMessage": f"Unable to import module 'app': ModelLoadError: model.onnx: SHA-256 "
        f"{digest} does not match the model card ({card_digest}); the file is corrupted or the "
        "card belongs to another model",
        "errorType": "Runtime.ImportModuleError",
        "requestId": "",
        "stackTrace": [],
    }
    assert str(task_root) not in error["errorMessage"]
    assert result.function_error == "Unhandled"
    assert result.json() == error


def run_cli(build_dir: Path, *options: str) -> subprocess.CompletedProcess[str]:
    """`python -m tools.local_lambda invoke events/direct-single.json` on the test build."""
    return subprocess.run(
        [*CLI, "invoke", "events/direct-single.json", "--build-dir", str(build_dir), *options],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_cli_prints_the_answer_and_a_report_line(build_dir):
    done = run_cli(build_dir)
    assert done.returncode == 0, done.stderr
    assert [p["label"] for p in strict_json(done.stdout)["predictions"]] == ["setosa"]
    report = [line for line in done.stderr.splitlines() if line.startswith("REPORT ")]
    assert len(report) == 1
    assert "\tInit Duration: " in report[0]
    assert "\tMax Memory Used: " in report[0]


def without_python313(tmp_path: Path) -> dict[str, str]:
    """The environment of a machine whose only Python is the host's: pyenv's root is an empty
    folder and no pyenv shim is on PATH."""
    empty = tmp_path / "pyenv-root"
    empty.mkdir()
    path = [entry for entry in os.environ["PATH"].split(os.pathsep) if "pyenv" not in entry]
    environment = {**os.environ, "PYENV_ROOT": str(empty), "PATH": os.pathsep.join(path)}
    environment.pop("PYENV_VERSION", None)
    return environment


def test_without_python313_the_host_python_runs_with_a_layer_built_for_it(build_dir, tmp_path):
    environment = without_python313(tmp_path)
    done = subprocess.run(
        [*CLI, "invoke", "events/direct-single.json", "--build-dir", str(build_dir)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    fallback = Interpreter(host_interpreter(), HOST_VERSION, matches_runtime=False)
    note = fallback_note("python3.13", fallback, [host_layer(fallback)])
    assert [line for line in done.stderr.splitlines() if line.startswith("local_lambda:")] == [note]
    assert [p["label"] for p in strict_json(done.stdout)["predictions"]] == ["setosa"]


def test_the_stand_in_layer_is_built_for_the_host_and_the_deployable_one_for_313(build_dir):
    fallback = Interpreter(host_interpreter(), HOST_VERSION, matches_runtime=False)
    capi = Path("python") / "onnxruntime" / "capi"
    deployable = {p.name for p in (build_dir / LAYER / capi).glob("*pybind11_state*.so")}
    local = {p.name for p in (host_layer(fallback) / capi).glob("*pybind11_state*.so")}
    assert deployable == {"onnxruntime_pybind11_state.cpython-313-x86_64-linux-gnu.so"}
    assert local == {
        f"onnxruntime_pybind11_state.{sys.implementation.cache_tag}-x86_64-linux-gnu.so"
    }


def test_thousand_warm_invokes_lose_nothing_and_memory_stays_flat(build_dir, config, tmp_path):
    """After 100 warm-up invokes, the peak RSS may grow by at most 2 MB over 1,000 more.

    The warm-up settles the allocator's arenas and onnxruntime's per-run buffers; from then on a
    request leaking even 2 KB would add 2 MB, so the bound catches a per-request leak while
    leaving room for the interpreter's normal noise (freelists, the logging module's buffers).
    """
    function = start(build_dir / "InferenceFunction", build_dir, config, tmp_path / "soak.log")
    try:
        for _ in range(100):
            function.invoke({"features": [5.1, 3.5, 1.4, 0.2]})
        settled_kb = function.peak_rss_kb
        results = [
            function.invoke({"features": [4.0 + (i % 40) / 10, 3.0, 1.0 + (i % 60) / 10, 1.0]})
            for i in range(1000)
        ]
        final_kb = function.peak_rss_kb
    finally:
        function.stop()
    assert [r.function_error for r in results] == [None] * 1000
    assert len({r.request_id for r in results}) == 1000
    assert all(r.json()["predictions"][0]["label"] in LABELS for r in results)
    assert final_kb - settled_kb <= 2048
