"""The models the tests serve, made once per session in temporary folders.

``function/model.*`` is the user's model: no test reads or writes it (``conftest`` checks that
none does). The tests serve the Iris demo, converted by the project's own converter with the
parameters ``make convert`` uses, so every expectation ("setosa", the probabilities, the ranges)
holds whatever the user converted. What ``sam build`` reads comes from a staged copy of the
project's deployable sources with that model in ``function/``.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import hashlib
import io
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from samtranslator.yaml_helper import yaml_parse

from convert.conversion import convert_demo
from onnx_serving.card import CLASSIFIER, Column, ModelCard

ROOT = Path(__file__).resolve().parent.parent
MODEL_FILES = ("model.onnx", "model.json")
# Never staged: the user's model, pickles, caches.
NOT_STAGED = shutil.ignore_patterns(*MODEL_FILES, "*.pkl", "*.joblib", "__pycache__", "*.pyc")
# Read by a package's Makefile besides its own folder: the pre-traffic hook ships the events.
# The pickle baseline (a template of its own, for the AWS benchmark) is built from the same
# staged project.
ALSO_STAGED = ("events", "tools/baseline")


@dataclass(frozen=True)
class DemoModel:
    """The converted demo (``model_dir``: model.onnx + model.json) and its pickle baseline."""

    model_dir: Path
    baseline_dir: Path


def _scratch(prefix: str) -> Path:
    """A temporary folder removed when the test session ends."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, folder, True)
    return folder


@functools.cache
def demo_model() -> DemoModel:
    """The Iris demo, converted once per session."""
    root = _scratch("fixture-model-")
    with contextlib.redirect_stdout(io.StringIO()):
        convert_demo(root / "model", root / "baseline")
    return DemoModel(root / "model", root / "baseline")


def deployable_folders(template: Path) -> list[str]:
    """The top folders template.yaml builds from (every CodeUri and ContentUri, and the folder of
    every nested application's template), relative."""
    resources = yaml_parse(template.read_text())["Resources"].values()
    folders = {
        Path(str(resource["Properties"][key])).parts[0]
        for resource in resources
        for key in ("CodeUri", "ContentUri", "Location")
        if isinstance(resource.get("Properties", {}).get(key), str)
    }
    return sorted(folders)


@functools.cache
def staged_project() -> Path:
    """template.yaml and every folder it builds from, with the demo model in function/ and its
    pickle baseline in build/baseline/: a project ``sam build`` can build as it builds ours."""
    root = _scratch("staged-project-")
    shutil.copyfile(ROOT / "template.yaml", root / "template.yaml")
    for folder in [*deployable_folders(ROOT / "template.yaml"), *ALSO_STAGED]:
        shutil.copytree(ROOT / folder, root / folder, ignore=NOT_STAGED)
    model = demo_model()
    for name in MODEL_FILES:
        shutil.copyfile(model.model_dir / name, root / "function" / name)
    shutil.copytree(model.baseline_dir, root / "build" / "baseline")
    return root


@functools.cache
def same_schema_impostor() -> bytes:
    """Another Iris forest (same features, classes and hyper-parameters, another seed) as ONNX:
    a file that passes every schema check, to be swapped in with a fixed-up SHA-256."""
    from convert.export import export_onnx
    from convert.schema import positional_schema
    from convert.train import train_iris

    forest = train_iris(random_state=7).estimator
    return export_onnx(forest, positional_schema(forest, 4))


def edit_card(folder: Path, **changes: object) -> Path:
    """Apply ``changes`` to the model card in ``folder`` (a copy of a test model, to break)."""
    card = json.loads((folder / "model.json").read_text())
    (folder / "model.json").write_text(json.dumps(card | changes))
    return folder


def rebind_card(folder: Path) -> Path:
    """Bind the (edited) card in ``folder`` to its model again, as ``convert`` would have: for
    tests of what init checks after the binding (the golden rows' tolerance)."""
    from convert.export import bind_card

    card = ModelCard.load(folder / "model.json")
    bound, card = bind_card((folder / "model.onnx").read_bytes(), card)
    (folder / "model.onnx").write_bytes(bound)
    (folder / "model.json").write_text(card.to_json())
    return folder


def swap_in_impostor(folder: Path) -> None:
    """Replace the model in ``folder`` by ``same_schema_impostor`` and fix up the card's digest."""
    data = same_schema_impostor()
    (folder / "model.onnx").write_bytes(data)
    edit_card(folder, sha256=hashlib.sha256(data).hexdigest())


def synthetic_card(
    feature_names: list[str],
    classes: list[str],
    name: str = "synthetic",
    version: str = "1",
    sha256: str = "0" * 64,
    ranges: bool = True,
) -> ModelCard:
    """A valid card for a model that does not exist: for code that reads only the schema.

    Ranges are [0, 1] per feature (or unknown), and one golden row at the midpoint answers the
    first class with certainty, as a converted card's would.
    """
    n = len(feature_names)
    return ModelCard(
        name=name,
        version=version,
        sha256=sha256,
        task=CLASSIFIER,
        columns=[
            Column(name=feature, min=0.0 if ranges else None, max=1.0 if ranges else None)
            for feature in feature_names
        ],
        classes=list(classes),
        parity={"tolerance": 1e-5},
        golden_rows=[
            {
                "features": [0.5] * n,
                "label": classes[0],
                "probabilities": {c: float(i == 0) for i, c in enumerate(classes)},
            }
        ],
    )
