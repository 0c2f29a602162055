"""BatchFunction's memory bound in bytes, on crafted files generated while they are read.

Each file is scored by the batch handler in a fresh process (``crafted_batch.py``) after a small
ordinary file has warmed it up, with the output going to a local S3 server. The bound under test
is docs/batch.md's: the peak RSS (VmHWM) of the process after the crafted file is at most
``GROWTH_KB`` above its peak after the small file, whatever the crafted file holds; the answers
(scored or refused, and why) are pinned as well.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from batch_support import new_bucket

from onnx_serving.batch.text_lines import MAX_LINE_CHARS, MAX_RECORD_LINES

# Tens of seconds per file: `make test-batch-scale` runs it, `make test` lists it as skipped.
pytestmark = pytest.mark.skipif(
    os.environ.get("BATCH_SCALE") != "1", reason="scale tier: run with make test-batch-scale"
)
PROBE = Path(__file__).resolve().parent / "crafted_batch.py"
# docs/batch.md, "Memory: the bound and how it is held".
GROWTH_KB = 64 * 1024
GIB = 1024**3
OVER_LIMIT = f"line 102 is longer than {MAX_LINE_CHARS} characters (its line ending included)"
OPEN_QUOTE = (
    f"the record starting on line 2 spans more than {MAX_RECORD_LINES} lines "
    "(is a quote left open?)"
)
# What each file gets: status, reason, rows read, rejected, written.
EXPECTED = {
    "csv-lines-at-limit": ("scored", None, 200, 0, 200),
    "jsonl-lines-at-limit": ("scored", None, 100, 0, 100),
    "csv-astral-lines-at-limit": ("scored", None, 25, 0, 25),
    "csv-wide-rows": ("scored", None, 200, 0, 200),
    "jsonl-wide-objects": ("scored", None, 100, 0, 100),
    "csv-line-over-limit": ("refused", OVER_LIMIT, 100, 0, 100),
    "csv-quoted-record-200k-lines": ("refused", OPEN_QUOTE, 0, 0, 0),
    "csv-gib-near-limit-lines": ("scored", None, 1088, 1071, 17),
}


@pytest.mark.parametrize("case", list(EXPECTED))
def test_a_crafted_file_is_scored_or_refused_within_the_memory_bound(case, model_dir, local_s3, s3):
    bucket = new_bucket(s3)
    done = subprocess.run(
        [sys.executable, str(PROBE), case, str(model_dir), bucket],
        env={**os.environ, **local_s3.client_environment()},
        capture_output=True,
        text=True,
        timeout=1800,
        check=True,
    )
    result = json.loads(done.stdout.splitlines()[-1])
    summary = result["summary"]
    answer = tuple(summary[k] for k in ("status", "reason", "rows", "rejected", "written"))
    growth_kb = result["peak_kb"] - result["warm_peak_kb"]
    print(
        f"{case}: {result['bytes']} bytes in {result['seconds']} s; peak RSS "
        f"{result['warm_peak_kb'] // 1024} MB warm, {result['peak_kb'] // 1024} MB after "
        f"(+{growth_kb // 1024} MB)"
    )
    assert answer == EXPECTED[case]
    assert growth_kb <= GROWTH_KB
    if case == "csv-gib-near-limit-lines":
        assert result["bytes"] >= GIB
