"""The two conversions ``make convert`` runs: the Iris demo, and the user's own pickle.

Both end the same way: export, parity on the check rows, golden rows, then ``model.onnx`` and
``model.json`` in ``out_dir`` and, if ``baseline_dir`` is given, the pickle baseline the
benchmarks compare against (the demo's forest, or the user's very pickle file, with the card).
Nothing is written unless every check passed.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import joblib
import numpy as np

from convert.boosters import accepts_missing, with_missing
from convert.export import ModelInfo, export_onnx, serving_model, verify_and_write
from convert.from_pickle import InputError, feature_names_for, load_estimator, read_sample_csv
from convert.input_ranges import check_region, remembered_range
from convert.parity import RANDOM_ROWS, random_rows
from convert.servable import check_servable, describe_estimator
from convert.train import train_iris
from onnx_serving.card import ModelCard

DEMO_NAME = "iris-random-forest"
NO_RANGE_NOTE = (
    "input ranges unknown: answers carry no out_of_range; pass SAMPLE=rows.csv "
    "(--sample-csv) to record the training range and check parity on your own rows"
)


@dataclass(frozen=True)
class DemoParameters:
    """The demo forest's hyper-parameters: ``make convert`` and the test fixture share them."""

    n_estimators: int = 100
    max_depth: int | None = 5
    random_state: int = 42


def convert_demo(
    out_dir: Path,
    baseline_dir: Path | None,
    parameters: DemoParameters | None = None,
    name: str = DEMO_NAME,
    version: str = "1",
) -> ModelCard:
    """Train the Iris forest and convert it; its training range is known, so the card has it."""
    parameters = parameters or DemoParameters()
    trained = train_iris(parameters.n_estimators, parameters.max_depth, parameters.random_state)
    print(
        f"trained RandomForest(n_estimators={parameters.n_estimators}, "
        f"max_depth={parameters.max_depth}, random_state={parameters.random_state}) on Iris: "
        f"test accuracy {trained.accuracy:.4f}"
    )
    low, high = trained.x_train.min(axis=0), trained.x_train.max(axis=0)
    info = ModelInfo(
        name=name,
        version=version,
        feature_names=trained.feature_names,
        feature_min=low,
        feature_max=high,
        metrics={"test_accuracy": trained.accuracy, "test_rows": float(len(trained.x_test))},
    )
    check_rows = np.vstack([trained.x_test, random_rows(low, high, RANDOM_ROWS)])
    model_bytes = _export(trained.estimator, len(info.feature_names))
    card = verify_and_write(
        trained.estimator, model_bytes, info, check_rows, out_dir, len(trained.x_test)
    )
    if baseline_dir is not None:
        baseline_dir.mkdir(parents=True, exist_ok=True)
        joblib.dump(trained.estimator, baseline_dir / "model.pkl")
        _finish_baseline(out_dir, baseline_dir)
    return card


def convert_pickle(
    path: Path,
    out_dir: Path,
    baseline_dir: Path | None,
    feature_names: list[str] | None = None,
    sample_csv: Path | None = None,
    name: str | None = None,
    version: str = "1",
) -> ModelCard:
    """Convert the user's pickled classifier or Pipeline (a file they trust: unpickling runs
    code). Ranges come from ``sample_csv``, else from a leading MinMaxScaler, else are unknown.
    """
    loaded = load_estimator(path)
    note = loaded.version_note(path)
    if note:
        print(note)
    estimator = loaded.estimator
    check_servable(estimator)
    names = feature_names_for(estimator, feature_names)
    model_bytes = _export(estimator, len(names))
    if sample_csv:
        sample = read_sample_csv(sample_csv, names)
        ranges = region = (sample.min(axis=0), sample.max(axis=0))
    else:
        sample = np.empty((0, len(names)), dtype=np.float32)
        ranges, region = remembered_range(estimator), check_region(estimator)
    if region is None:
        raise InputError(
            f"{describe_estimator(estimator)} does not remember the range of its inputs, so "
            "there are no rows like yours to check parity on: pass SAMPLE=rows.csv "
            "(--sample-csv) with some real rows"
        )
    low, high = (np.asarray(v, dtype=np.float64) for v in region)
    info = ModelInfo(
        name=name or path.stem,
        version=version,
        feature_names=names,
        feature_min=None if ranges is None else ranges[0],
        feature_max=None if ranges is None else ranges[1],
        metrics={},
    )
    check_rows = np.vstack([sample, random_rows(low, high, RANDOM_ROWS)])
    if accepts_missing(estimator):
        check_rows = np.vstack([check_rows, with_missing(check_rows)])
    card = verify_and_write(estimator, model_bytes, info, check_rows, out_dir, len(sample))
    if baseline_dir is not None:
        baseline_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, baseline_dir / "model.pkl")
        _finish_baseline(out_dir, baseline_dir)
    return card


def _export(estimator: object, n_features: int) -> bytes:
    """The bytes to serve, or ``UnsupportedModelError`` before anything else is asked for."""
    return serving_model(estimator, export_onnx(estimator, n_features))


def _finish_baseline(model_dir: Path, baseline_dir: Path) -> None:
    """The card beside the pickle: the baseline serves the same model under the same card."""
    shutil.copyfile(model_dir / "model.json", baseline_dir / "model.json")
