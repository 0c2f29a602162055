"""``python -m convert.describe [DIR]``: one line naming the model a build will ship.

``make build`` prints it first, so that nobody deploys a model without seeing which one it is.
"""

from __future__ import annotations

import sys
from pathlib import Path

from convert import FUNCTION_DIR
from onnx_serving.model_card import ModelCard, ModelCardError


def describe(model_dir: Path) -> str:
    """``model: NAME version V, sha256 PREFIX (DIR/model.json)``, from the card beside the model."""
    card = ModelCard.load(model_dir / "model.json")
    return f"model: {card.name} version {card.version}, sha256 {card.sha256[:12]} ({model_dir})"


def main(argv: list[str] | None = None) -> int:
    """Print the line; exit 1 with the card's problem when there is no valid card."""
    args = sys.argv[1:] if argv is None else argv
    model_dir = Path(args[0]) if args else FUNCTION_DIR
    try:
        print(describe(model_dir))
    except ModelCardError as exc:
        print(f"no servable model: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
