"""The model pairs ``make benchmark`` measures beside the served one: a regressor and a
DataFrame pipeline with string columns and missing values.

Each is fitted from a fixed seed on data scikit-learn ships or rows made from a fixed seed, then
pickled and converted exactly as ``make convert MODEL=... SAMPLE=...`` converts a user's model
(the compatibility table's own ``run_case``: the same fitting, the converter's command line, the
golden rows answered by the handler), into ``build/benchmarks/models/NAME/``: ``function/``
holds the ONNX model and its card, ``baseline/`` the pickle and the same card. The served model
in ``function/`` is never read nor written: these pairs say what the served model's numbers
cannot, how the two contenders compare on other kinds of model.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

from convert.compatibility import Case, diabetes, homes_classes, run_case, typed_pipeline
from tools.benchmarks import packages
from tools.benchmarks.packages import (
    BUILD,
    SKLEARN_LAYER,
    SKLEARN_PANDAS_LAYER,
    BuildError,
    Contender,
)

MODELS = BUILD / "models"


@dataclass(frozen=True)
class ModelPair:
    """A model to measure as ONNX and as a pickle, and the baseline layer its pickle needs
    (``packages.BASELINE_LAYERS``)."""

    name: str
    case: Case
    sklearn_layer: str

    @property
    def description(self) -> str:
        """What was fitted on what, for a table's title."""
        return f"{self.case.model} on {self.case.data().title}"


@dataclass(frozen=True)
class ConvertedPair:
    """A pair converted: the ONNX model's folder and the pickle baseline's (same card)."""

    pair: ModelPair
    model_dir: Path
    baseline_dir: Path


FOREST_REGRESSOR = ModelPair(
    "forest-regressor",
    Case(
        "RandomForestRegressor(100)",
        diabetes,
        lambda: RandomForestRegressor(n_estimators=100, random_state=0),
        sample=True,
    ),
    SKLEARN_LAYER,
)
DATAFRAME_PIPELINE = ModelPair(
    "dataframe-pipeline",
    Case(
        "impute + scale numbers, impute + OneHotEncoder strings → RandomForestClassifier(100)",
        homes_classes,
        lambda: typed_pipeline(RandomForestClassifier(n_estimators=100, random_state=0)),
        sample=True,
    ),
    SKLEARN_PANDAS_LAYER,
)
PAIRS = (FOREST_REGRESSOR, DATAFRAME_PIPELINE)


def convert_pair(pair: ModelPair, models: Path = MODELS) -> ConvertedPair:
    """Fit, pickle and convert ``pair`` into ``models/NAME`` afresh; a refusal stops the run."""
    workdir = models / pair.name
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    outcome = run_case(pair.case, workdir)
    if not outcome.converted:
        raise BuildError(f"model pair {pair.name}: the converter refused it: {outcome.refusal}")
    if not outcome.served:
        raise BuildError(f"model pair {pair.name}: the handler missed its golden rows")
    return ConvertedPair(pair, workdir / "function", workdir / "baseline")


def pair_contenders(
    converted: ConvertedPair, onnx_layer: Path, runtime: str, arch: str, rebuild: bool = False
) -> tuple[Contender, Contender]:
    """The pair's ONNX function and pickle baseline, built as the served model's are, into
    ``functions/NAME-onnx`` and ``functions/NAME-pickle``."""
    name = converted.pair.name
    packages.check_same_model(converted.model_dir, converted.baseline_dir)
    sklearn_layer = packages.build_baseline_layer(
        converted.pair.sklearn_layer, runtime, arch, rebuild
    )
    return (
        packages.onnx_contender(onnx_layer, runtime, converted.model_dir, f"{name}-onnx"),
        packages.pickle_contender(sklearn_layer, runtime, converted.baseline_dir, f"{name}-pickle"),
    )
