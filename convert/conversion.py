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

from convert.check_rows import (
    CheckRows,
    empty_rows,
    generated_rows,
    rows_from_cells,
    rows_from_matrix,
)
from convert.export import ModelInfo, export_loadable, serving_model, verify_and_write
from convert.from_pickle import (
    InputError,
    feature_names_for,
    load_estimator,
    read_sample_csv,
    string_columns,
)
from convert.input_ranges import check_region, remembered_range, split_thresholds
from convert.missing_values import missing_value_refusal, probe_missing
from convert.parity import check_parity
from convert.schema import InputSchema, input_schema
from convert.servable import check_servable, describe_estimator
from convert.train import train_iris
from onnx_serving.card import MATRIX, ModelCard

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
        feature_min=low,
        feature_max=high,
        metrics={"test_accuracy": trained.accuracy, "test_rows": float(len(trained.x_test))},
        bin_rows=rows_from_matrix(trained.x_train),
    )
    schema = input_schema(trained.estimator, trained.feature_names)
    real = rows_from_matrix(trained.x_test)
    model_bytes, schema = export_loadable(trained.estimator, schema)
    model_bytes = serving_model(trained.estimator, model_bytes)
    card = _convert(trained.estimator, model_bytes, schema, info, real, (low, high), out_dir)
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
    """Convert the user's pickled classifier, regressor or Pipeline (a file they trust:
    unpickling runs code). Ranges come from ``sample_csv``, else from a leading MinMaxScaler,
    else are unknown.
    """
    loaded = load_estimator(path)
    note = loaded.version_note(path)
    if note:
        print(note)
    estimator = loaded.estimator
    check_servable(estimator)
    names = feature_names_for(estimator, feature_names)
    cells = read_sample_csv(sample_csv, names) if sample_csv else []
    schema = input_schema(estimator, names, string_columns(cells, names))
    model_bytes, schema = export_loadable(estimator, schema)
    model_bytes = serving_model(estimator, model_bytes)
    if cells:
        try:
            sample = rows_from_cells(cells, schema)
        except ValueError as exc:
            raise InputError(f"{sample_csv}: {exc}") from None
        ranges = region = _number_ranges(sample)
    else:
        sample = empty_rows(schema)
        ranges, region = remembered_range(estimator), check_region(estimator)
        if schema.inputs != MATRIX:
            region = None
    if region is None:
        raise InputError(
            f"{describe_estimator(estimator)} does not remember the range of its inputs, so "
            "there are no rows like yours to check parity on: pass SAMPLE=rows.csv "
            "(--sample-csv) with some real rows"
        )
    info = ModelInfo(
        name=name or path.stem,
        version=version,
        feature_min=None if ranges is None else ranges[0],
        feature_max=None if ranges is None else ranges[1],
        metrics={},
    )
    card = _convert(estimator, model_bytes, schema, info, sample, region, out_dir)
    if baseline_dir is not None:
        baseline_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, baseline_dir / "model.pkl")
        _finish_baseline(out_dir, baseline_dir)
    return card


def _convert(
    estimator: object,
    model_bytes: bytes,
    schema: InputSchema,
    info: ModelInfo,
    real: CheckRows,
    region: tuple[np.ndarray, np.ndarray],
    out_dir: Path,
) -> ModelCard:
    """Decide which columns may be missing, check parity on the real rows then the generated
    ones, and write the model and its card."""
    low, high = (np.nan_to_num(np.asarray(v, dtype=np.float64)) for v in region)
    bare = not hasattr(estimator, "steps")
    generated = generated_rows(schema, low, high, split_thresholds(estimator) if bare else None)
    schema, missing_rows = probe_missing(estimator, model_bytes, schema, generated)
    refused = [
        j
        for j, column in enumerate(schema.columns)
        if not column.missing and len(real) and _has_missing(real.columns[j])
    ]
    if refused:
        # A model that answers otherwise on complete rows too fails here, with parity's message.
        complete = real.take(np.flatnonzero(~_missing_rows(real)))
        check_parity(estimator, model_bytes, complete.then(generated), schema, len(complete))
        raise InputError(missing_value_refusal(estimator, schema, generated, refused[0]))
    rows = real.then(generated).then(missing_rows)
    return verify_and_write(estimator, model_bytes, info, schema, rows, out_dir, len(real))


def _number_ranges(rows: CheckRows) -> tuple[np.ndarray, np.ndarray]:
    """Per column, the sample's min and max (NaN for a string column, or one never given)."""
    low, high = [], []
    for values in rows.columns:
        numbers = values[np.isfinite(values)] if values.dtype != object else values[:0]
        low.append(float(numbers.min()) if len(numbers) else np.nan)
        high.append(float(numbers.max()) if len(numbers) else np.nan)
    return np.asarray(low), np.asarray(high)


def _has_missing(values: np.ndarray) -> bool:
    return bool(_missing(values).any())


def _missing(values: np.ndarray) -> np.ndarray:
    if values.dtype == object:
        return np.asarray([v is None for v in values], dtype=bool)
    return np.isnan(values)


def _missing_rows(rows: CheckRows) -> np.ndarray:
    """Per row, whether any of its values is missing."""
    return np.logical_or.reduce([_missing(values) for values in rows.columns])


def _finish_baseline(model_dir: Path, baseline_dir: Path) -> None:
    """The card beside the pickle: the baseline serves the same model under the same card."""
    shutil.copyfile(model_dir / "model.json", baseline_dir / "model.json")
