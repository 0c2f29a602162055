"""The line ``make build`` prints first: which model is about to be shipped."""

from __future__ import annotations

import json
import shutil

from convert import describe
from onnx_serving.openapi import openapi_document


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


def test_writes_the_openapi_description_the_function_serves(
    tmp_path, app, model_dir, capsys, monkeypatch
):
    monkeypatch.setenv("MAX_BATCH_ROWS", "250")
    out = tmp_path / "build" / "openapi.json"
    assert describe.main([str(model_dir), "--openapi", str(out)]) == 0
    assert capsys.readouterr().out.endswith(f"wrote the OpenAPI description to {out}\n")
    document = json.loads(out.read_text())
    assert document == json.loads(json.dumps(openapi_document(app.MODEL.card, 250)))
    assert (
        document["components"]["schemas"]["BatchRequest"]["properties"]["instances"]["maxItems"]
        == 250
    )


def test_a_setting_the_function_would_refuse_is_refused_here_too(
    tmp_path, model_dir, capsys, monkeypatch
):
    monkeypatch.setenv("MAX_BATCH_ROWS", "0")
    assert describe.main([str(model_dir), "--openapi", str(tmp_path / "o.json")]) == 1
    assert "MAX_BATCH_ROWS must be an integer from 1 to 67647" in capsys.readouterr().err
    assert not (tmp_path / "o.json").exists()
