"""The benchmark's model pairs: fitted and converted by the project's converter outside
``function/``, and served alike by the ONNX function and the pickle baseline, so that the two
numbers a pair's tables set side by side are of one model answering one way.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from onnx_serving.card import COLUMNS, MATRIX
from onnx_serving.handler import ServingSettings, handle
from onnx_serving.model import load_model
from tools.benchmarks.model_pairs import MODELS, PAIRS, ConvertedPair, convert_pair
from tools.benchmarks.packages import ROOT
from tools.example_rows import example_rows

BASELINE_APP = ROOT / "tools" / "baseline" / "app.py"
ROWS = 100
# The pickle baseline computes in float64 where the graph keeps float32 tree sums: answers are
# rounded to 6 decimals and agree within the converter's own parity tolerance.
TOLERANCE = 1e-5


@pytest.fixture(scope="module")
def converted(tmp_path_factory) -> dict[str, ConvertedPair]:
    models = tmp_path_factory.mktemp("models")
    return {pair.name: convert_pair(pair, models) for pair in PAIRS}


def pickled_model(baseline_dir: Path, monkeypatch: pytest.MonkeyPatch) -> object:
    """The pickle baseline's model, its module run as Lambda runs it at init (reading
    ``MODEL_DIR``), under a name of its own so that no other test sees it."""
    monkeypatch.setenv("MODEL_DIR", str(baseline_dir))
    spec = importlib.util.spec_from_file_location("pickle_baseline_app", BASELINE_APP)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.MODEL


def test_the_pairs_are_a_regressor_and_a_dataframe_pipeline(converted):
    cards = {name: load_model(pair.model_dir).card for name, pair in converted.items()}
    assert {name: (card.task, card.inputs) for name, card in cards.items()} == {
        "forest-regressor": ("regressor", MATRIX),
        "dataframe-pipeline": ("classifier", COLUMNS),
    }
    pipeline = cards["dataframe-pipeline"]
    assert [(c.name, c.type, c.missing) for c in pipeline.columns] == [
        ("area", "number", True),
        ("rooms", "number", True),
        ("city", "string", True),
        ("kind", "string", True),
    ]


def test_each_pair_has_its_own_folder_under_build_never_the_served_model_s(converted):
    assert MODELS == ROOT / "build" / "benchmarks" / "models"
    models = next(iter(converted.values())).model_dir.parents[1]
    assert {name: (p.model_dir, p.baseline_dir) for name, p in converted.items()} == {
        name: (models / name / "function", models / name / "baseline")
        for name in ("forest-regressor", "dataframe-pipeline")
    }
    for pair in converted.values():
        assert sorted(f.name for f in pair.model_dir.iterdir()) == ["model.json", "model.onnx"]
        assert sorted(f.name for f in pair.baseline_dir.iterdir()) == ["model.json", "model.pkl"]


@pytest.mark.parametrize("name", [pair.name for pair in PAIRS])
def test_the_pickle_baseline_answers_as_the_onnx_function(converted, name, monkeypatch):
    pair = converted[name]
    onnx = load_model(pair.model_dir)
    pickled = pickled_model(pair.baseline_dir, monkeypatch)
    rows = example_rows(onnx.card, ROWS)
    settings = ServingSettings(log_requests=False)
    answers = [
        handle({"instances": rows}, None, model, settings)["predictions"]
        for model in (onnx, pickled)
    ]
    assert [len(found) for found in answers] == [ROWS, ROWS]
    if onnx.card.is_classifier:
        assert any(None in row for row in rows), "the example rows leave some cells missing"
        assert [a["label"] for a in answers[0]] == [a["label"] for a in answers[1]]
        gaps = [
            abs(a["probabilities"][label] - b["probabilities"][label])
            for a, b in zip(*answers, strict=True)
            for label in a["probabilities"]
        ]
    else:
        gaps = [
            abs(a["value"] - b["value"]) / max(abs(b["value"]), 1.0)
            for a, b in zip(*answers, strict=True)
        ]
    assert max(gaps) <= TOLERANCE
