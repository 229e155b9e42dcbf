"""Admin sign-in attempts per client address: wrong tokens (form, `?token=`, bearer) are
charged to a token bucket, and an address out of tokens is answered 429 with Retry-After
before its credential is even compared, so guessing runs at a few tries a minute."""

from __future__ import annotations

import math

from starlette.requests import Request

from paydesk.web.ratelimit import TokenBucket


class Throttled(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many wrong admin tokens from this address: try again in "
                         f"{retry_after} s")
        self.retry_after = retry_after


def _bucket(request: Request) -> TokenBucket | None:
    bucket: TokenBucket | None = getattr(request.app.state, "admin_login_limiter", None)
    return bucket


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def check(request: Request) -> None:
    """Raise Throttled when this address has used up its wrong attempts."""
    bucket = _bucket(request)
    if bucket is not None and (wait := bucket.wait(_client(request))) > 0:
        raise Throttled(max(1, math.ceil(min(wait, 24 * 3600))))


def failed(request: Request) -> None:
    """Charge one wrong attempt to this address."""
    bucket = _bucket(request)
    if bucket is not None:
        bucket.take(_client(request))
