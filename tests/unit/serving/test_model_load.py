"""A model that cannot be served fails at init, loudly, naming the file and the problem."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import os
import subprocess
import sys

import pytest
from conftest import FUNCTION_DIR
from fixture_models import edit_card
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier

from convert.export import export_onnx
from convert.schema import positional_schema
from onnx_serving.card import CARD_DIGEST_KEY, ModelCard, ModelCardError
from onnx_serving.handler import ServingSettings
from onnx_serving.model import ModelLoadError, init_failure, load_model

CLASSES = ["setosa", "versicolor", "virginica"]


def rename_classes(model_copy, names):
    """A card whose classes (and golden rows, so the card stays valid) carry other names, and
    no class shares (which would name the old classes)."""
    card = json.loads((model_copy / "model.json").read_text())
    renamed = dict(zip(card["classes"], [*names, *names][: len(card["classes"])], strict=True))
    golden = [
        {
            "features": row["features"],
            "label": renamed[row["label"]],
            "probabilities": {renamed[k]: v for k, v in row["probabilities"].items()},
        }
        for row in card["golden_rows"]
    ]
    edit_card(model_copy, classes=names, golden_rows=golden, class_shares=None)


def test_intact_copy_loads(model_copy):
    assert load_model(model_copy).card.classes == ["setosa", "versicolor", "virginica"]


def test_missing_model(model_copy):
    (model_copy / "model.onnx").unlink()
    with pytest.raises(
        ModelLoadError, match=f"^{model_copy / 'model.onnx'}: model file not found$"
    ):
        load_model(model_copy)


def test_missing_card(model_copy):
    (model_copy / "model.json").unlink()
    with pytest.raises(
        ModelLoadError, match=f"^{model_copy / 'model.json'}: model card not found$"
    ):
        load_model(model_copy)


def test_bit_flip_fails_the_hash(model_copy):
    data = bytearray((model_copy / "model.onnx").read_bytes())
    data[len(data) // 2] ^= 0x01
    (model_copy / "model.onnx").write_bytes(bytes(data))
    with pytest.raises(ModelLoadError, match="does not match the model card"):
        load_model(model_copy)


def test_truncated_model_with_matching_hash_fails_in_onnxruntime(model_copy):
    data = (model_copy / "model.onnx").read_bytes()[:1000]
    (model_copy / "model.onnx").write_bytes(data)
    edit_card(model_copy, sha256=hashlib.sha256(data).hexdigest())
    with pytest.raises(ModelLoadError, match="onnxruntime cannot load the model"):
        load_model(model_copy)


def test_valid_onnx_with_another_schema(model_copy):
    x, y = load_iris(return_X_y=True)
    three = RandomForestClassifier(n_estimators=3, random_state=0).fit(x[:, :3], y)
    data = export_onnx(three, positional_schema(three, 3))
    (model_copy / "model.onnx").write_bytes(data)
    edit_card(model_copy, sha256=hashlib.sha256(data).hexdigest())
    with pytest.raises(
        ModelLoadError,
        match=r"input 'input' is tensor\(float\) \[None, 3\], card says tensor\(float\) \[N, 4\]$",
    ):
        load_model(model_copy)


def test_card_with_wrong_class_count(model_copy):
    rename_classes(model_copy, ["a", "b"])
    with pytest.raises(ModelLoadError, match=r"probabilities are .* card says 2 classes"):
        load_model(model_copy)


def test_card_naming_labels_the_model_never_answers(model_copy):
    rename_classes(model_copy, ["cat", "dog", "bird"])
    with pytest.raises(ModelLoadError, match="answered label 'setosa', not one of"):
        load_model(model_copy)


def test_card_naming_a_missing_output(model_copy):
    edit_card(model_copy, outputs=["label", "output_probability"])
    with pytest.raises(ModelLoadError, match="has no output 'output_probability'"):
        load_model(model_copy)


def test_card_naming_a_missing_input(model_copy):
    edit_card(model_copy, input_name="X")
    with pytest.raises(ModelLoadError, match=r"expects inputs \['input'\], card says \['X'\]$"):
        load_model(model_copy)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"columns": []}, "columns must be a non-empty list"),
        ({"columns": [{"name": n} for n in "aabc"]}, "column names must not repeat"),
        ({"classes": ["only"]}, "classes must hold at least two classes"),
        ({"classes": [1, 2, 3]}, "classes must hold non-empty strings"),
        ({"columns": [{"name": "a", "min": 0}]}, r"columns\[0\].min and .max must both be"),
        ({"columns": [{"name": "a", "max": float("nan"), "min": 0}]}, r"columns\[0\].min and"),
        ({"columns": [{"name": "a", "type": "date"}]}, r"columns\[0\].type must be one of"),
        ({"columns": [{"name": "a", "colour": 1}]}, r"unknown column fields \['colour'\]"),
        ({"task": "ranker"}, r"task must be one of \['classifier', 'regressor'\]"),
        ({"sha256": "abc"}, "sha256 must be 64 hex digits"),
        ({"name": ""}, "name must be a non-empty string"),
        ({"format": 3}, r"format 3 is not 4: convert the model again \(make convert"),
        ({"golden_rows": []}, "golden_rows must hold at least one row: convert the model again"),
        ({"parity": {}}, "parity must record a positive tolerance"),
        ({"colour": "red"}, r"unknown fields \['colour'\]"),
    ],
    ids=[
        "no-columns",
        "repeated-column",
        "one-class",
        "int-classes",
        "one-range-null",
        "nan-max",
        "unknown-type",
        "unknown-column-field",
        "unknown-task",
        "short-sha",
        "empty-name",
        "old-format",
        "no-golden-rows",
        "no-tolerance",
        "unknown-field",
    ],
)
def test_inconsistent_cards_are_refused(model_copy, changes, message):
    edit_card(model_copy, **changes)
    with pytest.raises(ModelLoadError, match=message):
        load_model(model_copy)


@pytest.mark.parametrize(
    "order",
    [list(p) for p in itertools.permutations(CLASSES) if list(p) != CLASSES],
    ids=lambda order: "-".join(name[:3] for name in order),
)
def test_card_listing_classes_in_another_order_fails_init(model_copy, order):
    """Same class names, other order: every probability would be served under the wrong name."""
    edit_card(model_copy, classes=order)
    with pytest.raises(ModelLoadError, match="the card lists the classes in another order"):
        load_model(model_copy)


def test_card_with_min_above_max_fails_init(model_copy):
    columns = json.loads((model_copy / "model.json").read_text())["columns"]
    columns[2]["min"] = columns[2]["max"] + 1.0
    edit_card(model_copy, columns=columns)
    with pytest.raises(ModelLoadError, match=r"columns\[2\].min must not exceed .max"):
        load_model(model_copy)


def test_card_missing_a_field(model_copy):
    card = json.loads((model_copy / "model.json").read_text())
    del card["classes"]
    (model_copy / "model.json").write_text(json.dumps(card))
    with pytest.raises(ModelLoadError, match=r"missing 1 required .*'classes'"):
        load_model(model_copy)


@pytest.mark.parametrize(
    "text", ["{not json", "[1, 2]", "\udcff"], ids=["malformed", "list", "bad-utf8"]
)
def test_unreadable_cards(model_copy, text):
    (model_copy / "model.json").write_bytes(text.encode("utf-8", "surrogateescape"))
    with pytest.raises(ModelLoadError, match=r"model.json: (unreadable|invalid) model card"):
        load_model(model_copy)


def test_card_round_trips_to_identical_json(model_dir):
    card = ModelCard.load(model_dir / "model.json")
    assert ModelCard.from_dict(json.loads(card.to_json())) == card
    assert card.to_json() == (model_dir / "model.json").read_text()
    with pytest.raises(ModelCardError):
        dataclasses.replace(card, columns=card.columns[:1] * 2)


def test_init_error_reaches_lambda_from_app_import(model_copy):
    (model_copy / "model.onnx").write_bytes(b"not a model")
    env = {**os.environ, "MODEL_DIR": str(model_copy)}
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
    assert "model.InitFailure: ModelLoadError: model.onnx: SHA-256 " in run.stderr
    assert str(model_copy) not in run.stderr.splitlines()[-1]
    record = json.loads(run.stdout)
    assert set(record) == {"level", "event", "error_type", "message", "traceback"}
    assert (record["level"], record["event"], record["error_type"]) == (
        "ERROR",
        "init",
        "ModelLoadError",
    )
    assert record["message"].startswith("ModelLoadError: model.onnx: SHA-256 ")
    assert f"{model_copy / 'model.onnx'}: SHA-256" in record["traceback"]


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


EDITED_AFTER_CONVERSION = (
    ": model.json is not the card this model was converted with (its content differs from the "
    "digest the model carries): it was edited after conversion; convert the model again "
    "(make convert)"
)


def test_converted_model_carries_the_digest_of_its_card(model_copy):
    import onnx

    model = onnx.load(model_copy / "model.onnx")
    card = ModelCard.load(model_copy / "model.json")
    assert {p.key: p.value for p in model.metadata_props}[CARD_DIGEST_KEY] == (
        hashlib.sha256(card.bound_content()).hexdigest()
    )
    assert card.sha256 == hashlib.sha256((model_copy / "model.onnx").read_bytes()).hexdigest()


@pytest.mark.parametrize(
    "edit",
    [
        lambda card: {"columns": card["columns"][::-1]},
        lambda card: {
            "columns": [c | {"name": f"{c['name']} (cm)"} for c in card["columns"]],
            "feature_bins": {f"{name} (cm)": b for name, b in card["feature_bins"].items()},
        },
        lambda card: {"version": card["version"] + "-edited"},
        lambda card: {"columns": [c | {"max": c["max"] + 1.0} for c in card["columns"]]},
        lambda card: {"metrics": {}},
        lambda card: {
            "class_shares": {"setosa": 0.4, "versicolor": 0.266667, "virginica": 0.333333}
        },
        lambda card: {
            "feature_bins": card["feature_bins"]
            | {"petal_width": {"edges": [1.0], "shares": [0.5, 0.5]}}
        },
    ],
    ids=[
        "names-permuted",
        "names-renamed",
        "version",
        "ranges",
        "metrics",
        "class-shares",
        "feature-bins",
    ],
)
def test_a_card_edited_after_conversion_fails_init(model_copy, edit):
    card = json.loads((model_copy / "model.json").read_text())
    edit_card(model_copy, **edit(card))
    with pytest.raises(ModelLoadError) as failure:
        load_model(model_copy)
    assert str(failure.value) == f"{model_copy / 'model.onnx'}{EDITED_AFTER_CONVERSION}"


def test_a_model_without_the_card_digest_fails_init(model_copy):
    import onnx

    model = onnx.load(model_copy / "model.onnx")
    del model.metadata_props[:]
    data = model.SerializeToString()
    (model_copy / "model.onnx").write_bytes(data)
    edit_card(model_copy, sha256=hashlib.sha256(data).hexdigest())
    with pytest.raises(ModelLoadError) as failure:
        load_model(model_copy)
    assert str(failure.value) == (
        f"{model_copy / 'model.onnx'}: the model carries no digest of its card "
        f"({CARD_DIGEST_KEY}): convert it again (make convert) so that the card is bound to it"
    )
