"""The model card: everything the handler needs to know about ``model.onnx``, and its check.

One source of truth for the schema and for what reproducing the golden rows means. ``convert``
writes the card as ``model.json`` beside the model and the handler reads it at init; the
pre-traffic hook, the local runtime and the post-deploy smoke check read it with this same
reader and compare answers with this same ``golden_mismatches``. The module is stdlib only and
imports nothing else of the package: reading it never needs scikit-learn, onnx or protobuf (nor
numpy), and the hook's package carries a copy of this file, made at build time.

What the model is and takes:

- ``task``: a ``classifier`` answers a label and one probability per class (``classes``); a
  ``regressor`` answers one number per row (``value``).
- ``columns``: one ``Column`` per input column, in the order positional rows give them: its
  type (``number`` or ``string``), whether a value may be missing, the training range of a
  number when it is known, and, for a string column the fitted encoder reads, the categories it
  knows and what it does with another one (``unknown``: ``error`` refuses it, ``ignore`` answers
  as scikit-learn does).
- ``inputs``: how rows reach the graph. ``matrix``: one input ``input_name`` of shape
  ``[N, columns]``, every column a number; ``columns``: one input per column, named as the
  column, shape ``[N, 1]`` (how skl2onnx converts a Pipeline over a DataFrame). Numbers are fed
  as ``number_type`` (``float64`` where scikit-learn computes in float64 before any float32 cast
  of its own, so that ONNX computes as it does); strings as strings, a missing string as ``""``
  (``MISSING_STRING``: the converted imputers treat it as missing) and a missing number as NaN.
- ``outputs``: the graph outputs the handler reads, in order: label and probabilities for a
  classifier, the value for a regressor.

What conversion knew, so that nothing has to be guessed later:

- ``golden_rows``: input rows (numbers, strings, ``null`` for missing) with the answers of the
  *reference* scikit-learn model: ``{"features", "label", "probabilities"}`` for a classifier,
  ``{"features", "value"}`` for a regressor. Init reproduces them within the tolerance or
  refuses to start, so a file that is not the model that was converted (a same-schema model with
  a fixed-up SHA-256 included) never serves.
- a number column's ``min``/``max``: the training range when it is known (sample rows, or a
  leading MinMaxScaler), else ``null``: an unknown range is said so, never invented.
- ``class_shares``: the share of each class among the reference model's predictions on real rows
  (``SAMPLE=`` rows, or the demo's test set), what the live prediction mix is compared with;
  ``null`` when conversion saw no real rows, and always for a regressor.
- ``feature_bins``: what the real rows looked like column by column, for the live input mix to
  be compared with (docs/observability.md). A number column has ``edges``, its quantiles
  (deciles when the values allow; ties merge bins), and ``shares``, the share of rows per bin: a
  value ``v`` falls in bin ``k``, the number of edges ``< v``. A string column has
  ``categories``, its most frequent ones, and ``shares`` with one more entry, the last for every
  other value. Missing values belong to no bin (``missing:<feature>`` counts them) and shares
  are of the rows that hold a value; a column without any is left out. Taken from the
  ``SAMPLE=`` rows, or the demo's training rows; ``null`` when conversion saw no real rows.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from itertools import pairwise
from typing import Any

# 2: golden_rows, and feature ranges that may be null; 3: bound to its model (CARD_DIGEST_KEY);
# 4: typed columns, regressors, per-column graph inputs. A card of another format is refused
# with a message saying to convert the model again.
CARD_FORMAT = 4
# The metadata entry of ``model.onnx`` that holds the SHA-256 of its card's ``bound_content``:
# ``convert`` writes it, init compares it, so a card edited after conversion does not serve.
CARD_DIGEST_KEY = "onnx_lambda.card_sha256"
# Class shares are rounded to this many decimals, so they sum to 1 within half a unit of the
# last decimal per class.
SHARE_DECIMALS = 6
# At most this many bins per column in ``feature_bins``: deciles for a number column, nine
# categories and "every other" for a string one. The bins' excess over training summed across
# columns, less the last bin (the excesses of a line sum to 0), is what the input drift alarm
# reads: nine metrics and ``rows``, the ten a metric-math alarm may read.
FEATURE_BINS = 10
BIN_EDGES = "edges"
BIN_CATEGORIES = "categories"
BIN_SHARES = "shares"
# The largest float32: a number fed to a float32 input must not overflow it.
FLOAT32_MAX = 3.4028234663852886e38

CLASSIFIER = "classifier"
REGRESSOR = "regressor"
TASKS = (CLASSIFIER, REGRESSOR)
NUMBER = "number"
STRING = "string"
COLUMN_TYPES = (NUMBER, STRING)
MATRIX = "matrix"
COLUMNS = "columns"
INPUT_LAYOUTS = (MATRIX, COLUMNS)
NUMBER_TYPES = ("float32", "float64")
UNKNOWN_ERROR = "error"
UNKNOWN_IGNORE = "ignore"
UNKNOWN_POLICIES = (UNKNOWN_ERROR, UNKNOWN_IGNORE)
# What a missing string is fed as: the converted string imputers take it for missing.
MISSING_STRING = ""
# The longest string value a request may carry: categories are short names, and a longer value
# is refused before it reaches the model (and before it is echoed in any message).
MAX_STRING_CHARS = 256
# How much of a caller's string a message repeats, and how many allowed categories it lists.
ECHO_CHARS = 40
LISTED_CATEGORIES = 20
LISTED_CHARS = 300
GOLDEN_ROW_FIELDS = {
    CLASSIFIER: {"features", "label", "probabilities"},
    REGRESSOR: {"features", "value"},
}
# How far a probability may be from the reference model's: trees compare in float32 on both
# sides, but their float32 sums move by rounding and summation order (docs/convert.md has by how
# much), so labels are compared exactly and probabilities to this absolute tolerance. ``convert``
# checks parity with it and records it in the card (``parity["tolerance"]``).
PROBABILITY_TOLERANCE = 1e-5
# How far a regressor's value may be from the reference model's, relative to the reference value
# (and absolute below 1, where a relative bound would ask float32 sums for more than they carry):
# see ``value_gap``.
VALUE_TOLERANCE = 1e-5
# Answers round probabilities to this many decimals: float32 carries about 7 significant digits,
# and more would print summation noise as if it meant something (0.99999934 for a sure class).
PROBABILITY_DECIMALS = 6
# An answer is rounded after the model's tolerance applied: a probability at the tolerance may
# come back up to half a unit of the last printed decimal further away.
ANSWER_TOLERANCE = PROBABILITY_TOLERANCE + 0.5 * 10.0**-PROBABILITY_DECIMALS


class ModelCardError(ValueError):
    """The card is missing, unreadable or inconsistent; raised at init, never per request."""


@dataclass(frozen=True)
class Column:
    """One input column: what a request may send for it."""

    name: str
    type: str = NUMBER
    # Whether a value may be missing (``null``, an empty CSV cell): only where the model answers
    # a missing value as scikit-learn does (an imputer, HistGradientBoosting's own handling).
    missing: bool = False
    # A number column's training range, when known.
    min: float | None = None
    max: float | None = None
    # A string column's categories as the fitted encoder knows them (None: any string), and what
    # happens to another value: ``error`` (a 400 naming the allowed ones) or ``ignore``.
    categories: list[str] | None = None
    unknown: str | None = None

    @property
    def has_range(self) -> bool:
        """Whether a value outside ``[min, max]`` is extrapolation the answer should flag."""
        return self.min is not None

    def refusal(self, value: float | str | None) -> str:
        """Why this column cannot take ``value``, or "" when it can: the one wording of the
        missing-value, string-length and unknown-category rules, for every entry point.

        ``value`` is already of the column's type (a float, a str) or None for missing; ""
        in a string column is missing too, as it is fed to the model.
        """
        if value is None or (self.type == STRING and value == MISSING_STRING):
            if self.missing:
                return ""
            return f"is missing; the model needs a {self.type} for it"
        if self.type == NUMBER:
            return ""
        if len(value) > MAX_STRING_CHARS:
            return f"is longer than {MAX_STRING_CHARS} characters"
        if self.unknown != UNKNOWN_ERROR or value in self._known:
            return ""
        return (
            f"is {_quoted(value, ECHO_CHARS)}, not a category the model knows: one of "
            f"{_some_categories(self.categories)}"
        )

    @property
    def _known(self) -> frozenset[str]:
        known = self.__dict__.get("_known_set")
        if known is None:
            known = frozenset(self.categories or ())
            object.__setattr__(self, "_known_set", known)
        return known

    def problems(self, where: str) -> list[str]:
        """Every inconsistency of this column, each prefixed by ``where``."""
        if not isinstance(self.name, str) or not self.name:
            return [f"{where}.name must be a non-empty string"]
        if self.type not in COLUMN_TYPES:
            return [f"{where}.type must be one of {list(COLUMN_TYPES)}"]
        problems = []
        if not isinstance(self.missing, bool):
            problems.append(f"{where}.missing must be true or false")
        if self.type == NUMBER:
            problems += self._number_problems(where)
        else:
            problems += self._string_problems(where)
        return problems

    def _number_problems(self, where: str) -> list[str]:
        if self.categories is not None or self.unknown is not None:
            return [f"{where}: a number column has no categories"]
        if self.min is None and self.max is None:
            return []
        if not (_is_finite_number(self.min) and _is_finite_number(self.max)):
            return [f"{where}.min and .max must both be finite numbers (or both null)"]
        if self.min > self.max:
            return [f"{where}.min must not exceed .max"]
        return []

    def _string_problems(self, where: str) -> list[str]:
        if self.min is not None or self.max is not None:
            return [f"{where}: a string column has no range"]
        if self.categories is None:
            return [] if self.unknown is None else [f"{where}.unknown needs categories"]
        categories = self.categories
        if not isinstance(categories, list) or not categories:
            return [f"{where}.categories must be a non-empty list (or null)"]
        if not all(isinstance(c, str) and len(c) <= MAX_STRING_CHARS for c in categories):
            return [f"{where}.categories must hold strings of at most {MAX_STRING_CHARS} chars"]
        if len(set(categories)) != len(categories):
            return [f"{where}.categories must not repeat"]
        if self.unknown not in UNKNOWN_POLICIES:
            return [f"{where}.unknown must be one of {list(UNKNOWN_POLICIES)}"]
        return []


@dataclass(frozen=True)
class ModelCard:
    """Describes a model exported to ONNX: its task, inputs, outputs and provenance."""

    name: str
    version: str
    sha256: str
    task: str
    columns: list[Column]
    classes: list[str]
    inputs: str = MATRIX
    number_type: str = "float32"
    input_name: str = "input"
    outputs: list[str] = field(default_factory=lambda: ["label", "probabilities"])
    opset: dict[str, int] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    parity: dict[str, float] = field(default_factory=dict)
    library_versions: dict[str, str] = field(default_factory=dict)
    golden_rows: list[dict[str, Any]] = field(default_factory=list)
    format: int = CARD_FORMAT
    class_shares: dict[str, float] | None = None
    feature_bins: dict[str, dict[str, list[Any]]] | None = None

    def __post_init__(self) -> None:
        if isinstance(self.columns, list) and all(isinstance(c, dict) for c in self.columns):
            object.__setattr__(self, "columns", [_column(c) for c in self.columns])
        problems = _problems(self)
        if problems:
            raise ModelCardError("; ".join(problems))

    @property
    def is_classifier(self) -> bool:
        """A classifier answers label + probabilities; a regressor a value."""
        return self.task == CLASSIFIER

    @property
    def feature_names(self) -> list[str]:
        """The column names, in the order positional rows give them."""
        return [column.name for column in self.columns]

    @property
    def n_features(self) -> int:
        """Number of input columns the model expects."""
        return len(self.columns)

    @property
    def all_numbers(self) -> bool:
        """Whether every column is a number that may not be missing: the fast matrix path."""
        return all(column.type == NUMBER and not column.missing for column in self.columns)

    @property
    def has_ranges(self) -> bool:
        """Whether any training range is known, and so whether answers carry ``out_of_range``."""
        return any(column.has_range for column in self.columns)

    @property
    def feature_min(self) -> list[float | None]:
        """Per column, the training minimum, or None (a string column, an unknown range)."""
        return [column.min for column in self.columns]

    @property
    def feature_max(self) -> list[float | None]:
        """Per column, the training maximum, or None (a string column, an unknown range)."""
        return [column.max for column in self.columns]

    def row_bounds(self) -> tuple[list[float | None], list[float | None]]:
        """Per column, bounds to draw example rows from (soak, benchmarks): the training range
        when known, else the span of the golden rows, which are real inputs of the model; None
        for a string column and for a number no golden row gives."""
        low: list[float | None] = []
        high: list[float | None] = []
        for j, column in enumerate(self.columns):
            seen = [row["features"][j] for row in self.golden_rows]
            numbers = [v for v in seen if column.type == NUMBER and v is not None]
            low.append(column.min if column.has_range else min(numbers, default=None))
            high.append(column.max if column.has_range else max(numbers, default=None))
        return low, high

    @property
    def output_names(self) -> list[str]:
        """What each entry of ``outputs`` is: label and probabilities, or the value."""
        return ["label", "probabilities"] if self.is_classifier else ["value"]

    def public(self) -> dict[str, Any]:
        """What a caller may see (GET /model): no parity internals, nothing secret."""
        return {
            "name": self.name,
            "version": self.version,
            "sha256": self.sha256,
            "task": self.task,
            "features": self.feature_names,
            "columns": [_public_column(column) for column in self.columns],
            "classes": list(self.classes),
            "feature_ranges": (
                {c.name: [c.min, c.max] for c in self.columns if c.has_range}
                if self.has_ranges
                else None
            ),
            "metrics": dict(self.metrics),
        }

    def bound_content(self) -> bytes:
        """What the model file vouches for: every field but ``sha256`` (the model's own digest,
        which the model cannot contain), as canonical JSON.

        The golden rows are positional and so cannot tell a card whose columns were reordered
        from the true one; the digest of this content, carried inside the model whose digest the
        card carries, makes any edit of the card visible at init.
        """
        content = asdict(self)
        del content["sha256"]
        # Cards written before ``feature_bins`` existed are bound without it: they still serve.
        if content["feature_bins"] is None:
            del content["feature_bins"]
        return json.dumps(content, sort_keys=True, separators=(",", ":")).encode()

    def to_json(self) -> str:
        """Serialise with sorted keys so that the same model always gives the same bytes."""
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_dict(cls, data: object) -> ModelCard:
        """Build a card from parsed JSON, naming the first field that is wrong."""
        if not isinstance(data, dict):
            raise ModelCardError("the card must be a JSON object")
        if data.get("format") != CARD_FORMAT:
            raise ModelCardError(_format_problem(data.get("format")))
        return _built(cls, data, "")

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> ModelCard:
        """Read ``model.json``; every failure names the file and what is wrong with it."""
        try:
            with open(path, encoding="utf-8") as file:
                data = json.loads(file.read())
        except FileNotFoundError:
            raise ModelCardError(f"{path}: model card not found") from None
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise ModelCardError(f"{path}: unreadable model card ({exc})") from None
        try:
            return cls.from_dict(data)
        except ModelCardError as exc:
            raise ModelCardError(f"{path}: invalid model card: {exc}") from None


def reference(card: ModelCard) -> dict[str, str]:
    """Which model answered: the ``model`` object of every prediction answer."""
    return {"name": card.name, "version": card.version, "sha256": card.sha256}


def value_gap(value: float, expected: float) -> float:
    """How far a regressor's value is from the reference, in the unit ``VALUE_TOLERANCE`` uses:
    relative to the reference value, absolute where it is below 1 in magnitude."""
    return abs(value - expected) / max(1.0, abs(expected))


def golden_mismatches(
    card: ModelCard, answer: object, rows: Sequence[int] | None = None
) -> list[str]:
    """What differs between a prediction answer and the card's golden rows; empty when none.

    ``answer`` is an answer as callers read it (``{"predictions": [...], "model": {...}}``,
    parsed JSON or the handler's own dict) to a request for the golden rows numbered ``rows``,
    in that order (default: all of them). Labels must be the reference model's exactly,
    probabilities within ``ANSWER_TOLERANCE`` and values within ``VALUE_TOLERANCE``
    (``value_gap``); anything that is not an answer is a mismatch.
    """
    wanted = list(range(len(card.golden_rows))) if rows is None else list(rows)
    predictions = answer.get("predictions") if isinstance(answer, dict) else None
    if not isinstance(predictions, list):
        return [f"no predictions in {json.dumps(answer, default=repr)[:300]}"]
    problems = []
    if answer.get("model") != reference(card):
        problems.append(f"answered for model {answer.get('model')}, expected {reference(card)}")
    if len(predictions) != len(wanted):
        return [*problems, f"{len(predictions)} predictions for {len(wanted)} golden rows"]
    compare = _classification_mismatch if card.is_classifier else _value_mismatch
    for index, prediction in zip(wanted, predictions, strict=True):
        problem = compare(card, card.golden_rows[index], prediction)
        if problem:
            problems.append(f"golden row {index} {problem}")
    return problems


def _classification_mismatch(card: ModelCard, golden: dict[str, Any], prediction: object) -> str:
    """How one prediction differs from its golden row, or "" when it reproduces it."""
    if not isinstance(prediction, dict):
        return f"answered {prediction!r:.100}, not a prediction"
    label, probabilities = prediction.get("label"), prediction.get("probabilities")
    if not isinstance(probabilities, dict) or set(probabilities) != set(card.classes):
        return f"answered probabilities {probabilities!r:.200}, not one per class of the card"
    values = [probabilities[name] for name in card.classes]
    if not all(_is_finite_number(v) for v in values):
        return f"answered probabilities {probabilities!r:.200}, not all finite numbers"
    reference_values = [golden["probabilities"][name] for name in card.classes]
    gap = max(abs(v - r) for v, r in zip(values, reference_values, strict=True))
    differences = []
    if label != golden["label"]:
        differences.append(
            f"answered {label!r} where the reference model answered {golden['label']!r}"
        )
    if gap > ANSWER_TOLERANCE:
        differences.append(
            f"answered probabilities up to {gap:.3g} from the reference model's "
            f"(tolerance {ANSWER_TOLERANCE:.3g})"
        )
    return "; ".join(differences)


def _value_mismatch(card: ModelCard, golden: dict[str, Any], prediction: object) -> str:
    """How one regressor prediction differs from its golden row, or "" when it reproduces it."""
    if not isinstance(prediction, dict) or not _is_finite_number(prediction.get("value")):
        return f"answered {prediction!r:.200}, not a prediction with a finite value"
    gap = value_gap(prediction["value"], golden["value"])
    if gap > VALUE_TOLERANCE:
        return (
            f"answered {prediction['value']!r} where the reference model answered "
            f"{golden['value']!r} (relative gap {gap:.3g}, tolerance {VALUE_TOLERANCE:g})"
        )
    return ""


def _quoted(text: str, limit: int) -> str:
    """``text`` quoted as Python would, cut to ``limit`` characters with an ellipsis."""
    return repr(text if len(text) <= limit else text[:limit] + "...")


def _some_categories(categories: list[str]) -> str:
    """The first categories, quoted, within LISTED_CATEGORIES and LISTED_CHARS."""
    shown: list[str] = []
    for category in categories[:LISTED_CATEGORIES]:
        quoted = _quoted(category, ECHO_CHARS)
        if sum(len(s) + 2 for s in shown) + len(quoted) > LISTED_CHARS:
            break
        shown.append(quoted)
    listed = ", ".join(shown)
    if len(shown) < len(categories):
        listed += f", ... ({len(categories)} in all: GET /model lists them)"
    return listed


def _column(data: dict[str, Any]) -> Column:
    """A ``Column`` from its JSON object, naming an unknown member."""
    return _built(Column, data, "column")


def _built(kind: type[Any], data: dict[str, Any], what: str) -> Any:
    """``kind(**data)``, a ``ModelCardError`` naming an unknown or missing member otherwise."""
    unknown = sorted(set(data) - {f.name for f in fields(kind)})
    if unknown:
        raise ModelCardError(f"unknown {what + ' ' if what else ''}fields {unknown}")
    try:
        return kind(**data)
    except TypeError as exc:
        raise ModelCardError(f"{what}: {exc}" if what else str(exc)) from None


def _public_column(column: Column) -> dict[str, Any]:
    """A column as GET /model shows it: only the members that apply to its type."""
    shown: dict[str, Any] = {"name": column.name, "type": column.type, "missing": column.missing}
    if column.has_range:
        shown["range"] = [column.min, column.max]
    if column.categories is not None:
        shown["categories"] = list(column.categories)
        shown["unknown"] = column.unknown
    return shown


def _format_problem(found: object) -> str:
    return (
        f"format {found!r} is not {CARD_FORMAT}: convert the model again "
        "(make convert, or make convert MODEL=...) to write a current card"
    )


def _problems(card: ModelCard) -> list[str]:
    """List every inconsistency, so a hand-edited card fails with one complete message."""
    if card.format != CARD_FORMAT:
        return [_format_problem(card.format)]
    problems = []
    for name in ("name", "version", "input_name"):
        if not isinstance(getattr(card, name), str) or not getattr(card, name):
            problems.append(f"{name} must be a non-empty string")
    if not isinstance(card.sha256, str) or len(card.sha256) != 64:
        problems.append("sha256 must be 64 hex digits")
    if card.task not in TASKS:
        return [*problems, f"task must be one of {list(TASKS)}"]
    problems += _column_problems(card)
    problems += _class_problems(card)
    if card.inputs not in INPUT_LAYOUTS:
        problems.append(f"inputs must be one of {list(INPUT_LAYOUTS)}")
    elif card.inputs == MATRIX and not all(c.type == NUMBER for c in card.columns):
        problems.append("a matrix input takes number columns only")
    if card.number_type not in NUMBER_TYPES:
        problems.append(f"number_type must be one of {list(NUMBER_TYPES)}")
    outputs = card.outputs
    if not isinstance(outputs, list) or not all(isinstance(o, str) and o for o in outputs):
        problems.append("outputs must be a list of output names")
    elif len(outputs) != len(card.output_names):
        problems.append(f"a {card.task} has {len(card.output_names)} outputs: {card.output_names}")
    if problems:
        return problems
    problems += _share_problems(card)
    problems += _bin_problems(card)
    tolerance = card.parity.get("tolerance") if isinstance(card.parity, dict) else None
    if not _is_finite_number(tolerance) or tolerance <= 0:
        problems.append("parity must record a positive tolerance")
    problems += _golden_problems(card)
    return problems


def _column_problems(card: ModelCard) -> list[str]:
    columns = card.columns
    if not isinstance(columns, list) or not columns:
        return ["columns must be a non-empty list"]
    if not all(isinstance(c, Column) for c in columns):
        return ["columns must hold column objects"]
    problems = [p for i, c in enumerate(columns) for p in c.problems(f"columns[{i}]")]
    names = [c.name for c in columns]
    if not problems and len(set(names)) != len(names):
        problems.append("column names must not repeat")
    return problems


def _class_problems(card: ModelCard) -> list[str]:
    classes = card.classes
    if not isinstance(classes, list):
        return ["classes must be a list"]
    if not card.is_classifier:
        return [] if not classes else ["a regressor has no classes"]
    if len(classes) < 2:
        return ["classes must hold at least two classes"]
    if not all(isinstance(v, str) and v for v in classes):
        return ["classes must hold non-empty strings"]
    if len(set(classes)) != len(classes):
        return ["classes must not repeat"]
    return []


def _share_problems(card: ModelCard) -> list[str]:
    shares = card.class_shares
    if shares is None:
        return []
    if not isinstance(shares, dict) or set(shares) != set(card.classes) or not card.classes:
        return ["class_shares must give one share per class (or be null)"]
    if not all(_is_finite_number(v) and 0 <= v <= 1 for v in shares.values()):
        return ["class_shares must be numbers from 0 to 1"]
    if abs(sum(shares.values()) - 1) > 0.5 * len(shares) * 10.0**-SHARE_DECIMALS:
        return ["class_shares must sum to 1"]
    return []


def _bin_problems(card: ModelCard) -> list[str]:
    """What is wrong with ``feature_bins``, per column named."""
    bins = card.feature_bins
    if bins is None:
        return []
    columns = {column.name: column for column in card.columns}
    if not isinstance(bins, dict) or not bins or not set(bins) <= set(columns):
        return ["feature_bins must map column names to their bins (or be null)"]
    return [
        problem
        for name, column_bins in bins.items()
        for problem in _column_bin_problems(columns[name], column_bins)
    ]


def _column_bin_problems(column: Column, bins: object) -> list[str]:
    where = f"feature_bins[{column.name!r}]"
    key = BIN_EDGES if column.type == NUMBER else BIN_CATEGORIES
    if not isinstance(bins, dict) or set(bins) != {key, BIN_SHARES}:
        return [f"{where} must hold {key!r} and {BIN_SHARES!r}"]
    bounds, shares = bins[key], bins[BIN_SHARES]
    if not isinstance(bounds, list) or not isinstance(shares, list):
        return [f"{where}: {key} and {BIN_SHARES} must be lists"]
    if len(shares) != len(bounds) + 1 or len(shares) > FEATURE_BINS:
        return [f"{where} must have one share per bin, at most {FEATURE_BINS} bins"]
    if column.type == NUMBER:
        if not all(_is_finite_number(edge) for edge in bounds):
            return [f"{where}.edges must be finite numbers"]
        if any(low >= high for low, high in pairwise(bounds)):
            return [f"{where}.edges must increase"]
    elif not all(isinstance(c, str) and c for c in bounds) or len(set(bounds)) != len(bounds):
        return [f"{where}.categories must be distinct non-empty strings"]
    if not all(_is_finite_number(share) and 0 <= share <= 1 for share in shares):
        return [f"{where}.shares must be numbers from 0 to 1"]
    if abs(sum(shares) - 1) > 0.5 * len(shares) * 10.0**-SHARE_DECIMALS:
        return [f"{where}.shares must sum to 1"]
    return []


def _golden_problems(card: ModelCard) -> list[str]:
    """The first malformed golden row, named: one is enough to say the card was damaged."""
    rows = card.golden_rows
    if not isinstance(rows, list) or not rows:
        return ["golden_rows must hold at least one row: convert the model again"]
    wanted = GOLDEN_ROW_FIELDS[card.task]
    for i, row in enumerate(rows):
        where = f"golden_rows[{i}]"
        if not isinstance(row, dict) or set(row) != wanted:
            return [f"{where} must be an object with exactly {sorted(wanted)}"]
        features = row["features"]
        if not isinstance(features, list) or len(features) != card.n_features:
            return [f"{where}.features must hold {card.n_features} values"]
        for column, value in zip(card.columns, features, strict=True):
            problem = _golden_value_problem(card, column, value)
            if problem:
                return [f"{where}.features: {column.name} {problem}"]
        problem = _golden_answer_problem(card, row)
        if problem:
            return [f"{where}.{problem}"]
    return []


def _golden_value_problem(card: ModelCard, column: Column, value: object) -> str:
    if value is None:
        return "" if column.missing else "is missing, which the column does not allow"
    if column.type == STRING:
        return "" if isinstance(value, str) else "must be a string"
    limit = FLOAT32_MAX if card.number_type == "float32" else math.inf
    if not (_is_finite_number(value) and abs(value) <= limit):
        return f"must be a finite {card.number_type} number"
    return ""


def _golden_answer_problem(card: ModelCard, row: dict[str, Any]) -> str:
    if not card.is_classifier:
        return "" if _is_finite_number(row["value"]) else "value must be a finite number"
    label, probabilities = row["label"], row["probabilities"]
    if not isinstance(label, str) or label not in card.classes:
        return f"label {label!r} is not one of the classes"
    if not isinstance(probabilities, dict) or set(probabilities) != set(card.classes):
        return "probabilities must give one probability per class"
    if not all(_is_finite_number(p) and 0 <= p <= 1 for p in probabilities.values()):
        return "probabilities must be numbers from 0 to 1"
    return ""


def _is_finite_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
