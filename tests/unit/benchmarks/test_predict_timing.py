"""The in-process predict timing takes any converted model, a Pipeline included."""

from __future__ import annotations

from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from convert.export import export_onnx
from tools.benchmarks.predict_timing import predict_seconds


def test_a_pipeline_is_timed_with_one_job_for_its_forest():
    x, y = load_iris(return_X_y=True)
    pipeline = make_pipeline(StandardScaler(), RandomForestClassifier(5, n_jobs=2, random_state=0))
    pipeline.fit(x, y)
    samples = predict_seconds({"onnx": export_onnx(pipeline, 4)}, pipeline, x[:10], repeats=5)
    assert {name: len(times) for name, times in samples.items()} == {"onnx": 5, "scikit-learn": 5}
    assert all(t > 0 for times in samples.values() for t in times)
    assert pipeline.get_params()["randomforestclassifier__n_jobs"] == 1
