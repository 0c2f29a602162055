"""Benchmarks: the ONNX function against the classic pickle + scikit-learn function.

The function's modules (``model``, ``model_card``) import each other as top-level modules, as in
Lambda's ``/var/task``; importing ``convert`` puts that folder on ``sys.path`` for us too.
"""

from convert import FUNCTION_DIR

__all__ = ["FUNCTION_DIR"]
