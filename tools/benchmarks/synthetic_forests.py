"""Train forests on a synthetic set large enough for deep trees: the benchmark grid's models.

Iris has 120 training rows, so even an unlimited-depth tree stays tiny and says nothing about how
cost grows with a model. ``make_classification`` with a fixed seed gives the same 20,000 rows on
every machine, and with label noise (``flip_y``) full-depth trees grow thousands of nodes, like
forests trained on real, messy data.
"""

from __future__ import annotations

import numpy as np
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split

from convert.train import TrainedModel

ROWS = 20_000
FEATURES = 20
INFORMATIVE = 10
CLASSES = 3
LABEL_NOISE = 0.05
SEED = 0


def synthetic_feature_names() -> list[str]:
    """``f00``..``f19``: names a caller can type as JSON keys."""
    return [f"f{i:02d}" for i in range(FEATURES)]


def synthetic_data(seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """The fixed synthetic set, float32 as ONNX sees it, labels ``c0``..``c2``."""
    x, y = make_classification(
        n_samples=ROWS,
        n_features=FEATURES,
        n_informative=INFORMATIVE,
        n_classes=CLASSES,
        flip_y=LABEL_NOISE,
        random_state=seed,
    )
    return x.astype(np.float32), np.array([f"c{label}" for label in y])


def train_synthetic(
    n_estimators: int, max_depth: int | None, seed: int = SEED, n_jobs: int = 1
) -> TrainedModel:
    """Fit on a stratified 80/20 split; the fitted forest predicts with one job, as served."""
    x, y = synthetic_data(seed)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.2, stratify=y, random_state=seed
    )
    forest = RandomForestClassifier(
        n_estimators=n_estimators, max_depth=max_depth, random_state=seed, n_jobs=n_jobs
    )
    forest.fit(x_train, y_train)
    forest.n_jobs = 1
    accuracy = float((forest.predict(x_test) == y_test).mean())
    return TrainedModel(forest, synthetic_feature_names(), x_train, x_test, y_test, accuracy)
