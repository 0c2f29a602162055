"""CloudWatch metrics carried by the one log line each request writes (Embedded Metric Format).

CloudWatch Logs extracts metrics from a log line whose ``_aws`` member declares them (the
Embedded Metric Format specification, docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/
CloudWatch_Embedded_Metric_Format_Specification.html): no ``PutMetricData`` call, no client, no
network on the request path. ``RequestMetrics.line`` writes the handler's line with them;
docs/observability.md lists every metric, what the dashboard and alarms do with them and what
they cost.

Metric and dimension names are the line's own members: ``event``, ``rows``, ``latency_ms`` and
``error_type`` were there before the metrics and serve as they are. Dimensions have bounded
cardinality, chosen by the deployment and the card, never by a caller:

- *health and traffic*, by no dimension and by ``model`` + ``model_version`` + ``event`` (the
  entry point): ``rows``, ``client_errors`` and ``server_errors`` (0 or 1, so
  their average is a rate), ``latency_ms``, ``out_of_range_rows`` (rows with a feature outside
  the training range, when the card knows it), and, on the first request of an execution
  environment only, ``cold_start`` and ``init_ms``. The dimensionless set is what the template's
  alarms watch: it outlives a model version. Requests are not a member of their own: the
  sample count of ``latency_ms`` (one value per line) is the number of requests.
- *errors*, by ``model`` + ``model_version`` + ``error_type``, on error lines only.
- *predictions*, by ``model`` + ``model_version``: ``predicted:<class>`` (rows answered with that
  label) and ``out_of_range:<feature>`` (rows where that feature is outside the training range);
  on the first line of an environment also ``training_share:<class>``, the card's
  ``class_shares``, so that a graph of the live prediction mix can draw what training looked
  like beside it (their average is the share) without the dashboard knowing the classes.

The prediction metrics are sparse: a count of zero is not written, which keeps a one-row line
short whatever the number of classes and features; CloudWatch reads a missing value as no data,
and the dashboard fills it with 0. The spec allows 100 metrics per directive, so a card with many
classes and features spreads them over as many directives as needed.

Typed columns add, in the predictions directive, ``missing:<feature>`` (rows answered with that
feature missing, where the model allows it) and ``unknown_category:<feature>`` (rows whose
category the fitted encoder does not know and ignores), sparse as the others: a rising count is
the first sign that production data drifted from the training data. A regressor has no classes;
its predictions directive carries ``value_count``, ``value_sum``, ``value_min`` and
``value_max`` of the values it answered instead, so the dashboard can draw the mean and the
extremes of what the model predicts.

*class mix*, by no dimension, on lines that answered rows of a classifier whose card has
``class_shares``: ``class_mix_excess:#<slot>``, the rows predicted in a slot of classes minus
what training's shares expect of that many rows. Summed over any window, the slot's excess is
the window's rows in that slot minus its training share of the window's rows, so half the sum of
their absolute values over the window's rows is the total variation distance between the live
prediction mix and training's: the drift alarm's metric math, which cannot search for metrics
and so needs names that do not depend on the model. The values are per line, not per environment
or per window, because only sums aggregate correctly across lines, environments and model
versions (each line is measured against its own card). Slots follow the training shares, largest
first; a card with more classes than ``CLASS_MIX_SLOTS`` puts the smallest in the last slot, and
the distance measured is then a lower bound of the true one.

*input mix*, for cards with ``feature_bins`` (what the real rows looked like per column): in
the predictions directive, ``bin:<feature>#<bin>``, the rows of the line in that bin of that
feature, sparse (a one-row line has one per feature), so a graph can draw each feature's live
share of rows per bin; and, by no dimension beside the class mix, ``bin_excess:#<bin>``, per bin
position, the rows in that position minus training's share of them, averaged over the binned
features. That is the class mix design again, with the bins of every feature pooled by position
(a number column's bins are its training deciles, so position 3 is everywhere the fourth tenth
of training's values): summed over a window, half their absolute values over the window's rows
is the total variation distance between the window's pooled bin positions and training's, a
lower bound of the features' mean distance that an alarm can compute without knowing a feature
or a bin name. The excesses of a line sum to 0, so the last position is left out: the alarm
takes it as minus the sum of the others, and reads nine metrics and ``rows``, the ten it may.

Names longer than CloudWatch's 255 characters are replaced by the position in the card
(``predicted:#3``). Dimension values are cut to the spec's 1,024 characters. Everything here is
built once per model at init, the counter of rows per bin (``rows.BinCounter``) included; per
request it is the counting, and dict and list work on strings prepared then: a one-row line,
the most common, looks its class mix up whole and its input mix up per position. Every byte of
the line is billed as log ingestion on every request, so counts carry no ``Unit`` (CloudWatch
then stores ``None``, which graphs and alarms treat alike) and the JSON separators carry no
spaces.
"""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from collections.abc import Mapping
from itertools import chain, compress, zip_longest
from operator import getitem
from typing import TYPE_CHECKING, Any

from .card import BIN_SHARES, FEATURE_BINS, ModelCard
from .rows import BinCounter

if TYPE_CHECKING:
    from .answers import Answer

NAMESPACE_VARIABLE = "METRICS_NAMESPACE"
DEFAULT_NAMESPACE = "onnx-lambda"
# The spec: at most 100 metric definitions per directive, dimension values of at most 1,024
# characters. CloudWatch: metric names of at most 255 characters.
METRICS_PER_DIRECTIVE = 100
DIMENSION_VALUE_CHARS = 1024
METRIC_NAME_CHARS = 255
PREDICTED_PREFIX = "predicted:"
TRAINING_SHARE_PREFIX = "training_share:"
OUT_OF_RANGE_PREFIX = "out_of_range:"
MISSING_PREFIX = "missing:"
UNKNOWN_CATEGORY_PREFIX = "unknown_category:"
CLASS_MIX_PREFIX = "class_mix_excess:#"
BIN_PREFIX = "bin:"
BIN_EXCESS_PREFIX = "bin_excess:#"
# The pooled bin positions a line carries: all but the last, which is minus their sum.
BIN_EXCESS_SLOTS = FEATURE_BINS - 1
# A metric-math alarm reads at most 10 metrics: the slots and ``rows``, with one to spare.
CLASS_MIX_SLOTS = 8
# Enough for the distance: a sum of 1e6 one-row lines is off by at most 50 rows per slot.
CLASS_MIX_DECIMALS = 4
# A regressor's value summary: with the sum and the count, CloudWatch's Sum of each gives the
# mean over any period; Minimum of value_min and Maximum of value_max give the extremes.
VALUE_SUMMARY = ("value_count", "value_sum", "value_min", "value_max")
# The sparse per-class and per-feature members a line may carry, by their prefix.
COUNT_PREFIXES = (
    PREDICTED_PREFIX,
    BIN_PREFIX,
    OUT_OF_RANGE_PREFIX,
    MISSING_PREFIX,
    UNKNOWN_CATEGORY_PREFIX,
    TRAINING_SHARE_PREFIX,
)
# Every member the metrics add to a line, besides the sparse per-class and per-feature counts.
MEMBERS = frozenset(
    {"model", "model_version", "client_errors", "server_errors", "out_of_range_rows"}
    | {"cold_start", "init_ms", "_aws", *VALUE_SUMMARY}
    | {f"{CLASS_MIX_PREFIX}{slot}" for slot in range(CLASS_MIX_SLOTS)}
    | {f"{BIN_EXCESS_PREFIX}{slot}" for slot in range(BIN_EXCESS_SLOTS)}
)
MILLISECONDS = "Milliseconds"
COMPACT = (",", ":")
# The dimension sets of the three kinds of directive (tuples: they key prepared text).
LINE_DIMENSIONS = ((), ("model", "model_version", "event"))
BY_MODEL = (("model", "model_version"),)
BY_ERROR_TYPE = (("model", "model_version", "error_type"),)
NO_DIMENSION = ((),)


def namespace_from_env(env: Mapping[str, str]) -> str:
    """The namespace the deployment chose (the template sets one per stack)."""
    return env.get(NAMESPACE_VARIABLE) or DEFAULT_NAMESPACE


def metric_names(prefix: str, names: list[str]) -> dict[str, str]:
    """``prefix + name`` for each name, or ``prefix + "#" + position`` when that is too long."""
    return {
        name: (
            prefix + name
            if len(prefix) + len(name) <= METRIC_NAME_CHARS
            else f"{prefix}#{position}"
        )
        for position, name in enumerate(names)
    }


def bin_metric_names(card: ModelCard) -> dict[str, list[str]]:
    """Per binned feature, ``bin:<feature>#<bin>`` for each of its bins, or ``bin:#<position>
    #<bin>`` (the feature's position in the card) when a name would be too long."""
    bins = card.feature_bins or {}
    names = {}
    for position, feature in enumerate(card.feature_names):
        if feature in bins:
            stem = f"{BIN_PREFIX}{feature}#"
            if len(stem) + len(str(FEATURE_BINS)) > METRIC_NAME_CHARS:
                stem = f"{BIN_PREFIX}#{position}#"
            names[feature] = [f"{stem}{k}" for k in range(len(bins[feature][BIN_SHARES]))]
    return names


def class_mix_slots(classes: list[str], shares: Mapping[str, float]) -> list[list[str]]:
    """The classes of each slot: one per slot by share, largest first; the rest in the last."""
    ranked = sorted(classes, key=lambda name: -shares.get(name, 0.0))
    if len(ranked) <= CLASS_MIX_SLOTS:
        return [[name] for name in ranked]
    return [[name] for name in ranked[: CLASS_MIX_SLOTS - 1]] + [ranked[CLASS_MIX_SLOTS - 1 :]]


def _definition(name: str, unit: str | None = None) -> str:
    """A MetricDefinition as JSON text; counts carry no unit (CloudWatch stores ``None``)."""
    return json.dumps({"Name": name, "Unit": unit} if unit else {"Name": name}, separators=COMPACT)


class RequestMetrics:
    """The EMF members of one model's request lines; remembers whether a request was the first.

    ``init_ms`` is the time the entry point spent in init (imports, loading and checking the
    model), reported once, with ``cold_start``, on the first request the process answers. Every
    member name, directive and metric definition is JSON text made here, once: a line is then
    joined from prepared strings and the numbers of its request, and only the caller's record is
    encoded on each request.
    """

    def __init__(self, card: ModelCard, namespace: str, init_ms: float) -> None:
        self._cold = True
        self._has_ranges = card.has_ranges
        self._encode = json.JSONEncoder(separators=COMPACT).encode
        dimensions = "".join(
            f",{json.dumps(name)}:{json.dumps(value[:DIMENSION_VALUE_CHARS])}"
            for name, value in (("model", card.name), ("model_version", card.version))
        )
        # What every line has after the caller's members, by whether it answers a client error
        # and whether a server error.
        self._status_members = {
            (client, server): f'{dimensions},"client_errors":{client:d},"server_errors":{server:d}'
            for client, server in ((False, False), (True, False), (False, True))
        }
        self._cold_members = f',"cold_start":1,"init_ms":{round(init_ms, 3)!r}'
        self._predicted = metric_names(PREDICTED_PREFIX, card.classes)
        self._out_of_range = metric_names(OUT_OF_RANGE_PREFIX, card.feature_names)
        self._missing = metric_names(MISSING_PREFIX, card.feature_names)
        self._unknown = metric_names(UNKNOWN_CATEGORY_PREFIX, card.feature_names)
        shares = card.class_shares or {}
        share_names = metric_names(TRAINING_SHARE_PREFIX, card.classes)
        self._training_shares = {share_names[name]: share for name, share in shares.items()}
        slots = class_mix_slots(card.classes, shares) if shares else []
        self._slot_of = {name: slot for slot, names in enumerate(slots) for name in names}
        self._slot_shares = [sum(shares[name] for name in names) for names in slots]
        self._slot_names = [f"{CLASS_MIX_PREFIX}{slot}" for slot in range(len(slots))]
        # Most requests answer one row: their members are written here, once per class.
        self._one_row_mix = {name: self._class_mix_members({name: 1}, 1) for name in self._slot_of}
        self._bin_names = bin_metric_names(card)
        # Every feature's bin names one after the other, as a line's counts come (card order).
        self._every_bin_name = [name for names in self._bin_names.values() for name in names]
        bins = card.feature_bins or {}
        self._bin_shares = {name: bins[name][BIN_SHARES] for name in self._bin_names}
        # Training's shares per bin position, summed over the features: what a line expects of
        # each position when every feature holds a value in every row (no missing values).
        self._pooled_shares = [
            sum(shares[position] for shares in self._bin_shares.values() if position < len(shares))
            for position in range(FEATURE_BINS)
        ]
        self._bin_slot_names = [
            f"{BIN_EXCESS_PREFIX}{slot}" for slot in range(BIN_EXCESS_SLOTS if bins else 0)
        ]
        # A row per position with no rows: pooled with a line's counts, it makes every position
        # present however few bins the features have.
        self._no_rows = [0] * FEATURE_BINS
        # A one-row line holding every feature has, in each position, from 0 to one row per
        # feature: its members are written here, once per position and count.
        features = len(self._bin_shares)
        self._one_row_bin_excess = [
            [_bin_excess_member(name, count, share, features) for count in range(features + 1)]
            for name, share in zip(self._bin_slot_names, self._pooled_shares, strict=False)
        ]
        self.bins = BinCounter(card)
        per_model = [
            *self._predicted.values(),
            *self._out_of_range.values(),
            *self._missing.values(),
            *self._unknown.values(),
            *share_names.values(),
            *([] if card.is_classifier else VALUE_SUMMARY),
            *self._every_bin_name,
        ]
        self._definitions = {name: _definition(name) for name in per_model}
        self._members = {name: f",{json.dumps(name)}:" for name in per_model}
        health = [_definition(name) for name in ("rows", "client_errors", "server_errors")]
        if card.has_ranges:
            health.append(_definition("out_of_range_rows"))
        health.append(_definition("latency_ms", MILLISECONDS))
        cold = [*health, _definition("cold_start"), _definition("init_ms", MILLISECONDS)]
        prefix = '{"Namespace":' + json.dumps(namespace) + ',"Dimensions":'
        self._directive_start = {
            dimensions: f'{prefix}{json.dumps(dimensions, separators=COMPACT)},"Metrics":['
            for dimensions in (LINE_DIMENSIONS, BY_MODEL, BY_ERROR_TYPE, NO_DIMENSION)
        }
        # The class mix and the input mix share one directive; a line without answered rows
        # has neither, a regressor's lines the input mix only.
        mixes = {
            (has_classes, has_bins): [
                *(self._slot_names if has_classes else []),
                *(self._bin_slot_names if has_bins else []),
            ]
            for has_classes in (False, True)
            for has_bins in (False, True)
        }
        self._mix_directive = {
            kinds: self._directive_start[NO_DIMENSION]
            + ",".join(_definition(name) for name in names)
            + "]}"
            for kinds, names in mixes.items()
            if names
        }
        self._health = {
            cold_start: self._directive_start[LINE_DIMENSIONS] + ",".join(metrics) + "]}"
            for cold_start, metrics in ((False, health), (True, cold))
        }
        self._errors = {
            name: self._directive_start[BY_ERROR_TYPE] + _definition(name) + "]}"
            for name in ("client_errors", "server_errors")
        }

    def line(self, record: dict[str, Any], answer: Answer | None) -> str:
        """``record`` and the metrics, as one line of compact JSON (``_aws`` last).

        ``record`` holds ``event``, ``status``, ``rows``, ``latency_ms`` and, for an error,
        ``error_type``: those members are metrics and dimensions as they are; the dimension
        values and metric values follow them. ``answer`` is the prediction answered, None when
        nothing was predicted. Every value the metrics add is an ``int`` or a finite ``float``,
        whose ``repr`` is what ``json.dumps`` writes.
        """
        status = record["status"]
        members = [
            self._encode(record)[:-1],
            self._status_members[400 <= status < 500, status >= 500],
        ]
        if self._has_ranges:
            outside = answer.out_of_range if answer is not None else None
            flagged = len(outside) - outside.count([]) if outside else 0
            members.append(f',"out_of_range_rows":{flagged}')
        labels = getattr(answer, "labels", None)
        label_counts = Counter(labels) if labels is not None else None
        per_model = self._prediction_counts(answer, label_counts)
        cold = self._cold
        if cold:
            self._cold = False
            members.append(self._cold_members)
            per_model.update(self._training_shares)
        members += [self._members[name] + repr(value) for name, value in per_model.items()]
        directives = [self._health[cold]]
        has_classes = bool(labels and self._slot_names)
        if has_classes:
            rows = len(labels)
            members.append(
                self._one_row_mix[labels[0]]
                if rows == 1
                else self._class_mix_members(label_counts, rows)
            )
        bins = answer.unusual.bins if answer is not None else None
        has_bins = bool(record["rows"] and self._bin_slot_names and bins)
        if has_bins:
            members.append(self._bin_excess_members(bins, record["rows"]))
        if has_classes or has_bins:
            directives.append(self._mix_directive[has_classes, has_bins])
        if "error_type" in record:
            directives.append(self._errors["server_errors" if status >= 500 else "client_errors"])
        names = list(per_model)
        for start in range(0, len(names), METRICS_PER_DIRECTIVE):
            chunk = names[start : start + METRICS_PER_DIRECTIVE]
            definitions = ",".join([self._definitions[name] for name in chunk])
            directives.append(self._directive_start[BY_MODEL] + definitions + "]}")
        timestamp = int(time.time() * 1000)
        members.append(f',"_aws":{{"Timestamp":{timestamp},"CloudWatchMetrics":[')
        members.append(",".join(directives))
        members.append("]}}")
        return "".join(members)

    def _class_mix_members(self, label_counts: Mapping[str, int], rows: int) -> str:
        """The line's ``class_mix_excess`` members as JSON text, each led by a comma: per slot,
        rows predicted in it minus its training share of the line's ``rows``."""
        counts = [0] * len(self._slot_names)
        for label, n in label_counts.items():
            counts[self._slot_of[label]] += n
        return "".join(
            f',"{name}":{round(count - share * rows, CLASS_MIX_DECIMALS)!r}'
            for name, count, share in zip(self._slot_names, counts, self._slot_shares, strict=True)
        )

    def _bin_excess_members(self, bins: Mapping[str, list[int]], rows: int) -> str:
        """The line's ``bin_excess`` members as JSON text, each led by a comma: per bin position
        but the last, rows there minus training's share of the rows holding a value, averaged
        over the binned features."""
        pooled = list(map(sum, zip_longest(self._no_rows, *bins.values(), fillvalue=0)))
        features = len(self._bin_shares)
        # No feature counts a row twice, so only lines where every feature holds a value in every
        # row count rows times features.
        complete = sum(pooled) == rows * features
        if complete and rows == 1:
            return "".join(map(getitem, self._one_row_bin_excess, pooled))
        if complete:
            expected = [rows * share for share in self._pooled_shares]
        else:
            expected = [0.0] * FEATURE_BINS
            for feature, shares in self._bin_shares.items():
                present = sum(bins[feature])
                for position, share in enumerate(shares):
                    expected[position] += share * present
        return "".join(
            _bin_excess_member(name, count, wanted, features)
            for name, count, wanted in zip(self._bin_slot_names, pooled, expected, strict=False)
        )

    def _prediction_counts(
        self, answer: Answer | None, label_counts: Mapping[str, int] | None
    ) -> dict[str, int | float]:
        """Rows per predicted class (``label_counts``, a classifier's) or a regressor's value
        summary, per feature outside the range, missing, of an unknown category or in a bin;
        zero counts left out."""
        if answer is None:
            return {}
        if label_counts is not None:
            counts: dict[str, int | float] = {
                self._predicted[label]: n for label, n in label_counts.items()
            }
        else:
            counts = _value_summary(answer.values.tolist())
        unusual = answer.unusual
        per_feature = (
            (self._out_of_range, Counter(chain.from_iterable(answer.out_of_range or ()))),
            (self._missing, unusual.missing),
            (self._unknown, unusual.unknown),
        )
        for names, counted in per_feature:
            if counted:
                counts.update((names[name], n) for name, n in counted.items())
        if unusual.bins:
            in_bins = list(chain.from_iterable(unusual.bins.values()))
            counts.update(compress(zip(self._every_bin_name, in_bins, strict=True), in_bins))
        return counts


def _bin_excess_member(name: str, count: int, wanted: float, features: int) -> str:
    """One ``bin_excess`` member as JSON text led by a comma: ``count`` rows in a position
    against the ``wanted`` training expects, averaged over ``features``."""
    return f',"{name}":{round((count - wanted) / features, CLASS_MIX_DECIMALS)!r}'


def _value_summary(values: list[float]) -> dict[str, int | float]:
    """A regressor's ``VALUE_SUMMARY`` of the values it answered (none for no values)."""
    if not values:
        return {}
    return {
        "value_count": len(values),
        "value_sum": math.fsum(values),
        "value_min": min(values),
        "value_max": max(values),
    }
