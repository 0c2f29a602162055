"""``python -m convert.describe [DIR] [--openapi PATH]``: the model a build will ship.

``make build`` runs it first, so that nobody deploys a model without seeing which one it is, and
writes the HTTP contract the function will serve (``GET /openapi.json``) to ``build/openapi.json``
for clients and tools that want it before a deploy. The description follows ``MAX_BATCH_ROWS``
as the function reads it (default 1000); a deployed function serves its own.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from convert import FUNCTION_DIR
from onnx_serving.answers import RequestLimits
from onnx_serving.card import ModelCard
from onnx_serving.events import HTTP_API
from onnx_serving.handler import ServingSettings
from onnx_serving.openapi import openapi_document


def describe(model_dir: Path) -> str:
    """``model: NAME version V, sha256 PREFIX (DIR/model.json)``, from the card beside the model."""
    card = ModelCard.load(model_dir / "model.json")
    return f"model: {card.name} version {card.version}, sha256 {card.sha256[:12]} ({model_dir})"


def write_openapi(model_dir: Path, path: Path) -> None:
    """The OpenAPI description the function serves through the HTTP API, as a file."""
    card = ModelCard.load(model_dir / "model.json")
    rows = RequestLimits.of(card, ServingSettings.from_env(os.environ).max_batch_rows)
    document = openapi_document(card, rows.row_limits[HTTP_API].rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    """Print the line (and write the description); exit 1 when there is no valid card."""
    parser = argparse.ArgumentParser(prog="python -m convert.describe", description=__doc__)
    parser.add_argument("model_dir", nargs="?", type=Path, default=FUNCTION_DIR)
    parser.add_argument("--openapi", type=Path, help="also write the OpenAPI description here")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        print(describe(args.model_dir))
        if args.openapi:
            write_openapi(args.model_dir, args.openapi)
            print(f"wrote the OpenAPI description to {args.openapi}")
    except ValueError as exc:  # a ModelCardError, or a MAX_BATCH_ROWS the function would refuse
        print(f"no servable model: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
