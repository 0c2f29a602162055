"""Order statistics for benchmark samples: medians and tails, never means.

Timings on a shared machine have a long right tail (a context switch, a page-cache miss), so a
mean moves with one bad sample; the median does not. Percentiles use the nearest-rank method,
which always returns an observed sample: with 50 samples "p99" is honestly the largest one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def percentile(samples: Sequence[float], q: float) -> float:
    """The nearest-rank ``q``-th percentile (0 < q <= 100) of ``samples``."""
    if not samples:
        raise ValueError("no samples")
    if not 0 < q <= 100:
        raise ValueError(f"percentile must be in (0, 100], got {q}")
    ordered = sorted(samples)
    rank = math.ceil(q / 100 * len(ordered))
    return float(ordered[rank - 1])


def median(samples: Sequence[float]) -> float:
    """The middle sample, or the mean of the two middle ones for an even count."""
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


@dataclass(frozen=True)
class Summary:
    """What a table shows of one series: its size, centre, tail and range."""

    n: int
    median: float
    p99: float
    low: float
    high: float

    @classmethod
    def of(cls, samples: Sequence[float]) -> Summary:
        """Summarise a non-empty series."""
        return cls(
            len(samples), median(samples), percentile(samples, 99), min(samples), max(samples)
        )

    def spread(self, digits: int = 0) -> str:
        """``median [min–max]``, the form every table uses."""
        return f"{self.median:.{digits}f} [{self.low:.{digits}f}–{self.high:.{digits}f}]"


def ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator``; infinite when the denominator is zero."""
    return numerator / denominator if denominator else math.inf
