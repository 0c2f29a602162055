"""Size report: what the layer costs against Lambda's limits.

Lambda counts function + all layers unzipped against 262,144,000 bytes ("250 MB") and a zip
uploaded directly against 52,428,800 bytes ("50 MB"); sizes here are file sizes in bytes, the way
Lambda adds them up, printed in MB of 10**6 bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

UNZIPPED_LIMIT = 262_144_000
ZIPPED_LIMIT = 52_428_800
MB = 10**6


def tree_size(path: Path) -> int:
    """Bytes in the files under ``path`` (or of ``path`` itself)."""
    if path.is_file():
        return path.stat().st_size
    return sum(item.stat().st_size for item in path.rglob("*") if item.is_file())


@dataclass(frozen=True)
class SizeReport:
    """Sizes of a built layer's ``python/`` folder and of its zip."""

    unzipped: int
    zipped: int | None
    top_entries: dict[str, int]
    largest_files: dict[str, int]

    @classmethod
    def measure(cls, python_dir: Path, zip_path: Path | None, largest: int = 8) -> SizeReport:
        """Measure a built layer; ``zip_path`` None when no zip was written."""
        entries = {entry.name: tree_size(entry) for entry in python_dir.iterdir()}
        files = sorted(
            (
                (item.stat().st_size, item.relative_to(python_dir).as_posix())
                for item in python_dir.rglob("*")
                if item.is_file()
            ),
            reverse=True,
        )[:largest]
        return cls(
            unzipped=sum(entries.values()),
            zipped=zip_path.stat().st_size if zip_path else None,
            top_entries=dict(sorted(entries.items(), key=lambda item: -item[1])),
            largest_files={name: size for size, name in files},
        )

    def lines(self) -> list[str]:
        """Human-readable report lines."""
        out = [
            f"unzipped {self.unzipped / MB:8.2f} MB  (room left under 250 MB: "
            f"{(UNZIPPED_LIMIT - self.unzipped) / MB:.2f} MB for function + other layers)"
        ]
        if self.zipped is not None:
            out.append(
                f"zipped   {self.zipped / MB:8.2f} MB  (room left under 50 MB direct "
                f"upload: {(ZIPPED_LIMIT - self.zipped) / MB:.2f} MB)"
            )
        out.append("top entries of python/:")
        out += [f"  {size / MB:8.2f} MB  {name}" for name, size in self.top_entries.items()]
        out.append("largest files:")
        out += [f"  {size / MB:8.2f} MB  {name}" for name, size in self.largest_files.items()]
        return out
