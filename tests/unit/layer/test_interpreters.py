"""Finding the runtime's Python: pyenv installs newest first, by release number."""

from __future__ import annotations

from pathlib import Path

from layer import interpreters


def test_pyenv_installs_sort_by_release_number_not_as_text(tmp_path, monkeypatch):
    for release in ("3.13.9", "3.13.10", "3.13.2"):
        python = tmp_path / "versions" / release / "bin" / "python3.13"
        python.parent.mkdir(parents=True)
        python.touch()
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(Path, "home", lambda: tmp_path)
    found = [p.parents[1].name for p in interpreters._candidates("3.13")]
    assert found[:3] == ["3.13.10", "3.13.9", "3.13.2"]
    assert interpreters.release_key(Path("3.13.10")) > interpreters.release_key(Path("3.13.9"))


def test_a_set_pyenv_root_is_the_only_pyenv_searched(tmp_path, monkeypatch):
    """As pyenv itself: $PYENV_ROOT wins over ~/.pyenv, so an empty one hides every install."""
    home_python = tmp_path / "home" / ".pyenv" / "versions" / "3.13.0" / "bin" / "python3.13"
    home_python.parent.mkdir(parents=True)
    home_python.touch()
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "empty"))
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    monkeypatch.setattr(Path, "home", lambda: tmp_path / "home")
    assert interpreters._candidates("3.13") == []
    found = interpreters.find_interpreter("python3.13")
    assert found == interpreters.Interpreter(
        interpreters.host_interpreter(), interpreters.HOST_VERSION, matches_runtime=False
    )
    monkeypatch.delenv("PYENV_ROOT")
    assert interpreters._candidates("3.13") == [home_python]
