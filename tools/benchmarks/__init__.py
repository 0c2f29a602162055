"""Benchmarks: the ONNX function against the classic pickle + scikit-learn function."""
