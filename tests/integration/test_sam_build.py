"""What `sam build` packages: the function holds only what the handler loads, never a pickle."""

from __future__ import annotations

import subprocess
import sys

import pytest
from fixture_models import staged_project
from sam_support import ROOT, SAM, TEMPLATE, load_template, sam_build_dir, sam_env, with_pyc

FUNCTION_SOURCE = ROOT / "function"
# What the online handler loads: app.py and the serving package, not its batch subpackage.
ONLINE_SOURCES = {
    str(p.relative_to(FUNCTION_SOURCE))
    for p in [FUNCTION_SOURCE / "app.py", *FUNCTION_SOURCE.glob("onnx_serving/*.py")]
}
PICKLE_SUFFIXES = {".pkl", ".pickle", ".joblib"}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def build_dir():
    return sam_build_dir()


def test_function_package_holds_exactly_the_handler_modules_and_the_model(build_dir):
    package = build_dir / "InferenceFunction"
    shipped = {str(p.relative_to(package)) for p in package.rglob("*") if p.is_file()}
    assert "app.py" in ONLINE_SOURCES and "onnx_serving/model.py" in ONLINE_SOURCES
    assert shipped == with_pyc(ONLINE_SOURCES) | {"model.onnx", "model.json"}


def test_nothing_built_holds_a_pickle_or_a_requirements_file(build_dir):
    built = [path for path in build_dir.rglob("*") if path.is_file()]
    assert not [path for path in built if path.suffix in PICKLE_SUFFIXES]
    assert not [path for path in built if path.name == "requirements.txt"]
    # A requirements.txt in function/ would make sam build demand the target Python.
    assert not (FUNCTION_SOURCE / "requirements.txt").exists()


def test_layer_is_built_into_python_for_opt(build_dir):
    layer = build_dir / "OnnxRuntimeLayer" / "python"
    assert (layer / "onnxruntime").is_dir()
    assert (layer / "numpy").is_dir()
    assert not (layer / "sklearn").exists()


def test_built_template_points_at_the_built_folders(build_dir):
    resources = load_template(build_dir / "template.yaml")["Resources"]
    assert resources["InferenceFunction"]["Properties"]["CodeUri"] == "InferenceFunction"
    assert resources["OnnxRuntimeLayer"]["Properties"]["ContentUri"] == "OnnxRuntimeLayer"


def test_baseline_package_swaps_in_the_pickle_handler(tmp_path):
    makefile = staged_project() / "tools" / "baseline" / "Makefile"
    done = subprocess.run(
        [
            *("make", "-f", str(makefile), "build-PickleBaselineFunction"),
            *(f"ARTIFACTS_DIR={tmp_path}", f"PY={sys.executable}"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    shipped = {str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()}
    assert shipped == with_pyc(ONLINE_SOURCES) | {"model.pkl", "model.json"}
    baseline_app = ROOT / "tools" / "baseline" / "app.py"
    assert (tmp_path / "app.py").read_bytes() == baseline_app.read_bytes()


@pytest.mark.parametrize(
    "template",
    [TEMPLATE, ROOT / "batch" / "template.yaml", ROOT / "tools" / "baseline" / "template.yaml"],
    ids=["online", "batch", "baseline"],
)
def test_sam_validate_lint_passes(template):
    done = subprocess.run(
        [str(SAM), "validate", "--lint", "--template", str(template)],
        env=sam_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "is a valid SAM Template" in done.stdout
