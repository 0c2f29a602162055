"""The function needs nothing but its folder, numpy and onnxruntime: prove it in a bare process."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import numpy
import onnxruntime
from conftest import FUNCTION_DIR

from tools.local_lambda.function import run_isolated

FORBIDDEN = ["sklearn", "skl2onnx", "onnx", "google.protobuf", "scipy", "joblib"]

PROBE = """
import importlib.util, json, sys
import app
answer = app.handler({"features": [5.1, 3.5, 1.4, 0.2]}, None)
print(json.dumps({
    "label": answer["predictions"][0]["label"],
    "loaded": sorted(m for m in sys.modules if m.split(".")[0] in %r),
    "importable": [m for m in %r if importlib.util.find_spec(m.split(".")[0]) is not None],
}))
"""


def site_with_only(tmp_path: Path) -> Path:
    """A folder holding links to numpy, numpy.libs and onnxruntime of this interpreter only."""
    site = tmp_path / "site"
    site.mkdir()
    for package in (numpy, onnxruntime):
        source = Path(package.__file__).parent
        (site / source.name).symlink_to(source)
        libs = source.parent / f"{source.name}.libs"
        if libs.exists():
            (site / libs.name).symlink_to(libs)
    return site


def test_handler_runs_with_only_numpy_and_onnxruntime(tmp_path, function_dir):
    site = site_with_only(tmp_path)
    probe = PROBE % (FORBIDDEN, FORBIDDEN)
    result = run_isolated(Path(sys.executable), [function_dir, site], probe, tmp_path)
    assert result == {"label": "setosa", "loaded": [], "importable": []}
    assert sorted(p.name for p in site.iterdir()) in (
        ["numpy", "numpy.libs", "onnxruntime"],
        ["numpy", "onnxruntime"],
    )


SERVING_AT_INIT = [
    "onnx_serving",
    "onnx_serving.answers",
    "onnx_serving.card",
    "onnx_serving.errors",
    "onnx_serving.events",
    "onnx_serving.handler",
    "onnx_serving.metrics",
    "onnx_serving.model",
    "onnx_serving.rows",
]

MODULES_PROBE = """
import json, sys
import app
serving = lambda: sorted(m for m in sys.modules if m.split(".")[0] == "onnx_serving")
at_init = serving()
get = {"requestContext": {"http": {"method": "GET"}}, "rawPath": "/openapi.json"}
status = app.handler(get, None)["statusCode"]
print(json.dumps({"init": at_init, "status": status, "after": serving()}))
"""


def test_init_loads_the_request_path_only_and_openapi_on_its_first_request(tmp_path, function_dir):
    site = site_with_only(tmp_path)
    result = run_isolated(Path(sys.executable), [function_dir, site], MODULES_PROBE, tmp_path)
    assert result == {
        "init": SERVING_AT_INIT,
        "status": 200,
        "after": sorted([*SERVING_AT_INIT, "onnx_serving.openapi"]),
    }


def imported_roots(path: Path) -> set[str]:
    """Top-level names of every module ``path`` imports."""
    roots = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


# CPython's own SHA-256 (onnx_serving.model.sha256_hex), a stdlib module named for the running
# version only: _sha256 up to 3.11, _sha2 from 3.12.
BUILTIN_SHA256 = {"_sha2", "_sha256"}


def outside_imports(modules: list[Path]) -> set[str]:
    roots = set().union(*(imported_roots(p) for p in modules))
    stdlib = set(sys.stdlib_module_names) | BUILTIN_SHA256 | {"__future__"}
    return roots - {"onnx_serving"} - stdlib


def test_function_imports_only_stdlib_numpy_onnxruntime_and_itself():
    modules = sorted(FUNCTION_DIR.rglob("*.py"))
    assert {p.relative_to(FUNCTION_DIR).parts[0] for p in modules} == {
        "app.py",
        "batch_app.py",
        "onnx_serving",
    }
    batch = [FUNCTION_DIR / "batch_app.py", *(FUNCTION_DIR / "onnx_serving" / "batch").glob("*.py")]
    online = [p for p in modules if p not in batch]
    assert outside_imports(online) == {"numpy", "onnxruntime"}
    # The batch function adds boto3, which the Lambda runtime provides (never the layer).
    assert outside_imports(batch) == {"numpy", "boto3", "botocore"}
    assert not list(FUNCTION_DIR.glob("*.pkl")) and not list(FUNCTION_DIR.glob("*.joblib"))
