"""Offline conversion: train or load a scikit-learn classifier, export ONNX, verify parity.

``convert`` writes the model card with the function's own ``onnx_serving.model_card`` and checks
parity with the handler's own session options, so both sides agree on one schema.
"""

from pathlib import Path

FUNCTION_DIR = Path(__file__).resolve().parent.parent / "function"
