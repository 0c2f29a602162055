"""CloudWatch metrics of each batch job, in the one log line the batch function writes for it.

The same Embedded Metric Format as the online function's request lines (``onnx_serving.metrics``
says why: no API call, CloudWatch extracts the metrics from the line), in a namespace of their
own, ``<the stack's namespace>/batch``: the online function's ``rows`` feed its alarms' rates,
and a batch file of a million rows must not move them.

A job's line already holds ``rows`` (rows read), ``rejected`` (rows refused with a reason) and
``seconds`` (the time spent on the job); they are metrics as they are. Added: ``model`` and
``model_version`` (the card's, the only dimensions: never anything from the event or the file),
``refused_files`` (1 when the whole file was refused, so the average is the share of files
refused) and, for a scored file that took any time, ``rows_per_second``. The sample count of
``rows`` is the number of jobs. docs/observability.md lists them with the dashboard's widgets.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from ..card import ModelCard
from ..metrics import COMPACT, DIMENSION_VALUE_CHARS, namespace_from_env
from .manifest import SCORED

NAMESPACE_SUFFIX = "/batch"
DIMENSIONS = [[], ["model", "model_version"]]
# (name, unit): counts carry no unit, as in the request lines.
JOB_METRICS = (
    ("rows", None),
    ("rejected", None),
    ("refused_files", None),
    ("seconds", "Seconds"),
)
THROUGHPUT = ("rows_per_second", "Count/Second")


def batch_namespace(env: Mapping[str, str]) -> str:
    """The stack's metrics namespace (``METRICS_NAMESPACE``) with ``/batch`` appended."""
    return namespace_from_env(env) + NAMESPACE_SUFFIX


class JobMetrics:
    """The EMF members of one model's job lines; the directives are JSON text made once."""

    def __init__(self, card: ModelCard, namespace: str) -> None:
        self._dimension_values = {
            "model": card.name[:DIMENSION_VALUE_CHARS],
            "model_version": card.version[:DIMENSION_VALUE_CHARS],
        }
        self._directive = {
            with_throughput: json.dumps(
                {
                    "Namespace": namespace,
                    "Dimensions": DIMENSIONS,
                    "Metrics": [
                        {"Name": name, "Unit": unit} if unit else {"Name": name}
                        for name, unit in JOB_METRICS + ((THROUGHPUT,) if with_throughput else ())
                    ],
                },
                separators=COMPACT,
            )
            for with_throughput in (False, True)
        }

    def line(self, record: dict[str, Any]) -> str:
        """``record`` (a job's ``status``, ``rows``, ``rejected`` and ``seconds``) with the
        metrics, as one line of compact JSON (``_aws`` last)."""
        record.update(self._dimension_values)
        record["refused_files"] = int(record["status"] != SCORED)
        timed = record["status"] == SCORED and record["seconds"] > 0
        if timed:
            record["rows_per_second"] = round(record["rows"] / record["seconds"], 1)
        aws = (
            f'{{"Timestamp":{int(time.time() * 1000)},'
            f'"CloudWatchMetrics":[{self._directive[timed]}]}}'
        )
        return json.dumps(record, separators=COMPACT)[:-1] + ',"_aws":' + aws + "}"
