"""BatchFunction's knobs, read once at init; a bad value fails init with a message."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_OUTPUT_PREFIX = "scored/"
# Objects above this are refused whatever the timeout: a file this large belongs on the
# Distributed Map path, where each child invocation scores a slice of rows.
DEFAULT_MAX_INPUT_BYTES = 2 * 1024**3
# The input rate the up-front time check assumes. Measured through the runtime client with one
# CPU of time (what BatchMemorySize=1769 buys), the Iris demo scored a CSV of an id and four
# features at a median 1.35 MB/s (docs/batch.md); 1 MB/s leaves a margin for slower CPUs, busier
# hosts and larger forests. Measure your own model with `make benchmark-batch` and set
# BATCH_BYTES_PER_SECOND.
DEFAULT_BYTES_PER_SECOND = 1_000_000
# Rows validated, scored and written together: big enough that numpy and onnxruntime run on
# arrays, small enough that a chunk's Python objects stay a few MB.
DEFAULT_CHUNK_ROWS = 8192
# The same chunk cut by input characters as well: 8,192 rows of near-limit lines would be
# gigabytes, and what a chunk holds (its rows, their output text and its bytes) grows with its
# characters. One line's worth: rows of up to 128 characters are still cut by rows; docs/batch.md
# states the bound this gives, and what larger values cost.
DEFAULT_CHUNK_CHARS = 1024 * 1024
# BATCH_CSV_FORMULAS: neutralise formula-looking CSV output cells (the default), or keep them.
CSV_FORMULAS = ("neutralise", "keep")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


@dataclass(frozen=True)
class BatchSettings:
    """Where output goes, the size and time limits, the chunk size, the state machine and how
    formula-looking CSV cells are written."""

    output_prefix: str = DEFAULT_OUTPUT_PREFIX
    max_input_bytes: int = DEFAULT_MAX_INPUT_BYTES
    bytes_per_second: int = DEFAULT_BYTES_PER_SECOND
    chunk_rows: int = DEFAULT_CHUNK_ROWS
    chunk_chars: int = DEFAULT_CHUNK_CHARS
    state_machine_arn: str = ""
    keep_csv_formulas: bool = False
    log_files: bool = True

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> BatchSettings:
        """Read ``BATCH_*`` and ``LOG_LEVEL``; anything malformed is a deployment mistake."""
        level = env.get("LOG_LEVEL", "INFO").upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"LOG_LEVEL must be one of {LOG_LEVELS}, got {level!r}")
        prefix = env.get("BATCH_OUTPUT_PREFIX", DEFAULT_OUTPUT_PREFIX)
        if prefix and not prefix.endswith("/"):
            raise ValueError(f"BATCH_OUTPUT_PREFIX must end with '/', got {prefix!r}")
        formulas = env.get("BATCH_CSV_FORMULAS", CSV_FORMULAS[0])
        if formulas not in CSV_FORMULAS:
            raise ValueError(f"BATCH_CSV_FORMULAS must be one of {CSV_FORMULAS}, got {formulas!r}")
        return cls(
            output_prefix=prefix,
            max_input_bytes=_positive(env, "BATCH_MAX_INPUT_BYTES", DEFAULT_MAX_INPUT_BYTES),
            bytes_per_second=_positive(env, "BATCH_BYTES_PER_SECOND", DEFAULT_BYTES_PER_SECOND),
            chunk_rows=_positive(env, "BATCH_CHUNK_ROWS", DEFAULT_CHUNK_ROWS),
            chunk_chars=_positive(env, "BATCH_CHUNK_CHARS", DEFAULT_CHUNK_CHARS),
            state_machine_arn=env.get("BATCH_STATE_MACHINE_ARN", ""),
            keep_csv_formulas=formulas == "keep",
            log_files=level in ("DEBUG", "INFO"),
        )


def _positive(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, str(default))
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{name} must be a positive integer, got {raw!r}")
    return int(raw)
