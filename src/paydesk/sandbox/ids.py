"""Stripe-looking identifiers: a prefix and 24 random base62 characters."""

import os
import secrets
import string

_ALPHABET = string.ascii_letters + string.digits
# Object ids are made on every call's hot path: map random bytes to the alphabet in C with
# `bytes.translate` rather than drawing each character through `secrets.choice` (which was a
# quarter of a customer create). The slight bias (256 % 62) is harmless for ids, which name
# objects but guard nothing; `secret` rejects the uneven bytes, so secrets stay unbiased.
_TABLE = bytes(ord(_ALPHABET[i % len(_ALPHABET)]) for i in range(256))
_UNEVEN = bytes(range(256 - 256 % len(_ALPHABET), 256))


def new_id(prefix: str, length: int = 24) -> str:
    return prefix + "_" + os.urandom(length).translate(_TABLE).decode("ascii")


def secret(prefix: str, length: int = 32) -> str:
    # Unbiased: drop the bytes past the last whole multiple of 62, map the rest (all in C).
    out = b""
    while len(out) < length:
        out += secrets.token_bytes(length).translate(_TABLE, _UNEVEN)
    return prefix + "_" + out[:length].decode("ascii")
