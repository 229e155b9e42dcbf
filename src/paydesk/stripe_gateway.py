"""Which Stripe the shop talks to: the one StripeClient the app uses, and the Stripe.js and
publishable key its pages give the browser. Real Stripe and the sandbox differ only in base URL
and keys, so every path through this module is the production path.

Against real Stripe: `https://js.stripe.com/v3/` and STRIPE_PUBLISHABLE_KEY. Against a sandbox
(STRIPE_API_BASE pointing elsewhere): the sandbox's own `/v3/`, and the sandbox account's
publishable key derived from the secret key when none is set (DESIGN.md's rule).
"""

from __future__ import annotations

from stripe import HTTPXClient, StripeClient

from paydesk.cli_errors import UserError
from paydesk.sandbox.keys import publishable_key as sandbox_publishable_key
from paydesk.settings import STRIPE_API, Settings, plain_secret

REQUEST_TIMEOUT_SECONDS = 80
STRIPE_JS = "https://js.stripe.com/v3/"


class MissingPublishableKey(RuntimeError):
    """The shop talks to real Stripe but was given no publishable key for the browser."""


def make_stripe_client(settings: Settings, api_key: str | None = None) -> StripeClient:
    key = api_key or plain_secret(settings.stripe_secret_key) or ""
    if not key:
        raise UserError("STRIPE_SECRET_KEY is not set: set the account's secret key (sk_…); "
                        "the demo (`paydesk serve` without a key) runs its own sandbox")
    base = settings.stripe_api_base.rstrip("/")
    # httpx is the one HTTP client paydesk ships with (the SDK would otherwise pick requests);
    # the timeout is the SDK's own default. The SDK retries network failures itself,
    # re-sending the same idempotency key.
    http = HTTPXClient(timeout=REQUEST_TIMEOUT_SECONDS, allow_sync_methods=True)
    return StripeClient(key, base_addresses={"api": base}, max_network_retries=2,
                        http_client=http)


def uses_sandbox(settings: Settings) -> bool:
    return settings.stripe_api_base.rstrip("/") != STRIPE_API


def stripe_js_url(settings: Settings) -> str:
    if uses_sandbox(settings):
        return settings.stripe_api_base.rstrip("/") + "/v3/"
    return STRIPE_JS


def publishable_key(settings: Settings) -> str:
    if settings.stripe_publishable_key:
        return settings.stripe_publishable_key
    secret = settings.stripe_secret_key
    if uses_sandbox(settings) and secret:
        return sandbox_publishable_key(secret.get_secret_value())
    raise MissingPublishableKey(
        "STRIPE_PUBLISHABLE_KEY is not set: the payment page needs it for Stripe.js. Copy the "
        "pk_… key from the Stripe Dashboard (Developers → API keys) into the environment."
    )
