"""Shared fixtures: the test model, the handler module serving it, events, a fake context.

The tests serve their own model (``fixture_models``), never the one in ``function/``: a user's
model sits there, and ``make test`` must pass whatever it is. An audit hook proves it: opening
``function/model.*`` or the pickle baseline under ``build/`` from a test fails the session.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import joblib
import pytest
from fixture_models import demo_model, staged_project

from tools.reliability.inprocess import import_app

# The batch tests' local S3 server and bucket fixtures, shared by every module that scores files.
pytest_plugins = ["batch_support"]

ROOT = Path(__file__).resolve().parent.parent
FUNCTION_DIR = ROOT / "function"
EVENTS_DIR = ROOT / "events"
USER_FILES = frozenset(
    str(path)
    for path in (
        FUNCTION_DIR / "model.onnx",
        FUNCTION_DIR / "model.json",
        ROOT / "build" / "baseline" / "model.pkl",
        ROOT / "build" / "baseline" / "model.json",
    )
)


def load_event(name: str) -> dict:
    """A sample event from events/, by file stem."""
    return json.loads((EVENTS_DIR / f"{name}.json").read_text())


def event_names() -> list[str]:
    """Every sample event, sorted, for parametrised tests."""
    return sorted(p.stem for p in EVENTS_DIR.glob("*.json"))


def event_expectations() -> dict[str, dict]:
    """The expected answer to each sample event (status, labels or error type)."""
    return json.loads((ROOT / "tests" / "event_expectations.json").read_text())


@dataclass
class FakeContext:
    """The attributes of a Lambda context the handler reads."""

    aws_request_id: str = "req-0001"
    function_name: str = "InferenceFunction"
    memory_limit_in_mb: int = 512


@pytest.fixture
def context() -> FakeContext:
    return FakeContext()


_opened_user_files: list[str] = []


def _watch_user_files(event: str, args: tuple) -> None:
    if event == "open" and args and isinstance(args[0], str | bytes | os.PathLike):
        path = os.path.abspath(os.fsdecode(args[0]))
        if path in USER_FILES:
            _opened_user_files.append(path)


@pytest.fixture(scope="session", autouse=True)
def user_model_untouched():
    """No test opens the user's model or its pickle baseline, to read or to write."""
    sys.addaudithook(_watch_user_files)
    yield
    assert _opened_user_files == [], "tests must serve fixture models, not function/model.*"


@pytest.fixture(scope="session")
def model_dir() -> Path:
    """The Iris demo, converted as ``make convert`` does, in a session temp folder."""
    return demo_model().model_dir


@pytest.fixture
def model_copy(tmp_path, model_dir) -> Path:
    """A writable copy of the fixture model and its card, to break."""
    for name in ("model.onnx", "model.json"):
        shutil.copyfile(model_dir / name, tmp_path / name)
    return tmp_path


@pytest.fixture(scope="session")
def served_model(model_dir) -> Path:
    """The fixture model's ``model.onnx``."""
    return model_dir / "model.onnx"


@pytest.fixture(scope="session")
def baseline_dir() -> Path:
    """The fixture model pickled (``model.pkl``) with its card: what the baseline serves."""
    return demo_model().baseline_dir


@pytest.fixture(scope="session")
def reference_estimator(baseline_dir):
    """The scikit-learn forest the fixture model was converted from (our own pickle)."""
    return joblib.load(baseline_dir / "model.pkl")


@pytest.fixture(scope="session")
def function_dir() -> Path:
    """The function folder as the tests ship it: the handler code and the fixture model."""
    return staged_project() / "function"


@pytest.fixture(scope="session")
def app(model_dir):
    """The handler module, imported as Lambda imports it, serving the fixture model (init runs
    once per session)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MODEL_DIR", str(model_dir))
        module = import_app()
    card = json.loads((model_dir / "model.json").read_text())
    assert module.MODEL.card.sha256 == card["sha256"], "app was imported before this fixture"
    return module
