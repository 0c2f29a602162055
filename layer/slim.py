"""Apply a slimming profile to an installed ``python/`` folder."""

from __future__ import annotations

import shutil
from pathlib import Path

from layer.profiles import Profile


def slim(python_dir: Path, profile: Profile) -> list[str]:
    """Delete every path matching the profile; returns what was removed, relative and sorted."""
    removed: list[str] = []
    for pattern in profile.remove:
        for path in sorted(python_dir.glob(pattern)):
            if not path.exists() and not path.is_symlink():
                continue
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
            removed.append(path.relative_to(python_dir).as_posix())
    return sorted(removed)
