"""Build Lambda layers from a hash-locked requirements file, for the Lambda runtime, not the host.

``python -m layer.build`` installs wheels chosen for a Lambda runtime (Python version and
architecture on Amazon Linux 2023), slims them with a named profile, precompiles ``.pyc`` for the
target interpreter and writes a reproducible zip. The same builder makes the onnxruntime layer and
the pickle baseline's scikit-learn layer, so their sizes are measured the same way.
"""
