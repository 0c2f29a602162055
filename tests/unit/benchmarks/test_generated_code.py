"""The generated-code contender: built from a small forest, it answers as scikit-learn does, and
a package that does not is refused before it is ever timed."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from fixture_models import synthetic_card
from sklearn.datasets import make_classification
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from layer.interpreters import find_interpreter
from tools.benchmarks import generated_code
from tools.benchmarks.generated_code import (
    GeneratedParityError,
    NotAForest,
    TooLarge,
    build_generated_package,
    check_generated_parity,
    generated_contender,
    tree_nodes,
)

FEATURES = ["a", "b", "c", "d"]
CLASSES = ["east", "north", "west"]


@pytest.fixture(scope="module")
def forest() -> RandomForestClassifier:
    """5 trees of depth 3 on 4 features in [0, 1], 3 string classes."""
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(400, 4))
    y = np.asarray(CLASSES)[(x[:, 0] + x[:, 1] > 1).astype(int) + (x[:, 2] > 0.7)]
    return RandomForestClassifier(n_estimators=5, max_depth=3, random_state=0).fit(x, y)


@pytest.fixture(scope="module")
def card():
    return synthetic_card(FEATURES, CLASSES)


@pytest.fixture(scope="module")
def rows() -> np.ndarray:
    """Rows with values float32 cannot hold exactly, some outside the training range."""
    return np.random.default_rng(1).uniform(-0.2, 1.2, size=(300, 4))


@pytest.fixture(scope="module")
def package(forest, card, tmp_path_factory) -> Path:
    interpreter = Path(sys.executable)
    return build_generated_package(forest, card, tmp_path_factory.mktemp("gen") / "fn", interpreter)


@pytest.fixture
def app(package, monkeypatch):
    """The package's handler, imported as the runtime imports ``app`` from its task root."""
    monkeypatch.syspath_prepend(str(package))
    monkeypatch.delitem(sys.modules, "model_code", raising=False)
    spec = importlib.util.spec_from_file_location("generated_app", package / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop("model_code", None)


def _expected(forest, rows: np.ndarray) -> tuple[list[str], np.ndarray]:
    rows32 = rows.astype(np.float32)
    return forest.predict(rows32).tolist(), forest.predict_proba(rows32)


def test_only_trees_and_tree_ensembles_have_a_generated_anchor(forest):
    boosted = GradientBoostingClassifier(n_estimators=3, max_depth=2, random_state=0)
    boosted.fit(*make_classification(n_samples=60, n_features=4, random_state=0))
    assert tree_nodes(boosted) == sum(t.tree_.node_count for t in boosted.estimators_.ravel())
    pipeline = make_pipeline(StandardScaler(), forest)
    with pytest.raises(NotAForest, match=r"^Pipeline is not a tree or an ensemble of trees$"):
        tree_nodes(pipeline)


def test_tree_nodes_is_the_sum_of_node_counts(forest):
    assert tree_nodes(forest) == sum(t.tree_.node_count for t in forest.estimators_)
    assert tree_nodes(forest.estimators_[0]) == forest.estimators_[0].tree_.node_count
    assert tree_nodes(forest) > 5


def test_package_holds_handler_code_card_and_pyc_for_the_interpreter(package, forest):
    names = sorted(p.name for p in package.iterdir())
    assert names == ["__pycache__", "app.py", "card.json", "model_code.py"]
    tag = sys.implementation.cache_tag
    assert sorted(p.name for p in (package / "__pycache__").iterdir()) == [
        f"app.{tag}.pyc",
        f"model_code.{tag}.pyc",
    ]
    assert json.loads((package / "card.json").read_text()) == {
        "classes": CLASSES,
        "features": FEATURES,
        "bounds": [[0.0, 1.0]] * 4,
        "model": {"name": "synthetic", "version": "1", "sha256": "0" * 64},
    }


def test_batch_answers_scikit_learns_labels_and_probabilities(app, forest, rows):
    answer = app.handler({"instances": rows.tolist()}, None)
    labels, probabilities = _expected(forest, rows)
    predictions = answer["predictions"]
    assert [p["label"] for p in predictions] == labels
    got = np.asarray([[p["probabilities"][c] for c in CLASSES] for p in predictions])
    np.testing.assert_allclose(got, probabilities, rtol=0, atol=1e-6)
    assert answer["model"] == {"name": "synthetic", "version": "1", "sha256": "0" * 64}


def test_integers_are_numbers(app, forest):
    [label], _ = _expected(forest, np.asarray([[1, 0, 1, 0]]))
    assert app.handler({"features": [1, 0, 1, 0]}, None)["predictions"][0]["label"] == label


def test_one_row_answer_has_the_onnx_functions_shape(app, forest):
    row = [0.9, 0.8, 0.75, 1.5]
    [label], [probabilities] = _expected(forest, np.asarray([row]))
    answer = app.handler({"features": row}, None)
    assert list(answer) == ["predictions", "model"]
    [prediction] = answer["predictions"]
    assert prediction["label"] == label
    assert list(prediction["probabilities"]) == CLASSES
    np.testing.assert_allclose(
        list(prediction["probabilities"].values()), probabilities, rtol=0, atol=1e-6
    )
    assert prediction["out_of_range"] == ["d"]


def _row_across_a_threshold(forest) -> list[float]:
    """A row one of whose values sits on the other side of a root threshold from its float32
    rounding: the float64 value goes one way, the float32 value the other."""
    for estimator in forest.estimators_:
        threshold, feature = float(estimator.tree_.threshold[0]), int(estimator.tree_.feature[0])
        for value in (threshold, float(np.nextafter(threshold, np.inf))):
            if (value <= threshold) != (float(np.float32(value)) <= threshold):
                row = [0.5] * 4
                row[feature] = value
                return row
    raise AssertionError("no root threshold that float32 rounding crosses")


def test_values_are_rounded_to_float32_before_the_trees(app, package, forest):
    """scikit-learn's trees see float32, and so must the generated code."""
    row = _row_across_a_threshold(forest)
    score = generated_code.load_model_code(package).score
    assert score(row) != score([float(np.float32(v)) for v in row])
    [label], [probabilities] = _expected(forest, np.asarray([row]))
    [prediction] = app.handler({"features": row}, None)["predictions"]
    assert prediction["label"] == label
    np.testing.assert_allclose(
        list(prediction["probabilities"].values()), probabilities, rtol=0, atol=1e-6
    )


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({}, 'send {"features": row} or {"instances": [row, ...]}'),
        ([1, 2], 'send {"features": row} or {"instances": [row, ...]}'),
        ({"features": [1, 2, 3], "x": 1}, 'send {"features": row} or {"instances": [row, ...]}'),
        ({"features": [0.1, 0.2, 0.3]}, "row 0 must be 4 finite float32 numbers"),
        ({"instances": [[0.1] * 4, [0.1] * 5]}, "row 1 must be 4 finite float32 numbers"),
        ({"features": [0.1, "2", 0.3, 0.4]}, "row 0 must be 4 finite float32 numbers"),
        ({"features": [0.1, True, 0.3, 0.4]}, "row 0 must be 4 finite float32 numbers"),
        ({"features": [0.1, float("nan"), 0.3, 0.4]}, "row 0 must be 4 finite float32 numbers"),
        ({"features": [0.1, 1e39, 0.3, 0.4]}, "row 0 must be 4 finite float32 numbers"),
        ({"features": [0.1, 10**400, 0.3, 0.4]}, "row 0 must be 4 finite float32 numbers"),
        ({"instances": "rows"}, 'send {"features": row} or {"instances": [row, ...]}'),
    ],
)
def test_bad_input_is_an_error_answer(app, event, message):
    assert app.handler(event, None) == {"error": message}


def test_parity_check_passes_on_the_built_package(package, forest, rows):
    report = check_generated_parity(package, forest, rows)
    assert (report.rows, report.label_agreement, report.tied_rows) == (300, 1.0, 0)
    assert report.max_abs_probability_diff <= 1e-15


def test_parity_check_refuses_swapped_classes(package, forest, rows, tmp_path):
    tampered = tmp_path / "fn"
    tampered.mkdir()
    code = (package / "model_code.py").read_text()
    # The generated score ends by averaging the trees' votes: reversed, east and west swap.
    lines = code.rstrip("\n").split("\n")
    assert lines[-1].startswith("    return ")
    lines[-1] = f"    return list(reversed({lines[-1].removeprefix('    return ')}))"
    (tampered / "model_code.py").write_text("\n".join(lines) + "\n")
    with pytest.raises(GeneratedParityError, match=r"labels differ on \d+ of 300 rows"):
        check_generated_parity(tampered, forest, rows)


def test_parity_check_refuses_probabilities_off_by_more_than_the_tolerance(
    package, forest, rows, tmp_path
):
    nudged = tmp_path / "fn"
    nudged.mkdir()
    code = (package / "model_code.py").read_text()
    (nudged / "model_code.py").write_text(
        code + "\n_score = score\n\ndef score(input):\n"
        "    p = _score(input)\n    return [p[0] + 2e-5, p[1] - 2e-5, p[2]]\n"
    )
    with pytest.raises(
        GeneratedParityError, match=r"probabilities differ by up to 2e-05 on 300 of 300 rows"
    ):
        check_generated_parity(nudged, forest, rows)


def test_too_large_names_the_node_count_and_the_cap(forest, card, tmp_path, monkeypatch):
    monkeypatch.setattr(generated_code, "MAX_NODES", 10)
    nodes = tree_nodes(forest)
    with pytest.raises(TooLarge) as raised:
        build_generated_package(forest, card, tmp_path / "fn", Path(sys.executable))
    assert str(raised.value) == f"{nodes} tree nodes is more than the 10 generated code allows"
    assert not (tmp_path / "fn").exists()


def test_too_large_names_trees_times_nodes(forest, card, tmp_path, monkeypatch):
    monkeypatch.setattr(generated_code, "MAX_TREE_NODES", 100)
    nodes = tree_nodes(forest)
    with pytest.raises(TooLarge) as raised:
        build_generated_package(forest, card, tmp_path / "fn", Path(sys.executable))
    assert str(raised.value) == (
        f"5 trees × {nodes} nodes is more than the 100 generated code allows"
    )


def test_a_card_of_other_classes_is_refused(forest, tmp_path):
    card = synthetic_card(FEATURES, ["east", "west", "north"])
    with pytest.raises(ValueError, match="classes"):
        build_generated_package(forest, card, tmp_path / "fn", Path(sys.executable))


def test_a_single_tree_builds_and_passes_parity(forest, card, rows, tmp_path):
    tree = DecisionTreeClassifier(max_depth=4, random_state=0)
    tree.fit(rows, forest.predict(rows.astype(np.float32)))
    out = build_generated_package(tree, card, tmp_path / "fn", Path(sys.executable))
    assert check_generated_parity(out, tree, rows).label_agreement == 1.0


def test_contender_has_no_layers_and_is_checked(forest, card, tmp_path):
    interpreter = find_interpreter("python3.13")
    contender = generated_contender(forest, card, tmp_path / "fn", interpreter.path)
    assert (contender.name, contender.task_root, contender.layers) == (
        "generated",
        tmp_path / "fn",
        (),
    )
    assert contender.environment == {}
