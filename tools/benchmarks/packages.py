"""Build the contenders the way they are deployed, into ``build/benchmarks``.

Layers come from the project's one layer builder (``python -m layer.build``): the slim
onnxruntime + numpy profile for ONNX, the generic profile over scikit-learn + scipy + joblib +
numpy for the pickle baseline, both for the same Lambda runtime and with ``.pyc`` compiled by
the target interpreter. Functions come from the same Makefile targets ``sam build`` runs, so the
packages measured are the packages deployed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from layer.runtimes import DEFAULT_ARCH, DEFAULT_RUNTIME

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build" / "benchmarks"
PROBES = Path(__file__).resolve().parent / "probes"
IMPORT_ONLY_HANDLER = PROBES / "import_only_handler.py"
EMPTY_HANDLER = PROBES / "empty_handler.py"
# What `make convert` writes: the served model, and the same model pickled for the baseline.
SERVED_MODEL_DIR = ROOT / "function"
BASELINE_MODEL_DIR = ROOT / "build" / "baseline"
# The pickle baseline's layers by name, each the folder of its hash-locked requirements: the
# generic one, and one with pandas for a pipeline that selects DataFrame columns by name.
SKLEARN_LAYER = "sklearn"
SKLEARN_PANDAS_LAYER = "sklearn-pandas"
BASELINE_LAYERS = {
    SKLEARN_LAYER: "tools/baseline/layer",
    SKLEARN_PANDAS_LAYER: "tools/baseline/layer/pandas",
}


class BuildError(RuntimeError):
    """A contender could not be built; the message says which step failed."""


@dataclass(frozen=True)
class Contender:
    """A function package and the layers under it."""

    name: str
    task_root: Path
    layers: tuple[Path, ...]


@dataclass(frozen=True)
class Packages:
    """Everything the local benchmark runs: the contenders and the two layers."""

    onnx: Contender
    pickle: Contender
    floor: Contender
    empty: Contender
    onnx_layer: Path
    sklearn_layer: Path

    @property
    def cold_contenders(self) -> list[Contender]:
        """Both compared contenders, then both anchors: what every cold round starts."""
        return [self.onnx, self.pickle, self.empty, self.floor]

    @property
    def warm_contenders(self) -> list[Contender]:
        """Both compared contenders and the floor, whose warm answer is the runtime's round trip."""
        return [self.onnx, self.pickle, self.floor]


def layer_dir(name: str) -> Path:
    """Where the layer NAME is built: ``build/benchmarks/layers/NAME``, holding ``python/``."""
    return BUILD / "layers" / name


def build_layer(name: str, runtime: str, arch: str, extra: list[str], rebuild: bool) -> Path:
    """``layer_dir(NAME)`` and ``NAME.zip`` beside it, built once."""
    out = layer_dir(name)
    if rebuild or not (out / "python").is_dir() or not out.with_suffix(".zip").is_file():
        command = [
            sys.executable,
            "-m",
            "layer.build",
            "--runtime",
            runtime,
            "--arch",
            arch,
            "--out",
            str(out),
            "--zip",
            str(out.with_suffix(".zip")),
            *extra,
        ]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise BuildError(f"layer {name}: {done.stderr.strip() or done.stdout.strip()}")
    return out


def build_function(name: str, make_args: list[str]) -> Path:
    """Run a function's ``build-<LogicalId>`` target into ``build/benchmarks/functions/NAME``."""
    out = BUILD / "functions" / name
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    done = subprocess.run(
        ["make", "--no-print-directory", *make_args, f"ARTIFACTS_DIR={out}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise BuildError(f"function {name}: {done.stderr.strip() or done.stdout.strip()}")
    return out


def build_baseline_layer(name: str, runtime: str, arch: str, rebuild: bool = False) -> Path:
    """One of the pickle baseline's layers (``BASELINE_LAYERS``), built once."""
    requirements = f"{BASELINE_LAYERS[name]}/requirements-{arch}.txt"
    return build_layer(
        name, runtime, arch, ["--requirements", requirements, "--profile", "generic"], rebuild
    )


def build_layers(runtime: str, arch: str, rebuild: bool = False) -> tuple[Path, Path]:
    """The onnxruntime layer and the pickle baseline's scikit-learn layer, built once."""
    onnx_layer = build_layer("onnxruntime", runtime, arch, [], rebuild)
    return onnx_layer, build_baseline_layer(SKLEARN_LAYER, runtime, arch, rebuild)


def build_packages(
    runtime: str = DEFAULT_RUNTIME,
    arch: str = DEFAULT_ARCH,
    rebuild_layers: bool = False,
    model_dir: Path = SERVED_MODEL_DIR,
    baseline_dir: Path = BASELINE_MODEL_DIR,
) -> Packages:
    """Build (or reuse) both layers and every function package, serving the model in
    ``model_dir`` (ONNX) and the same model pickled in ``baseline_dir``."""
    check_same_model(model_dir, baseline_dir)
    onnx_layer, sklearn_layer = build_layers(runtime, arch, rebuild_layers)
    return Packages(
        onnx=onnx_contender(onnx_layer, runtime, model_dir),
        pickle=pickle_contender(sklearn_layer, runtime, baseline_dir),
        floor=Contender("floor", _one_file_package("floor", IMPORT_ONLY_HANDLER), (onnx_layer,)),
        empty=Contender("empty", _one_file_package("empty", EMPTY_HANDLER), ()),
        onnx_layer=onnx_layer,
        sklearn_layer=sklearn_layer,
    )


def onnx_contender(
    onnx_layer: Path, runtime: str, model_dir: Path = SERVED_MODEL_DIR, folder: str = "onnx"
) -> Contender:
    """The function as ``sam build`` packages it (``build-InferenceFunction``), serving the model
    in ``model_dir``, over the onnxruntime layer; built into ``functions/FOLDER``."""
    task_root = build_function(
        folder,
        [
            *("-C", "function", "build-InferenceFunction"),
            *(f"SERVED_MODEL_DIR={model_dir}", f"RUNTIME={runtime}"),
        ],
    )
    return Contender("onnx", task_root, (onnx_layer,))


def pickle_contender(
    sklearn_layer: Path,
    runtime: str,
    baseline_dir: Path = BASELINE_MODEL_DIR,
    folder: str = "pickle",
) -> Contender:
    """The pickle baseline as ``sam build`` packages it (``build-PickleBaselineFunction``),
    serving the pickle in ``baseline_dir``, over ``sklearn_layer``; built into
    ``functions/FOLDER``."""
    task_root = build_function(
        folder,
        [
            *("-f", "tools/baseline/Makefile", "build-PickleBaselineFunction"),
            *(f"PICKLE_BASELINE_DIR={baseline_dir}", f"RUNTIME={runtime}"),
        ],
    )
    return Contender("pickle", task_root, (sklearn_layer,))


def _one_file_package(name: str, handler: Path) -> Path:
    """``build/benchmarks/functions/NAME/app.py``: a probe handler as a function package."""
    out = BUILD / "functions" / name
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    shutil.copyfile(handler, out / "app.py")
    return out


def check_same_model(model_dir: Path, baseline_dir: Path) -> None:
    """The two contenders must serve one model: a baseline left from an earlier conversion
    would compare two different models."""
    cards = {}
    for folder in (model_dir, baseline_dir):
        try:
            cards[folder] = json.loads((folder / "model.json").read_text())["sha256"]
        except (OSError, ValueError, KeyError) as exc:
            raise BuildError(f"{folder / 'model.json'}: no model card ({exc})") from None
    if len(set(cards.values())) != 1:
        raise BuildError(
            f"the pickle baseline in {baseline_dir} is not the model in {model_dir}: run "
            "make convert (or make convert MODEL=...) again to write both"
        )


def tree_bytes(path: Path) -> int:
    """Bytes in the files under ``path``, the way Lambda adds up an unzipped package."""
    if path.is_file():
        return path.stat().st_size
    return sum(item.stat().st_size for item in path.rglob("*") if item.is_file())


def zip_bytes(folder: Path, destination: Path) -> int:
    """Size of ``folder`` zipped (deflate, level 9) as a deployment package would be."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(destination, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for item in sorted(folder.rglob("*")):
            if item.is_file():
                archive.write(item, item.relative_to(folder).as_posix())
    return destination.stat().st_size
