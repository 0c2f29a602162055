"""Shared fixtures: the handler module as Lambda imports it, events, a fake context."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from reliability.inprocess import import_app

ROOT = Path(__file__).resolve().parent.parent
FUNCTION_DIR = ROOT / "function"
EVENTS_DIR = ROOT / "events"
BASELINE_PICKLE = ROOT / "build" / "baseline" / "model.pkl"


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


@pytest.fixture(scope="session", autouse=True)
def served_model() -> Path:
    """function/model.onnx must exist: make test converts first, this covers a bare pytest."""
    needed = [FUNCTION_DIR / "model.onnx", FUNCTION_DIR / "model.json", BASELINE_PICKLE]
    if not all(path.exists() for path in needed):
        subprocess.run([sys.executable, "-m", "convert"], cwd=ROOT, check=True)
    return FUNCTION_DIR / "model.onnx"


@pytest.fixture(scope="session")
def app(served_model):
    """The handler module, imported as Lambda imports it (init runs once per session)."""
    return import_app()
