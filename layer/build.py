"""Build a Lambda layer: ``python -m layer.build --help``.

Steps: install the lock for the target into ``OUT/python`` (fresh each time), slim it with a
profile, compile ``.pyc`` with the target interpreter if it is installed, zip it reproducibly
and print the SHA-256 and a size report.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from layer.archive import write_zip
from layer.install import InstallError, install
from layer.interpreters import installed_interpreter
from layer.profiles import PROFILES, Profile
from layer.pyc import compile_pyc
from layer.report import SizeReport
from layer.runtimes import DEFAULT_ARCH, DEFAULT_RUNTIME, LAMBDA_ARCHES, LAMBDA_RUNTIMES
from layer.slim import slim
from layer.targets import LayerTarget, LayerTargetError, lambda_target, local_target

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class BuildResult:
    """What a build produced and measured."""

    python_dir: Path
    zip_path: Path | None
    sha256: str | None
    removed: list[str]
    pyc_interpreter: Path | None
    report: SizeReport


def build(
    requirements: Path,
    profile: Profile,
    target: LayerTarget,
    out: Path,
    zip_path: Path | None,
    pyc: bool = True,
) -> BuildResult:
    """Build ``out/python`` (and ``zip_path`` if given) for ``target``."""
    python_dir = out / "python"
    shutil.rmtree(python_dir, ignore_errors=True)
    python_dir.mkdir(parents=True)
    install(requirements, target, python_dir)
    removed = slim(python_dir, profile)
    interpreter = None
    if pyc:
        interpreter = target.local_python or installed_interpreter(target.python_version)
    if interpreter is not None:
        compile_pyc(python_dir, interpreter)
    sha256 = write_zip(out, zip_path) if zip_path else None
    return BuildResult(
        python_dir, zip_path, sha256, removed, interpreter, SizeReport.measure(python_dir, zip_path)
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m layer.build", description=__doc__)
    parser.add_argument(
        "--runtime", default=DEFAULT_RUNTIME, help=f"Lambda runtime ({', '.join(LAMBDA_RUNTIMES)})"
    )
    parser.add_argument("--arch", default=DEFAULT_ARCH, choices=LAMBDA_ARCHES)
    parser.add_argument(
        "--local-python",
        type=Path,
        help="host-only build for this interpreter (local emulator; not a Lambda runtime)",
    )
    parser.add_argument(
        "--requirements",
        type=Path,
        help="hash-locked file (default: layer/requirements-<arch>.txt)",
    )
    parser.add_argument("--profile", default="onnxruntime", choices=sorted(PROFILES))
    parser.add_argument("--name", default="layer", help="prefix of default output names")
    parser.add_argument("--out", type=Path, help="writes OUT/python (default build/NAME-RT-ARCH)")
    parser.add_argument("--zip", type=Path, help="zip path (default build/NAME-RT-ARCH.zip)")
    parser.add_argument("--no-zip", action="store_true", help="write no zip (SAM zips itself)")
    parser.add_argument("--no-pyc", action="store_true", help="ship sources only")
    return parser


def main(argv: list[str] | None = None) -> int:
    """CLI entry point; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        target = (
            local_target(args.local_python)
            if args.local_python
            else lambda_target(args.runtime, args.arch)
        )
    except LayerTargetError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    stem = f"{args.name}-{target.label}-{target.arch}"
    requirements = args.requirements or ROOT / "layer" / f"requirements-{target.arch}.txt"
    out = args.out or ROOT / "build" / stem
    zip_path = None if args.no_zip else args.zip or ROOT / "build" / f"{stem}.zip"
    try:
        result = build(requirements, PROFILES[args.profile], target, out, zip_path, not args.no_pyc)
    except InstallError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    _print_result(result, target, args.no_pyc)
    return 0


def _print_result(result: BuildResult, target: LayerTarget, no_pyc: bool) -> None:
    if target.local_python is not None:
        print(f"HOST-ONLY layer for {target.local_python} (local emulator, not for Lambda)")
    print(f"layer {target.label} {target.arch}: {result.python_dir}")
    print(f"removed {len(result.removed)} paths")
    if result.pyc_interpreter is not None:
        print(f".pyc compiled with {result.pyc_interpreter} (unchecked-hash)")
    elif not no_pyc:
        print(f"WARNING: no python{target.python_version} found: layer ships without .pyc")
    if result.sha256:
        print(f"zip {result.zip_path}\nsha256 {result.sha256}")
    print("\n".join(result.report.lines()))


if __name__ == "__main__":
    sys.exit(main())
