"""The scale tier (`make test-batch-scale`): minutes, not part of `make test`."""

from __future__ import annotations

import os

import pytest


def pytest_collection_modifyitems(config, items):
    if os.environ.get("BATCH_SCALE") == "1":
        return
    skip = pytest.mark.skip(reason="scale tier: run with make test-batch-scale")
    for item in items:
        if "tests/scale/" in str(item.fspath):
            item.add_marker(skip)
