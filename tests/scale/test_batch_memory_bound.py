"""BatchFunction's memory bound at 2,000,000 rows, through the runtime client.

A warm execution environment scores 200,000 rows, then 2,000,000, of each format. The bound
under test: peak RSS (VmHWM, Lambda's Max Memory Used) after the ten-times-larger file is at
most 8 MB above the peak after the small one, and never above 160 MB, whatever the size.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest
import sam_support
from batch_support import new_bucket, write_csv, write_json_lines

from tools.local_lambda import LocalLambda
from tools.local_lambda.s3_server import LocalS3
from tools.local_lambda.template import built_function_dir, function_config

# Minutes of work: `make test-batch-scale` runs it, `make test` lists it as skipped.
pytestmark = pytest.mark.skipif(
    os.environ.get("BATCH_SCALE") != "1", reason="scale tier: run with make test-batch-scale"
)
BOUND_KB = 160 * 1024
GROWTH_KB = 8 * 1024
WRITERS = {"csv": write_csv, "jsonl": write_json_lines}


@pytest.fixture(scope="module")
def environment(tmp_path_factory):
    build_dir = sam_support.sam_build_dir(None)
    with LocalS3(logs=tmp_path_factory.mktemp("moto") / "moto.log") as local_s3:
        base = function_config(build_dir / "template.yaml", "BatchFunction")
        config = dataclasses.replace(
            base, environment={**base.environment, **local_s3.client_environment()}
        )
        yield build_dir, config, local_s3.client()


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_two_million_rows_stay_under_the_bound(fmt, environment, app, model_dir, tmp_path):
    build_dir, config, s3 = environment
    bucket = new_bucket(s3)
    peaks = []
    logs = (tmp_path / "batch.log").open("ab")
    served = {"MODEL_DIR": str(model_dir)}
    config = dataclasses.replace(config, environment={**config.environment, **served})
    with LocalLambda(
        built_function_dir(build_dir, "BatchFunction"),
        [build_dir / "OnnxRuntimeLayer"],
        config,
        logs=logs,
    ) as function:
        for rows in (200_000, 2_000_000):
            path = Path(tmp_path / f"{rows}.{fmt}")
            WRITERS[fmt](path, app.MODEL.card, rows)
            s3.upload_file(str(path), bucket, f"incoming/{rows}.{fmt}")
            path.unlink()
            summary = function.invoke({"bucket": bucket, "key": f"incoming/{rows}.{fmt}"}).json()
            assert (summary["status"], summary["written"]) == ("scored", rows)
            peaks.append(function.peak_rss_kb)
    print(f"{fmt}: peak RSS {peaks[0] // 1024} MB at 200,000 rows, {peaks[1] // 1024} MB at 2M")
    assert peaks[1] - peaks[0] <= GROWTH_KB
    assert peaks[1] <= BOUND_KB
