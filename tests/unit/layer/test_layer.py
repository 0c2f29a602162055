"""The layer builder's fast parts: target refusals, profiles, reproducible zips, size report."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

import pytest

from layer import build as layer_build
from layer.archive import write_zip
from layer.profiles import GENERIC, ONNXRUNTIME
from layer.report import SizeReport
from layer.slim import slim
from layer.targets import LayerTargetError, lambda_target, local_target

AL2_REFUSAL = "runs on Amazon Linux 2 (glibc 2.26), and onnxruntime >= 1.17 needs glibc >= 2.28"


@pytest.mark.parametrize("runtime", ["python3.10", "python3.11"])
def test_amazon_linux_2_runtimes_are_refused_with_the_reason(runtime):
    with pytest.raises(LayerTargetError, match=rf"^{runtime} is refused: Lambda {runtime} "):
        lambda_target(runtime, "x86_64")
    with pytest.raises(LayerTargetError) as refused:
        lambda_target(runtime, "x86_64")
    assert AL2_REFUSAL in str(refused.value)


def test_cli_refuses_python311_before_installing_anything(capsys, tmp_path):
    status = layer_build.main(["--runtime", "python3.11", "--out", str(tmp_path / "out")])
    assert status == 2
    assert AL2_REFUSAL in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_unknown_runtime_and_arch_are_refused():
    with pytest.raises(LayerTargetError, match=r"unknown runtime 'python4\.0'"):
        lambda_target("python4.0", "x86_64")
    with pytest.raises(LayerTargetError, match="unknown architecture 'ppc64le'"):
        lambda_target("python3.13", "ppc64le")


@pytest.mark.parametrize(
    ("runtime", "arch", "expected"),
    [
        ("python3.13", "x86_64", ["3.13", "x86_64-manylinux_2_34"]),
        ("python3.12", "arm64", ["3.12", "aarch64-manylinux_2_34"]),
        ("python3.14", "x86_64", ["3.14", "x86_64-manylinux_2_34"]),
    ],
)
def test_lambda_targets_accept_exactly_amazon_linux_2023_wheels(runtime, arch, expected):
    target = lambda_target(runtime, arch)
    assert target.uv_platform_args == [
        "--python-version",
        expected[0],
        "--python-platform",
        expected[1],
    ]
    assert target.label == runtime


def test_local_target_is_labelled_host_only():
    target = local_target(Path(sys.executable))
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert target.label == f"local-python{version}"
    assert target.python_version == version
    assert target.uv_platform_args == ["--python", sys.executable]


def test_local_target_refuses_an_interpreter_that_does_not_run(tmp_path):
    with pytest.raises(LayerTargetError, match="does not run"):
        local_target(tmp_path / "python3.99")


def _tree(root: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def test_generic_profile_drops_tests_caches_scripts_and_dist_info_noise(tmp_path):
    python_dir = _tree(
        tmp_path,
        {
            "pkg/__init__.py": b"",
            "pkg/tests/test_a.py": b"",
            "pkg/sub/tests/test_b.py": b"",
            "pkg/__pycache__/x.cpython-311.pyc": b"",
            "pkg/testing.py": b"",
            "bin/tool": b"",
            ".lock": b"",
            "pkg-1.0.dist-info/METADATA": b"",
            "pkg-1.0.dist-info/RECORD": b"",
            "pkg-1.0.dist-info/WHEEL": b"",
            "pkg-1.0.dist-info/licenses/LICENSE.txt": b"",
        },
    )
    removed = slim(python_dir, GENERIC)
    assert removed == [
        ".lock",
        "bin",
        "pkg-1.0.dist-info/RECORD",
        "pkg-1.0.dist-info/WHEEL",
        "pkg/__pycache__",
        "pkg/sub/tests",
        "pkg/tests",
    ]
    left = sorted(
        p.relative_to(python_dir).as_posix() for p in python_dir.rglob("*") if p.is_file()
    )
    assert left == [
        "pkg-1.0.dist-info/METADATA",
        "pkg-1.0.dist-info/licenses/LICENSE.txt",
        "pkg/__init__.py",
        "pkg/testing.py",
    ]


def test_onnxruntime_profile_extends_generic():
    assert ONNXRUNTIME.remove[: len(GENERIC.remove)] == GENERIC.remove


def test_zip_is_byte_identical_whatever_the_mtimes_and_modes(tmp_path):
    files = {"python/b.py": b"b = 1\n", "python/a/lib.so": b"\x7fELF", "python/a/x.py": b""}
    first = _tree(tmp_path / "one", files)
    second = _tree(tmp_path / "two", dict(reversed(files.items())))
    (second / "python/b.py").touch()
    (first / "python/a/lib.so").chmod(0o775)
    (second / "python/a/lib.so").chmod(0o700)
    sha_one = write_zip(first, tmp_path / "one.zip")
    sha_two = write_zip(second, tmp_path / "two.zip")
    assert sha_one == sha_two
    assert (tmp_path / "one.zip").read_bytes() == (tmp_path / "two.zip").read_bytes()
    with zipfile.ZipFile(tmp_path / "one.zip") as archive:
        infos = archive.infolist()
    assert [info.filename for info in infos] == ["python/a/lib.so", "python/a/x.py", "python/b.py"]
    assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert [info.external_attr >> 16 for info in infos] == [0o100755, 0o100644, 0o100644]
    assert {info.compress_type for info in infos} == {zipfile.ZIP_DEFLATED}


def test_size_report_counts_file_bytes_and_room_under_lambda_limits(tmp_path):
    python_dir = _tree(tmp_path / "python", {"big/a.so": b"x" * 3000, "small.py": b"y" * 10})
    zip_path = tmp_path / "layer.zip"
    zip_path.write_bytes(b"z" * 500)
    report = SizeReport.measure(python_dir, zip_path)
    assert report.unzipped == 3010
    assert report.zipped == 500
    assert report.top_entries == {"big": 3000, "small.py": 10}
    assert report.largest_files == {"big/a.so": 3000, "small.py": 10}
    lines = report.lines()
    assert lines[0].startswith("unzipped     0.00 MB  (room left under 250 MB: 262.14 MB")
    assert lines[1].startswith(
        "zipped       0.00 MB  (room left under 50 MB direct upload: 52.43 MB"
    )
