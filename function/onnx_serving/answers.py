"""The answer to a request: predictions, their size limits, and the HTTP response around them.

**Predictions.** ``predicted`` runs the model on a validated matrix and checks what it answered
against the card: a backend answering outside its card is a fault (500), never a 200 with a wrong
answer. ``PredictionAnswer`` holds labels, rounded probabilities and out-of-range names, built for
the entry point that asked. A direct invoke returns a dict, which the runtime client encodes. An
HTTP entry point returns the body as JSON text, and for a batch that text is most of the
handler's time: ``json.dumps`` of a batch walks one dict per prediction built only to be encoded,
and ``repr`` of every float. ``as_json`` writes the same bytes straight from the rounded numbers:
one ``%``-format per row, every class name encoded once, and each distinct probability printed
once (a forest's probabilities are vote fractions, so a batch holds few distinct values).
``tests/unit/serving/test_answers.py`` pins that it is byte for byte what
``json.dumps(as_dict(), separators=(",", ":"))`` writes; docs/serving.md has the timings.

**Layouts.** The default answer (``rows``) is one object per prediction. A request may ask for
``"layout": "columns"`` instead (``as_columns``): one flat list per field, and per class one list
of its probabilities. For a direct invoke, the runtime client encodes the answer after the
handler returns, and its encoder pays for every container it walks, far more than for the
numbers in them: the rows' dicts, and even one list per row. The columnar answer is a few flat
lists built by ``tolist()`` in C, cheaper both to build and to encode, and smaller
(docs/results.md has the numbers).

**Size limits.** Lambda refuses a synchronous response over 6 MB *after* the function did the
work, and the caller gets ``Function.ResponseSizeTooLarge`` (a 502 over HTTP) instead of an
answer; ALB takes at most 1 MB of response JSON from a Lambda target. The rows of an answer are
all alike: a label, one probability per class, the features outside the training range. So the
largest answer ``n`` rows can have is ``fixed + n * per_row``, where ``per_row`` is a row with the
longest class name as its label, every probability printed at its longest and every feature out
of range. Both are measured exactly by encoding a one-row and a two-row worst case the way the
runtime client will (``json.dumps`` with its separators; ``ensure_ascii`` never makes a name
shorter than UTF-8 does, so the figure is exact for ASCII names and an upper bound otherwise).
``RequestLimits`` meets that with ``MAX_BATCH_ROWS``, the deployer's limit, once at init: a batch
over either is a 413 before any value is converted, with a message naming the limit that applied,
and the body of an HTTP request is bounded by the same number of rows before it is parsed.

**Responses.** Direct invokes get the body itself. API Gateway, Function URLs and ALB get
``statusCode``, headers and the body as a JSON string; ALB also gets a ``statusDescription``, and
in multi-value mode its headers as lists (``multiValueHeaders``), which is the only form it reads
then. Every HTTP answer says ``nosniff`` (a browser must not guess that the JSON is HTML) and
``no-store`` (a prediction for one caller is not a page for a shared cache to hand to another).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from operator import itemgetter
from typing import Any, NamedTuple, Protocol

import numpy as np

from .card import PROBABILITY_DECIMALS, ModelCard, reference
from .events import ALB, DIRECT, KINDS, BodyBounds
from .rows import (
    COLUMNS_LAYOUT,
    LAYOUTS,
    ROWS_LAYOUT,
    BinCounter,
    Columns,
    graph_feed,
    out_of_range,
    unusual_values,
)

COMPACT = (",", ":")
# A regressor's prediction member as a ``%``-template.
VALUE_FIELD = '"value":%s'


class Model(Protocol):
    """What a backend offers: its card, and the graph's outputs for the graph's inputs."""

    card: ModelCard

    def predict(self, feed: dict[str, np.ndarray]) -> list[np.ndarray]:
        """The outputs named by ``card.outputs``, in that order, for ``feed`` (``graph_feed``):
        labels and probabilities ``[n, classes]`` for a classifier, values for a regressor."""
        ...


def predicted(
    model: Model, columns: Columns, layout: str = ROWS_LAYOUT, bins: BinCounter | None = None
) -> Answer:
    """``model``'s answer to validated rows held column by column, checked against its card,
    to be sent in ``layout``; with the rows counted per bin by ``bins`` (the metrics' counter,
    made at init) when given: only the metrics read the counts."""
    card = model.card
    feed = graph_feed(card, columns)
    outputs = model.predict(feed)
    missing, unknown = unusual_values(card, columns)
    in_bins = bins.counts(feed) if bins is not None else None
    answer = answer_from(card, outputs, out_of_range(card, feed), missing, unknown, in_bins)
    answer.layout = layout
    return answer


def answer_from(
    card: ModelCard,
    outputs: list[np.ndarray],
    outside: list[list[str]] | None = None,
    missing: dict[str, int] | None = None,
    unknown: dict[str, int] | None = None,
    bins: dict[str, list[int]] | None = None,
) -> Answer:
    """The answer the graph's ``outputs`` make for ``card``; a ``ValueError`` (a 500) when they
    are not an answer the card allows.

    NaN would also go out as a bare ``NaN`` from a direct invoke (the runtime client allows it)
    and make ``json.dumps`` raise for HTTP: either way no caller could read the answer.
    """
    seen = Unusual(missing or {}, unknown or {}, bins or {})
    if card.is_classifier:
        labels = [str(label) for label in np.asarray(outputs[0]).reshape(-1).tolist()]
        probabilities = outputs[1]
        check_output(labels, probabilities, card)
        return PredictionAnswer(
            card, labels, rounded(probabilities), outside, reference(card), seen
        )
    return ValueAnswer(answered_values(outputs[0]), outside, reference(card), seen)


def rounded(probabilities: np.ndarray) -> np.ndarray:
    """Probabilities as answers print them: float64, to ``PROBABILITY_DECIMALS`` decimals."""
    return np.round(probabilities.astype(np.float64), PROBABILITY_DECIMALS)


def answered_values(values: np.ndarray) -> np.ndarray:
    """A regressor's ``[n]`` or ``[n, 1]`` output as answers print it: float64 holding, for a
    float32 output, the shortest decimal that reads back as the same float32 (the float64 of
    0.1f is 0.10000000149011612, which would print digits the model never computed)."""
    values = np.asarray(values)
    if values.ndim not in (1, 2) or values.size != len(values):
        raise ValueError(f"the model answered values of shape {values.shape}, not one per row")
    if values.dtype == np.float32:
        values = values.astype(str).astype(np.float64)
    values = values.reshape(-1).astype(np.float64) + 0.0
    if not np.isfinite(values).all():
        raise ValueError("the model answered a value that is not a finite number")
    return values


def check_output(labels: list[str], probabilities: np.ndarray, card: ModelCard) -> None:
    """A classifier answering outside its card is a fault (500), never a 200 with a wrong
    answer: every label one of its classes, every probability finite."""
    unknown = set(labels) - set(card.classes)
    if unknown or not np.isfinite(probabilities).all():
        raise ValueError(f"the model answered outside its card (labels {sorted(unknown)})")


class Unusual(NamedTuple):
    """Per column, rows that missed a value, rows that carried an unknown category, and rows per
    bin of the card's ``feature_bins`` (every binned column, in card order, or none): what the
    metrics compare with training."""

    missing: dict[str, int]
    unknown: dict[str, int]
    bins: dict[str, list[int]]


NOTHING_UNUSUAL = Unusual({}, {}, {})


class PredictionAnswer:
    """Labels, rounded probabilities and (when the card knows ranges) out-of-range names.

    ``probabilities`` is float64 ``[rows, classes]``, already rounded; a negative zero (which
    rounding a tiny negative value gives) is answered as 0.0.
    """

    def __init__(
        self,
        card: ModelCard,
        labels: list[str],
        probabilities: np.ndarray,
        out_of_range: list[list[str]] | None,
        model_reference: dict[str, str],
        unusual: Unusual = NOTHING_UNUSUAL,
    ) -> None:
        self._classes = card.classes
        self._labels = labels
        self._probabilities = probabilities + 0.0
        self._out_of_range = out_of_range
        self._model = model_reference
        self.unusual = unusual
        self.layout = ROWS_LAYOUT

    def __len__(self) -> int:
        return len(self._labels)

    @property
    def labels(self) -> list[str]:
        """The predicted class of each row."""
        return self._labels

    @property
    def out_of_range(self) -> list[list[str]] | None:
        """Per row, the features outside the training range; None when the card has no range."""
        return self._out_of_range

    def as_dict(self) -> dict[str, Any]:
        """``{"predictions": [{"label", "probabilities", "out_of_range"?}, ...], "model"}``."""
        classes = self._classes
        predictions = [
            {"label": label, "probabilities": dict(zip(classes, p, strict=True))}
            for label, p in zip(self._labels, self._probabilities.tolist(), strict=True)
        ]
        return _with_out_of_range(predictions, self._out_of_range, self._model)

    def as_columns(self) -> dict[str, Any]:
        """``{"labels": [...], "probabilities": {class: [one per row], ...}, "out_of_range"?,
        "model"}``: the columns layout, each class's probabilities one flat list."""
        answer: dict[str, Any] = {
            "labels": self._labels,
            "probabilities": dict(zip(self._classes, self._probabilities.T.tolist(), strict=True)),
        }
        return _with_columns_tail(answer, self._out_of_range, self._model)

    def as_json(self) -> str:
        """``as_dict()`` as compact JSON text (ASCII, as ``json.dumps`` writes it by default).

        One ``%``-format over every row at once (``_rows_json``): the template repeated per row,
        its arguments (label, probabilities, names out of range) laid out column by column.
        """
        row = "{" + prediction_fields(self._classes)
        columns = prediction_arguments(self._classes, self._labels, self._probabilities)
        return _rows_json(row, columns, len(self), self._out_of_range, self._model)


class ValueAnswer:
    """A regressor's values (float64, as ``answered_values`` prints them) and (when the card
    knows ranges) the out-of-range names of each row."""

    def __init__(
        self,
        values: np.ndarray,
        out_of_range: list[list[str]] | None,
        model_reference: dict[str, str],
        unusual: Unusual = NOTHING_UNUSUAL,
    ) -> None:
        self.values = values
        self._out_of_range = out_of_range
        self._model = model_reference
        self.unusual = unusual
        self.layout = ROWS_LAYOUT

    def __len__(self) -> int:
        return len(self.values)

    @property
    def out_of_range(self) -> list[list[str]] | None:
        """Per row, the features outside the training range; None when the card has no range."""
        return self._out_of_range

    def as_dict(self) -> dict[str, Any]:
        """``{"predictions": [{"value", "out_of_range"?}, ...], "model"}``."""
        predictions = [{"value": value} for value in self.values.tolist()]
        return _with_out_of_range(predictions, self._out_of_range, self._model)

    def as_columns(self) -> dict[str, Any]:
        """``{"values": [...], "out_of_range"?, "model"}``: the columns layout."""
        return _with_columns_tail({"values": self.values.tolist()}, self._out_of_range, self._model)

    def as_json(self) -> str:
        """``as_dict()`` as compact JSON text, one ``%``-format over every row (``_rows_json``)."""
        texts = list(map(repr, self.values.tolist()))
        return _rows_json("{" + VALUE_FIELD, [texts], len(self), self._out_of_range, self._model)


def prediction_fields(classes: list[str]) -> str:
    """A classifier's prediction members as a ``%``-template, ``"label":%s,"probabilities":{...}``,
    each class name encoded once (a ``%`` in a name escaped)."""
    keys = ",".join(json.dumps(name).replace("%", "%%") + ":%s" for name in classes)
    return '"label":%s,"probabilities":{' + keys + "}"


def prediction_arguments(
    classes: list[str], labels: list[str], probabilities: np.ndarray
) -> list[Sequence[str]]:
    """``prediction_fields``'s arguments column by column: each label encoded (once per class),
    then per class the text of its probability in every row (``probability_texts``)."""
    encoded = {name: json.dumps(name) for name in classes}
    return [list(map(encoded.__getitem__, labels)), *probability_texts(probabilities)]


def probability_texts(probabilities: np.ndarray) -> list[Sequence[str]]:
    """Per class, ``repr`` of its (rounded) probability in every row, a negative zero as 0.0;
    each distinct value printed once: a forest's probabilities are vote fractions, so rows share
    few values, and copying a printed value is much cheaper than printing a float."""
    if not len(probabilities):
        return [() for _ in range(probabilities.shape[1])]
    unique, index = np.unique(probabilities + 0.0, return_inverse=True)
    texts = list(map(repr, unique.tolist()))
    index = index.reshape(probabilities.shape)
    if len(probabilities) == 1:
        return [(texts[i],) for i in index[0].tolist()]
    return [itemgetter(*column)(texts) for column in index.T.tolist()]


def formatted_rows(template: str, columns: list[Sequence[str]], separator: str) -> str:
    """``template`` formatted for every row and joined by ``separator``, the arguments given
    column by column: laid out by slice assignment and formatted in one ``%`` operation, which
    writes the same bytes as formatting row by row without a Python step per row."""
    n = len(columns[0])
    width = len(columns)
    arguments: list[str] = [""] * (n * width)
    for offset, column in enumerate(columns):
        arguments[offset::width] = column
    return separator.join([template] * n) % tuple(arguments)


Answer = PredictionAnswer | ValueAnswer


def answer_body(answer: Answer) -> dict[str, Any]:
    """The answer as a JSON-ready dict in the layout its request asked for."""
    return answer.as_columns() if answer.layout == COLUMNS_LAYOUT else answer.as_dict()


def answer_text(answer: Answer) -> str:
    """The answer as compact JSON text in the layout its request asked for.

    The rows layout has its own writer (``as_json``); the columns layout is a few flat lists,
    which ``json.dumps`` encodes in C.
    """
    if answer.layout == COLUMNS_LAYOUT:
        return json.dumps(answer.as_columns(), allow_nan=False, separators=COMPACT)
    return answer.as_json()


def _with_columns_tail(
    answer: dict[str, Any], out_of_range: list[list[str]] | None, model: dict[str, str]
) -> dict[str, Any]:
    """A columns-layout answer with its ``out_of_range`` (when the card knows ranges) and model."""
    if out_of_range is not None:
        answer["out_of_range"] = out_of_range
    answer["model"] = model
    return answer


def _with_out_of_range(
    predictions: list[dict[str, Any]],
    out_of_range: list[list[str]] | None,
    model: dict[str, str],
) -> dict[str, Any]:
    """The answer's dict, each prediction with its ``out_of_range`` when the card knows ranges."""
    if out_of_range is not None:
        for prediction, names in zip(predictions, out_of_range, strict=True):
            prediction["out_of_range"] = names
    return {"predictions": predictions, "model": model}


def _rows_json(
    row: str,
    columns: list[Any],
    n: int,
    out_of_range: list[list[str]] | None,
    model: dict[str, str],
) -> str:
    """The answer's JSON text from ``row``, a ``%``-template of one prediction left open (its
    closing brace is added here), and ``columns``, its arguments column by column.

    ``json.dumps`` would walk one dict per prediction, built only to be encoded; laying the
    arguments out by slice assignment and formatting every row at once writes the same bytes.
    """
    model_text = json.dumps(model, separators=COMPACT)
    if n == 0:
        return '{"predictions":[],"model":' + model_text + "}"
    columns = list(columns)
    if out_of_range is None:
        row += "}"
    else:
        row += ',"out_of_range":%s}'
        columns.append(
            [json.dumps(names, separators=COMPACT) if names else "[]" for names in out_of_range]
        )
    predictions = formatted_rows(row, columns, ",")
    return '{"predictions":[' + predictions + '],"model":' + model_text + "}"


class RowLimit(NamedTuple):
    """The most rows one request may send, and, if it is not MAX_BATCH_ROWS, why."""

    rows: int
    reason: str = ""


class RequestLimits(NamedTuple):
    """Row limits and body bounds for each entry point."""

    row_limits: dict[str, RowLimit]
    body_bounds: dict[str, BodyBounds]

    @classmethod
    def of(cls, card: ModelCard, max_batch_rows: int) -> RequestLimits:
        """The limits ``card`` and ``max_batch_rows`` set, for every entry point."""
        row_limits = {kind: _row_limit(card, kind, max_batch_rows) for kind in KINDS}
        return cls(
            row_limits=row_limits,
            body_bounds={
                kind: BodyBounds.for_rows(card, limit.rows, limit.reason)
                for kind, limit in row_limits.items()
            },
        )


def _row_limit(card: ModelCard, kind: str, max_batch_rows: int) -> RowLimit:
    limit = response_limit(kind)
    modes = (False, True) if kind == ALB else (False,)
    fits = min(
        worst_answer_size(card, kind, multi, layout).rows_within(limit)
        for multi in modes
        for layout in LAYOUTS
    )
    if fits >= max_batch_rows:
        return RowLimit(max_batch_rows)
    return RowLimit(
        fits,
        f"more rows of this model could answer more than the {limit} bytes a response may have",
    )


# The largest synchronous invoke response: Lambda answers "Response payload size exceeded maximum
# allowed payload size (6291556 bytes)" above it.
LAMBDA_RESPONSE_BYTES = 6_291_556
# "The maximum size of the response JSON that the Lambda function can send is 1 MB" (ELB
# documentation, Lambda functions as targets), read as the smaller 10^6 bytes.
ALB_RESPONSE_BYTES = 1_000_000
# The longest a probability rounded to PROBABILITY_DECIMALS prints: "0." and every decimal.
LONGEST_PROBABILITY = float("0." + "123456789"[:PROBABILITY_DECIMALS])
# The longest a regressor's value prints: a float64 with 17 significant digits, a sign and a
# three-digit negative exponent. The card does not say the output's dtype; a float32 output
# prints shorter (at most 9 digits, two in the exponent), so this bounds both.
LONGEST_VALUE = -2.2250738585072014e-308


def response_limit(kind: str) -> int:
    """The most bytes an answer may have for the entry point ``kind``."""
    return ALB_RESPONSE_BYTES if kind == ALB else LAMBDA_RESPONSE_BYTES


class AnswerSize(NamedTuple):
    """``fixed + rows * per_row``: the most bytes an answer of ``rows`` predictions takes."""

    fixed: int
    per_row: int

    def bytes_for(self, rows: int) -> int:
        """The most bytes an answer of ``rows`` predictions can take."""
        return self.fixed + rows * self.per_row

    def rows_within(self, limit: int) -> int:
        """The most rows whose answer is sure to fit in ``limit`` bytes."""
        return max(0, (limit - self.fixed) // self.per_row)


def worst_answer_size(
    card: ModelCard, kind: str, multi_value: bool = False, layout: str = ROWS_LAYOUT
) -> AnswerSize:
    """The exact size law of ``card``'s largest answers to ``kind`` in ``layout``."""
    one = _encoded_bytes(card, kind, multi_value, layout, 1)
    two = _encoded_bytes(card, kind, multi_value, layout, 2)
    return AnswerSize(fixed=one - (two - one), per_row=two - one)


def _encoded_bytes(card: ModelCard, kind: str, multi_value: bool, layout: str, rows: int) -> int:
    if layout == ROWS_LAYOUT:
        body = {"predictions": [_worst_prediction(card, kind)] * rows, "model": reference(card)}
    else:
        body = _worst_columns(card, kind, rows)
    return len(json.dumps(render(kind, 200, body, multi_value)).encode())


def _worst_columns(card: ModelCard, kind: str, rows: int) -> dict[str, Any]:
    """A columns-layout answer of ``rows`` rows as ``as_columns`` answers it, each part at its
    longest."""
    out_of_range = {"out_of_range": [list(card.feature_names)] * rows}
    if not card.is_classifier:
        return {"values": [LONGEST_VALUE] * rows, **out_of_range, "model": reference(card)}
    return {
        "labels": [_longest_label(card, kind)] * rows,
        "probabilities": {name: [LONGEST_PROBABILITY] * rows for name in card.classes},
        **out_of_range,
        "model": reference(card),
    }


def _worst_prediction(card: ModelCard, kind: str) -> dict[str, Any]:
    """A prediction as ``predicted`` answers it, each part at its longest."""
    if not card.is_classifier:
        return {"value": LONGEST_VALUE, "out_of_range": list(card.feature_names)}
    return {
        "label": _longest_label(card, kind),
        "probabilities": dict.fromkeys(card.classes, LONGEST_PROBABILITY),
        "out_of_range": list(card.feature_names),
    }


def _longest_label(card: ModelCard, kind: str) -> str:
    """The class name that takes the most bytes in an answer to ``kind``."""
    return max(card.classes, key=lambda name: _encoded_length(name, kind))


def _encoded_length(text: str, kind: str) -> int:
    """How long ``text`` is in the answer: HTTP bodies are JSON inside a JSON string."""
    encoded = json.dumps(text)
    return len(encoded if kind == DIRECT else json.dumps(encoded))


HEADERS = {
    "Content-Type": "application/json",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
ALLOWED_METHODS = "GET, POST"
# Reason phrases of the statuses the function answers, for ALB's statusDescription (written out
# because http.HTTPStatus renamed some between Python versions).
REASONS = {
    200: "OK",
    400: "Bad Request",
    405: "Method Not Allowed",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    500: "Internal Server Error",
}


def render(
    kind: str, status: int, body: dict[str, Any] | Answer, multi_value: bool = False
) -> dict[str, Any]:
    """The value the handler returns for ``body`` answered with ``status`` to ``kind``."""
    if kind == DIRECT:
        return body if isinstance(body, dict) else answer_body(body)
    headers = dict(HEADERS)
    if status == 405:
        headers["Allow"] = ALLOWED_METHODS
    response: dict[str, Any] = {"statusCode": status}
    if kind == ALB:
        response["statusDescription"] = f"{status} {REASONS[status]}"
    if multi_value:
        response["multiValueHeaders"] = {name: [value] for name, value in headers.items()}
    else:
        response["headers"] = headers
    response["body"] = (
        json.dumps(body, allow_nan=False, separators=COMPACT)
        if isinstance(body, dict)
        else answer_text(body)
    )
    response["isBase64Encoded"] = False
    return response
