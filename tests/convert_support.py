"""Convert a model in one call, in memory or through the CLI: what most converter tests need."""

from __future__ import annotations

import joblib
import numpy as np
import pandas as pd

from convert import __main__ as cli
from convert.check_rows import rows_from_matrix
from convert.export import export_onnx
from convert.parity import ParityReport, check_parity
from convert.schema import positional_schema


def export_matrix(estimator: object, n_features: int) -> bytes:
    """ONNX bytes of a model fitted on ``n_features`` unnamed number columns."""
    return export_onnx(estimator, positional_schema(estimator, n_features))


def parity_on_matrix(estimator: object, model_bytes: bytes, matrix: np.ndarray) -> ParityReport:
    """Parity on the rows of ``matrix``, fed to scikit-learn as float64."""
    schema = positional_schema(estimator, np.shape(matrix)[1])
    return check_parity(estimator, model_bytes, rows_from_matrix(matrix), schema)


def random_matrix(low: np.ndarray, high: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """``n`` rows drawn uniformly over ``[low, high]`` per column."""
    rng = np.random.default_rng(seed)
    return rng.uniform(low, high, size=(n, len(low)))


def convert(tmp_path, estimator, sample: pd.DataFrame | np.ndarray | None = None):
    """Pickle ``estimator``, write ``sample`` as the CSV a user would, run the CLI; (exit status,
    out dir)."""
    path = tmp_path / "model.pkl"
    joblib.dump(estimator, path)
    out = tmp_path / "out"
    argv = ["--from-pickle", str(path), "--out-dir", str(out), "--baseline-dir", ""]
    if sample is not None:
        csv = tmp_path / "rows.csv"
        if isinstance(sample, pd.DataFrame):
            sample.to_csv(csv, index=False)
        else:
            np.savetxt(csv, sample, delimiter=",", fmt="%.17g")
        argv += ["--sample-csv", str(csv)]
    return cli.main(argv), out
