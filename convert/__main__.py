"""``python -m convert``: train the Iris demo (default) or convert ``--from-pickle PATH``.

``make convert`` and ``make convert MODEL=path [FEATURES=a,b,c] [SAMPLE=rows.csv] [NAME=...]
[VERSION=...]`` run exactly this. Exit status 0 means ``model.onnx`` and ``model.json`` were
written and agree with scikit-learn; any failure prints one ``error:`` line and writes nothing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from convert import DEFAULT_BASELINE_DIR, FUNCTION_DIR
from convert.conversion import (
    DEMO_NAME,
    NO_RANGE_NOTE,
    DemoParameters,
    convert_demo,
    convert_pickle,
)
from convert.from_pickle import InputError
from convert.golden import GoldenRowsError
from convert.parity import ParityError
from convert.servable import UnsupportedModelError
from onnx_serving.card import ModelCard


def main(argv: list[str] | None = None) -> int:
    """Run the conversion the arguments ask for; return the exit status."""
    args = _parser().parse_args(argv)
    try:
        card = _run(args)
    except (InputError, UnsupportedModelError, ParityError, GoldenRowsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(parity_line(card.parity))
    print(
        f"wrote {args.out_dir / 'model.onnx'} (sha256 {card.sha256}) and model.json "
        f"with {len(card.golden_rows)} golden rows"
    )
    if args.baseline_dir:
        print(f"wrote the pickle baseline {args.baseline_dir / 'model.pkl'} (benchmarks only)")
    if not card.has_ranges:
        print(NO_RANGE_NOTE)
    return 0


def parity_line(parity: dict[str, float]) -> str:
    """``parity: 5030 rows, labels 100% identical, max |Δp| 6.56e-07 (tolerance 1e-05)``, and
    the ties and float32-boundary rows that were accepted, if any; for a regressor
    ``parity: 5442 rows, max relative |Δ| 3.10e-08 (tolerance 1e-05)``."""
    if "max_value_gap" in parity:
        line = (
            f"parity: {int(parity['rows'])} rows, max relative |Δ| "
            f"{parity['max_value_gap']:.2e} (tolerance {parity['tolerance']:g})"
        )
    else:
        line = (
            f"parity: {int(parity['rows'])} rows, labels {parity['label_agreement']:.0%} "
            f"identical, max |Δp| {parity['max_abs_probability_diff']:.2e} "
            f"(tolerance {parity['tolerance']:g})"
        )
    if parity.get("tied_rows"):
        line += (
            f"; {int(parity['tied_rows'])} tied rows (two classes equally likely) named "
            "the other way by float32 sums"
        )
    if parity["boundary_rows"]:
        line += (
            f"; {int(parity['boundary_rows'])} rows on a float boundary, where scikit-learn "
            "itself gives ONNX's answer a few float steps away"
        )
    return line


def _run(args: argparse.Namespace) -> ModelCard:
    if args.from_pickle:
        return convert_pickle(
            args.from_pickle,
            args.out_dir,
            args.baseline_dir,
            feature_names=args.feature_names,
            sample_csv=args.sample_csv,
            name=args.name,
            version=args.version,
        )
    if args.feature_names or args.sample_csv:
        raise InputError("--feature-names and --sample-csv are for --from-pickle (MODEL=)")
    parameters = DemoParameters(args.n_estimators, args.max_depth, args.random_state)
    return convert_demo(
        args.out_dir, args.baseline_dir, parameters, args.name or DEMO_NAME, args.version
    )


def _optional_path(text: str) -> Path | None:
    return Path(text) if text else None


def _depth(text: str) -> int | None:
    return None if text.lower() == "none" else int(text)


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.split(",")]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m convert", description=__doc__)
    parser.add_argument("--out-dir", type=Path, default=FUNCTION_DIR, help="where model.onnx goes")
    parser.add_argument(
        "--baseline-dir",
        type=_optional_path,
        default=DEFAULT_BASELINE_DIR,
        help="where the pickle baseline for the benchmarks goes ('' to skip)",
    )
    parser.add_argument("--name", help="model name in the card (default: the pickle's stem)")
    parser.add_argument("--version", default="1", help="model version in the card")
    own = parser.add_argument_group("your own model")
    own.add_argument(
        "--from-pickle", type=Path, help="a fitted classifier, regressor or Pipeline (trusted!)"
    )
    own.add_argument("--feature-names", type=_names, help="comma-separated, in column order")
    own.add_argument(
        "--sample-csv",
        type=Path,
        help="real rows (a header names the columns; an empty cell is missing): parity is "
        "checked on them, ranges taken",
    )
    demo = parser.add_argument_group("the Iris demo")
    defaults = DemoParameters()
    demo.add_argument("--n-estimators", type=int, default=defaults.n_estimators)
    demo.add_argument(
        "--max-depth", type=_depth, default=defaults.max_depth, help="an integer or 'none'"
    )
    demo.add_argument("--random-state", type=int, default=defaults.random_state)
    return parser


if __name__ == "__main__":
    sys.exit(main())
