"""Offline conversion: train or load a scikit-learn classifier, export ONNX, verify parity.

The function's modules are written for Lambda's layout, where ``/var/task`` is on ``sys.path``
and they import each other as top-level modules. ``convert`` writes the same model card and uses
the same session options as the handler, so it puts that folder on ``sys.path`` the same way.
"""

import sys
from pathlib import Path

FUNCTION_DIR = Path(__file__).resolve().parent.parent / "function"
if str(FUNCTION_DIR) not in sys.path:
    sys.path.insert(0, str(FUNCTION_DIR))
