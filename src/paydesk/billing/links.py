"""Signed, expiring links to a customer's account page (itsdangerous, keyed by the shop's
signing key): the token names an email and when it was issued, nothing else."""

from __future__ import annotations

from collections.abc import Sequence

from itsdangerous import BadSignature, URLSafeTimedSerializer

# Long enough for a dunning email to be acted on a few days later; short enough that an old
# forwarded email stops opening the account.
MAX_AGE_SECONDS = 3 * 24 * 3600
_SALT = "paydesk.account"


def _serializer(keys: Sequence[bytes]) -> URLSafeTimedSerializer:
    # itsdangerous signs with the last key and verifies with any: during a rotation the old
    # keys (PAYDESK_SIGNING_KEY's later entries) still open the links they signed.
    return URLSafeTimedSerializer(list(reversed(keys)), salt=_SALT)


def account_token(signing_key: bytes, email: str) -> str:
    return str(_serializer([signing_key]).dumps({"e": email.lower()}))


def account_url(client_url: str, signing_key: bytes, email: str) -> str:
    return f"{client_url}/account/{account_token(signing_key, email)}"


def email_of(
    signing_keys: Sequence[bytes], token: str, max_age: int = MAX_AGE_SECONDS
) -> str | None:
    """The email a valid, unexpired token was made for (by the current key or a previous
    one); None for anything else."""
    try:
        data = _serializer(signing_keys).loads(token, max_age=max_age)
    except BadSignature:  # SignatureExpired is a BadSignature
        return None
    email = data.get("e") if isinstance(data, dict) else None
    return email if isinstance(email, str) else None
