"""The grid's models: one forest per (trees, depth), exported three ways and cached on disk.

Each grid point gets three model folders, each read by a handler through ``MODEL_DIR``:

``onnx``    the plain skl2onnx export: ``TreeEnsembleClassifier`` (ai.onnx.ml 1-3).
``v5``      what ``make convert`` ships for this forest (``convert.export.serving_model``): the
            opset-5 ``TreeEnsemble`` rewrite for large forests, the plain export for small ones.
``pickle``  the same forest pickled with joblib, for the baseline handler.

Training 500 full-depth trees and exporting them takes about a minute, so a folder is reused
while the recipe and the library versions that produced it are unchanged.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import joblib
import numpy as np

from convert.export import (
    ModelInfo,
    export_onnx,
    library_versions,
    serving_model,
    verify_and_write,
)
from convert.parity import random_rows
from tools.benchmarks.synthetic_forests import FEATURES, train_synthetic

RECIPE = 4
CHECK_ROWS = 2000


@dataclass(frozen=True)
class GridPoint:
    """A forest size: number of trees and maximum depth (None: grown until leaves are pure)."""

    trees: int
    depth: int | None

    @property
    def key(self) -> str:
        """Folder name and JSON key, e.g. ``rf500-dfull``."""
        return f"rf{self.trees}-d{self.depth if self.depth is not None else 'full'}"

    @property
    def label(self) -> str:
        """How tables name it, e.g. ``500 × full``."""
        return f"{self.trees} × {self.depth if self.depth is not None else 'full'}"


@dataclass(frozen=True)
class GridModel:
    """The folders of one grid point and what the training measured."""

    point: GridPoint
    root: Path
    accuracy: float
    nodes: int

    @property
    def onnx_dir(self) -> Path:
        """skl2onnx's export, as ``convert`` writes it."""
        return self.root / "onnx"

    @property
    def v5_dir(self) -> Path:
        """The opset-5 ``TreeEnsemble`` rewrite."""
        return self.root / "v5"

    @property
    def pickle_dir(self) -> Path:
        """``model.pkl`` + ``model.json`` for the baseline handler."""
        return self.root / "pickle"

    def estimator(self) -> object:
        """The fitted forest (unpickled from our own cache, never from outside)."""
        return joblib.load(self.pickle_dir / "model.pkl")


def default_grid() -> list[GridPoint]:
    """Trees {10, 100, 500} × depth {5, full}."""
    return [GridPoint(trees, depth) for trees in (10, 100, 500) for depth in (5, None)]


def build_grid_model(point: GridPoint, cache_root: Path, n_jobs: int = 2) -> GridModel:
    """Train, export and check one grid point, or reuse the cached folders."""
    root = cache_root / point.key
    stamp = root / "stamp.json"
    expected = {"recipe": RECIPE, "versions": library_versions()}
    if stamp.is_file():
        recorded = json.loads(stamp.read_text())
        if {k: recorded.get(k) for k in expected} == expected:
            return GridModel(point, root, recorded["accuracy"], recorded["nodes"])
    shutil.rmtree(root, ignore_errors=True)
    trained = train_synthetic(point.trees, point.depth, n_jobs=n_jobs)
    estimator = trained.estimator
    low, high = trained.x_train.min(axis=0), trained.x_train.max(axis=0)
    info = ModelInfo(
        name=f"synthetic-{point.key}",
        version="1",
        feature_names=trained.feature_names,
        feature_min=low,
        feature_max=high,
        metrics={"test_accuracy": trained.accuracy},
    )
    check_rows = np.vstack([trained.x_test, random_rows(low, high, CHECK_ROWS)])
    model_bytes = export_onnx(estimator, FEATURES)
    verify_and_write(estimator, model_bytes, info, check_rows, root / "onnx")
    # "As shipped": exactly what make convert would serve for this forest (the opset-5 rewrite
    # from a size up, the plain export below it), so the grid cannot drift from the product.
    verify_and_write(
        estimator, serving_model(estimator, model_bytes), info, check_rows, root / "v5"
    )
    (root / "pickle").mkdir(parents=True)
    joblib.dump(estimator, root / "pickle" / "model.pkl")
    shutil.copyfile(root / "onnx" / "model.json", root / "pickle" / "model.json")
    nodes = int(sum(tree.tree_.node_count for tree in estimator.estimators_))
    stamp.write_text(json.dumps({**expected, "accuracy": trained.accuracy, "nodes": nodes}))
    return GridModel(point, root, trained.accuracy, nodes)
