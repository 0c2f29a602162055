"""`python -m tools.local_lambda.metrics_table LOG`: the metrics CloudWatch extracts from a log.

The function's request lines carry their metrics in the Embedded Metric Format
(``onnx_serving.metrics``); CloudWatch Logs turns each directive into one data point per metric
and dimension set. This reads a log as ``make serve`` or ``make invoke`` writes it (other lines,
the runtime client's among them, are skipped), does the same, and prints one row per metric and
set of dimension values with the statistics the console offers: sample count, sum, average,
minimum, maximum, p50 and p99. So the signals can be read, and tested, with no AWS account.

Percentiles are nearest-rank over the exact values: CloudWatch estimates them from its own
buckets, so its figures may differ slightly on large samples.

After the tables come the two drift distances the template's alarms compute, over the whole
log instead of an hour (and without the alarms' 200-row floor): the class mix's and the input
mix's total variation distance from training, each from the sums of its dimensionless
``*_excess`` metrics and of ``rows``, as the alarms' metric math does.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from onnx_serving.metrics import BIN_EXCESS_PREFIX, CLASS_MIX_PREFIX

PERCENTILES = (50, 99)


@dataclass(frozen=True)
class MetricRow:
    """The statistics of one metric under one set of dimension values."""

    namespace: str
    metric: str
    dimensions: tuple[tuple[str, str], ...]
    unit: str
    values: tuple[float, ...]

    @property
    def total(self) -> float:
        return sum(self.values)

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile: the smallest value with at least p % of values at or below."""
        ordered = sorted(self.values)
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]

    def cells(self) -> list[str]:
        """The row as the table prints it."""
        dimensions = ", ".join(f"{name}={value}" for name, value in self.dimensions) or "-"
        count = len(self.values)
        stats = [self.total, self.total / count, min(self.values), max(self.values)]
        stats += [self.percentile(p) for p in PERCENTILES]
        return [self.metric, dimensions, self.unit, str(count), *map(_number, stats)]


def _number(value: float) -> str:
    return f"{value:.6g}"


def records(lines: Iterable[str]) -> list[dict[str, Any]]:
    """The lines that are EMF documents, parsed; anything else is skipped."""
    found = []
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and isinstance(record.get("_aws"), dict):
            found.append(record)
    return found


def metric_rows(documents: Iterable[dict[str, Any]]) -> list[MetricRow]:
    """One row per (namespace, metric, dimension values), in the order first seen."""
    values: dict[tuple[str, str, tuple[tuple[str, str], ...]], list[float]] = {}
    units: dict[tuple[str, str, tuple[tuple[str, str], ...]], str] = {}
    for record in documents:
        for directive in record["_aws"]["CloudWatchMetrics"]:
            for dimension_set in directive["Dimensions"]:
                dimensions = tuple((name, record[name]) for name in dimension_set)
                for definition in directive["Metrics"]:
                    key = (directive["Namespace"], definition["Name"], dimensions)
                    value = record[definition["Name"]]
                    values.setdefault(key, []).extend(value if isinstance(value, list) else [value])
                    units[key] = definition.get("Unit", "None")
    return [MetricRow(*key, units[key], tuple(found)) for key, found in values.items()]


HEADER = ["metric", "dimensions", "unit", "samples", "sum", "average", "min", "max", "p50", "p99"]


def render(rows: list[MetricRow]) -> str:
    """A plain-text table per namespace, columns aligned."""
    blocks = []
    for namespace in dict.fromkeys(row.namespace for row in rows):
        table = [HEADER, *(row.cells() for row in rows if row.namespace == namespace)]
        widths = [max(len(cells[i]) for cells in table) for i in range(len(HEADER))]
        lines = [
            "  ".join(cell.ljust(w) for cell, w in zip(cells, widths, strict=True)).rstrip()
            for cells in table
        ]
        blocks.append("\n".join([f"namespace {namespace}", *lines]))
    return "\n\n".join(blocks) + "\n" if blocks else "no EMF lines\n"


DRIFTS = (
    ("class mix", CLASS_MIX_PREFIX, False),
    # The input mix leaves out its last bin position, minus the sum of the others.
    ("input mix", BIN_EXCESS_PREFIX, True),
)


def drift_distances(rows: list[MetricRow]) -> list[str]:
    """Per namespace and drift with excess metrics in the log, its distance from training (%)."""
    found = []
    for namespace in dict.fromkeys(row.namespace for row in rows):
        sums = {
            row.metric: row.total
            for row in rows
            if row.namespace == namespace and not row.dimensions
        }
        answered = sums.get("rows", 0)
        for name, prefix, implied_last in DRIFTS:
            excess = [total for metric, total in sums.items() if metric.startswith(prefix)]
            if not excess or not answered:
                continue
            absolute = sum(map(abs, excess)) + (abs(sum(excess)) if implied_last else 0.0)
            distance = 50 * absolute / answered
            found.append(
                f"{namespace}: {name} distance from training {distance:.2f} % "
                f"over {_number(answered)} rows"
            )
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log", type=Path, help="a log file of the function's lines")
    args = parser.parse_args(argv)
    with args.log.open(encoding="utf-8", errors="replace") as log:
        rows = metric_rows(records(log))
    sys.stdout.write(render(rows))
    distances = drift_distances(rows)
    if distances:
        sys.stdout.write("\n" + "\n".join(distances) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
