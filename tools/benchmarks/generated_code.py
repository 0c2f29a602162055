"""The zero-dependency contender: a forest exported to plain Python by m2cgen, then checked.

A small forest needs neither onnxruntime nor numpy: as nested ``if``s it is a module of the
standard library's kind, so its cold start is the runtime's plus loading that module. That is
the floor ONNX is held to for small models; the code grows with the forest, and from some size
on ONNX wins, which the benchmark's crossover table finds. m2cgen is a dev dependency: nothing
under ``function/`` or ``layer/`` imports it.

Building does not scale, so forests above a size are refused (``TooLarge``) rather than left to
run for minutes. Measured on this 2-core machine (m2cgen 0.10.0 under Python 3.11, ``.py`` →
``.pyc`` by Python 3.13, lightly loaded), on the benchmark grid's synthetic forests:

=====================  =========  =======  ========  ===========
forest                 nodes      export   compile   source/.pyc
=====================  =========  =======  ========  ===========
10 trees, depth 5          630    0.02 s   0.06 s    0.1/0.0 MB
100 trees, depth 5       6,238    0.56 s   0.17 s    0.5/0.3 MB
250 trees, depth 5      15,616    2.7 s    0.4 s     1.3/0.7 MB
500 trees, depth 5      31,244    8.0 s    0.7 s     2.6/1.3 MB
10 trees, full depth    36,540    1.8 s    0.7 s     4.1/1.1 MB
30 trees, full depth   110,158    7.2 s    2.3 s     12/3.3 MB
50 trees, full depth   182,512   13.8 s    3.8 s     21/5.5 MB
100 trees, full depth  363,954   49.5 s    8.3 s     41/11 MB (2 GB of memory)
=====================  =========  =======  ========  ===========

Export time fits ~48 µs per node plus ~0.42 µs per node per tree: m2cgen hashes its nested
sum of the trees' votes over and over, so many trees cost more than their nodes. Two caps keep
a build under ~25 s: ``MAX_NODES`` (the 100-tree full-depth forest is over it) and
``MAX_TREE_NODES`` (trees × nodes; the 500-tree depth-5 forest, at 15.6 million, is under it).
"""

from __future__ import annotations

import json
import shutil
import struct
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import m2cgen
import numpy as np

from convert.parity import PROBABILITY_TOLERANCE, ParityReport, random_rows
from layer.pyc import compile_pyc
from onnx_serving.card import ModelCard
from tools.benchmarks.packages import PROBES, Contender

GENERATED_HANDLER = PROBES / "generated_handler.py"
MAX_NODES = 200_000
MAX_TREE_NODES = 20_000_000
# m2cgen recurses once per tree through its sum of votes (a 500-tree forest overflows Python's
# default limit of 1,000 frames).
EXPORT_RECURSION_LIMIT = 100_000
# Where Lambda extracts a function package: the source path recorded in the ``.pyc``.
TASK_ROOT = "/var/task"
PARITY_RANDOM_ROWS = 1000


class TooLarge(Exception):
    """The forest is too large to generate code for in reasonable time."""


class GeneratedParityError(RuntimeError):
    """The generated code does not answer as the forest does: it must not be timed."""


class NotAForest(Exception):
    """The model is not a tree or an ensemble of trees: this anchor is not defined for it."""


def _trees(estimator: object) -> list[Any]:
    """The fitted trees of a forest (gradient boosting keeps them in a 2-D array), or the
    estimator itself if it is one tree; ``NotAForest`` for anything else (a Pipeline, say)."""
    fitted = getattr(estimator, "estimators_", None)
    trees = [estimator] if fitted is None else np.asarray(fitted, dtype=object).ravel().tolist()
    if not all(hasattr(tree, "tree_") for tree in trees):
        raise NotAForest(f"{type(estimator).__name__} is not a tree or an ensemble of trees")
    return trees


def tree_nodes(estimator: object) -> int:
    """Nodes in a forest's trees (or in a single tree): what the generated code grows with."""
    return int(sum(tree.tree_.node_count for tree in _trees(estimator)))


def check_size(estimator: object) -> None:
    """Raise ``TooLarge`` unless the forest is within both build-time caps."""
    nodes = tree_nodes(estimator)
    if nodes > MAX_NODES:
        raise TooLarge(f"{nodes:,} tree nodes is more than the {MAX_NODES:,} generated code allows")
    trees = len(_trees(estimator))
    if trees * nodes > MAX_TREE_NODES:
        raise TooLarge(
            f"{trees} trees × {nodes:,} nodes is more than the {MAX_TREE_NODES:,} "
            "generated code allows"
        )


@contextmanager
def _recursion_limit(limit: int) -> Iterator[None]:
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(max(previous, limit))
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


def build_generated_package(
    estimator: object, card: ModelCard, out: Path, interpreter: Path
) -> Path:
    """``out`` (emptied first) as a function package: ``app.py``, ``model_code.py`` and
    ``card.json``, compiled to unchecked-hash ``.pyc`` by ``interpreter`` (the runtime's
    version), so that the contender is measured at its best, as the ONNX layer is."""
    check_size(estimator)
    classes = [str(c) for c in estimator.classes_]
    if classes != card.classes:
        raise ValueError(f"the forest's classes {classes} are not the card's {card.classes}")
    with _recursion_limit(EXPORT_RECURSION_LIMIT):
        code = m2cgen.export_to_python(estimator)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    shutil.copyfile(GENERATED_HANDLER, out / "app.py")
    (out / "model_code.py").write_text(code)
    (out / "card.json").write_text(json.dumps(_handler_card(card)))
    compile_pyc(out, interpreter, TASK_ROOT)
    return out


def _handler_card(card: ModelCard) -> dict[str, object]:
    """What the handler needs from the card, ranges rounded to float32 as the ONNX function
    compares them."""
    bounds = None
    if card.has_ranges:
        low, high = (np.float32(v).tolist() for v in (card.feature_min, card.feature_max))
        bounds = [list(pair) for pair in zip(low, high, strict=True)]
    return {
        "classes": card.classes,
        "features": card.feature_names,
        "bounds": bounds,
        "model": {"name": card.name, "version": card.version, "sha256": card.sha256},
    }


def load_model_code(out: Path) -> types.ModuleType:
    """``out/model_code.py`` as a module, by path: no ``sys.path`` or ``sys.modules`` entry, and
    no ``__pycache__`` of the host's Python left in the package."""
    path = out / "model_code.py"
    module = types.ModuleType("model_code")
    module.__file__ = str(path)
    exec(compile(path.read_text(), str(path), "exec"), module.__dict__)
    return module


def check_generated_parity(out: Path, estimator: object, rows: np.ndarray) -> ParityReport:
    """Raise ``GeneratedParityError`` unless the generated code names scikit-learn's label and
    gives its probabilities within 1e-5 on every row, fed float32 as both contenders are; else
    say what was compared and how closely.

    A row whose two best classes tie exactly may be named either way (the sums may be added in
    another order), as ``convert.parity`` allows ONNX.
    """
    score = load_model_code(out).score
    float32 = struct.Struct("f")
    rows32 = np.asarray(rows, dtype=np.float32)
    generated = np.asarray(
        [
            score([float32.unpack(float32.pack(v))[0] for v in row])
            for row in np.asarray(rows, dtype=np.float64).tolist()
        ]
    )
    expected = np.asarray(estimator.predict_proba(rows32), dtype=np.float64)
    labels = np.asarray(estimator.classes_)[generated.argmax(axis=1)].astype(str)
    reference = np.asarray(estimator.predict(rows32)).astype(str)
    gaps = np.abs(generated - expected).max(axis=1)
    chosen = expected[np.arange(len(rows32)), generated.argmax(axis=1)]
    tied = expected.max(axis=1) - chosen <= PROBABILITY_TOLERANCE
    wrong_label = (labels != reference) & ~tied
    if wrong_label.any():
        first = int(np.flatnonzero(wrong_label)[0])
        raise GeneratedParityError(
            f"generated code in {out}: labels differ on {int(wrong_label.sum())} of {len(rows32)} "
            f"rows (first: row {first}, generated {labels[first]!r} vs scikit-learn "
            f"{reference[first]!r})"
        )
    if (gaps > PROBABILITY_TOLERANCE).any():
        raise GeneratedParityError(
            f"generated code in {out}: probabilities differ by up to {gaps.max():.3g} on "
            f"{int((gaps > PROBABILITY_TOLERANCE).sum())} of {len(rows32)} rows "
            f"(tolerance {PROBABILITY_TOLERANCE:g})"
        )
    kept = ~((labels != reference) & tied)
    return ParityReport(
        rows=len(rows32),
        label_agreement=float((labels[kept] == reference[kept]).mean()),
        max_abs_probability_diff=float(gaps.max()),
        tied_rows=int((~kept).sum()),
    )


def parity_rows(card: ModelCard, n: int = PARITY_RANDOM_ROWS) -> np.ndarray:
    """The card's golden rows and ``n`` rows drawn across its row bounds."""
    low, high = (np.asarray(v, dtype=np.float64) for v in card.row_bounds())
    golden = np.asarray([row["features"] for row in card.golden_rows], dtype=np.float32)
    return np.vstack([golden, random_rows(low, high, n)])


def generated_contender(
    estimator: object, card: ModelCard, out: Path, interpreter: Path
) -> Contender:
    """Build the package, prove it answers as ``estimator`` does, and name it "generated":
    no layers, so nothing is on the path but the runtime."""
    build_generated_package(estimator, card, out, interpreter)
    check_generated_parity(out, estimator, parity_rows(card))
    return Contender("generated", out, ())
