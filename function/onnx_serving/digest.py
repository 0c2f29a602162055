"""SHA-256 of the model file, without loading OpenSSL for a small model.

``hashlib.sha256`` is OpenSSL's: importing ``hashlib`` maps libcrypto, which on python3.13 costs
~4.8 ms of init and 3 MB of peak RSS (measured here, free CPU), for one digest of a model that is
often under 100 KB. CPython also carries its own SHA-256 (HACL*, the module ``hashlib`` falls back
to without OpenSSL: ``_sha2`` on 3.12+, ``_sha256`` on 3.11), a 0.5 ms import, but it hashes at
~250 MB/s where OpenSSL's SHA-NI code does ~1.5 GB/s. The two meet near 1.5 MB, so a model up to
1 MiB is hashed by the built-in one and a bigger one by OpenSSL. Same digest either way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

SMALL_MODEL_BYTES = 1 << 20


def _builtin_sha256() -> Callable[[bytes], Any]:
    """CPython's own SHA-256 constructor, or OpenSSL's where the interpreter has no such module."""
    try:
        from _sha2 import sha256
    except ImportError:
        try:
            from _sha256 import sha256
        except ImportError:
            from hashlib import sha256
    return sha256


def sha256_hex(data: bytes) -> str:
    """The hex SHA-256 of ``data``, from whichever implementation finishes first for its size."""
    if len(data) <= SMALL_MODEL_BYTES:
        return _builtin_sha256()(data).hexdigest()
    from hashlib import sha256

    return sha256(data).hexdigest()
