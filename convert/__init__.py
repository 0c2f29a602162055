"""Offline conversion: train or load a scikit-learn classifier, export ONNX, verify parity.

``convert`` writes the model card with the function's own ``onnx_serving.card`` and checks
parity with the handler's own session options, so both sides agree on one schema.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FUNCTION_DIR = ROOT / "function"
# Where the pickle baseline goes, for the benchmarks only: never inside the function package.
DEFAULT_BASELINE_DIR = ROOT / "build" / "baseline"
