"""Slimming profiles: what a layer drops after install, as glob patterns under ``python/``.

GENERIC is what any layer can lose without changing behaviour: test suites, byte-code caches
(replaced by .pyc compiled for the target), uv's ``.lock``, console scripts (``bin/`` is not on
a layer's path) and install bookkeeping in ``*.dist-info`` (RECORD would be wrong after
slimming anyway). METADATA stays so ``importlib.metadata`` still answers, and licence files stay
because the licences of the bundled libraries (OpenBLAS, gfortran) must ship with them. The pickle
baseline uses GENERIC only, so scikit-learn keeps everything it may import.

ONNXRUNTIME adds what inference with an ``InferenceSession`` never imports. Each removal is
proved by tests that import the built layer alone and answer with the real model.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    """A named list of glob patterns (relative to ``python/``) to delete after install."""

    name: str
    remove: tuple[str, ...]


DIST_INFO_NOISE = tuple(
    f"*.dist-info/{name}"
    for name in (
        "RECORD",
        "INSTALLER",
        "REQUESTED",
        "WHEEL",
        "direct_url.json",
        "entry_points.txt",
        "top_level.txt",
    )
)

GENERIC = Profile(
    name="generic",
    remove=("bin", ".lock", "**/__pycache__", "**/tests", *DIST_INFO_NOISE),
)

ONNXRUNTIME = Profile(
    name="onnxruntime",
    remove=(
        *GENERIC.remove,
        # Model tooling for developers (export, quantize, optimise), never used to run a model.
        "onnxruntime/transformers",
        "onnxruntime/quantization",
        "onnxruntime/tools",
        "onnxruntime/datasets",
        # The C API library for non-Python users; the pybind module is self-contained.
        "onnxruntime/capi/libonnxruntime.so*",
        # Build-time and type-checking material: C headers, static libraries, Cython
        # declarations, stubs, the Fortran wrapper generator and PyInstaller hooks.
        "numpy/f2py",
        "numpy/distutils",
        "numpy/_pyinstaller",
        "numpy/_core/include",
        "numpy/_core/lib",
        "numpy/random/lib",
        "numpy/random/_examples",
        "**/*.pyi",
        "**/*.pxd",
        # Extension modules that exist only for numpy's own test suite.
        "numpy/_core/_*_tests.cpython-*",
        "numpy/_core/_simd.cpython-*",
    ),
)

PROFILES = {profile.name: profile for profile in (GENERIC, ONNXRUNTIME)}
