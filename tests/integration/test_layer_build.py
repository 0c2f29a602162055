"""Real layer builds (slow): budgets, contents, reproducibility, and the layer alone serving.

Budgets are in MB of 10**6 bytes (stricter than MiB). Each build runs once per session; uv's
cache makes repeat sessions fast.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from layer import build as layer_build
from layer.interpreters import installed_interpreter
from layer.profiles import GENERIC, ONNXRUNTIME
from layer.report import tree_size
from layer.targets import lambda_target
from tools.local_lambda.function import run_isolated

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
MB = 10**6
TOP_LEVEL = {
    "numpy",
    "numpy.libs",
    "onnxruntime",
    # METADATA (importlib.metadata) and the licences of the bundled OpenBLAS/gfortran libraries.
    "numpy-2.4.6.dist-info",
    "onnxruntime-1.31.1.dist-info",
}
REMOVED_FROM_WHEELS = [
    "onnxruntime/transformers",
    "onnxruntime/quantization",
    "onnxruntime/tools",
    "onnxruntime/datasets",
    "onnxruntime/capi/libonnxruntime.so.1.31.1",
    "numpy/f2py",
    "numpy/_pyinstaller",
    "numpy/_core/include",
    "numpy/__init__.pyi",
    "numpy/_core/tests",
    "onnxruntime-1.31.1.dist-info/RECORD",
    "bin",
]
FORBIDDEN_MODULES = {"google", "sympy", "flatbuffers", "packaging", "sklearn", "scipy", "onnx"}
# Lambda architecture -> (platform tag in extension module names, ELF e_machine).
ELF = {"x86_64": ("x86_64", 62), "arm64": ("aarch64", 183)}

SERVE = """
import importlib.metadata, json, sys
import app
answer = app.handler({"features": [5.1, 3.5, 1.4, 0.2]}, None)
print(json.dumps({
    "label": answer["predictions"][0]["label"],
    "modules": sorted({name.split(".")[0] for name in sys.modules}),
    "files": {name: sys.modules[name].__file__ for name in ("numpy", "onnxruntime")
              if name in sys.modules},
    "path": sys.path,
    "versions": {name: importlib.metadata.version(name) for name in ("numpy", "onnxruntime")
                 if name in sys.modules},
}))
"""


def _build(tmp: Path, requirements: Path, profile, runtime: str, arch: str):
    return layer_build.build(
        requirements, profile, lambda_target(runtime, arch), tmp, tmp.with_suffix(".zip")
    )


@pytest.fixture(scope="session")
def python313() -> Path:
    interpreter = installed_interpreter("3.13")
    if interpreter is None:
        pytest.skip("python3.13 (the Lambda runtime's Python) is not installed here")
    return interpreter


@pytest.fixture(scope="session")
def x86_layer(tmp_path_factory):
    out = tmp_path_factory.mktemp("layers") / "layer-python3.13-x86_64"
    return _build(out, ROOT / "layer/requirements-x86_64.txt", ONNXRUNTIME, "python3.13", "x86_64")


@pytest.fixture(scope="session")
def arm_layer(tmp_path_factory):
    out = tmp_path_factory.mktemp("layers") / "layer-python3.13-arm64"
    return _build(out, ROOT / "layer/requirements-arm64.txt", ONNXRUNTIME, "python3.13", "arm64")


@pytest.fixture(scope="session")
def pickle_stack(tmp_path_factory):
    out = tmp_path_factory.mktemp("layers") / "sklearn-layer-python3.13-x86_64"
    requirements = ROOT / "tools/baseline/layer/requirements-x86_64.txt"
    return _build(out, requirements, GENERIC, "python3.13", "x86_64")


def _serve(interpreter: Path, function_dir: Path, python_dir: Path) -> dict:
    """Answer one direct invoke in a fresh isolated process that sees only these two folders."""
    return run_isolated(interpreter, [function_dir, python_dir], SERVE, function_dir)


def _function_size(function_dir: Path) -> int:
    """What the function package ships (function/Makefile): the modules and the model files."""
    shipped = [
        function_dir / "app.py",
        *function_dir.glob("onnx_serving/*.py"),
        function_dir / "model.onnx",
        function_dir / "model.json",
    ]
    return sum(path.stat().st_size for path in shipped)


@pytest.mark.parametrize("layer", ["x86_layer", "arm_layer"])
def test_layer_fits_its_budgets_with_only_the_runtime_packages(layer, request):
    built = request.getfixturevalue(layer)
    assert {entry.name for entry in built.python_dir.iterdir()} == TOP_LEVEL
    assert built.report.unzipped <= 85 * MB
    assert built.report.zipped <= 30 * MB
    assert built.report.unzipped == tree_size(built.python_dir)


@pytest.mark.parametrize(("layer", "arch"), [("x86_layer", "x86_64"), ("arm_layer", "arm64")])
def test_layer_holds_wheels_for_the_lambda_architecture(layer, arch, request):
    built = request.getfixturevalue(layer)
    tag, machine = ELF[arch]
    (pybind,) = built.python_dir.glob("onnxruntime/capi/onnxruntime_pybind11_state.*.so")
    assert pybind.name == f"onnxruntime_pybind11_state.cpython-313-{tag}-linux-gnu.so"
    assert int.from_bytes(pybind.read_bytes()[18:20], "little") == machine


def test_slimming_removed_what_inference_never_imports(x86_layer):
    for relative in REMOVED_FROM_WHEELS:
        assert relative in x86_layer.removed
        assert not (x86_layer.python_dir / relative).exists()
    assert list(x86_layer.python_dir.rglob("*.pyi")) == []
    assert list(x86_layer.python_dir.rglob("tests")) == []


def test_every_module_has_an_unchecked_hash_pyc_for_the_target_python(x86_layer, python313):
    assert x86_layer.pyc_interpreter == python313
    sources = list(x86_layer.python_dir.rglob("*.py"))
    assert len(sources) > 100
    for source in sources:
        pyc = source.parent / "__pycache__" / f"{source.stem}.cpython-313.pyc"
        # PEP 552 flags word: 0b01 = hash-based, source never checked.
        assert int.from_bytes(pyc.read_bytes()[4:8], "little") == 0b01, pyc


def test_the_layer_alone_serves_the_model(x86_layer, python313, function_dir):
    answer = _serve(python313, function_dir, x86_layer.python_dir)
    assert answer["label"] == "setosa"
    assert answer["files"] == {
        "numpy": str(x86_layer.python_dir / "numpy/__init__.py"),
        "onnxruntime": str(x86_layer.python_dir / "onnxruntime/__init__.py"),
    }
    assert FORBIDDEN_MODULES.isdisjoint(answer["modules"])
    assert not any("site-packages" in entry for entry in answer["path"])
    assert answer["versions"] == {"numpy": "2.4.6", "onnxruntime": "1.31.1"}


def test_dist_info_keeps_only_metadata_and_licences(x86_layer):
    kept = sorted(
        path.relative_to(x86_layer.python_dir).as_posix()
        for path in x86_layer.python_dir.glob("*.dist-info/*")
    )
    assert kept == [
        "numpy-2.4.6.dist-info/METADATA",
        "numpy-2.4.6.dist-info/licenses",
        "onnxruntime-1.31.1.dist-info/METADATA",
    ]
    bundled = (x86_layer.python_dir / "numpy-2.4.6.dist-info/licenses/LICENSE.txt").read_text()
    assert "OpenBLAS" in bundled
    assert "GCC RUNTIME LIBRARY EXCEPTION" in bundled


def test_zip_is_byte_identical_across_builds(x86_layer, tmp_path, capsys):
    out = tmp_path / "again"
    status = layer_build.main(["--out", str(out), "--zip", str(tmp_path / "again.zip")])
    printed = capsys.readouterr().out
    assert status == 0
    assert (tmp_path / "again.zip").read_bytes() == x86_layer.zip_path.read_bytes()
    assert f"sha256 {x86_layer.sha256}\n" in printed
    assert "room left under 250 MB" in printed


def test_layer_and_function_beat_the_pickle_stack(x86_layer, pickle_stack, function_dir):
    onnx_total = x86_layer.report.unzipped + _function_size(function_dir)
    assert onnx_total <= 90 * MB
    assert onnx_total <= 0.45 * pickle_stack.report.unzipped


def test_generic_cleaning_keeps_what_the_pickle_baseline_needs(
    pickle_stack, python313, tmp_path, function_dir, baseline_dir
):
    pickle_dir = tmp_path / "baseline"
    pickle_dir.mkdir()
    shutil.copytree(function_dir / "onnx_serving", pickle_dir / "onnx_serving")
    shutil.copy(ROOT / "tools/baseline/app.py", pickle_dir / "app.py")
    for name in ("model.pkl", "model.json"):
        shutil.copy(baseline_dir / name, pickle_dir)
    answer = _serve(python313, pickle_dir, pickle_stack.python_dir)
    assert answer["label"] == "setosa"
    assert answer["versions"] == {"numpy": "2.4.6"}
    assert {"sklearn", "scipy", "joblib"} <= set(answer["modules"])


def test_host_fallback_layer_serves_on_the_host_python(tmp_path, capsys, function_dir):
    out = tmp_path / "local"
    status = layer_build.main(["--local-python", sys.executable, "--out", str(out), "--no-zip"])
    assert status == 0
    assert "HOST-ONLY layer" in capsys.readouterr().out
    cache_tag = sys.implementation.cache_tag
    assert (out / f"python/numpy/__pycache__/__init__.{cache_tag}.pyc").is_file()
    answer = _serve(Path(sys.executable), function_dir, out / "python")
    assert answer["label"] == "setosa"
