"""Training, export and parity: reproducible, verified on every conversion, nothing half-written."""

from __future__ import annotations

import hashlib
import json

import joblib
import numpy as np
import pytest
from convert_support import export_matrix, parity_on_matrix, random_matrix
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.semi_supervised import LabelSpreading

from convert import __main__ as cli
from convert.check_rows import rows_from_cells, rows_from_matrix
from convert.export import ModelInfo, serving_model, verify_and_write
from convert.from_pickle import InputError, read_sample_csv
from convert.parity import ParityError
from convert.schema import input_schema
from convert.train import train_iris
from onnx_serving.model import load_model
from onnx_serving.rows import graph_feed

IRIS_NAMES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


@pytest.fixture(scope="module")
def trained():
    return train_iris()


def test_training_is_reproducible(trained):
    again = train_iris()
    assert trained.accuracy == 28 / 30
    assert again.accuracy == trained.accuracy
    assert trained.feature_names == IRIS_NAMES
    assert len(trained.x_train) == 120 and len(trained.x_test) == 30
    np.testing.assert_array_equal(
        trained.estimator.predict_proba(trained.x_test), again.estimator.predict_proba(again.x_test)
    )


def test_export_is_byte_identical_across_runs(trained):
    first = export_matrix(trained.estimator, 4)
    second = export_matrix(train_iris().estimator, 4)
    assert hashlib.sha256(first).hexdigest() == hashlib.sha256(second).hexdigest()


def test_parity_on_test_set_and_random_rows(trained):
    model_bytes = export_matrix(trained.estimator, 4)
    low, high = trained.x_train.min(axis=0), trained.x_train.max(axis=0)
    rows = np.vstack([trained.x_test, random_matrix(low, high, 5000)])
    report = parity_on_matrix(trained.estimator, model_bytes, rows)
    assert report.rows == 5030
    assert report.label_agreement == 1.0
    # float32 summation over 100 trees: measured 6.6e-7, well inside the 1e-5 tolerance.
    assert 0 < report.max_abs_probability_diff < 1e-6


def test_parity_failure_names_the_disagreement(trained):
    other = RandomForestClassifier(n_estimators=3, max_depth=1, random_state=0)
    other.fit(trained.x_train, trained.estimator.predict(trained.x_train)[::-1])
    with pytest.raises(
        ParityError, match=r"answers differently from scikit-learn on \d+ of 30 check rows"
    ):
        parity_on_matrix(other, export_matrix(trained.estimator, 4), trained.x_test)


def test_cli_writes_model_card_and_baseline(tmp_path, capsys):
    out, baseline = tmp_path / "function", tmp_path / "baseline"
    assert cli.main(["--out-dir", str(out), "--baseline-dir", str(baseline)]) == 0
    model_bytes = (out / "model.onnx").read_bytes()
    card = json.loads((out / "model.json").read_text())
    assert card["sha256"] == hashlib.sha256(model_bytes).hexdigest()
    assert card["task"] == "classifier"
    assert card["columns"] == [
        {"name": n, "type": "number", "missing": False, "min": lo, "max": hi}
        | {"categories": None, "unknown": None}
        for n, lo, hi in zip(IRIS_NAMES, [4.3, 2.0, 1.1, 0.1], [7.9, 4.4, 6.9, 2.5], strict=True)
    ]
    assert card["classes"] == ["setosa", "versicolor", "virginica"]
    assert card["opset"] == {"": 21, "ai.onnx.ml": 1}
    assert card["metrics"] == {"test_accuracy": 28 / 30, "test_rows": 30.0}
    assert card["parity"]["label_agreement"] == 1.0
    # 30 test rows, 5000 uniform rows, 637 rows on the forest's split thresholds.
    assert card["parity"]["rows"] == 5667
    assert card["parity"]["boundary_rows"] == 0
    assert card["format"] == 4
    # The reference model's predictions on the 30 test rows: 10 of each class.
    assert card["class_shares"] == {
        "setosa": 0.333333,
        "versicolor": 0.333333,
        "virginica": 0.333333,
    }
    # The 120 training rows' deciles; petal width's ties leave it nine bins.
    assert {name: len(bins["shares"]) for name, bins in card["feature_bins"].items()} == {
        "sepal_length": 10,
        "sepal_width": 10,
        "petal_length": 10,
        "petal_width": 9,
    }
    assert card["feature_bins"]["petal_width"] == {
        "edges": [0.2, 0.4, 1.2, 1.3, 1.5, 1.8, 1.9, 2.2],
        "shares": [0.208333, 0.108333, 0.116667, 0.1, 0.125, 0.1, 0.041667, 0.1, 0.1],
    }
    assert len(card["golden_rows"]) == 12
    assert [row["label"] for row in card["golden_rows"][:3]] == card["classes"]
    assert sorted(card["library_versions"]) == [
        "numpy",
        "onnx",
        "onnxruntime",
        "scikit-learn",
        "skl2onnx",
    ]
    assert sorted(p.name for p in baseline.iterdir()) == ["model.json", "model.pkl"]
    printed = capsys.readouterr().out.splitlines()
    assert printed == [
        "trained RandomForest(n_estimators=100, max_depth=5, random_state=42) on Iris: "
        "test accuracy 0.9333",
        "parity: 5667 rows, labels 100% identical, max |Δp| 6.56e-07 (tolerance 1e-05)",
        f"wrote {out / 'model.onnx'} (sha256 {card['sha256']}) and model.json with 12 golden rows",
        f"wrote the pickle baseline {baseline / 'model.pkl'} (benchmarks only)",
    ]


def test_cli_output_matches_the_served_model(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["--out-dir", str(tmp_path), "--baseline-dir", ""]) == 0
    served = load_model(tmp_path)
    assert served.card.sha256 == hashlib.sha256((tmp_path / "model.onnx").read_bytes()).hexdigest()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json", "model.onnx"]


def test_failed_parity_writes_nothing(tmp_path, monkeypatch, capsys):
    def disagree(*_args):
        raise ParityError("labels differ on 3 of 30 rows")

    monkeypatch.setattr("convert.export.check_parity", disagree)
    assert cli.main(["--out-dir", str(tmp_path / "out"), "--baseline-dir", ""]) == 1
    assert not (tmp_path / "out").exists()
    assert capsys.readouterr().err == "error: labels differ on 3 of 30 rows\n"


def _pickle(tmp_path, estimator, name="model.pkl"):
    path = tmp_path / name
    joblib.dump(estimator, path)
    return path


def test_from_pickle_pipeline_with_named_features(tmp_path, capsys):
    x, y = load_iris(return_X_y=True)
    pipeline = make_pipeline(
        StandardScaler(), RandomForestClassifier(n_estimators=20, random_state=0)
    ).fit(x, y)
    path = _pickle(tmp_path, pipeline, "scaled-forest.pkl")
    out = tmp_path / "out"
    argv = ["--from-pickle", str(path), "--feature-names", "a,b,c,d", "--out-dir", str(out)]
    assert cli.main([*argv, "--baseline-dir", str(tmp_path / "baseline")]) == 0
    served = load_model(out)
    assert served.card.name == "scaled-forest"
    assert served.card.feature_names == ["a", "b", "c", "d"]
    assert served.card.classes == ["0", "1", "2"]
    assert served.card.number_type == "float64"
    labels, _ = served.predict(graph_feed(served.card, rows_from_matrix(x[:5]).columns))
    assert labels.tolist() == pipeline.predict(x[:5]).tolist()
    assert "labels 100% identical" in capsys.readouterr().out


def test_from_pickle_with_sample_csv_header(tmp_path):
    x, y = load_iris(return_X_y=True)
    forest = RandomForestClassifier(n_estimators=10, random_state=0).fit(x, y)
    csv_path = tmp_path / "rows.csv"
    csv_path.write_text(
        "d,c,b,a,extra\n" + "\n".join(",".join(map(str, r[::-1])) + ",9" for r in x)
    )
    out = tmp_path / "out"
    argv = ["--from-pickle", str(_pickle(tmp_path, forest)), "--feature-names", "a,b,c,d"]
    argv += ["--baseline-dir", ""]
    assert cli.main([*argv, "--sample-csv", str(csv_path), "--out-dir", str(out)]) == 0
    card = json.loads((out / "model.json").read_text())
    assert [column["min"] for column in card["columns"]] == [4.3, 2.0, 1.0, 0.1]
    # 150 sample rows, 5000 uniform rows, 78 rows on the forest's split thresholds.
    assert card["parity"]["rows"] == 150 + 5000 + 78


@pytest.mark.parametrize(
    ("estimator", "message"),
    [
        (LabelSpreading(), "error: LabelSpreading cannot be converted: skl2onnx has no converter"),
        (
            RandomForestRegressor(n_estimators=2),
            "error: RandomForestRegressor predicts 2 numbers per row: only single-output "
            "regressors are served\n",
        ),
    ],
    ids=["no-converter", "multi-output-regressor"],
)
def test_from_pickle_refuses_unsupported_models(tmp_path, capsys, estimator, message):
    x, y = load_iris(return_X_y=True)
    target = np.column_stack([y, y]) if isinstance(estimator, RandomForestRegressor) else y
    path = _pickle(tmp_path, estimator.fit(x, target))
    out, baseline = tmp_path / "out", tmp_path / "baseline"
    argv = ["--from-pickle", str(path), "--out-dir", str(out), "--baseline-dir", str(baseline)]
    assert cli.main(argv) == 1
    error = capsys.readouterr().err
    assert error.startswith(message)
    assert error.count("\n") == 1
    assert not out.exists() and not baseline.exists()


@pytest.mark.parametrize(
    ("argv_tail", "message"),
    [
        (["--feature-names", "a,b"], "error: --feature-names lists 2 names; the model takes 4\n"),
        (["--sample-csv", "missing.csv"], "error: missing.csv: cannot be read (No such file"),
    ],
    ids=["wrong-name-count", "missing-csv"],
)
def test_from_pickle_bad_arguments(tmp_path, capsys, monkeypatch, argv_tail, message):
    monkeypatch.chdir(tmp_path)
    x, y = load_iris(return_X_y=True)
    path = _pickle(tmp_path, RandomForestClassifier(n_estimators=2).fit(x, y))
    argv = ["--from-pickle", str(path), *argv_tail, "--out-dir", "out", "--baseline-dir", ""]
    assert cli.main(argv) == 1
    assert capsys.readouterr().err.startswith(message)


def test_from_pickle_missing_file(tmp_path, capsys):
    assert cli.main(["--from-pickle", str(tmp_path / "nope.pkl")]) == 1
    assert capsys.readouterr().err == f"error: {tmp_path / 'nope.pkl'}: no such file\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no rows"),
        ("a,b\n1,2\n", r"header lacks features \['c', 'd'\]"),
        ("1,2,3\n", "expected rows of 4 values"),
    ],
    ids=["empty", "missing-columns", "short-rows"],
)
def test_sample_csv_errors(tmp_path, text, message):
    path = tmp_path / "rows.csv"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        read_sample_csv(path, ["a", "b", "c", "d"])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a,b,c,d\n1,2,x,4\n", "row 1, c: 'x' is not a number"),
        ("1,2,3,nan\n", "row 1, d: 'nan' is not a finite number"),
    ],
    ids=["non-numeric", "nan"],
)
def test_sample_cells_of_a_number_column_must_be_numbers(tmp_path, text, message):
    path = tmp_path / "rows.csv"
    path.write_text(text)
    x, y = load_iris(return_X_y=True)
    forest = RandomForestClassifier(n_estimators=2, random_state=0).fit(x, y)
    schema = input_schema(forest, ["a", "b", "c", "d"])
    with pytest.raises(ValueError, match=message):
        rows_from_cells(read_sample_csv(path, ["a", "b", "c", "d"]), schema)


def test_large_forests_are_served_as_opset5_tree_ensembles(tmp_path, trained):
    estimator = trained.estimator
    exported = export_matrix(estimator, 4)
    assert serving_model(estimator, exported) == exported  # 100 depth-5 trees: left as exported
    rewritten = serving_model(estimator, exported, min_nodes=0)
    info = ModelInfo("iris-v5", "1", trained.x_train.min(axis=0), trained.x_train.max(axis=0), {})
    rows = np.vstack([trained.x_test, random_matrix(info.feature_min, info.feature_max, 2000)])
    schema = input_schema(estimator, IRIS_NAMES)
    card = verify_and_write(estimator, rewritten, info, schema, rows_from_matrix(rows), tmp_path)
    assert card.opset == {"": 21, "ai.onnx.ml": 5}
    assert card.parity["label_agreement"] == 1.0
    served = load_model(tmp_path)
    labels, _ = served.predict(graph_feed(served.card, rows_from_matrix(trained.x_test).columns))
    assert labels.astype(str).tolist() == estimator.predict(trained.x_test).tolist()


def test_only_random_forests_are_rewritten(trained):
    x, y = load_iris(return_X_y=True)
    logistic = LogisticRegression(max_iter=1000).fit(x, y)
    exported = export_matrix(logistic, 4)
    assert serving_model(logistic, exported, min_nodes=0) == exported
