"""Re-lock a layer's requirements: ``python -m layer.lock REQUIREMENTS_IN [--with-deps]``.

Writes ``requirements-<arch>.txt`` beside the ``.in`` file for each Lambda architecture, resolved
for Amazon Linux 2023's platform so that a version without wheels there fails here, not at
deploy. uv lists every wheel hash of each pinned version, so one lock per architecture serves
python3.12 to 3.14. ``--with-deps`` locks the full dependency tree (the scikit-learn stack); the
onnxruntime layer is locked without, since its declared dependencies are not needed to run.
"""

from __future__ import annotations

import argparse
import subprocess
from pathlib import Path

from layer.install import UV_NO_DOWNLOADS, find_uv
from layer.runtimes import DEFAULT_RUNTIME, LAMBDA_ARCHES
from layer.targets import lambda_target


def lock(requirements_in: Path, with_deps: bool) -> list[Path]:
    """Compile one hash-locked file per architecture; returns their paths."""
    written = []
    for arch in LAMBDA_ARCHES:
        output = requirements_in.with_name(f"requirements-{arch}.txt")
        command = [
            find_uv(),
            "pip",
            "compile",
            UV_NO_DOWNLOADS,
            "--quiet",
            str(requirements_in),
            "--generate-hashes",
            "--no-header",
            "--only-binary",
            ":all:",
            *lambda_target(DEFAULT_RUNTIME, arch).uv_platform_args,
            "-o",
            str(output),
        ]
        if not with_deps:
            command.append("--no-deps")
        subprocess.run(command, check=True)
        written.append(output)
    return written


def main(argv: list[str] | None = None) -> None:
    """CLI entry point."""
    parser = argparse.ArgumentParser(prog="python -m layer.lock", description=__doc__)
    parser.add_argument("requirements_in", type=Path)
    parser.add_argument("--with-deps", action="store_true")
    args = parser.parse_args(argv)
    for path in lock(args.requirements_in, args.with_deps):
        print(path)


if __name__ == "__main__":
    main()
