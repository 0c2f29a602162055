"""What a million invocations cost, from measured durations and the memory a contender needs.

List prices, us-east-1, first usage tier (aws.amazon.com/lambda/pricing): $0.0000166667 per
GB-second on x86_64, $0.0000133334 on arm64 (Graviton2, 20% less), and $0.20 per million requests
on both, unchanged since Lambda moved to 1-ms billing (December 2020) and Graviton2 functions
(September 2021). Since 1 August 2025 the INIT phase of on-demand ZIP functions on managed runtimes
is billed as duration ("AWS Lambda standardizes billing for INIT Phase", AWS Compute Blog), so a
cold invocation pays for init + handler time. The free tier is left out: it is the same for all.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

PRICE_PER_GB_SECOND = 0.0000166667
PRICE_PER_GB_SECOND_BY_ARCH = {"x86_64": PRICE_PER_GB_SECOND, "arm64": 0.0000133334}
PRICE_PER_MILLION_REQUESTS = 0.20
PRICES_AS_OF = "2025-08-01 (INIT billing start); rates unchanged since 2020-12"
MIN_MEMORY_MB = 128
MAX_MEMORY_MB = 10_240
# Lambda takes any size in 1-MB steps; a 64-MB step keeps the chosen sizes readable and leaves a
# little headroom above the measured peak.
MEMORY_STEP_MB = 64
INVOCATIONS = 1_000_000


def smallest_memory_mb(peak_rss_mb: float) -> int:
    """The smallest memory setting (128 MB, then 64-MB steps) that holds ``peak_rss_mb``."""
    if peak_rss_mb > MAX_MEMORY_MB:
        raise ValueError(f"{peak_rss_mb:.0f} MB does not fit any Lambda memory size")
    steps = max(0, math.ceil((peak_rss_mb - MIN_MEMORY_MB) / MEMORY_STEP_MB))
    return MIN_MEMORY_MB + steps * MEMORY_STEP_MB


def billed_ms(duration_ms: float) -> int:
    """Lambda rounds each invocation's billed duration up to the next millisecond."""
    return math.ceil(duration_ms)


@dataclass(frozen=True)
class Price:
    """The price of ``INVOCATIONS`` invocations of one kind, and how it was reached."""

    memory_mb: int
    billed_ms: int
    usd: float


def price_per_million(duration_ms: float, memory_mb: int, arch: str = "x86_64") -> Price:
    """Requests + GB-seconds for a million invocations of ``duration_ms`` each at ``memory_mb``
    on ``arch``."""
    billed = billed_ms(duration_ms)
    gb_seconds = memory_mb / 1024 * billed / 1000 * INVOCATIONS
    rate = PRICE_PER_GB_SECOND_BY_ARCH[arch]
    usd = gb_seconds * rate + PRICE_PER_MILLION_REQUESTS * INVOCATIONS / 1e6
    return Price(memory_mb, billed, usd)
