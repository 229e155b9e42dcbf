"""What every part of the running app shares, built once at start-up by `bootstrap`."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from stripe import StripeClient

from paydesk.settings import Settings


@dataclass
class AppContext:
    settings: Settings
    engine: Engine
    stripe: StripeClient
    signing_key: bytes  # signs access links (HMAC)
    webhook_secrets: list[str]  # verified in order; several during a rotation
    client_url: str  # public base URL of the shop, no trailing slash
    # Sandbox mode: each new Stripe customer gets a test clock of its own (`paydesk clock`).
    test_clocks: bool = False
