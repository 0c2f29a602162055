"""BatchFunction end to end: `sam build` output, the real runtime client, a local S3 server.

Every start shape goes through awslambdaric as Lambda would deliver it; the runtime sees the
boto3 the python3.13 runtime bundles, from where that runtime keeps it, and never the layer's.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest
import sam_support
from batch_support import (
    body,
    csv_text,
    example_rows,
    keys,
    write_csv,
)
from sam_support import ROOT

from onnx_serving.card import ModelCard
from tools.local_lambda import LocalLambda
from tools.local_lambda.installs import runtime_client_dir
from tools.local_lambda.template import built_function_dir, function_config

pytestmark = pytest.mark.slow

FUNCTION = "BatchFunction"
LAYER = "OnnxRuntimeLayer"
EVENTS = ROOT / "events" / "batch"
RUNTIME_BOTO3 = "1.38.36"
PROBE = """
import sys
import boto3, botocore


def handler(event, context):
    return {"path": sys.path, "boto3": [boto3.__version__, boto3.__file__],
            "botocore": botocore.__version__}
"""


@pytest.fixture(scope="module")
def build_dir() -> Path:
    """The whole application built: BatchFunction belongs to its nested batch application."""
    return sam_support.sam_build_dir(None)


@pytest.fixture(scope="module")
def package(build_dir) -> Path:
    return built_function_dir(build_dir, FUNCTION)


@pytest.fixture(scope="module")
def batch_model_dir(model_dir) -> Path:
    return model_dir


@pytest.fixture(scope="module")
def config(build_dir, local_s3, batch_model_dir):
    base = function_config(build_dir / "template.yaml", FUNCTION)
    environment = {
        **base.environment,
        **local_s3.client_environment(),
        "MODEL_DIR": str(batch_model_dir),
    }
    return dataclasses.replace(base, environment=environment)


def running(task_root: Path, build_dir: Path, config, logs: Path) -> LocalLambda:
    """A LocalLambda on ``task_root`` with the built layer; use it with ``with``."""
    return LocalLambda(task_root, [build_dir / LAYER], config, logs=logs.open("ab"))


@pytest.fixture(scope="module")
def warm(build_dir, package, config, tmp_path_factory):
    logs = tmp_path_factory.mktemp("logs") / "batch.log"
    with running(package, build_dir, config, logs) as function:
        yield function


def sample(name: str) -> dict:
    return json.loads((EVENTS / f"{name}.json").read_text())


def test_package_holds_the_batch_entry_point_the_serving_package_and_the_model(build_dir, package):
    assert package == build_dir / "BatchScoring" / FUNCTION
    shipped = {str(p.relative_to(package)) for p in package.rglob("*") if p.is_file()}
    source = ROOT / "function"
    modules = {
        str(p.relative_to(source))
        for p in [*source.glob("onnx_serving/*.py"), *source.glob("onnx_serving/batch/*.py")]
    }
    assert shipped == sam_support.with_pyc(modules | {"batch_app.py"}) | {
        "model.onnx",
        "model.json",
    }
    layer = build_dir / LAYER / "python"
    assert not [p for p in layer.iterdir() if p.name.startswith(("boto", "s3transfer"))]


def test_boto3_comes_from_the_runtime_as_on_lambda(build_dir, package, config, tmp_path):
    task_root = tmp_path / "task"
    shutil.copytree(package, task_root)
    (task_root / "probe.py").write_text(PROBE)
    probe = dataclasses.replace(config, handler="probe.handler")
    with running(task_root, build_dir, probe, tmp_path / "probe.log") as function:
        answer = function.invoke({}).json()
    layer = (build_dir / LAYER / "python").resolve()
    path = answer["path"]
    sdk = Path(answer["boto3"][1]).parents[1]
    assert path[:5] == [
        str(task_root.resolve()),
        str(layer / "lib" / "python3.13" / "site-packages"),
        str(layer),
        str(sdk),
        str(runtime_client_dir(function.interpreter)),
    ]
    assert sdk.name.startswith("runtime-sdk-3.13-")
    assert (answer["boto3"][0], answer["botocore"]) == (RUNTIME_BOTO3, RUNTIME_BOTO3)


def test_direct_invoke_scores_the_file_and_answers_its_summary(warm, card, s3, bucket):
    key = "incoming/direct.csv"
    s3.put_object(Bucket=bucket, Key=key, Body=csv_text(card, example_rows(card, 30)).encode())
    event = {"bucket": bucket, "key": key, "output_prefix": "scored/team-a/"}
    result = warm.invoke(event)
    summary = result.json()
    assert result.function_error is None
    assert (summary["status"], summary["rows"], summary["rejected"]) == ("scored", 30, 0)
    assert summary["output"].startswith(f"s3://{bucket}/scored/team-a/{key}/")
    assert len(body(s3, summary["output"]).decode().splitlines()) == 31


def test_s3_notification_with_an_encoded_key_is_scored(warm, card, s3, bucket):
    event = sample("s3-object-created")
    record = event["Records"][0]
    record["s3"]["bucket"]["name"] = bucket
    key = "incoming/iris sample (2024)+q1.csv"
    s3.put_object(Bucket=bucket, Key=key, Body=csv_text(card, example_rows(card, 5)).encode())
    record["s3"]["object"]["eTag"] = s3.head_object(Bucket=bucket, Key=key)["ETag"].strip('"')
    first = warm.invoke(event).json()
    again = warm.invoke(event).json()
    [summary] = first["files"]
    assert (summary["status"], summary["input"]) == ("scored", f"s3://{bucket}/{key}")
    assert again["files"][0]["output"] == summary["output"]
    assert len(keys(s3, bucket, "scored/")) == 2


def test_distributed_map_item_from_a_listing_is_scored(warm, card, s3, bucket):
    event = sample("distributed-map-item")
    s3.put_object(Bucket=bucket, Key=event["key"], Body=csv_text(card, example_rows(card, 3)))
    listed = s3.list_objects_v2(Bucket=bucket)["Contents"][0]
    event.update(bucket=bucket, etag=listed["ETag"])
    summary = warm.invoke(event).json()
    assert (summary["status"], summary["written"]) == ("scored", 3)


def test_distributed_map_item_batch_of_csv_rows_is_scored(warm, card, s3, bucket):
    event = sample("distributed-map-rows")
    big = event["BatchInput"]["key"]
    rows = example_rows(card, 4)
    s3.put_object(Bucket=bucket, Key=big, Body=csv_text(card, rows).encode())
    header = ["id", *card.feature_names]
    event["BatchInput"]["bucket"] = bucket
    event["Items"] = [
        {"index": i, "row": dict(zip(header, [f"r{i}", *map(str, row)], strict=True))}
        for i, row in enumerate(rows)
    ]
    summary = warm.invoke(event).json()
    assert (summary["status"], summary["rows"], summary["rejected"]) == ("scored", 4, 0)
    assert summary["output"].endswith("/parts/000000000000.csv")


def test_a_broken_model_fails_init(build_dir, package, config, tmp_path):
    model_dir = tmp_path / "model"
    shutil.copytree(Path(config.environment["MODEL_DIR"]), model_dir)
    (model_dir / "model.onnx").write_bytes(b"not a model")
    broken = dataclasses.replace(
        config, environment={**config.environment, "MODEL_DIR": str(model_dir)}
    )
    with running(package, build_dir, broken, tmp_path / "init.log") as function:
        result = function.invoke({"bucket": "b", "key": "k.csv"})
    assert function.init_error is not None
    assert function.init_error.error_type == "ModelLoadError"
    assert result.function_error == "Unhandled"


def test_peak_memory_does_not_grow_with_the_file(warm, card, s3, bucket, tmp_path):
    """One warm process, as Lambda reuses it: 100,000 rows, then 500,000. Peak RSS (VmHWM)
    after the larger file may exceed the smaller's by at most 8 MB, and stays under the stated
    160 MB; `make test-batch-scale` shows the same at 2,000,000 rows."""
    peaks = []
    for rows in (100_000, 500_000):
        path = tmp_path / f"{rows}.csv"
        write_csv(path, card, rows)
        s3.upload_file(str(path), bucket, f"incoming/{rows}.csv")
        summary = warm.invoke({"bucket": bucket, "key": f"incoming/{rows}.csv"}).json()
        assert (summary["status"], summary["written"]) == ("scored", rows)
        peaks.append(warm.peak_rss_kb)
    assert peaks[1] - peaks[0] <= 8 * 1024
    assert peaks[1] <= 160 * 1024


def test_pickle_baseline_batch_package_is_the_same_batch_code_with_the_pickle_backend(
    baseline_dir, tmp_path
):
    """What the batch benchmark runs as its pickle contender, built by the same target, from the
    fixture model's pickle into a temporary folder."""
    package = tmp_path / "pickle-batch"
    shipped = sam_support.baseline_package("build-PickleBatchBaseline", package, baseline_dir)
    source = ROOT / "function"
    modules = {
        str(p.relative_to(source))
        for p in [*source.glob("onnx_serving/*.py"), *source.glob("onnx_serving/batch/*.py")]
    }
    assert shipped == sam_support.with_pyc(modules | {"app.py", "batch_app.py"}) | {
        "model.pkl",
        "model.json",
    }
    assert (package / "batch_app.py").read_bytes() == (
        ROOT / "tools/baseline/batch_app.py"
    ).read_bytes()
    assert (package / "app.py").read_bytes() == (ROOT / "tools/baseline/app.py").read_bytes()


def test_batch_demo_scores_the_users_own_file_and_saves_it(build_dir, package, tmp_path, capfd):
    """``make batch-demo FILE=... OUT=...``: the user's file scored by the built function."""
    from tools.local_lambda import batch_demo

    card = ModelCard.load(package / "model.json")
    rows = tmp_path / "mine.csv"
    rows.write_text(csv_text(card, example_rows(card, 12)))
    scored = tmp_path / "scored.csv"
    argv = ["--build-dir", str(build_dir), "--input", str(rows), "--output", str(scored)]
    assert batch_demo.main(argv) == 0
    summary = json.loads(capfd.readouterr().out.split("\n# ")[0])
    assert (summary["status"], summary["rows"], summary["rejected"]) == ("scored", 12, 0)
    lines = scored.read_text().splitlines()
    assert len(lines) == 13
    assert [line.split(",")[0] for line in lines[1:]] == [f"r{i}" for i in range(12)]
