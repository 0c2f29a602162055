"""Function settings read from the templates, through template.yaml's nested batch application
as CloudFormation would pass its parameters, and where `sam build` puts a nested function."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sam_support import ROOT, TEMPLATE

from tools.local_lambda.template import built_function_dir, function_config


def test_a_nested_parameter_left_empty_by_the_parent_keeps_its_own_default():
    config = function_config(TEMPLATE, "BatchFunction")
    assert config.environment["BATCH_OUTPUT_PREFIX"] == "scored/"
    assert (config.runtime, config.memory_mb) == ("python3.13", 1769)


def test_what_the_parent_is_given_reaches_the_nested_function():
    overrides = {"Runtime": "python3.12", "BatchMemorySize": "2048", "LogLevel": "DEBUG"}
    config = function_config(TEMPLATE, "BatchFunction", overrides)
    assert (config.runtime, config.memory_mb, config.environment["LOG_LEVEL"]) == (
        "python3.12",
        2048,
        "DEBUG",
    )


def test_a_function_in_no_template_is_refused():
    with pytest.raises(KeyError, match="NoSuchFunction is in neither"):
        function_config(TEMPLATE, "NoSuchFunction")


# Each nested application of template.yaml and the folder of its template.
NESTED = {"BatchScoring": "batch", "Observability": "observability"}


def fake_build(build_dir: Path) -> None:
    """The layout `sam build` writes: the parent's template pointing at the nested ones' copies."""
    text = TEMPLATE.read_text()
    for application, folder in NESTED.items():
        (build_dir / application).mkdir(parents=True)
        text = text.replace(
            f"Location: {folder}/template.yaml", f"Location: {application}/template.yaml"
        )
        shutil.copyfile(ROOT / folder / "template.yaml", build_dir / application / "template.yaml")
    (build_dir / "template.yaml").write_text(text)


def test_sam_build_puts_a_nested_function_under_its_application(tmp_path):
    fake_build(tmp_path)
    assert (
        built_function_dir(tmp_path, "BatchFunction") == tmp_path / "BatchScoring" / "BatchFunction"
    )
    assert built_function_dir(tmp_path, "InferenceFunction") == tmp_path / "InferenceFunction"
    with pytest.raises(KeyError, match="NoSuchFunction is not in the build"):
        built_function_dir(tmp_path, "NoSuchFunction")
