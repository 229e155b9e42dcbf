"""Stripe-looking identifiers: a prefix and 24 random base62 characters."""

import os
import secrets
import string
import threading

_ALPHABET = string.ascii_letters + string.digits
# Object ids are made on every call's hot path: map random bytes to the alphabet in C with
# `bytes.translate` rather than drawing each character through `secrets.choice` (which was a
# quarter of a customer create). The slight bias (256 % 62) is harmless for ids, which name
# objects but guard nothing; `secret` rejects the uneven bytes, so secrets stay unbiased.
_TABLE = bytes(ord(_ALPHABET[i % len(_ALPHABET)]) for i in range(256))
_UNEVEN = bytes(range(256 - 256 % len(_ALPHABET), 256))


# Random bytes are read from the OS a pool at a time: a read per id was a system call on every
# object and event (a renewal makes about twenty), ~5 % of a test clock's advance.
_POOL_BYTES = 1 << 16
_pool = memoryview(b"")
_pool_lock = threading.Lock()


def _random_bytes(length: int) -> bytes:
    global _pool
    with _pool_lock:
        if len(_pool) < length:
            _pool = memoryview(os.urandom(_POOL_BYTES))
        taken, _pool = _pool[:length], _pool[length:]
    return taken.tobytes()


def new_id(prefix: str, length: int = 24) -> str:
    return prefix + "_" + _random_bytes(length).translate(_TABLE).decode("ascii")


def secret(prefix: str, length: int = 32) -> str:
    # Unbiased: drop the bytes past the last whole multiple of 62, map the rest (all in C).
    out = b""
    while len(out) < length:
        out += secrets.token_bytes(length).translate(_TABLE, _UNEVEN)
    return prefix + "_" + out[:length].decode("ascii")
