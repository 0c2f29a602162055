"""Converting a user's pickle: honest input ranges, version drift, DataFrame-trained models.

Ranges come from SAMPLE= rows, else from a leading MinMaxScaler, else are unknown (null in the
card, no out_of_range in answers). The breast-cancer forest is the case that showed why: ranges
guessed from its split thresholds flagged 35% of its own training rows.
"""

from __future__ import annotations

import json
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.datasets import load_breast_cancer, load_iris, load_wine
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from convert import __main__ as cli
from convert.conversion import NO_RANGE_NOTE
from convert.input_ranges import check_region, remembered_range, split_thresholds
from onnx_serving.handler import ServingSettings, handle
from onnx_serving.model import load_model

QUIET = ServingSettings(log_requests=False)


@pytest.fixture(scope="module")
def cancer():
    data = load_breast_cancer()
    x = data.data
    forest = RandomForestClassifier(n_estimators=30, random_state=0)
    return x, forest.fit(x, data.target_names[data.target])


def convert(tmp_path, estimator, *extra, name="model.pkl"):
    """Pickle ``estimator`` and run the CLI on it; (exit status, out dir)."""
    path = tmp_path / name
    joblib.dump(estimator, path)
    out = tmp_path / "out"
    argv = ["--from-pickle", str(path), "--out-dir", str(out), "--baseline-dir", "", *extra]
    return cli.main(argv), out


def answers(model_dir, rows):
    model = load_model(model_dir)
    return handle({"instances": np.asarray(rows).tolist()}, None, model, QUIET)["predictions"]


def test_without_sample_rows_a_forest_has_no_ranges_and_answers_no_out_of_range(
    tmp_path, cancer, capsys
):
    x, forest = cancer
    status, out = convert(tmp_path, forest)
    assert status == 0
    card = json.loads((out / "model.json").read_text())
    assert {(c["min"], c["max"]) for c in card["columns"]} == {(None, None)}
    assert card["class_shares"] is None
    assert capsys.readouterr().out.splitlines()[-1] == NO_RANGE_NOTE
    predictions = answers(out, x.astype(np.float32))
    assert all(set(p) == {"label", "probabilities"} for p in predictions)
    assert load_model(out).card.public()["feature_ranges"] is None


def test_split_thresholds_would_have_flagged_a_third_of_the_training_rows(cancer):
    """Why thresholds are used for parity rows only, never as the card's training range."""
    x, forest = cancer
    features, thresholds = split_thresholds(forest)
    low, high = np.full(30, np.inf), np.full(30, -np.inf)
    np.minimum.at(low, features, thresholds)
    np.maximum.at(high, features, thresholds)
    flagged = ((x < low) | (x > high)).any(axis=1).mean()
    assert flagged > 0.3


def test_with_sample_rows_no_training_row_is_out_of_range(tmp_path, cancer):
    x, forest = cancer
    rows = tmp_path / "rows.csv"
    names = load_breast_cancer().feature_names
    pd.DataFrame(x, columns=names).to_csv(rows, index=False)
    status, out = convert(
        tmp_path, forest, "--sample-csv", str(rows), "--feature-names", ",".join(names)
    )
    assert status == 0
    predictions = answers(out, x.astype(np.float32))
    assert [p["out_of_range"] for p in predictions] == [[]] * len(x)
    # The class shares are the reference model's predictions on the sample rows.
    labels = forest.predict(x)
    shares = {str(c): round(float(np.mean(labels == c)), 6) for c in forest.classes_}
    assert json.loads((out / "model.json").read_text())["class_shares"] == shares
    beyond = x[:1].copy()
    beyond[0, 0] = x[:, 0].max() + 1
    assert answers(out, beyond)[0]["out_of_range"] == ["mean radius"]


def test_a_leading_min_max_scaler_remembers_the_exact_training_range(tmp_path, capsys):
    x, y = load_wine(return_X_y=True)
    pipeline = make_pipeline(MinMaxScaler(), LogisticRegression(max_iter=1000)).fit(x, y)
    low, high = remembered_range(pipeline)
    np.testing.assert_array_equal(low, x.min(axis=0))
    np.testing.assert_array_equal(high, x.max(axis=0))
    status, out = convert(tmp_path, pipeline)
    assert status == 0
    assert NO_RANGE_NOTE not in capsys.readouterr().out
    # The graph takes float64 (the scaler computes in it), so the range is the exact one.
    assert [p["out_of_range"] for p in answers(out, x)] == [[]] * len(x)


def test_a_standard_scaler_gives_parity_rows_but_no_training_range():
    x, y = load_iris(return_X_y=True)
    pipeline = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(x, y)
    assert remembered_range(pipeline) is None
    low, high = check_region(pipeline)
    np.testing.assert_allclose(low, x.mean(axis=0) - 3 * x.std(axis=0))
    np.testing.assert_allclose(high, x.mean(axis=0) + 3 * x.std(axis=0))


def test_a_pickle_from_another_scikit_learn_gives_one_note_naming_both_versions(
    tmp_path, monkeypatch, capsys
):
    x, y = load_iris(return_X_y=True)
    pipeline = make_pipeline(StandardScaler(), RandomForestClassifier(5, random_state=0))
    pipeline.fit(x, y)
    with monkeypatch.context() as patch:
        patch.setattr(sklearn.base, "__version__", "1.5.2")
        path = tmp_path / "old.pkl"
        joblib.dump(pipeline, path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        status = cli.main(
            ["--from-pickle", str(path), "--out-dir", str(tmp_path / "out"), "--baseline-dir", ""]
        )
    assert status == 0
    assert caught == []
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == (
        f"note: old.pkl was saved with scikit-learn 1.5.2 and is loaded with "
        f"{sklearn.__version__}; the parity check below holds ONNX to the model as "
        f"{sklearn.__version__} reads it, which is what makes the conversion safe"
    )
    assert sum("scikit-learn" in line for line in printed) == 1


def test_a_dataframe_trained_model_converts_without_feature_name_warnings(tmp_path, capsys):
    frame = load_wine(as_frame=True)
    pipeline = make_pipeline(StandardScaler(), RandomForestClassifier(10, random_state=0))
    pipeline.fit(frame.data, frame.target)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        status, out = convert(tmp_path, pipeline)
    assert status == 0
    assert [str(w.message) for w in caught] == []
    assert "warn" not in capsys.readouterr().err.lower()
    card = json.loads((out / "model.json").read_text())
    assert [column["name"] for column in card["columns"]] == list(frame.data.columns)


def _bare_logistic_regression():
    return LogisticRegression(max_iter=1000).fit(*load_iris(return_X_y=True))


def _forest_on_a_frame():
    frame = load_iris(as_frame=True)
    return RandomForestClassifier(5, random_state=0).fit(frame.data, frame.target)


@pytest.mark.parametrize(
    ("model", "extra", "message"),
    [
        (
            _bare_logistic_regression,
            [],
            "LogisticRegression does not remember the range of its inputs, so there are no "
            "rows like yours to check parity on: pass SAMPLE=rows.csv (--sample-csv) with some "
            "real rows",
        ),
        (
            _forest_on_a_frame,
            ["--feature-names", "a,b,c,d"],
            "the model was trained with feature names ['sepal length (cm)', "
            "'sepal width (cm)', 'petal length (cm)', 'petal width (cm)']: --feature-names must "
            "list them in that order, or be left out",
        ),
    ],
    ids=["no-remembered-inputs-asks-for-sample", "feature-names-unlike-the-trained-ones"],
)
def test_what_the_converter_needs_to_be_told(tmp_path, capsys, model, extra, message):
    status, out = convert(tmp_path, model(), *extra)
    assert status == 1
    assert capsys.readouterr().err == f"error: {message}\n"
    assert not out.exists()


def test_the_pickle_baseline_is_the_users_very_file(tmp_path):
    x, y = load_iris(return_X_y=True)
    path = tmp_path / "mine.joblib"
    joblib.dump(make_pipeline(MinMaxScaler(), LogisticRegression()).fit(x, y), path)
    out, baseline = tmp_path / "out", tmp_path / "baseline"
    argv = ["--from-pickle", str(path), "--out-dir", str(out), "--baseline-dir", str(baseline)]
    assert cli.main(argv) == 0
    assert (baseline / "model.pkl").read_bytes() == path.read_bytes()
    assert (baseline / "model.json").read_bytes() == (out / "model.json").read_bytes()
