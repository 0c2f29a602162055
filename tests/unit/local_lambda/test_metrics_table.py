"""The metric table ``make metrics LOG=...`` prints, on a crafted log with known values."""

from __future__ import annotations

import json

from tools.local_lambda.metrics_table import (
    MetricRow,
    drift_distances,
    main,
    metric_rows,
    records,
)


def line(latency: float, rows: int, extra: dict | None = None, label: str = "a") -> str:
    """A request line as the function writes it, two metrics and a per-class count."""
    record = {
        "request_id": "r",
        "event": "direct",
        "model": "m",
        "model_version": "2",
        "rows": rows,
        "latency_ms": latency,
        f"predicted:{label}": rows,
        **(extra or {}),
        "_aws": {
            "Timestamp": 1,
            "CloudWatchMetrics": [
                {
                    "Namespace": "ns",
                    "Dimensions": [[], ["model", "model_version", "event"]],
                    "Metrics": [{"Name": "rows"}, {"Name": "latency_ms", "Unit": "Milliseconds"}],
                },
                {
                    "Namespace": "ns",
                    "Dimensions": [["model", "model_version"]],
                    "Metrics": [{"Name": f"predicted:{label}"}],
                },
            ],
        },
    }
    return json.dumps(record)


LOG = [
    "START RequestId: r Version: $LATEST",
    line(4.0, 3),
    '{"level": "INFO", "event": "init"}',
    line(1.0, 1, {"event": "http-api"}),
    line(2.0, 2, label="b"),
    line(100.0, 1),
    "not json {",
]
WHOLE = (("model", "m"), ("model_version", "2"))
DIRECT = (*WHOLE, ("event", "direct"))


def test_every_metric_and_dimension_set_gets_its_values():
    rows = metric_rows(records(LOG))
    assert rows == [
        MetricRow("ns", "rows", (), "None", (3, 1, 2, 1)),
        MetricRow("ns", "latency_ms", (), "Milliseconds", (4.0, 1.0, 2.0, 100.0)),
        MetricRow("ns", "rows", DIRECT, "None", (3, 2, 1)),
        MetricRow("ns", "latency_ms", DIRECT, "Milliseconds", (4.0, 2.0, 100.0)),
        MetricRow("ns", "predicted:a", WHOLE, "None", (3, 1, 1)),
        MetricRow("ns", "rows", (*WHOLE, ("event", "http-api")), "None", (1,)),
        MetricRow("ns", "latency_ms", (*WHOLE, ("event", "http-api")), "Milliseconds", (1.0,)),
        MetricRow("ns", "predicted:b", WHOLE, "None", (2,)),
    ]


def test_percentiles_are_nearest_rank():
    row = MetricRow("ns", "latency_ms", (), "Milliseconds", tuple(float(v) for v in range(1, 201)))
    assert (row.percentile(50), row.percentile(99), row.percentile(100)) == (100.0, 198.0, 200.0)
    assert MetricRow("ns", "x", (), "None", (7.0,)).percentile(99) == 7.0


def test_the_table_as_printed(tmp_path, capsys):
    log = tmp_path / "function.log"
    log.write_text("\n".join(LOG[:2] + LOG[4:6]) + "\n")
    assert main([str(log)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "namespace ns",
        "metric       dimensions                              unit          samples  sum  average"
        "  min  max  p50  p99",
        "rows         -                                       None          3        6    2      "
        "  1    3    2    3",
        "latency_ms   -                                       Milliseconds  3        106  35.3333"
        "  2    100  4    100",
        "rows         model=m, model_version=2, event=direct  None          3        6    2      "
        "  1    3    2    3",
        "latency_ms   model=m, model_version=2, event=direct  Milliseconds  3        106  35.3333"
        "  2    100  4    100",
        "predicted:a  model=m, model_version=2                None          2        4    2      "
        "  1    3    1    3",
        "predicted:b  model=m, model_version=2                None          1        2    2      "
        "  2    2    2    2",
    ]


def test_a_log_without_metrics_says_so(tmp_path, capsys):
    log = tmp_path / "function.log"
    log.write_text("\n".join([LOG[0], LOG[2], LOG[6]]) + "\n")
    assert main([str(log)]) == 0
    assert capsys.readouterr().out == "no EMF lines\n"


def mix_line(rows: int, excess: dict[str, float]) -> str:
    """A line carrying dimensionless excess metrics beside ``rows``."""
    record = {
        "rows": rows,
        **excess,
        "_aws": {
            "Timestamp": 1,
            "CloudWatchMetrics": [
                {
                    "Namespace": "ns",
                    "Dimensions": [[]],
                    "Metrics": [{"Name": name} for name in ["rows", *excess]],
                }
            ],
        },
    }
    return json.dumps(record)


def test_the_drift_distances_are_the_alarms_over_the_whole_log(tmp_path, capsys):
    """Training: two classes half each, bins a tenth per position. 400 rows: 300 predicted in
    the first class (distance 25 %), every row in the first bin position (distance 90 %)."""
    lines = [
        mix_line(
            100,
            {
                "class_mix_excess:#0": 25.0,
                "class_mix_excess:#1": -25.0,
                "bin_excess:#0": 90.0,
                **{f"bin_excess:#{k}": -10.0 for k in range(1, 9)},
            },
        )
    ] * 4
    rows = metric_rows(records(lines))
    assert drift_distances(rows) == [
        "ns: class mix distance from training 25.00 % over 400 rows",
        "ns: input mix distance from training 90.00 % over 400 rows",
    ]
    assert drift_distances(metric_rows(records(LOG))) == []
    log = tmp_path / "function.log"
    log.write_text("\n".join(lines) + "\n")
    assert main([str(log)]) == 0
    assert capsys.readouterr().out.splitlines()[-2:] == drift_distances(rows)
