"""A model that cannot be served fails at init, loudly, naming the file and the problem."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from conftest import FUNCTION_DIR
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier

from convert.export import export_onnx
from onnx_serving.init_failure import init_failure
from onnx_serving.model import (
    PROBE_ROWS,
    ModelLoadError,
    card_midpoint,
    load_model,
    probe_rows,
)
from onnx_serving.model_card import ModelCard, ModelCardError
from onnx_serving.request_path import ServingSettings


@pytest.fixture
def model_dir(tmp_path):
    for name in ("model.onnx", "model.json"):
        shutil.copyfile(FUNCTION_DIR / name, tmp_path / name)
    return tmp_path


def rewrite_card(model_dir, **changes):
    card = json.loads((model_dir / "model.json").read_text())
    card.update(changes)
    (model_dir / "model.json").write_text(json.dumps(card))


CLASSES = ["setosa", "versicolor", "virginica"]


def test_intact_copy_loads(model_dir):
    assert load_model(model_dir).card.classes == ["setosa", "versicolor", "virginica"]


def test_missing_model(model_dir):
    (model_dir / "model.onnx").unlink()
    with pytest.raises(ModelLoadError, match=f"^{model_dir / 'model.onnx'}: model file not found$"):
        load_model(model_dir)


def test_missing_card(model_dir):
    (model_dir / "model.json").unlink()
    with pytest.raises(ModelLoadError, match=f"^{model_dir / 'model.json'}: model card not found$"):
        load_model(model_dir)


def test_bit_flip_fails_the_hash(model_dir):
    data = bytearray((model_dir / "model.onnx").read_bytes())
    data[len(data) // 2] ^= 0x01
    (model_dir / "model.onnx").write_bytes(bytes(data))
    with pytest.raises(ModelLoadError, match="does not match the model card"):
        load_model(model_dir)


def test_truncated_model_with_matching_hash_fails_in_onnxruntime(model_dir):
    data = (model_dir / "model.onnx").read_bytes()[:1000]
    (model_dir / "model.onnx").write_bytes(data)
    rewrite_card(model_dir, sha256=hashlib.sha256(data).hexdigest())
    with pytest.raises(ModelLoadError, match="onnxruntime cannot load the model"):
        load_model(model_dir)


def test_valid_onnx_with_another_schema(model_dir):
    x, y = load_iris(return_X_y=True)
    three = RandomForestClassifier(n_estimators=3, random_state=0).fit(x[:, :3], y)
    data = export_onnx(three, 3)
    (model_dir / "model.onnx").write_bytes(data)
    rewrite_card(model_dir, sha256=hashlib.sha256(data).hexdigest())
    with pytest.raises(ModelLoadError, match=r"input is tensor\(float\) \[None, 3\], card says"):
        load_model(model_dir)


def test_card_with_wrong_class_count(model_dir):
    rewrite_card(model_dir, classes=["a", "b"])
    with pytest.raises(ModelLoadError, match=r"probabilities are .* card says 2 classes"):
        load_model(model_dir)


def test_card_naming_labels_the_model_never_answers(model_dir):
    rewrite_card(model_dir, classes=["cat", "dog", "bird"])
    with pytest.raises(ModelLoadError, match="answered label 'versicolor', not one of"):
        load_model(model_dir)


def test_card_naming_a_missing_output(model_dir):
    rewrite_card(model_dir, probabilities_output="output_probability")
    with pytest.raises(ModelLoadError, match="has no output 'output_probability'"):
        load_model(model_dir)


def test_card_naming_a_missing_input(model_dir):
    rewrite_card(model_dir, input_name="X")
    with pytest.raises(ModelLoadError, match=r"expects inputs \['input'\], card says 'X'"):
        load_model(model_dir)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"feature_names": []}, "feature_names must be a non-empty list"),
        ({"feature_names": ["a", "a", "b", "c"]}, "feature_names must not repeat"),
        ({"classes": ["only"]}, "classes must hold at least two classes"),
        ({"classes": [1, 2, 3]}, "classes must hold non-empty strings"),
        ({"feature_min": [0, 0]}, "feature_min must hold one number per feature"),
        ({"feature_max": [0, 0, 0, float("nan")]}, "feature_max must hold finite numbers"),
        ({"sha256": "abc"}, "sha256 must be 64 hex digits"),
        ({"name": ""}, "name must be a non-empty string"),
        ({"format": 2}, "format 2 is not 1"),
        ({"colour": "red"}, r"unknown fields \['colour'\]"),
    ],
    ids=[
        "no-features",
        "repeated-feature",
        "one-class",
        "int-classes",
        "short-min",
        "nan-max",
        "short-sha",
        "empty-name",
        "future-format",
        "unknown-field",
    ],
)
def test_inconsistent_cards_are_refused(model_dir, changes, message):
    rewrite_card(model_dir, **changes)
    with pytest.raises(ModelLoadError, match=message):
        load_model(model_dir)


@pytest.mark.parametrize(
    "order",
    [list(p) for p in itertools.permutations(CLASSES) if list(p) != CLASSES],
    ids=lambda order: "-".join(name[:3] for name in order),
)
def test_card_listing_classes_in_another_order_fails_init(model_dir, order):
    """Same class names, other order: every probability would be served under the wrong name."""
    rewrite_card(model_dir, classes=order)
    with pytest.raises(ModelLoadError, match="the card lists the classes in another order"):
        load_model(model_dir)


def test_card_with_min_above_max_fails_init(model_dir):
    rewrite_card(model_dir, feature_min=[4.3, 2.0, 7.0, 0.1])
    with pytest.raises(ModelLoadError, match="feature_min must not exceed feature_max"):
        load_model(model_dir)


def test_card_missing_a_field(model_dir):
    card = json.loads((model_dir / "model.json").read_text())
    del card["classes"]
    (model_dir / "model.json").write_text(json.dumps(card))
    with pytest.raises(ModelLoadError, match=r"missing 1 required .*'classes'"):
        load_model(model_dir)


@pytest.mark.parametrize(
    "text", ["{not json", "[1, 2]", "\udcff"], ids=["malformed", "list", "bad-utf8"]
)
def test_unreadable_cards(model_dir, text):
    (model_dir / "model.json").write_bytes(text.encode("utf-8", "surrogateescape"))
    with pytest.raises(ModelLoadError, match=r"model.json: (unreadable|invalid) model card"):
        load_model(model_dir)


def test_card_round_trips_to_identical_json():
    card = ModelCard.load(FUNCTION_DIR / "model.json")
    assert ModelCard.from_dict(json.loads(card.to_json())) == card
    assert card.to_json() == (FUNCTION_DIR / "model.json").read_text()
    with pytest.raises(ModelCardError):
        dataclasses.replace(card, feature_min=[0.0])


def test_init_error_reaches_lambda_from_app_import(model_dir):
    (model_dir / "model.onnx").write_bytes(b"not a model")
    env = {**os.environ, "MODEL_DIR": str(model_dir)}
    run = subprocess.run(
        [sys.executable, "-c", "import app"],
        cwd=FUNCTION_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 1
    # The runtime client reports an ImportError without stack frames, so the message names the
    # model's file by name only; the log line keeps the whole story.
    assert "init_failure.InitFailure: ModelLoadError: model.onnx: SHA-256 " in run.stderr
    assert str(model_dir) not in run.stderr.splitlines()[-1]
    record = json.loads(run.stdout)
    assert set(record) == {"level", "event", "error_type", "message", "traceback"}
    assert (record["level"], record["event"], record["error_type"]) == (
        "ERROR",
        "init",
        "ModelLoadError",
    )
    assert record["message"].startswith("ModelLoadError: model.onnx: SHA-256 ")
    assert f"{model_dir / 'model.onnx'}: SHA-256" in record["traceback"]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, ServingSettings(max_batch_rows=1000, log_requests=True)),
        (
            {"MAX_BATCH_ROWS": "50", "LOG_LEVEL": "warning"},
            ServingSettings(max_batch_rows=50, log_requests=False),
        ),
    ],
    ids=["defaults", "overrides"],
)
def test_settings_from_env(env, expected):
    assert ServingSettings.from_env(env) == expected


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MAX_BATCH_ROWS": "0"}, "MAX_BATCH_ROWS must be an integer from 1 to 67647, got '0'"),
        ({"MAX_BATCH_ROWS": "lots"}, "MAX_BATCH_ROWS must be an integer"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL must be one of"),
    ],
    ids=["zero-rows", "non-numeric-rows", "bad-level"],
)
def test_bad_settings_fail_init(env, message):
    with pytest.raises(ValueError, match=message):
        ServingSettings.from_env(env)


def test_self_test_rows_start_mid_range_and_spread_over_the_training_range(model_dir):
    card = load_model(model_dir).card
    assert card_midpoint(card) == [6.1, 3.2, 4.0, 1.3]
    rows = probe_rows(card)
    assert rows.shape == (PROBE_ROWS + 1, 4) and rows.dtype == np.float32
    assert rows[0].tolist() == np.float32([6.1, 3.2, 4.0, 1.3]).tolist()
    assert (rows >= np.float32(card.feature_min)).all() and (
        rows <= np.float32(card.feature_max)
    ).all()
    # Quasi-random, not a grid: no two rows alike, each feature covers most of its range.
    assert len({tuple(row) for row in rows.tolist()}) == PROBE_ROWS + 1
    low, high = np.float32(card.feature_min), np.float32(card.feature_max)
    assert ((rows.max(axis=0) - rows.min(axis=0)) >= 0.95 * (high - low)).all()
    assert (probe_rows(card) == rows).all()


def test_self_test_midpoint_is_answered_as_scikit_learn_does(model_dir):
    model = load_model(model_dir)
    labels, probabilities = model.predict(np.array([card_midpoint(model.card)], dtype=np.float32))
    assert labels == ["versicolor"]
    assert probabilities.dtype == np.float32


def test_init_failures_name_files_without_their_folder_and_log_the_traceback(tmp_path, capsys):
    try:
        raise ModelLoadError(f"{tmp_path / 'model.json'}: model card not found")
    except ModelLoadError as exc:
        failure = init_failure(exc, tmp_path)
    assert isinstance(failure, ImportError)
    assert str(failure) == "ModelLoadError: model.json: model card not found"
    record = json.loads(capsys.readouterr().out)
    assert record["message"] == str(failure)
    assert record["traceback"].startswith("Traceback (most recent call last):")
    assert f"ModelLoadError: {tmp_path / 'model.json'}: model card not found" in record["traceback"]
