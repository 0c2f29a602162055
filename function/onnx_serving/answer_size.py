"""How large an answer can be, known from the model card before any row is predicted.

Lambda refuses a synchronous response over 6 MB *after* the function did the work, and the
caller gets ``Function.ResponseSizeTooLarge`` (a 502 over HTTP) instead of an answer; ALB takes
at most 1 MB of response JSON from a Lambda target. The rows of an answer are all alike: a label,
one probability per class, the features outside the training range. So the largest answer ``n``
rows can have is ``fixed + n * per_row``, where ``per_row`` is a row with the longest class name
as its label, every probability printed at its longest and every feature out of range. Both are
measured exactly by encoding a one-row and a two-row worst case the way the runtime client will
(``json.dumps`` with its separators; ``ensure_ascii`` never makes a name shorter than UTF-8
does, so the figure is exact for ASCII names and an upper bound otherwise).
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from .event_kinds import ALB, DIRECT
from .model_card import ModelCard
from .responses import render

# The largest synchronous invoke response: Lambda answers "Response payload size exceeded maximum
# allowed payload size (6291556 bytes)" above it.
LAMBDA_RESPONSE_BYTES = 6_291_556
# "The maximum size of the response JSON that the Lambda function can send is 1 MB" (ELB
# documentation, Lambda functions as targets), read as the smaller 10^6 bytes.
ALB_RESPONSE_BYTES = 1_000_000
# A probability is rounded to 6 decimals; the longest it prints is "0.dddddd".
LONGEST_PROBABILITY = 0.123456


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


def model_reference(card: ModelCard) -> dict[str, str]:
    """Which model answered, in every prediction answer."""
    return {"name": card.name, "version": card.version, "sha256": card.sha256}


def worst_answer_size(card: ModelCard, kind: str, multi_value: bool = False) -> AnswerSize:
    """The exact size law of ``card``'s largest answers to ``kind``."""
    one = _encoded_bytes(card, kind, multi_value, 1)
    two = _encoded_bytes(card, kind, multi_value, 2)
    return AnswerSize(fixed=one - (two - one), per_row=two - one)


def _encoded_bytes(card: ModelCard, kind: str, multi_value: bool, rows: int) -> int:
    body = {"predictions": [_worst_prediction(card, kind)] * rows, "model": model_reference(card)}
    return len(json.dumps(render(kind, 200, body, multi_value)).encode())


def _worst_prediction(card: ModelCard, kind: str) -> dict[str, Any]:
    """A prediction as ``request_path`` answers it, each part at its longest."""
    return {
        "label": max(card.classes, key=lambda name: _encoded_length(name, kind)),
        "probabilities": dict.fromkeys(card.classes, LONGEST_PROBABILITY),
        "out_of_range": list(card.feature_names),
    }


def _encoded_length(text: str, kind: str) -> int:
    """How long ``text`` is in the answer: HTTP bodies are JSON inside a JSON string."""
    encoded = json.dumps(text)
    return len(encoded if kind == DIRECT else json.dumps(encoded))
