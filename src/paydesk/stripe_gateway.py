"""Builds the one StripeClient the app uses. Real Stripe and the sandbox differ only in base URL
and keys, so every path through this module is the production path."""

from __future__ import annotations

from stripe import HTTPXClient, StripeClient

from paydesk.cli_errors import UserError
from paydesk.settings import Settings

REQUEST_TIMEOUT_SECONDS = 80


def make_stripe_client(settings: Settings, api_key: str | None = None) -> StripeClient:
    configured = settings.stripe_secret_key
    key = api_key or (configured.get_secret_value() if configured is not None else "")
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
