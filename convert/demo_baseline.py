"""``python -m convert.demo_baseline``: the pickle baseline again, without touching ``function/``.

The benchmarks compare the served model with the same model pickled, which ``make convert``
leaves in ``build/baseline/``. A fresh clone, or ``make clean`` before a pickle was kept, has
none. When ``function/`` still serves the Iris demo, the demo is trained again in a scratch
folder (its training is seeded, so it is the same forest byte for byte) and only the pickle and
its card are kept, once the scratch model's digest proves it is the one being served. Any other
model's baseline is its owner's pickle, which only ``make convert MODEL=...`` can bring back:
this says so and writes nothing.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

from convert import DEFAULT_BASELINE_DIR, FUNCTION_DIR
from convert.conversion import convert_demo


class NotTheDemo(Exception):
    """``function/`` serves a model the demo recipe does not rebuild."""


def served_digest(model_dir: Path) -> str:
    """The sha256 the served model's card records (its ``model.onnx`` is checked against it at
    every init)."""
    try:
        return json.loads((model_dir / "model.json").read_text())["sha256"]
    except (OSError, ValueError, KeyError) as exc:
        raise NotTheDemo(f"{model_dir / 'model.json'}: no model card ({exc})") from None


def rebuild_demo_baseline(model_dir: Path, baseline_dir: Path) -> None:
    """Write ``baseline_dir/model.{pkl,json}`` for the demo ``model_dir`` serves (nothing to do
    if the baseline there is already that model's), or raise ``NotTheDemo`` having written
    nothing."""
    served = served_digest(model_dir)
    if (baseline_dir / "model.pkl").is_file() and _baseline_digest(baseline_dir) == served:
        return
    with tempfile.TemporaryDirectory(prefix="demo-baseline-") as scratch:
        out, baseline = Path(scratch) / "function", Path(scratch) / "baseline"
        card = convert_demo(out, baseline)
        if card.sha256 != served:
            raise NotTheDemo(
                f"{model_dir} serves {card_name(model_dir)!r}, not the Iris demo this would "
                "rebuild: its pickle baseline is your own pickle file; run make convert "
                "MODEL=<your pickle> (with the FEATURES=/SAMPLE= you used) to write it again"
            )
        baseline_dir.mkdir(parents=True, exist_ok=True)
        for name in ("model.pkl", "model.json"):
            shutil.copyfile(baseline / name, baseline_dir / name)


def _baseline_digest(baseline_dir: Path) -> str | None:
    """The digest the baseline's card records, or None without a readable card."""
    try:
        return served_digest(baseline_dir)
    except NotTheDemo:
        return None


def card_name(model_dir: Path) -> str:
    """The served model's name, for the message."""
    return json.loads((model_dir / "model.json").read_text()).get("name", "?")


def main(argv: list[str] | None = None) -> int:
    """Rebuild the demo's baseline; one ``error:`` line and status 1 if it cannot."""
    parser = argparse.ArgumentParser(prog="python -m convert.demo_baseline", description=__doc__)
    parser.add_argument("--model-dir", type=Path, default=FUNCTION_DIR)
    parser.add_argument("--baseline-dir", type=Path, default=DEFAULT_BASELINE_DIR)
    args = parser.parse_args(argv)
    try:
        rebuild_demo_baseline(args.model_dir, args.baseline_dir)
    except NotTheDemo as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"the Iris demo's pickle baseline: {args.baseline_dir / 'model.pkl'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
