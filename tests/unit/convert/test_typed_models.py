"""Models people ship: a scaled forest on the digits, regressors, and DataFrame pipelines with
string columns and missing values, converted as ``make convert MODEL=... SAMPLE=...`` does and
answered as scikit-learn answers the user's own rows."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from convert_support import convert
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.ensemble import (
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler
from sklearn.tree import DecisionTreeRegressor

from convert.check_rows import rows_from_matrix
from onnx_serving.card import value_gap
from onnx_serving.handler import ServingSettings, handle
from onnx_serving.model import load_model
from onnx_serving.rows import graph_feed

QUIET = ServingSettings(log_requests=False)
CITIES = ["lyon", "nice", "paris"]


def answers(out, rows: list) -> list[dict]:
    return handle({"instances": rows}, None, load_model(out), QUIET)["predictions"]


def homes(n: int = 400, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """A DataFrame as teams have them: numbers, strings, and holes in both."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "area": rng.uniform(20, 200, n).round(1),
            "rooms": rng.integers(1, 7, n).astype(float),
            "city": rng.choice(CITIES, n).astype(object),
            "kind": rng.choice(["flat", "house"], n).astype(object),
        }
    )
    bonus = frame.city.map(dict(zip(CITIES, [1, 2, 3], strict=True)))
    price = frame.area * 100 + frame.rooms * 500 + bonus
    frame.loc[rng.random(n) < 0.1, "area"] = np.nan
    frame.loc[rng.random(n) < 0.1, "city"] = np.nan
    return frame, price.to_numpy() * 1000


def preprocessing(handle_unknown: str = "ignore") -> ColumnTransformer:
    numbers = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    strings = make_pipeline(
        SimpleImputer(strategy="constant", fill_value="missing"),
        OneHotEncoder(handle_unknown=handle_unknown),
    )
    return ColumnTransformer(
        [("num", numbers, ["area", "rooms"]), ("cat", strings, ["city", "kind"])]
    )


def test_the_scaled_digits_forest_answers_every_digits_row_as_scikit_learn_does(tmp_path):
    """Scaled in float32 it differed on 752 of the 1,797 rows (up to 0.02); the graph now
    scales in float64 and casts to float32 before the trees, as scikit-learn does."""
    x, y = load_digits(return_X_y=True)
    pipeline = make_pipeline(StandardScaler(), RandomForestClassifier(200, random_state=0))
    status, out = convert(tmp_path, pipeline.fit(x, y), x)
    assert status == 0
    served = load_model(out)
    assert (served.card.number_type, served.card.inputs) == ("float64", "matrix")
    labels, probabilities = served.predict(graph_feed(served.card, rows_from_matrix(x).columns))
    expected = pipeline.predict_proba(x)
    assert labels.tolist() == pipeline.predict(x).tolist()
    assert np.abs(probabilities - expected).max() < 1e-5


def test_a_forest_regressor_answers_values_within_the_tolerance(tmp_path):
    x, y = load_diabetes(return_X_y=True)
    forest = RandomForestRegressor(50, random_state=0).fit(x, y)
    status, out = convert(tmp_path, forest, x)
    assert status == 0
    card = json.loads((out / "model.json").read_text())
    assert (card["task"], card["classes"], card["number_type"]) == ("regressor", [], "float32")
    assert set(card["parity"]) == {"rows", "boundary_rows", "tolerance", "max_value_gap"}
    assert card["class_shares"] is None
    assert all(set(row) == {"features", "value"} for row in card["golden_rows"])
    predictions = answers(out, x.tolist())
    expected = forest.predict(x)
    assert max(value_gap(p["value"], e) for p, e in zip(predictions, expected, strict=True)) < 1e-5


def test_a_multi_output_regressor_is_refused_in_one_line(tmp_path, capsys):
    x, y = load_diabetes(return_X_y=True)
    status, _ = convert(tmp_path, Ridge().fit(x, np.column_stack([y, y])))
    assert status == 1
    assert capsys.readouterr().err == (
        "error: Ridge predicts 2 numbers per row: only single-output regressors are served\n"
    )


def test_a_dataframe_regressor_with_strings_and_missing_values(tmp_path):
    frame, price = homes()
    pipeline = Pipeline([("pre", preprocessing()), ("model", Ridge())]).fit(frame, price)
    status, out = convert(tmp_path, pipeline, frame)
    assert status == 0
    card = json.loads((out / "model.json").read_text())
    assert (card["inputs"], card["number_type"]) == ("columns", "float64")
    columns = {c["name"]: c for c in card["columns"]}
    assert [c["type"] for c in card["columns"]] == ["number", "number", "string", "string"]
    assert columns["city"]["categories"] == ["lyon", "missing", "nice", "paris"]
    assert (columns["city"]["unknown"], columns["kind"]["categories"]) == (
        "ignore",
        ["flat", "house"],
    )
    assert all(c["missing"] for c in card["columns"])
    assert columns["area"]["min"] == frame.area.min()
    rows = [
        [120.5, 3.0, "paris", "flat"],
        [None, 2.0, None, "house"],
        [75.0, 4.0, "berlin", "flat"],
        {"area": 60.0, "rooms": 1.0, "city": "", "kind": "house"},
    ]
    as_read = pd.DataFrame(
        [
            [120.5, 3.0, "paris", "flat"],
            [np.nan, 2.0, np.nan, "house"],
            [75.0, 4.0, "berlin", "flat"],
            [60.0, 1.0, np.nan, "house"],
        ],
        columns=["area", "rooms", "city", "kind"],
    )
    expected = pipeline.predict(as_read)
    got = [p["value"] for p in answers(out, rows)]
    assert max(value_gap(v, e) for v, e in zip(got, expected, strict=True)) < 1e-5


def test_an_encoder_that_refuses_unknown_categories_says_so_in_the_card(tmp_path):
    frame, price = homes()
    labels = np.where(price > np.median(price), "dear", "cheap")
    pre = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(), StandardScaler()), ["area", "rooms"]),
            ("cat", OrdinalEncoder(), ["kind"]),
        ]
    )
    pipeline = Pipeline([("pre", pre), ("model", LogisticRegression(max_iter=1000))])
    status, out = convert(
        tmp_path,
        pipeline.fit(frame[["area", "rooms", "kind"]], labels),
        frame[["area", "rooms", "kind"]],
    )
    assert status == 0
    kind = json.loads((out / "model.json").read_text())["columns"][2]
    assert (kind["type"], kind["categories"], kind["unknown"]) == (
        "string",
        ["flat", "house"],
        "error",
    )
    # No imputer reads kind: scikit-learn refuses a missing value there, so the card does.
    assert kind["missing"] is False


def test_a_failed_parity_check_names_the_model_the_rows_and_what_to_do(tmp_path, capsys):
    """skl2onnx's LinearDiscriminantAnalysis answers otherwise on the breast-cancer rows."""
    x, y = load_breast_cancer(return_X_y=True)
    status, out = convert(tmp_path, LinearDiscriminantAnalysis().fit(x, y), x)
    assert status == 1
    assert not out.exists()
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 4
    assert lines[0].startswith(
        "error: LinearDiscriminantAnalysis converted to ONNX answers differently from "
        "scikit-learn on "
    )
    assert lines[0].endswith(" of 5569 check rows; nothing was written")
    first = f"first such row: f0={float(x[0, 0])!r}, f1={float(x[0, 1])!r}"
    assert lines[1].startswith(first) and lines[1].endswith(", ... (30 columns)")
    assert lines[2].startswith("ONNX answers ")
    assert lines[3] == (
        "what you can do: check that SAMPLE= rows are data the model was trained on; if they "
        "are, this model's arithmetic does not survive conversion: the compatibility table in "
        "README.md lists the models that do"
    )


def test_infrequent_categories_are_refused_in_one_line(tmp_path, capsys):
    """skl2onnx 1.20 does not convert an encoder that groups infrequent categories."""
    frame, price = homes()
    encoder = OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=0.6)
    pre = ColumnTransformer([("num", "passthrough", ["rooms"]), ("cat", encoder, ["kind"])])
    pipeline = Pipeline([("pre", pre), ("model", Ridge())])
    columns = frame[["rooms", "kind"]]
    status, out = convert(tmp_path, pipeline.fit(columns, price), columns)
    assert status == 1
    assert not out.exists()
    error = capsys.readouterr().err
    assert error.startswith(
        "error: skl2onnx cannot convert Pipeline(ColumnTransformer, Ridge): "
        "NotImplementedError: Infrequent categories are not implemented"
    )
    assert error.count("\n") == 1


def test_infrequent_if_exist_without_infrequent_categories_answers_as_ignore(tmp_path):
    """With no infrequent category fitted, scikit-learn encodes an unknown category as zeros,
    as "ignore" does: exported so, an unseen category is answered as scikit-learn answers it."""
    frame, price = homes()
    encoder = OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=0.01)
    pre = ColumnTransformer([("num", "passthrough", ["rooms"]), ("cat", encoder, ["kind"])])
    pipeline = Pipeline([("pre", pre), ("model", Ridge())])
    columns = frame[["rooms", "kind"]]
    status, out = convert(tmp_path, pipeline.fit(columns, price), columns)
    assert status == 0
    assert encoder.handle_unknown == "infrequent_if_exist"  # the user's model is left as it was
    kind = load_model(out).card.columns[1]
    assert (kind.categories, kind.unknown) == (["flat", "house"], "ignore")
    rows = pd.DataFrame({"rooms": [2.0, 5.0], "kind": ["castle", "flat"]})
    served = [p["value"] for p in answers(out, rows.values.tolist())]
    expected = pipeline.predict(rows)
    assert max(value_gap(v, e) for v, e in zip(served, expected, strict=True)) <= 1e-9


def test_boolean_classes_are_served_as_their_text(tmp_path):
    """skl2onnx answers boolean classes as 0 and 1; the card's classes are their text, as
    scikit-learn's labels print, and so are the served labels."""
    data = load_breast_cancer()
    forest = RandomForestClassifier(10, random_state=0).fit(data.data, data.target == 1)
    status, out = convert(tmp_path, forest, data.data)
    assert status == 0
    assert load_model(out).card.classes == ["False", "True"]
    served = [p["label"] for p in answers(out, data.data[:40].tolist())]
    assert served == [str(label) for label in forest.predict(data.data[:40])]
    assert set(served) == {"False", "True"}


def test_a_missing_value_the_model_does_not_take_is_refused_saying_so(tmp_path, capsys):
    frame, price = homes()
    numbers = frame[["area", "rooms"]]
    status, out = convert(tmp_path, Ridge().fit(numbers.fillna(0), price), numbers)
    assert (status, out.exists()) == (1, False)
    assert capsys.readouterr().err == (
        "error: sample rows leave area empty, and Ridge does not take a missing value there "
        "(scikit-learn: Input X contains NaN.): fill it in, or fit the model with an imputer "
        "before it\n"
    )


def test_a_missing_value_onnx_answers_otherwise_is_refused_saying_so(tmp_path, capsys):
    """scikit-learn's trees send a missing value where they learnt to; skl2onnx's tree
    converter sends it to the other branch."""
    frame, price = homes()
    numbers = frame[["area", "rooms"]]
    tree = DecisionTreeRegressor(max_depth=4, random_state=0).fit(numbers, price)
    status, out = convert(tmp_path, tree, numbers)
    assert (status, out.exists()) == (1, False)
    assert capsys.readouterr().err == (
        "error: sample rows leave area empty, and DecisionTreeRegressor converted to ONNX "
        "answers a missing value there otherwise than scikit-learn: fill it in\n"
    )


def test_a_model_off_on_complete_rows_gets_the_parity_message_not_a_missing_value_one(
    tmp_path, capsys
):
    data = load_breast_cancer()
    sample = pd.DataFrame(data.data, columns=[f"f{i}" for i in range(30)])
    sample.iloc[3, 4] = np.nan
    model = LinearDiscriminantAnalysis().fit(data.data, data.target)
    status, out = convert(tmp_path, model, sample)
    assert (status, out.exists()) == (1, False)
    assert capsys.readouterr().err.startswith(
        "error: LinearDiscriminantAnalysis converted to ONNX answers differently from "
        "scikit-learn on 1320 of 5568 check rows; nothing was written\n"
    )
