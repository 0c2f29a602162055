"""The CloudWatch metrics in the request log line (``onnx_serving.metrics``).

Every request's line is valid EMF (``tests/emf_schema.json``, written from the specification)
and its counts are what the answer says: per-class counts sum to the rows answered, out-of-range
counts match the answers' ``out_of_range``, errors are counted by type. The same checks run
through the real runtime client in tests/integration/test_metrics_runtime.py.
"""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from dataclasses import replace

import numpy as np
import pytest
from conftest import event_names, load_event
from emf_support import declared, emf_problems, line_problems
from fixture_models import typed_card

from onnx_serving.answers import answer_from, predicted
from onnx_serving.card import Column
from onnx_serving.metrics import (
    BIN_EXCESS_SLOTS,
    CLASS_MIX_SLOTS,
    DEFAULT_NAMESPACE,
    METRICS_PER_DIRECTIVE,
    RequestMetrics,
    bin_metric_names,
    class_mix_slots,
    metric_names,
    namespace_from_env,
)
from onnx_serving.rows import RowPositions, to_columns
from tools.reliability.corpus import load_cases


def requests(card) -> list[object]:
    """Sample events, the golden rows, a batch half outside the training range, hostile cases."""
    golden = [row["features"] for row in card.golden_rows]
    beyond = [
        [
            hi + 1.0 if i % 2 else lo
            for i, (lo, hi) in enumerate(zip(*card.row_bounds(), strict=True))
        ],
        [lo - 1.0 for lo in card.feature_min],
        golden[0],
    ]
    events = [load_event(name) for name in event_names()]
    hostile = [json.loads(case.raw) for case in load_cases() if case.status is not None]
    return [*events, {"instances": golden}, {"instances": beyond}, *hostile]


def test_every_request_line_is_emf_and_counts_its_answer(app, context):
    problems = {}
    lines_per_request = set()
    for number, event in enumerate(requests(app.MODEL.card)):
        log = io.StringIO()
        with redirect_stdout(log):
            answer = app.handler(event, context)
        lines = log.getvalue().splitlines()
        lines_per_request.add(len(lines))
        problems[number] = line_problems(lines[0], answer)
    assert lines_per_request == {1}
    assert {number: found for number, found in problems.items() if found} == {}


def test_a_fault_is_a_server_error_by_type(app, context, monkeypatch, capsys):
    def explode(_rows):
        raise RuntimeError("backend failure")

    monkeypatch.setattr(app.MODEL, "predict", explode)
    answer = app.handler({"features": [5.1, 3.5, 1.4, 0.2]}, context)
    record = json.loads(capsys.readouterr().out)
    assert line_problems(json.dumps(record), answer) == []
    assert (record["server_errors"], record["client_errors"], record["error_type"]) == (
        1,
        0,
        "InternalError",
    )


def labelled(card, labels):
    """An answer of ``labels``, each with certainty, without training ranges."""
    probabilities = [[float(c == label) for c in card.classes] for label in labels]
    outputs = [np.array(labels, dtype=object), np.reshape(probabilities, (-1, len(card.classes)))]
    return answer_from(card, outputs)


def setosa_answer(card):
    """One row answered setosa with certainty, inside the training range."""
    return answer_from(card, [np.array(["setosa"]), np.array([[1.0, 0.0, 0.0]])], [[]])


def one_row_record(status: int = 200) -> dict:
    return {"event": "http-api", "status": status, "rows": int(status == 200), "latency_ms": 0.5}


def test_the_first_line_of_an_environment_marks_the_cold_start_with_init_time(app):
    metrics = RequestMetrics(app.MODEL.card, "onnx-lambda/test", 187.25)
    first = json.loads(metrics.line(one_row_record(), setosa_answer(app.MODEL.card)))
    second = json.loads(metrics.line(one_row_record(), setosa_answer(app.MODEL.card)))
    timestamp = first["_aws"].pop("Timestamp")
    assert isinstance(timestamp, int)
    health = [
        {"Name": "rows"},
        {"Name": "client_errors"},
        {"Name": "server_errors"},
        {"Name": "out_of_range_rows"},
        {"Name": "latency_ms", "Unit": "Milliseconds"},
    ]
    assert first == {
        "event": "http-api",
        "status": 200,
        "rows": 1,
        "latency_ms": 0.5,
        "model": "iris-random-forest",
        "model_version": "1",
        "client_errors": 0,
        "server_errors": 0,
        "out_of_range_rows": 0,
        "cold_start": 1,
        "init_ms": 187.25,
        "predicted:setosa": 1,
        "training_share:setosa": 0.333333,
        "training_share:versicolor": 0.333333,
        "training_share:virginica": 0.333333,
        "class_mix_excess:#0": 0.6667,
        "class_mix_excess:#1": -0.3333,
        "class_mix_excess:#2": -0.3333,
        "_aws": {
            "CloudWatchMetrics": [
                {
                    "Namespace": "onnx-lambda/test",
                    "Dimensions": [[], ["model", "model_version", "event"]],
                    "Metrics": [
                        *health,
                        {"Name": "cold_start"},
                        {"Name": "init_ms", "Unit": "Milliseconds"},
                    ],
                },
                {"Namespace": "onnx-lambda/test", "Dimensions": [[]], "Metrics": CLASS_MIX},
                {
                    "Namespace": "onnx-lambda/test",
                    "Dimensions": [["model", "model_version"]],
                    "Metrics": [
                        {"Name": "predicted:setosa"},
                        {"Name": "training_share:setosa"},
                        {"Name": "training_share:versicolor"},
                        {"Name": "training_share:virginica"},
                    ],
                },
            ]
        },
    }
    assert not {"cold_start", "init_ms", "training_share:setosa"} & set(second)
    assert second["_aws"]["CloudWatchMetrics"][0]["Metrics"] == health
    assert second["_aws"]["CloudWatchMetrics"][1]["Metrics"] == CLASS_MIX


CLASS_MIX = [{"Name": f"class_mix_excess:#{slot}"} for slot in range(3)]


def total_variation(lines: list[dict], slots: int) -> float:
    """The drift alarm's metric math over the lines' sums: half the absolute excess per row."""
    rows = sum(line["rows"] for line in lines)
    excess = [sum(line.get(f"class_mix_excess:#{s}", 0.0) for line in lines) for s in range(slots)]
    return sum(abs(value) for value in excess) / (2 * rows)


def test_the_class_mix_excess_sums_to_the_distance_between_live_and_training_mixes(app):
    """Summed over lines of any sizes, the excess gives the window's total variation distance:
    training's shares are a third each, the window predicts 6 setosa, 3 versicolor, 1 virginica.
    """
    card = app.MODEL.card
    metrics = RequestMetrics(card, DEFAULT_NAMESPACE, 1.0)
    batches = [["setosa"] * 3 + ["versicolor"], ["setosa"], ["setosa", "virginica"], []]
    batches += [["versicolor", "versicolor", "setosa"]]
    lines = [
        json.loads(metrics.line({**one_row_record(), "rows": len(b)}, labelled(card, b)))
        for b in batches
    ]
    assert [emf_problems(line) for line in lines] == [[]] * 5
    assert "class_mix_excess:#0" not in lines[3]
    assert lines[0]["class_mix_excess:#0"] == round(3 - 4 * 0.333333, 4)
    live = [0.6, 0.3, 0.1]
    expected = sum(abs(share - 0.333333) for share in live) / 2
    assert total_variation(lines, 3) == pytest.approx(expected, abs=1e-4)


def test_class_mix_slots_rank_by_training_share_and_merge_the_smallest():
    shares = {"a": 0.1, "b": 0.5, "c": 0.4}
    assert class_mix_slots(["a", "b", "c"], shares) == [["b"], ["c"], ["a"]]
    many = {f"k{i}": (20 - i) / 210 for i in range(20)}
    slots = class_mix_slots(list(reversed(many)), many)
    assert len(slots) == CLASS_MIX_SLOTS
    assert slots[:7] == [[f"k{i}"] for i in range(7)]
    assert slots[7] == [f"k{i}" for i in range(7, 20)]


def test_a_card_without_class_shares_writes_no_class_mix(app):
    card = replace(app.MODEL.card, class_shares=None)
    line = json.loads(
        RequestMetrics(card, DEFAULT_NAMESPACE, 1.0).line(
            one_row_record(), labelled(card, ["setosa"])
        )
    )
    assert not [key for key in line if key.startswith("class_mix_excess")]
    assert all(d["Dimensions"] != [[]] for d in line["_aws"]["CloudWatchMetrics"])


def test_errors_are_published_by_type_and_no_prediction_is_counted(app):
    metrics = RequestMetrics(app.MODEL.card, DEFAULT_NAMESPACE, 1.0)
    record = json.loads(
        metrics.line({**one_row_record(413), "error_type": "PayloadTooLarge"}, None)
    )
    assert emf_problems(record) == []
    assert declared(record) == {
        "rows": {(), ("model", "model_version", "event")},
        "client_errors": {
            (),
            ("model", "model_version", "event"),
            ("model", "model_version", "error_type"),
        },
        "server_errors": {(), ("model", "model_version", "event")},
        "out_of_range_rows": {(), ("model", "model_version", "event")},
        "latency_ms": {(), ("model", "model_version", "event")},
        "cold_start": {(), ("model", "model_version", "event")},
        "init_ms": {(), ("model", "model_version", "event")},
        "training_share:setosa": {("model", "model_version")},
        "training_share:versicolor": {("model", "model_version")},
        "training_share:virginica": {("model", "model_version")},
    }
    assert (record["client_errors"], record["server_errors"], record["rows"]) == (1, 0, 0)


def answered(app, rows):
    """The answer the served model gives ``rows``, with its per-bin counts."""
    card = app.MODEL.card
    columns = to_columns(rows, RowPositions(len(rows)), card)
    return predicted(app.MODEL, columns, bins=app.METRICS.bins)


SETOSA_ROW = [5.1, 3.5, 1.4, 0.2]


def test_a_line_counts_each_feature_bin_and_the_pooled_excess(app):
    """The demo card's training deciles put 5.1 in sepal_length's third bin, 3.5 in
    sepal_width's ninth, 1.4 in petal_length's first, 0.2 in petal_width's first."""
    card = app.MODEL.card
    metrics = RequestMetrics(card, DEFAULT_NAMESPACE, 1.0)
    metrics.line(one_row_record(), setosa_answer(card))
    record = json.loads(metrics.line(one_row_record(), answered(app, [SETOSA_ROW])))
    assert emf_problems(record) == []
    assert {key: value for key, value in record.items() if key.startswith("bin:")} == {
        "bin:sepal_length#2": 1,
        "bin:sepal_width#8": 1,
        "bin:petal_length#0": 1,
        "bin:petal_width#0": 1,
    }
    in_bin = {"sepal_length": 2, "sepal_width": 8, "petal_length": 0, "petal_width": 0}
    bins = card.feature_bins
    expected = [
        round(
            sum(
                float(in_bin[name] == position) - (bins[name]["shares"] + [0.0] * 10)[position]
                for name in in_bin
            )
            / 4,
            4,
        )
        for position in range(BIN_EXCESS_SLOTS)
    ]
    # Equal up to the 4-decimal rounding (the sums are taken in another order).
    excess = [record[f"bin_excess:#{k}"] for k in range(BIN_EXCESS_SLOTS)]
    assert excess == pytest.approx(expected, abs=1e-4)
    assert excess == [0.35, -0.1021, 0.1542, -0.0875, -0.1167, -0.1, -0.0917, -0.0875, 0.1562]
    assert declared(record)["bin:petal_width#0"] == {("model", "model_version")}
    assert declared(record)["bin_excess:#8"] == {()}


def test_rows_are_counted_per_bin_only_for_the_metrics(app):
    """The counts serve the metrics alone: ``predicted`` without the metrics' counter counts
    nothing; with it, the setosa row in one bin of each feature (petal_width has nine)."""
    card = app.MODEL.card
    columns = to_columns([SETOSA_ROW], RowPositions(1), card)
    assert predicted(app.MODEL, columns).unusual.bins == {}
    assert predicted(app.MODEL, columns, bins=app.METRICS.bins).unusual.bins == {
        "sepal_length": [0, 0, 1, 0, 0, 0, 0, 0, 0, 0],
        "sepal_width": [0, 0, 0, 0, 0, 0, 0, 0, 1, 0],
        "petal_length": [1, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        "petal_width": [1, 0, 0, 0, 0, 0, 0, 0, 0],
    }


def test_a_batch_of_one_row_counts_its_bins_and_excess_as_many_times(app):
    """Twenty setosa rows (counted with ``searchsorted``, where one row is bisected): twenty in
    each of the row's bins, each excess twenty times the one-row line's before rounding."""
    card = app.MODEL.card
    metrics = RequestMetrics(card, DEFAULT_NAMESPACE, 1.0)
    metrics.line(one_row_record(), None)
    record = json.loads(
        metrics.line({**one_row_record(), "rows": 20}, answered(app, [SETOSA_ROW] * 20))
    )
    assert {key: value for key, value in record.items() if key.startswith("bin:")} == {
        "bin:sepal_length#2": 20,
        "bin:sepal_width#8": 20,
        "bin:petal_length#0": 20,
        "bin:petal_width#0": 20,
    }
    excess = [record[f"bin_excess:#{k}"] for k in range(BIN_EXCESS_SLOTS)]
    assert excess == [7.0, -2.0417, 3.0833, -1.75, -2.3333, -2.0, -1.8333, -1.75, 3.125]


def pooled_distance(lines: list[dict]) -> float:
    """The input drift alarm's metric math over the lines' sums: the last position is minus the
    sum of the others; half the absolute excess per row."""
    rows = sum(line["rows"] for line in lines)
    excess = [
        sum(line.get(f"bin_excess:#{k}", 0.0) for line in lines) for k in range(BIN_EXCESS_SLOTS)
    ]
    return (sum(abs(value) for value in excess) + abs(sum(excess))) / (2 * rows)


def test_the_bin_excess_sums_to_the_distance_between_pooled_live_and_training_bins(app):
    """Over lines of any sizes, the summed excesses give the total variation distance between
    the window's bin positions, pooled over the features, and training's, computed here from the
    rows' own per-bin counts."""
    card = app.MODEL.card
    metrics = RequestMetrics(card, DEFAULT_NAMESPACE, 1.0)
    low, high = card.row_bounds()
    middle = [(lo + hi) / 2 for lo, hi in zip(low, high, strict=True)]
    batches = [[SETOSA_ROW] * 3 + [middle], [high], [], [low, middle, SETOSA_ROW]]
    answers = [answered(app, batch) for batch in batches]
    lines = [
        json.loads(metrics.line({**one_row_record(), "rows": len(batch)}, answer))
        for batch, answer in zip(batches, answers, strict=True)
    ]
    assert [emf_problems(line) for line in lines] == [[]] * 4
    assert not [key for key in lines[2] if key.startswith("bin")]
    rows = sum(len(batch) for batch in batches)
    live = [0.0] * 10
    training = [0.0] * 10
    for name, described in card.feature_bins.items():
        counts = [sum(c) for c in zip(*(a.unusual.bins[name] for a in answers), strict=True)]
        assert sum(counts) == rows
        for position, (count, share) in enumerate(zip(counts, described["shares"], strict=True)):
            live[position] += count / rows / 4
            training[position] += share / 4
    expected = sum(abs(a - b) for a, b in zip(live, training, strict=True)) / 2
    assert pooled_distance(lines) == pytest.approx(expected, abs=1e-4)


def test_a_feature_missing_in_some_rows_is_compared_with_the_rows_holding_it():
    """A regressor over typed columns: 2 rows, distance missing in one (training's shares .25,
    .5, .25), weather "dry" and "rain" (.6, .3, and .1 for the others)."""
    card = typed_card(
        feature_bins={
            "distance": {"edges": [2.0, 10.0], "shares": [0.25, 0.5, 0.25]},
            "weather": {"categories": ["dry", "rain"], "shares": [0.6, 0.3, 0.1]},
        }
    )
    bins = {"distance": [1, 0, 0], "weather": [1, 1, 0]}
    answer = answer_from(card, [np.array([1.0, 2.0])], None, {"distance": 1}, {}, bins)
    metrics = RequestMetrics(card, DEFAULT_NAMESPACE, 1.0)
    metrics.line(one_row_record(), None)
    record = json.loads(metrics.line({**one_row_record(), "rows": 2}, answer))
    assert emf_problems(record) == []
    excess = [record[f"bin_excess:#{k}"] for k in range(BIN_EXCESS_SLOTS)]
    assert excess == [0.275, -0.05, -0.225] + [0.0] * 6
    assert record["_aws"]["CloudWatchMetrics"][1]["Metrics"] == [
        {"Name": f"bin_excess:#{k}"} for k in range(BIN_EXCESS_SLOTS)
    ]
    assert (record["bin:distance#0"], record["bin:weather#0"], record["bin:weather#1"]) == (1, 1, 1)


def test_a_card_without_feature_bins_writes_no_bin_members(app):
    card = replace(app.MODEL.card, feature_bins=None)
    metrics = RequestMetrics(card, DEFAULT_NAMESPACE, 1.0)
    answer = answer_from(card, [np.array(["setosa"]), np.array([[1.0, 0.0, 0.0]])], [[]])
    line = json.loads(metrics.line(one_row_record(), answer))
    assert not [key for key in line if key.startswith("bin")]
    assert line["_aws"]["CloudWatchMetrics"][1]["Metrics"] == CLASS_MIX


def test_bin_names_too_long_for_cloudwatch_take_the_feature_position(app):
    card = app.MODEL.card
    long = "x" * 252
    bins = {long: card.feature_bins["petal_width"], "sepal_length": {"edges": [], "shares": [1.0]}}
    columns = [*card.columns[:3], Column(long, min=0.1, max=2.5)]
    golden = [row | {"features": row["features"]} for row in card.golden_rows]
    renamed = replace(card, columns=columns, feature_bins=bins, golden_rows=golden)
    count = len(bins[long]["shares"])
    assert bin_metric_names(renamed) == {
        "sepal_length": ["bin:sepal_length#0"],
        long: [f"bin:#3#{k}" for k in range(count)],
    }


def wide_card(card, features: int, classes: int):
    """``card`` with many features and classes, consistent enough to be a valid card."""
    names = [f"f{i}" for i in range(features)]
    labels = [f"class-{i}" for i in range(classes)]
    golden = {
        "features": [0.5] * features,
        "label": labels[0],
        "probabilities": {label: float(label == labels[0]) for label in labels},
    }
    return replace(
        card,
        columns=[Column(name, min=0.0, max=1.0) for name in names],
        classes=labels,
        golden_rows=[golden],
        class_shares=None,
        feature_bins=None,
    )


def test_many_counts_spread_over_directives_of_at_most_100_metrics(app):
    card = wide_card(app.MODEL.card, features=150, classes=60)
    request = {"event": "direct", "status": 200, "rows": 60, "latency_ms": 3.0}
    outside = [list(card.feature_names)] * 60
    metrics = RequestMetrics(card, DEFAULT_NAMESPACE, 1.0)
    probabilities = np.eye(len(card.classes))
    answer = answer_from(card, [np.array(card.classes), probabilities], outside)
    record = json.loads(metrics.line(request, answer))
    directives = record["_aws"]["CloudWatchMetrics"]
    assert [len(d["Metrics"]) for d in directives] == [7, METRICS_PER_DIRECTIVE, 100, 10]
    assert emf_problems(record) == []
    assert record["out_of_range_rows"] == 60
    assert {record[f"predicted:class-{i}"] for i in range(60)} == {1}
    assert {record[f"out_of_range:f{i}"] for i in range(150)} == {60}


def test_names_longer_than_cloudwatch_takes_are_replaced_by_their_position():
    long = "x" * (255 - len("predicted:"))
    assert metric_names("predicted:", ["setosa", long, long + "y"]) == {
        "setosa": "predicted:setosa",
        long: "predicted:" + long,
        long + "y": "predicted:#2",
    }


@pytest.mark.parametrize(
    ("env", "namespace"),
    [
        ({}, "onnx-lambda"),
        ({"METRICS_NAMESPACE": ""}, "onnx-lambda"),
        ({"METRICS_NAMESPACE": "onnx-lambda/prod"}, "onnx-lambda/prod"),
    ],
)
def test_the_namespace_comes_from_the_environment(env, namespace):
    assert namespace_from_env(env) == namespace
