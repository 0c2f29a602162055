"""Which columns may be missing: those where scikit-learn answers and ONNX agrees.

A model made for missing values (an imputer, HistGradientBoosting's own handling, the encoders'
treatment of an unseen value) answers a row with a missing value; others raise. And where
scikit-learn answers, onnxruntime may still answer otherwise (it never refuses NaN: sklearn-onnx
#1253). So each column is probed: rows with that column missing go to both, and the column may
be missing only if scikit-learn answers every one and ONNX agrees within the tolerance. The
rows that pass stay among the check rows, so parity covers them too.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from sklearn.base import is_classifier

from convert.check_rows import CheckRows
from convert.parity import onnx_answers, onnx_session, reference_answers, row_gaps
from convert.schema import InputSchema
from convert.servable import describe_estimator, first_line
from onnx_serving.card import PROBABILITY_TOLERANCE, VALUE_TOLERANCE

# Rows probed per column: enough to reach both sides of the model's decisions.
PROBE_ROWS = 200


def probe_missing(
    estimator: object, model_bytes: bytes, schema: InputSchema, base: CheckRows
) -> tuple[InputSchema, CheckRows]:
    """``schema`` with ``missing`` set per column, and the probe rows of the columns that may
    be missing (to check parity on). ``base`` holds rows with no missing value."""
    session = onnx_session(model_bytes)
    classifier = is_classifier(estimator)
    tolerance = PROBABILITY_TOLERANCE if classifier else VALUE_TOLERANCE
    probe_base = base.take(np.arange(min(PROBE_ROWS, len(base))))
    columns = []
    kept: CheckRows | None = None
    for j, column in enumerate(schema.columns):
        probe = probe_base.with_missing(j)
        allowed = _agrees(estimator, session, schema, probe, classifier, tolerance)
        columns.append(replace(column, missing=allowed))
        if allowed:
            kept = probe if kept is None else kept.then(probe)
    probed = replace(schema, columns=columns)
    return probed, kept if kept is not None else probe_base.take(np.arange(0))


def missing_value_refusal(estimator: object, schema: InputSchema, base: CheckRows, j: int) -> str:
    """Why column ``j`` may not be missing, for sample rows that leave it empty: scikit-learn
    itself does not answer a missing value there, or ONNX answers it otherwise. ``base`` holds
    rows with no missing value, on which the two agree (parity was checked on them first)."""
    name = describe_estimator(estimator)
    column = schema.columns[j].name
    probe = base.take(np.arange(min(PROBE_ROWS, len(base)))).with_missing(j)
    try:
        reference = reference_answers(estimator, probe, schema)
    except (ValueError, TypeError) as exc:
        return (
            f"sample rows leave {column} empty, and {name} does not take a missing value there "
            f"(scikit-learn: {first_line(exc)}): fill it in, or fit the model with an imputer "
            "before it"
        )
    if reference.values is not None and not np.isfinite(reference.values).all():
        return (
            f"sample rows leave {column} empty, and {name} answers a missing value there with "
            "a number that is not finite: fill it in"
        )
    return (
        f"sample rows leave {column} empty, and {name} converted to ONNX answers a missing "
        "value there otherwise than scikit-learn: fill it in"
    )


def _agrees(
    estimator: object,
    session: object,
    schema: InputSchema,
    probe: CheckRows,
    classifier: bool,
    tolerance: float,
) -> bool:
    try:
        reference = reference_answers(estimator, probe, schema).answers
    except (ValueError, TypeError):
        return False
    if not classifier and not np.isfinite(reference.values).all():
        return False
    try:
        ours = onnx_answers(session, probe, schema, classifier)
    except Exception:  # onnxruntime raises its own error types; any of them means no
        return False
    agree = row_gaps(ours, reference) <= tolerance
    if classifier:
        agree &= ours.labels == reference.labels
    return bool(agree.all())
