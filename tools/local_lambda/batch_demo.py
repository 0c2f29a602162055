"""``python -m tools.local_lambda.batch_demo``: batch scoring end to end, no AWS account needed.

Starts a local S3 server, uploads a sample CSV made from the served model's card (rows across
its training range, then two bad rows to show rejections) or the user's own file (``--input``:
a .csv, .jsonl or .ndjson file, as the batch function reads it on S3), scores it with the
``sam build`` output of BatchFunction through the real runtime client (the key of
``events/batch/direct.json``, with the file's extension), prints the summary, the manifest and
the first output lines, saves the scored file if asked (``--output``), and stops the server.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from layer.interpreters import find_interpreter
from onnx_serving.card import ModelCard
from tools.local_lambda.runner import LocalLambda
from tools.local_lambda.s3_server import LocalS3
from tools.local_lambda.sample_files import write_csv
from tools.local_lambda.template import built_function_dir, function_config

ROOT = Path(__file__).resolve().parents[2]
EVENT = ROOT / "events" / "batch" / "direct.json"
SAMPLE_ROWS = 200


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tools.local_lambda.batch_demo", description=__doc__
    )
    parser.add_argument("--build-dir", type=Path, default=Path(".aws-sam/build"))
    parser.add_argument("--runtime", help="Lambda runtime, e.g. python3.13 (default: template's)")
    parser.add_argument("--rows", type=int, default=SAMPLE_ROWS, help="valid rows in the sample")
    parser.add_argument("--input", type=Path, help="score this file instead of a sample")
    parser.add_argument("--output", type=Path, help="save the scored file here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the demo; the exit status is 1 unless the file was scored."""
    args = _arguments(argv)
    overrides = {"Runtime": args.runtime} if args.runtime else {}
    config = function_config(args.build_dir / "template.yaml", "BatchFunction", overrides)
    task_root = built_function_dir(args.build_dir, "BatchFunction")
    card = ModelCard.load(task_root / "model.json")
    event = json.loads(EVENT.read_text())
    if args.input:
        event["key"] = str(Path(event["key"]).with_suffix(args.input.suffix))
    with LocalS3() as s3_server:
        print(f"local S3 (moto) on {s3_server.endpoint}", file=sys.stderr)
        s3 = s3_server.client()
        s3.create_bucket(Bucket=event["bucket"])
        with tempfile.TemporaryDirectory() as scratch:
            sample = args.input or Path(scratch) / "sample.csv"
            if not args.input:
                write_csv(sample, card, args.rows, bad_rows=True)
            s3.upload_file(str(sample), event["bucket"], event["key"])
        print(f"uploaded s3://{event['bucket']}/{event['key']}", file=sys.stderr)
        environment = {**config.environment, **s3_server.client_environment()}
        with LocalLambda(
            task_root,
            [args.build_dir / "OnnxRuntimeLayer"],
            replace(config, environment=environment),
            find_interpreter(config.runtime),
            logs=sys.stderr,
        ) as function:
            result = function.invoke(event)
        summary = result.json()
        print(json.dumps(summary, indent=2))
        if result.function_error or summary.get("status") != "scored":
            return 1
        for uri, limit in ((summary["manifest"], None), (summary["output"], 6)):
            bucket, key = uri.removeprefix("s3://").split("/", 1)
            text = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
            print(f"\n# {uri}")
            print("\n".join(text.splitlines()[:limit]) if limit else text, end="\n")
        if args.output:
            bucket, key = summary["output"].removeprefix("s3://").split("/", 1)
            s3.download_file(bucket, key, str(args.output))
            print(f"saved {summary['output']} as {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
