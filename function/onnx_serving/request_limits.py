"""What one request may ask of this function, per entry point, decided once at init.

Two limits meet here: ``MAX_BATCH_ROWS``, the deployer's, and the most rows whose answer is sure
to fit the entry point's response limit (``answer_size``), the model's. A batch over either is a
413 before any value is converted, with a message naming the limit that applied; the body of an
HTTP request is bounded by the same number of rows before it is parsed (``bounded_json``).
"""

from __future__ import annotations

from typing import NamedTuple

from .answer_size import response_limit, worst_answer_size
from .bounded_json import BodyBounds
from .event_kinds import ALB, KINDS
from .model_card import ModelCard


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
    fits = min(worst_answer_size(card, kind, multi).rows_within(limit) for multi in modes)
    if fits >= max_batch_rows:
        return RowLimit(max_batch_rows)
    return RowLimit(
        fits,
        f"more rows of this model could answer more than the {limit} bytes a response may have",
    )
