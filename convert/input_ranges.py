"""Which inputs a model was trained on, as far as it is known, and where to check parity.

Two different questions, kept apart:

- ``remembered_range``: the *training range* the card records and ``out_of_range`` flags
  against. Only a value the model really stores counts: a leading ``MinMaxScaler`` keeps the
  exact per-feature min and max of its training data. Guesses do not: split thresholds of a
  forest span less than the data (on the breast-cancer forest they flagged 35% of the training
  rows as out of range), and a scaler's mean ± 3σ flags every real row beyond 3σ. Without sample
  rows and without such a scaler the range is unknown, and the card says so.
- ``check_region``: where random parity rows are drawn when no sample rows are given. It only
  has to reach the places where the model's answers change, so split thresholds (widened) and
  scaler statistics serve well here.
"""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import (
    AdaBoostClassifier,
    AdaBoostRegressor,
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.preprocessing import MaxAbsScaler, MinMaxScaler, RobustScaler, StandardScaler
from sklearn.tree import BaseDecisionTree

from convert.boosters import booster_split_thresholds

# Scaler statistics cover this many standard deviations (or IQR-scales) around the centre.
SPREAD = 3.0
# Thresholds span less than the data: widen by this share of their span (at least 1.0).
THRESHOLD_MARGIN = 0.1

Range = tuple[np.ndarray, np.ndarray]
# Ensembles whose trees split on the model's own feature indices (a Bagging ensemble's trees may
# each see a subset of the features, so their indices would mean other columns).
TREE_ENSEMBLES = (
    RandomForestClassifier,
    RandomForestRegressor,
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    AdaBoostClassifier,
    AdaBoostRegressor,
)


def first_step(estimator: object) -> object:
    """What sees the raw features: a Pipeline's first step, or the estimator itself."""
    return estimator.steps[0][1] if hasattr(estimator, "steps") else estimator


def remembered_range(estimator: object) -> Range | None:
    """The exact training min and max, if the model stores them (a leading MinMaxScaler)."""
    first = first_step(estimator)
    if isinstance(first, MinMaxScaler):
        return np.asarray(first.data_min_, np.float64), np.asarray(first.data_max_, np.float64)
    return None


def check_region(estimator: object) -> Range | None:
    """Bounds for random parity rows from what the model remembers, or None if it does not."""
    first = first_step(estimator)
    remembered = remembered_range(estimator)
    if remembered is not None:
        return remembered
    if isinstance(first, StandardScaler) and first.scale_ is not None:
        return first.mean_ - SPREAD * first.scale_, first.mean_ + SPREAD * first.scale_
    if isinstance(first, RobustScaler) and first.scale_ is not None and first.center_ is not None:
        return first.center_ - SPREAD * first.scale_, first.center_ + SPREAD * first.scale_
    if isinstance(first, MaxAbsScaler):
        return -first.max_abs_, np.asarray(first.max_abs_, np.float64)
    thresholds = split_thresholds(first)
    if thresholds is None:
        return None
    return _widened(*thresholds, first.n_features_in_)


def split_thresholds(model: object) -> tuple[np.ndarray, np.ndarray] | None:
    """(feature index, threshold) of every split of a tree model, or None for other models."""
    boosted = booster_split_thresholds(model)
    if boosted is not None:
        return boosted
    if isinstance(model, HistGradientBoostingClassifier | HistGradientBoostingRegressor):
        nodes = [p.nodes for iteration in model._predictors for p in iteration]
        splits = np.concatenate([n[n["is_leaf"] == 0] for n in nodes])
        # A split that sends the missing values one way and every number the other has an
        # infinite threshold: no number lies beside it.
        splits = splits[np.isfinite(splits["num_threshold"])]
        return splits["feature_idx"].astype(np.int64), splits["num_threshold"]
    if isinstance(model, BaseDecisionTree):
        trees = [model]
    elif isinstance(model, TREE_ENSEMBLES):
        trees = np.ravel(model.estimators_)
    else:
        return None
    if not all(hasattr(tree, "tree_") for tree in trees):
        return None
    features, thresholds = [], []
    for tree in trees:
        inner = tree.tree_.feature >= 0
        features.append(tree.tree_.feature[inner])
        thresholds.append(tree.tree_.threshold[inner])
    return np.concatenate(features), np.concatenate(thresholds)


def _widened(features: np.ndarray, thresholds: np.ndarray, n_features: int) -> Range:
    low, high = np.full(n_features, np.inf), np.full(n_features, -np.inf)
    np.minimum.at(low, features, thresholds)
    np.maximum.at(high, features, thresholds)
    unused = ~np.isfinite(low)
    low[unused], high[unused] = 0.0, 1.0
    margin = np.maximum((high - low) * THRESHOLD_MARGIN, 1.0)
    return low - margin, high + margin
