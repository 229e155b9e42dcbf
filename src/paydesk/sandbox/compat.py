"""What clients other than the server SDKs need: Stripe.js's publishable-key calls, CORS
preflight for browsers, and Stripe's refusal of bodies that are not form-encoded.

Kept out of api.py so the secret-key hot path pays for none of it.
"""

from __future__ import annotations

import re
from typing import Any

from paydesk.sandbox.account import Account
from paydesk.sandbox.errors import InvalidRequest, ResourceMissing, Unauthorized
from paydesk.sandbox.store import Store

# The only calls Stripe.js makes with a publishable key on a PaymentIntent it holds the
# client_secret of (confirmCardPayment, retrievePaymentIntent).
_PUBLISHABLE_CALLS = re.compile(r"^/v1/payment_intents/(pi_[A-Za-z0-9]+)(/confirm)?/?$")

# Parameters Stripe.js adds for its own bookkeeping; the endpoints themselves don't take them.
_JS_ONLY = (
    "key",
    "_stripe_version",
    "_stripe_account",
    "payment_user_agent",
    "time_on_page",
    "guid",
    "muid",
    "sid",
    "referrer",
    "expected_payment_method_type",
    "is_stripe_sdk",
)

_PUBLISHABLE_REFUSED = (
    "This API call cannot be made with a publishable API key. Please use a secret API key. "
    "You can find a list of your API keys at https://dashboard.stripe.com/account/apikeys."
)

_FORM = "application/x-www-form-urlencoded"


def key_param(params: dict[str, Any]) -> str:
    """Stripe.js sends its publishable key as the `key` form field, not in a header."""
    value = params.get("key")
    return value if isinstance(value, str) and value.startswith("pk_") else ""


def publishable_account(
    store: Store, key: str, method: str, path: str, params: dict[str, Any]
) -> Account:
    """The account owning the PaymentIntent a publishable key may act on, given its secret.

    A publishable key names no account of ours (accounts are digests of secret keys), so the
    PaymentIntent's own client_secret is the credential; every other call is refused.
    """
    if not key.startswith("pk_test_") or len(key) < 10:
        shown = key[:8] + "*" * 4 + key[-4:] if len(key) > 12 else "****"
        raise Unauthorized(f"Invalid API Key provided: {shown}", code="api_key_invalid")
    found = _PUBLISHABLE_CALLS.match(path)
    secret = params.get("client_secret")
    confirm = found is not None and found.group(2) is not None
    allowed = found is not None and method == ("POST" if confirm else "GET")
    if not allowed or not isinstance(secret, str) or not secret:
        raise Unauthorized(_PUBLISHABLE_REFUSED)
    assert found is not None
    pi_id = found.group(1)
    account = store.index.get(pi_id)
    pi = account.find(pi_id) if account is not None else None
    if account is None or pi is None or pi.get("object") != "payment_intent":
        raise ResourceMissing("payment_intent", pi_id)
    if secret != pi.get("client_secret"):
        raise InvalidRequest(
            "The client_secret provided does not match any associated PaymentIntent on this "
            "account. Ensure the publishable key used belongs to the same account that created "
            "the PaymentIntent.",
            param="client_secret",
            code="payment_intent_invalid_parameter",
        )
    for name in _JS_ONLY:
        params.pop(name, None)
    if not confirm:
        params.pop("client_secret", None)
    return account


def check_content_type(headers: dict[str, str]) -> None:
    """Stripe reads only form-encoded bodies and says so, rather than ignoring a JSON body."""
    declared = headers.get("content-type")
    if declared is None:
        return
    media = declared.partition(";")[0].strip().lower()
    if media and media != _FORM:
        raise InvalidRequest(
            f"Invalid request: unsupported Content-Type {declared}. If error persists and you "
            "need assistance, please contact support@stripe.com."
        )


def preflight_headers(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    """A CORS preflight answer like api.stripe.com's, so browser clients may call us."""
    asked = headers.get("access-control-request-headers", "Authorization, Content-Type")
    return [
        (b"access-control-allow-origin", b"*"),
        (b"access-control-allow-methods", b"GET, POST, HEAD, OPTIONS, DELETE"),
        (b"access-control-allow-headers", asked.encode("latin-1")),
        (b"access-control-max-age", b"300"),
        (b"access-control-expose-headers", b"Request-Id, Stripe-Version, Idempotent-Replayed"),
        (b"content-length", b"0"),
    ]
