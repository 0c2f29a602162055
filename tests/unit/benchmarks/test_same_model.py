"""The benchmark compares one model: the pickle baseline must be the served model's."""

from __future__ import annotations

import json
import shutil

import pytest

from tools.benchmarks.packages import BuildError, check_same_model


def test_a_baseline_of_the_served_model_passes(model_dir, baseline_dir):
    check_same_model(model_dir, baseline_dir)


def test_a_baseline_left_from_another_conversion_is_refused(model_dir, baseline_dir, tmp_path):
    stale = tmp_path / "baseline"
    shutil.copytree(baseline_dir, stale)
    card = json.loads((stale / "model.json").read_text())
    (stale / "model.json").write_text(json.dumps(card | {"sha256": "0" * 64}))
    with pytest.raises(BuildError, match=f"the pickle baseline in {stale} is not the model in"):
        check_same_model(model_dir, stale)


def test_a_missing_baseline_says_which_card_is_missing(model_dir, tmp_path):
    with pytest.raises(BuildError, match=f"{tmp_path / 'model.json'}: no model card"):
        check_same_model(model_dir, tmp_path)
