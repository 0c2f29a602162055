"""The batch benchmark's "pickle, pandas" reference (``tools/baseline/pandas_batch_app.py``),
imported as the runtime imports it, serving the fixture model's pickle, scoring files on the
local S3 server."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest
from batch_support import body, csv_text, keys
from fixture_models import typed_regressor

from onnx_serving.card import ModelCard
from tools.local_lambda.s3_server import LocalS3

ROOT = Path(__file__).resolve().parents[3]
# Five rows in chunks of two: the header once, the rows of every chunk after it.
ROWS = [
    [5.1, 3.5, 1.4, 0.2],
    [6.2, 2.9, 4.3, 1.3],
    [7.7, 3.0, 6.1, 2.3],
    [5.9, 3.0, 5.1, 1.8],
    [4.9, 3.1, 1.5, 0.1],
]


def import_pandas_app(model_dir: Path, local_s3: LocalS3) -> ModuleType:
    """The reference module imported afresh (its init reads ``MODEL_DIR``), in chunks of two
    rows, its S3 client on the local server."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MODEL_DIR", str(model_dir))
        patch.setenv("BATCH_CHUNK_ROWS", "2")
        for name, value in local_s3.client_environment().items():
            patch.setenv(name, value)
        path = ROOT / "tools" / "baseline" / "pandas_batch_app.py"
        spec = importlib.util.spec_from_file_location("pandas_batch_app", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def pandas_app(baseline_dir, local_s3) -> ModuleType:
    """Serving the fixture Iris forest's pickle."""
    return import_pandas_app(baseline_dir, local_s3)


@pytest.fixture(scope="module")
def fares_app(local_s3, tmp_path_factory) -> ModuleType:
    """Serving the typed fares regressor's pickle: a DataFrame pipeline with string columns."""
    fares = typed_regressor()
    model_dir = tmp_path_factory.mktemp("fares")
    shutil.copyfile(fares.model_dir / "model.json", model_dir / "model.json")
    shutil.copyfile(fares.model_dir.parent / "model.pkl", model_dir / "model.pkl")
    return import_pandas_app(model_dir, local_s3)


def test_scores_the_file_chunk_by_chunk_into_one_csv(pandas_app, baseline_dir, s3, bucket):
    card = ModelCard.load(baseline_dir / "model.json")
    s3.put_object(Bucket=bucket, Key="incoming/five.csv", Body=csv_text(card, ROWS).encode())
    summary = pandas_app.handler({"bucket": bucket, "key": "incoming/five.csv"}, None)
    output = f"s3://{bucket}/scored-pandas/incoming/five.csv"
    assert summary == {"written": 5, "output": output}
    assert keys(s3, bucket) == ["incoming/five.csv", "scored-pandas/incoming/five.csv"]
    assert body(s3, output).decode().splitlines() == [
        "id,note,label,probability_setosa,probability_versicolor,probability_virginica",
        "r0,note 0,setosa,1.0,0.0,0.0",
        "r1,note 1,versicolor,0.0,0.99,0.01",
        "r2,note 2,virginica,0.0,0.0,1.0",
        "r3,note 3,virginica,0.0,0.062,0.938",
        "r4,note 4,setosa,1.0,0.0,0.0",
    ]


def test_a_dataframe_regressor_takes_the_frame_with_missing_values_and_answers_its_value(
    fares_app, s3, bucket
):
    text = (
        "trip,vehicle,hour,weather,distance\n"
        "t1,sedan,8,rain,12.5\n"
        "t2,van,23,,3.25\n"
        "t3,van,0,snow,\n"
    )
    s3.put_object(Bucket=bucket, Key="trips.csv", Body=text.encode())
    summary = fares_app.handler({"bucket": bucket, "key": "trips.csv"}, None)
    assert summary == {"written": 3, "output": f"s3://{bucket}/scored-pandas/trips.csv"}
    lines = body(s3, summary["output"]).decode().splitlines()
    assert lines[0] == "trip,value"
    assert [line.split(",")[0] for line in lines[1:]] == ["t1", "t2", "t3"]
    frame = pd.DataFrame(
        {
            "distance": [12.5, 3.25, float("nan")],
            "hour": [8.0, 23.0, 0.0],
            "weather": ["rain", float("nan"), "snow"],
            "vehicle": ["sedan", "van", "van"],
        }
    )
    expected = typed_regressor().estimator.predict(frame).tolist()
    assert [float(line.split(",")[1]) for line in lines[1:]] == expected
