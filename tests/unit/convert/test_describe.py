"""The line ``make build`` prints first: which model is about to be shipped."""

from __future__ import annotations

import json
import shutil

from convert import describe


def test_names_the_model_its_version_and_digest(tmp_path, model_dir, capsys):
    shutil.copyfile(model_dir / "model.json", tmp_path / "model.json")
    card = json.loads((tmp_path / "model.json").read_text())
    card.update(name="wine-pipeline", version="7", sha256="ab" * 32)
    (tmp_path / "model.json").write_text(json.dumps(card))
    assert describe.main([str(tmp_path)]) == 0
    assert capsys.readouterr().out == (
        f"model: wine-pipeline version 7, sha256 abababababab ({tmp_path})\n"
    )


def test_says_there_is_no_servable_model(tmp_path, capsys):
    assert describe.main([str(tmp_path)]) == 1
    assert capsys.readouterr().err == (
        f"no servable model: {tmp_path / 'model.json'}: model card not found\n"
    )
