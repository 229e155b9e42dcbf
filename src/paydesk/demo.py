"""The demo (no STRIPE_SECRET_KEY): an embedded sandbox whose state, key and admin token survive
a restart, so pending orders still expire and old orders can still be refunded.

The sandbox's accounts are keyed by the secret key, so the key is made once and kept in the
shop's database (like the signing key); the sandbox keeps its own state in SANDBOX_DB.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy import Engine
from stripe import StripeClient

from paydesk.cli_errors import UserError, port_in_use
from paydesk.sandbox.server import PortInUse, SandboxHandle, start_in_thread
from paydesk.settings import Settings
from paydesk.store.kv import kept, read, write
from paydesk.webhooks.dispatch import EVENT_TYPES

# Random, never shown: the sandbox answers any web origin, so a well-known key would let any
# page the shop owner visits drive it.
DEMO_KEY_PREFIX = "sk_test_paydesk_"
# Names of the kv rows (not secrets themselves).
_SECRET_KEY = "demo_secret_key"  # noqa: S105
_SANDBOX_URL = "demo_sandbox_url"
_ADMIN_TOKEN = "admin_token"  # noqa: S105
# Marks the endpoint this shop registered, so the next start replaces it rather than adding one.
_ENDPOINT_MARK = "paydesk_demo"


def secret_key(engine: Engine) -> str:
    return kept(engine, _SECRET_KEY, lambda: DEMO_KEY_PREFIX + secrets.token_hex(16))


def admin_token(engine: Engine) -> str:
    """PAYDESK_ADMIN_TOKEN for a development shop that set none, so the admin is in reach."""
    return kept(engine, _ADMIN_TOKEN, lambda: secrets.token_urlsafe(24))


def start_sandbox(
    settings: Settings, engine: Engine, port: int, business_name: str
) -> SandboxHandle:
    """The embedded sandbox on 127.0.0.1:`port`, its address kept for the shop's commands."""
    db_path = None if settings.sandbox_db == "memory" else settings.sandbox_db
    if db_path:
        Path(db_path).parent.mkdir(parents=True, exist_ok=True)
    try:
        handle = start_in_thread(
            host="127.0.0.1", port=port, db_path=db_path, business_name=business_name
        )
    except PortInUse:
        raise port_in_use(port, "the embedded sandbox", "--sandbox-port") from None
    write(engine, _SANDBOX_URL, handle.url)
    return handle


def register_webhook(stripe: StripeClient, client_url: str) -> str:
    """A fresh endpoint for this start; the previous start's is deleted (its secret is gone:
    Stripe shows an endpoint's secret only when it is created). It asks for the events the shop
    handles, as a production endpoint should, not every event (the admin listed dozens of
    `product.created`, `charge.succeeded`… as ignored)."""
    for endpoint in stripe.v1.webhook_endpoints.list({"limit": 100}).auto_paging_iter():
        if endpoint.to_dict().get("metadata", {}).get(_ENDPOINT_MARK):
            stripe.v1.webhook_endpoints.delete(endpoint.id)
    params: dict[str, Any] = {
        "url": client_url + "/api/webhook", "enabled_events": sorted(EVENT_TYPES),
        "metadata": {_ENDPOINT_MARK: "1"},
    }
    created = stripe.v1.webhook_endpoints.create(params)  # type: ignore[arg-type]
    return str(created.secret)


def command_settings(settings: Settings, engine: Engine) -> Settings:
    """Settings for a command (`refund`, `reconcile`, `doctor`) run beside a demo shop: its
    kept key and its sandbox's address."""
    key, url = read(engine, _SECRET_KEY), read(engine, _SANDBOX_URL)
    if key is None or url is None:
        raise UserError("STRIPE_SECRET_KEY is not set and no demo shop has run on this "
                        "DATABASE_URL: set STRIPE_SECRET_KEY, or start `paydesk serve` first")
    return settings.model_copy(update={"stripe_secret_key": SecretStr(key),
                                       "stripe_api_base": url})
