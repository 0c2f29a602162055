"""The "floor" contender: a handler that only imports what every ONNX function must import.

Its init is the least any function on the onnxruntime layer can cost; the real handler's init is
compared against it to show that model loading and checking add little on top.
"""

import numpy  # noqa: F401
import onnxruntime  # noqa: F401


def handler(event: object, context: object) -> dict:
    """Answer nothing: only the imports are being measured."""
    return {}
