"""Train the reference model: a RandomForest on Iris, reproducible to the byte."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split


@dataclass(frozen=True)
class TrainedModel:
    """A fitted classifier with the data it was trained and tested on (float32, as ONNX sees it)."""

    estimator: RandomForestClassifier
    feature_names: list[str]
    x_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    accuracy: float


def iris_feature_names() -> list[str]:
    """``sepal length (cm)`` → ``sepal_length``: names a caller can type as JSON keys."""
    return [n.replace(" (cm)", "").replace(" ", "_") for n in load_iris().feature_names]


def train_iris(
    n_estimators: int = 100, max_depth: int | None = 5, random_state: int = 42
) -> TrainedModel:
    """Fit on a stratified 80/20 split; labels are the species names so ONNX answers with them."""
    iris = load_iris()
    x = iris.data.astype(np.float32)
    y = iris.target_names[iris.target]
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.2, stratify=y, random_state=random_state
    )
    forest = RandomForestClassifier(
        n_estimators=n_estimators, max_depth=max_depth, random_state=random_state, n_jobs=1
    )
    forest.fit(x_train, y_train)
    accuracy = float((forest.predict(x_test) == y_test).mean())
    return TrainedModel(forest, iris_feature_names(), x_train, x_test, y_test, accuracy)
