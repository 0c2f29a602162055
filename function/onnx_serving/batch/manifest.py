"""Where a file's output and manifest go, and what the manifest says.

Everything in a manifest but ``timings`` follows from the input's bytes (its ETag) and the
model: a re-delivered event rewrites the same manifest, beside the same output, at the same keys.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..card import ModelCard
from .s3_io import clean_etag, s3_uri

MANIFEST_FORMAT = 1
# Rejected rows listed in a manifest (all are counted): enough to find a pattern, never a copy
# of a bad file.
SHOWN_REJECTIONS = 100
SCORED = "scored"
REFUSED = "refused"


def output_folder(prefix: str, key: str, etag: str, card: ModelCard) -> str:
    """``<prefix><input key>/<etag>-<model sha256, 16 hex>/``: one folder per input and model."""
    return f"{prefix}{key}/{clean_etag(etag)}-{card.sha256[:16]}/"


@dataclass
class Tally:
    """Rows read and rejected so far, and the first rejections with their reasons."""

    read: int = 0
    rejected: int = 0
    shown: list[dict[str, Any]] = field(default_factory=list)

    @property
    def written(self) -> int:
        """Rows that reached the output."""
        return self.read - self.rejected

    def reject(self, line: int, reason: str) -> None:
        """Count a rejected row; keep its line and reason while fewer than the limit are kept."""
        self.rejected += 1
        if len(self.shown) < SHOWN_REJECTIONS:
            self.shown.append({"line": line, "reason": reason})


@dataclass(frozen=True)
class InputObject:
    """The object scored: where it is, which version, how large, in which format."""

    bucket: str
    key: str
    etag: str
    size: int
    format: str | None


def manifest(
    status: str,
    reason: str | None,
    source: InputObject,
    output_uri: str | None,
    tally: Tally,
    card: ModelCard,
    seconds: float,
) -> dict[str, Any]:
    """The manifest document; only ``timings`` differs between two runs on the same input."""
    return {
        "manifest_format": MANIFEST_FORMAT,
        "status": status,
        "reason": reason,
        "input": {
            "uri": s3_uri(source.bucket, source.key),
            "etag": clean_etag(source.etag),
            "bytes": source.size,
            "format": source.format,
        },
        "output": {"uri": output_uri, "format": source.format} if output_uri else None,
        "rows": {"read": tally.read, "written": tally.written, "rejected": tally.rejected},
        "rejected_rows": tally.shown,
        "model": {"name": card.name, "version": card.version, "sha256": card.sha256},
        "timings": {
            "seconds": round(seconds, 3),
            "rows_per_second": round(tally.read / seconds) if seconds > 0 else None,
        },
    }


def manifest_bytes(document: dict[str, Any]) -> bytes:
    """Sorted keys, two-space indent: the same document always gives the same bytes."""
    return (json.dumps(document, indent=2, sort_keys=True, allow_nan=False) + "\n").encode()
