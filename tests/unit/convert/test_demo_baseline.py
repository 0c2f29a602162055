"""The demo's pickle baseline rebuilt for ``make benchmark`` on a fresh clone, and refused for any
other model (whose baseline only its owner's pickle can be)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import joblib
import pytest
from fixture_models import demo_model, edit_card

from convert.demo_baseline import NotTheDemo, main, rebuild_demo_baseline


def _copy(source: Path, folder: Path) -> Path:
    shutil.copytree(source, folder)
    return folder


def test_the_demo_baseline_is_rebuilt_byte_for_byte_beside_an_untouched_model(tmp_path):
    demo = demo_model()
    model_dir = _copy(demo.model_dir, tmp_path / "function")
    before = {p.name: p.read_bytes() for p in model_dir.iterdir()}
    rebuild_demo_baseline(model_dir, tmp_path / "baseline")
    assert sorted(p.name for p in (tmp_path / "baseline").iterdir()) == ["model.json", "model.pkl"]
    assert (tmp_path / "baseline" / "model.json").read_bytes() == before["model.json"]
    rebuilt = joblib.load(tmp_path / "baseline" / "model.pkl")
    original = joblib.load(demo.baseline_dir / "model.pkl")
    rows = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3], [5.9, 2.8, 4.3, 1.3]]
    assert (rebuilt.predict_proba(rows) == original.predict_proba(rows)).all()
    assert {p.name: p.read_bytes() for p in model_dir.iterdir()} == before


def test_another_model_is_refused_and_nothing_is_written(tmp_path, capsys):
    model_dir = edit_card(
        _copy(demo_model().model_dir, tmp_path / "function"),
        name="churn",
        sha256=hashlib.sha256(b"another model").hexdigest(),
    )
    assert main(["--model-dir", str(model_dir), "--baseline-dir", str(tmp_path / "b")]) == 1
    assert not (tmp_path / "b").exists()
    assert capsys.readouterr().err == (
        f"error: {model_dir} serves 'churn', not the Iris demo this would rebuild: its pickle "
        "baseline is your own pickle file; run make convert MODEL=<your pickle> (with the "
        "FEATURES=/SAMPLE= you used) to write it again\n"
    )


def test_a_baseline_of_the_served_model_is_left_as_it_is(tmp_path):
    demo = demo_model()
    baseline = _copy(demo.baseline_dir, tmp_path / "baseline")
    (baseline / "model.pkl").write_bytes(b"kept")
    rebuild_demo_baseline(demo.model_dir, baseline)
    assert (baseline / "model.pkl").read_bytes() == b"kept"


def test_a_folder_without_a_card_is_refused(tmp_path):
    with pytest.raises(NotTheDemo, match=r"model\.json: no model card"):
        rebuild_demo_baseline(tmp_path, tmp_path / "baseline")
