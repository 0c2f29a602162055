"""The model digest is SHA-256 whichever implementation computes it, and a small model's never
loads OpenSSL (libcrypto: ~3 MB of peak RSS and ~5 ms of init on python3.13)."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import pytest

from onnx_serving.model import SMALL_MODEL_BYTES, sha256_hex


@pytest.mark.parametrize(
    "size", [0, 1, 67_257, SMALL_MODEL_BYTES, SMALL_MODEL_BYTES + 1, 3 * SMALL_MODEL_BYTES]
)
def test_the_digest_is_sha256_at_every_size(size):
    data = bytes(range(256)) * (size // 256) + bytes(size % 256)
    assert sha256_hex(data) == hashlib.sha256(data).hexdigest()


def test_a_known_digest():
    assert sha256_hex(b"abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


@pytest.mark.parametrize(
    ("size", "loads_openssl"), [(67_257, False), (2 * SMALL_MODEL_BYTES, True)]
)
def test_only_a_big_model_loads_openssl(size, loads_openssl):
    program = (
        "import sys; from onnx_serving.model import sha256_hex; "
        f"sha256_hex(bytes({size})); print('_hashlib' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == str(loads_openssl)
