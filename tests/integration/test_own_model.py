"""A user's own model, end to end: the documented command converts it, the runtime client serves it.

The model is not Iris: a breast-cancer forest trained on a DataFrame (feature names with spaces),
string labels, binary. It is converted with the very command ``make convert MODEL=... SAMPLE=...``
runs (read from ``make -n``), written to a temporary folder instead of function/, packaged as
``sam build`` packages a function, and answered through awslambdaric, as ``make invoke`` does.
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
import sam_support
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier

from onnx_serving.card import ANSWER_TOLERANCE
from tools.local_lambda.runner import strict_json
from tools.reliability.sam_build_output import FUNCTION, LAYER, built_lambda

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def make_convert_command(*variables: str) -> list[str]:
    """The command ``make convert VARIABLES`` runs, as ``make -n`` prints it."""
    done = subprocess.run(
        ["make", "-n", "--no-print-directory", "convert", *variables],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    (line,) = [line for line in done.stdout.splitlines() if " -m convert" in line]
    return shlex.split(line)


@pytest.fixture(scope="module")
def users_model(tmp_path_factory):
    """A breast-cancer forest fitted on a DataFrame, pickled with joblib, and its rows as CSV."""
    folder = tmp_path_factory.mktemp("own-model")
    data = load_breast_cancer(as_frame=True)
    labels = data.target_names[data.target]
    forest = RandomForestClassifier(n_estimators=25, random_state=0).fit(data.data, labels)
    joblib.dump(forest, folder / "cancer forest.joblib")
    data.data.to_csv(folder / "rows.csv", index=False)
    return folder, forest, data.data


@pytest.fixture(scope="module")
def converted(users_model, tmp_path_factory):
    """The documented command's output, written to a build folder made like sam build's."""
    folder, _, _ = users_model
    pickle, rows = folder / "cancer forest.joblib", folder / "rows.csv"
    command = make_convert_command(f"MODEL={pickle}", f"SAMPLE={rows}", "VERSION=3")
    build_dir = tmp_path_factory.mktemp("own-build")
    sam_build = sam_support.sam_build_dir()
    shutil.copytree(sam_build / FUNCTION, build_dir / FUNCTION)
    (build_dir / LAYER).symlink_to(sam_build / LAYER)
    shutil.copyfile(sam_build / "template.yaml", build_dir / "template.yaml")
    for name in ("model.onnx", "model.json"):
        (build_dir / FUNCTION / name).unlink()
    baseline = build_dir / "baseline"
    done = subprocess.run(
        [
            sys.executable,
            *command[1:],
            *("--out-dir", str(build_dir / FUNCTION), "--baseline-dir", str(baseline)),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return build_dir, done


def test_make_convert_runs_the_converter_cli_with_the_users_arguments(users_model):
    folder, _, _ = users_model
    command = make_convert_command(
        f"MODEL={folder / 'cancer forest.joblib'}", "FEATURES=a,b", "SAMPLE=rows.csv", "NAME=n"
    )
    assert command[1:] == [
        *("-m", "convert", "--from-pickle", str(folder / "cancer forest.joblib")),
        *("--feature-names", "a,b", "--sample-csv", "rows.csv", "--name", "n"),
    ]
    assert Path(command[0]).name == "python"


def test_the_conversion_says_what_it_wrote(converted):
    build_dir, done = converted
    card = json.loads((build_dir / FUNCTION / "model.json").read_text())
    lines = done.stdout.splitlines()
    baseline = build_dir / "baseline" / "model.pkl"
    # 569 sample rows, 5000 uniform rows, 526 rows on the forest's split thresholds.
    assert lines[0].startswith("parity: 6095 rows, labels 100% identical, max |Δp| ")
    assert lines[1:] == [
        f"wrote {build_dir / FUNCTION / 'model.onnx'} (sha256 {card['sha256']}) and model.json "
        "with 12 golden rows",
        f"wrote the pickle baseline {baseline} (benchmarks only)",
    ]
    assert done.stderr == ""
    assert (card["name"], card["version"], card["classes"]) == (
        "cancer forest",
        "3",
        ["benign", "malignant"],
    )
    assert [c["name"] for c in card["columns"][:2]] == ["mean radius", "mean texture"]


def test_make_invoke_answers_the_golden_rows_through_the_runtime_client(converted):
    build_dir, _ = converted
    done = subprocess.run(
        [
            *(sys.executable, "-m", "tools.local_lambda", "invoke", "events/direct-describe.json"),
            *("--golden", "--build-dir", str(build_dir)),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    describe, golden = [strict_json(line) for line in done.stdout.splitlines()]
    assert describe["model"]["name"] == "cancer forest"
    assert len(golden["predictions"]) == 12
    assert done.stderr.splitlines()[-1] == "golden rows: all 12 answered as the reference model did"


def test_every_training_row_is_answered_as_scikit_learn_does_and_none_is_out_of_range(
    converted, users_model, tmp_path
):
    build_dir, _ = converted
    _, forest, frame = users_model
    rows = frame.to_numpy(dtype=np.float32)
    with (tmp_path / "runtime.log").open("wb") as logs, built_lambda(build_dir, logs) as function:
        assert function.init_error is None
        body = function.invoke({"instances": rows.tolist()}).json()
        outside = function.invoke({"features": [*rows[0][:-1].tolist(), 1e6]}).json()
    predictions = body["predictions"]
    as_trained = pd.DataFrame(rows, columns=frame.columns)
    assert [p["label"] for p in predictions] == forest.predict(as_trained).tolist()
    served = np.array([[p["probabilities"][c] for c in forest.classes_] for p in predictions])
    assert np.abs(served - forest.predict_proba(as_trained)).max() <= ANSWER_TOLERANCE
    assert [p["out_of_range"] for p in predictions] == [[]] * len(rows)
    assert outside["predictions"][0]["out_of_range"] == ["worst fractal dimension"]
