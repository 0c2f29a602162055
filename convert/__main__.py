"""``python -m convert``: train the Iris forest (default) or convert ``--from-pickle PATH``.

Exit status 0 means ``model.onnx`` and ``model.json`` were written and agree with scikit-learn;
any failure prints one ``error:`` line and writes nothing.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import joblib
import numpy as np

from convert import FUNCTION_DIR
from convert.export import (
    ModelInfo,
    UnsupportedModelError,
    export_onnx,
    serving_model,
    verify_and_write,
)
from convert.from_pickle import (
    InputError,
    feature_names_for,
    load_estimator,
    read_sample_csv,
    training_range,
)
from convert.parity import RANDOM_ROWS, ParityError, random_rows
from convert.train import train_iris
from onnx_serving.model_card import ModelCard

DEFAULT_BASELINE = Path("build/baseline")


def main(argv: list[str] | None = None) -> int:
    """Run the conversion the arguments ask for; return the exit status."""
    args = _parser().parse_args(argv)
    try:
        card = _convert_pickle(args) if args.from_pickle else _convert_iris(args)
    except (InputError, UnsupportedModelError, ParityError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    parity = card.parity
    print(
        f"parity: {int(parity['rows'])} rows, labels {parity['label_agreement']:.0%} identical, "
        f"max |Δp| {parity['max_abs_probability_diff']:.2e} (tolerance {parity['tolerance']:g})"
    )
    print(f"wrote {args.out_dir / 'model.onnx'} (sha256 {card.sha256}) and model.json")
    return 0


def _convert_iris(args: argparse.Namespace) -> ModelCard:
    trained = train_iris(args.n_estimators, args.max_depth, args.random_state)
    print(
        f"trained RandomForest(n_estimators={args.n_estimators}, max_depth={args.max_depth}, "
        f"random_state={args.random_state}) on Iris: test accuracy {trained.accuracy:.4f}"
    )
    low, high = trained.x_train.min(axis=0), trained.x_train.max(axis=0)
    info = ModelInfo(
        name=args.name or "iris-random-forest",
        version=args.version,
        feature_names=trained.feature_names,
        feature_min=low,
        feature_max=high,
        metrics={"test_accuracy": trained.accuracy, "test_rows": float(len(trained.x_test))},
    )
    check_rows = np.vstack([trained.x_test, random_rows(low, high, RANDOM_ROWS)])
    model_bytes = serving_model(
        trained.estimator, export_onnx(trained.estimator, len(info.feature_names))
    )
    card = verify_and_write(trained.estimator, model_bytes, info, check_rows, args.out_dir)
    if args.baseline_dir:
        _write_baseline(trained.estimator, args.out_dir, args.baseline_dir)
    return card


def _convert_pickle(args: argparse.Namespace) -> ModelCard:
    estimator = load_estimator(args.from_pickle)
    names = feature_names_for(estimator, args.feature_names)
    model_bytes = serving_model(estimator, export_onnx(estimator, len(names)))
    if args.sample_csv:
        sample = read_sample_csv(args.sample_csv, names)
        low, high = sample.min(axis=0), sample.max(axis=0)
    else:
        sample = np.empty((0, len(names)), dtype=np.float32)
        low, high = (np.asarray(v, dtype=np.float64) for v in training_range(estimator))
    info = ModelInfo(
        name=args.name or args.from_pickle.stem,
        version=args.version,
        feature_names=names,
        feature_min=low,
        feature_max=high,
        metrics={},
    )
    check_rows = np.vstack([sample, random_rows(low, high, RANDOM_ROWS)])
    return verify_and_write(estimator, model_bytes, info, check_rows, args.out_dir)


def _write_baseline(estimator: object, model_dir: Path, baseline_dir: Path) -> None:
    """The same model pickled, for the benchmark baseline: outside the function package."""
    baseline_dir.mkdir(parents=True, exist_ok=True)
    joblib.dump(estimator, baseline_dir / "model.pkl")
    shutil.copyfile(model_dir / "model.json", baseline_dir / "model.json")
    print(f"wrote the pickle baseline {baseline_dir / 'model.pkl'}")


def _optional_path(text: str) -> Path | None:
    return Path(text) if text else None


def _depth(text: str) -> int | None:
    return None if text.lower() == "none" else int(text)


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.split(",")]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m convert", description=__doc__)
    parser.add_argument("--out-dir", type=Path, default=FUNCTION_DIR, help="where model.onnx goes")
    parser.add_argument("--name", help="model name in the card")
    parser.add_argument("--version", default="1", help="model version in the card")
    iris = parser.add_argument_group("the reference Iris model")
    iris.add_argument("--n-estimators", type=int, default=100)
    iris.add_argument("--max-depth", type=_depth, default=5, help="an integer or 'none'")
    iris.add_argument("--random-state", type=int, default=42)
    iris.add_argument(
        "--baseline-dir",
        type=_optional_path,
        default=DEFAULT_BASELINE,
        help="where the pickled baseline goes ('' to skip)",
    )
    own = parser.add_argument_group("your own model")
    own.add_argument("--from-pickle", type=Path, help="a fitted classifier or Pipeline (trusted!)")
    own.add_argument("--feature-names", type=_names, help="comma-separated, in column order")
    own.add_argument(
        "--sample-csv", type=Path, help="rows to verify parity on and take ranges from"
    )
    return parser


if __name__ == "__main__":
    sys.exit(main())
