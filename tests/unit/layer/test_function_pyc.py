"""``python -m layer.pyc``: a function package compiled as Lambda will import it, or left as
sources (saying so) where the runtime's Python is not installed."""

from __future__ import annotations

import pytest

from layer.interpreters import installed_interpreter
from layer.pyc import main
from layer.runtimes import DEFAULT_RUNTIME

VERSION = DEFAULT_RUNTIME.removeprefix("python")
TAG = "cpython-" + VERSION.replace(".", "")


def _package(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "app.py").write_text("import pkg.mod\n")
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "mod.py").write_text("def f():\n    raise ValueError\n")
    return tmp_path


@pytest.mark.skipif(installed_interpreter(VERSION) is None, reason=f"no {DEFAULT_RUNTIME} here")
def test_every_module_is_compiled_unchecked_with_its_lambda_path(tmp_path):
    package = _package(tmp_path)
    assert main([str(package)]) == 0
    compiled = sorted(str(p.relative_to(package)) for p in package.rglob("*.pyc"))
    assert compiled == [
        f"__pycache__/app.{TAG}.pyc",
        f"pkg/__pycache__/__init__.{TAG}.pyc",
        f"pkg/__pycache__/mod.{TAG}.pyc",
    ]
    data = (package / "pkg" / "__pycache__" / f"mod.{TAG}.pyc").read_bytes()
    # PEP 552 flags: bit 0 hash-based, bit 1 check_source; unchecked-hash is 0b01.
    assert int.from_bytes(data[4:8], "little") == 0b01
    assert b"/var/task/pkg/mod.py" in data
    assert str(package).encode() not in data


def test_without_the_runtimes_python_the_package_stays_sources_only(tmp_path, capsys):
    package = _package(tmp_path)
    assert main([str(package), "--runtime", "python3.0"]) == 0
    assert not list(package.rglob("*.pyc"))
    assert capsys.readouterr().err == (
        f"WARNING: no python3.0 here: {package} ships without .pyc\n"
    )
