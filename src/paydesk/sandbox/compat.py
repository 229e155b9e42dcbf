"""What clients other than the server SDKs need: Stripe.js's publishable-key calls, CORS
preflight for browsers, and Stripe's refusal of bodies that are not form-encoded.

Kept out of api.py so the secret-key hot path pays for none of it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from paydesk.sandbox.account import Account, Obj
from paydesk.sandbox.errors import InvalidRequest, ResourceMissing, Unauthorized
from paydesk.sandbox.keys import account_id_for_publishable
from paydesk.sandbox.store import Store

# The calls Stripe.js makes with a publishable key on an intent it holds the client_secret of
# (confirmCardPayment, retrievePaymentIntent, confirmCardSetup, retrieveSetupIntent)...
_INTENT_CALLS = re.compile(
    r"^/v1/(payment_intents|setup_intents)/((?:pi|seti)_[A-Za-z0-9]+)(/confirm)?/?$"
)
# ...and the ones it makes with no intent at all: tokenising a card, creating a PaymentMethod.
_OPEN_CALLS = {("POST", "/v1/tokens"), ("POST", "/v1/payment_methods")}
_INTENT_KINDS = {"payment_intents": "payment_intent", "setup_intents": "setup_intent"}

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
    "pasted_fields",
    "client_attribution_metadata",
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
    """The account of publishable key `key`, for the few calls Stripe.js makes with it.

    Intents are reached only with their own client_secret, and only the account's own; every
    other call is refused as Stripe refuses it.
    """
    account_id = account_id_for_publishable(key)
    if account_id is None:
        shown = key[:8] + "*" * 4 + key[-4:] if len(key) > 12 else "****"
        raise Unauthorized(f"Invalid API Key provided: {shown}", code="api_key_invalid")
    path = path.rstrip("/") or "/"
    if (method, path) in _OPEN_CALLS:
        _drop_js_params(params)
        return store.account(account_id)
    found = _INTENT_CALLS.match(path)
    secret = params.get("client_secret")
    confirm = found is not None and found.group(3) is not None
    allowed = found is not None and method == ("POST" if confirm else "GET")
    if not allowed or not isinstance(secret, str) or not secret:
        raise Unauthorized(_PUBLISHABLE_REFUSED)
    assert found is not None
    kind, intent_id = _INTENT_KINDS[found.group(1)], found.group(2)
    # Looked up, never made: a made-up key must not leave an empty account behind.
    account = store.accounts.get(account_id)
    if account is None:
        raise ResourceMissing(kind, intent_id)
    _check_client_secret(account, kind, intent_id, secret)
    _drop_js_params(params)
    if not confirm:
        params.pop("client_secret", None)
    return account


def _check_client_secret(account: Account, kind: str, intent_id: str, secret: str) -> None:
    intent = account.find(intent_id)
    if intent is None or intent.get("object") != kind:
        raise ResourceMissing(kind, intent_id)
    if secret != intent.get("client_secret"):
        name = "PaymentIntent" if kind == "payment_intent" else "SetupIntent"
        raise InvalidRequest(
            f"The client_secret provided does not match any associated {name} on this "
            f"account. Ensure the publishable key used belongs to the same account that created "
            f"the {name}.",
            param="client_secret",
            code=f"{kind}_invalid_parameter",
        )


def _drop_js_params(params: dict[str, Any]) -> None:
    for name in _JS_ONLY:
        params.pop(name, None)


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


# API versions before this one ("basil") had fields since moved: an invoice's `payment_intent`,
# a subscription's `current_period_start/end`. Requests sent with an older `Stripe-Version` get
# them back, as Stripe serves each request in the version it names.
LEGACY_BEFORE = "2025-03-31"
# object type -> the object as those versions showed it (a new dict; the stored one untouched)
LEGACY_SHAPES: dict[str, Callable[[Account, Obj], Obj]] = {}


def legacy_shape(account: Account, body: Any) -> Any:
    """`body` (an object, or a list of them) with the fields older API versions had."""
    if not isinstance(body, dict):
        return body
    if body.get("object") in ("list", "search_result") and isinstance(body.get("data"), list):
        return {**body, "data": [legacy_shape(account, each) for each in body["data"]]}
    shape = LEGACY_SHAPES.get(body.get("object", ""))
    return shape(account, body) if shape is not None else body
