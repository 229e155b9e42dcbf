"""An account's keys: the secret key names the account, and its publishable key is derived from
it (`pk_test_` + the first 32 hex digits of sha256(secret key)), so any client that knows the
secret key knows the publishable one without asking, and the publishable key names the account
without revealing the secret key."""

from __future__ import annotations

import hashlib
import re

_PUBLISHABLE = re.compile(r"pk_test_([0-9a-f]{32})")


def _digest(secret_key: str) -> str:
    return hashlib.sha256(secret_key.encode()).hexdigest()


def account_id_for_key(secret_key: str) -> str:
    # Never keep the key itself: the account is named by a digest of it.
    return "acct_" + _digest(secret_key)[:16]


def publishable_key(secret_key: str) -> str:
    return "pk_test_" + _digest(secret_key)[:32]


def account_id_for_publishable(key: str) -> str | None:
    """The account a publishable key belongs to, or None if it is not one of ours."""
    found = _PUBLISHABLE.fullmatch(key)
    if found is None:
        return None
    return "acct_" + found.group(1)[:16]
