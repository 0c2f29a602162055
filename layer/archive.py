"""A reproducible zip: the same folder always gives the same bytes, so its SHA-256 identifies it.

Entries are sorted, every timestamp is the zip epoch (1980-01-01), permissions are normalised to
0644 or 0755 (executable bit kept, so shared libraries stay executable) and the compression is
fixed (deflate, level 9). Directories get no entries of their own: unzip creates them.
"""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
UNIX = 3


def _entry(path: Path, name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
    mode = 0o755 if path.stat().st_mode & 0o111 else 0o644
    info.external_attr = (0o100000 | mode) << 16
    info.create_system = UNIX
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def write_zip(layer_root: Path, zip_path: Path) -> str:
    """Zip everything under ``layer_root`` (so entries start with ``python/``); returns SHA-256."""
    files = sorted(
        (path.relative_to(layer_root).as_posix(), path)
        for path in layer_root.rglob("*")
        if path.is_file()
    )
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(zip_path, "w", compresslevel=9) as archive:
        for name, path in files:
            archive.writestr(_entry(path, name), path.read_bytes(), compresslevel=9)
    return hashlib.sha256(zip_path.read_bytes()).hexdigest()
