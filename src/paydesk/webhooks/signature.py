"""Stripe webhook signatures, verified over the raw bytes before anything parses them.

Header: ``Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…]``; each v1 is
HMAC-SHA256(secret, f"{t}.{body}"). Every failure raises the one `SignatureError`, so callers
cannot leak which check failed (and the message never contains a secret or a signature).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Sequence

TOLERANCE_SECONDS = 300


class SignatureError(Exception):
    """The delivery is not provably from Stripe: answer 400 and store nothing."""


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """A `Stripe-Signature` header value for `payload` (tests, the bench, the sandbox's peers)."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def _parse(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError:
                raise SignatureError("malformed timestamp") from None
        elif key == "v1":
            signatures.append(value)
    if timestamp is None:
        raise SignatureError("no timestamp in Stripe-Signature")
    if not signatures:
        raise SignatureError("no v1 signature in Stripe-Signature")
    return timestamp, signatures


def verify(
    payload: bytes,
    header: str | None,
    secrets: Sequence[str],
    tolerance: int = TOLERANCE_SECONDS,
    now: float | None = None,
) -> int:
    """Return the signed timestamp when some v1 matches some secret; raise SignatureError if not.

    Several secrets: during a rotation the old and new endpoint secrets both verify. The
    timestamp is checked both ways (a stale replay, or a clock far in the future).
    """
    if not secrets:
        raise SignatureError("no webhook secret configured")
    if not header:
        raise SignatureError("missing Stripe-Signature header")
    timestamp, signatures = _parse(header)
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise SignatureError("timestamp outside the tolerance")
    signed = f"{timestamp}.".encode() + payload
    found = False
    for secret in secrets:
        expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
        for candidate in signatures:
            # No early exit: the time taken must not depend on which secret or signature matched.
            found |= hmac.compare_digest(expected, candidate)
    if not found:
        raise SignatureError("no signature matches")
    return timestamp
