"""What every part of the running app shares, built once at start-up by `bootstrap`."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine
from stripe import StripeClient

from paydesk.settings import Settings


@dataclass
class AppContext:
    settings: Settings
    engine: Engine
    stripe: StripeClient
    # Secrets stay out of the repr (a context can end up in a log line or a traceback).
    signing_key: bytes = field(repr=False)  # signs access links (itsdangerous)
    webhook_secrets: list[str] = field(repr=False)  # verified in order; several in a rotation
    client_url: str  # public base URL of the shop, no trailing slash
    # Sandbox mode: each new Stripe customer gets a test clock of its own (`paydesk clock`).
    test_clocks: bool = False
    # Keys that signed before a rotation: links they signed still open until they are dropped.
    previous_signing_keys: tuple[bytes, ...] = field(default=(), repr=False)

    @property
    def signing_keys(self) -> list[bytes]:
        return [self.signing_key, *self.previous_signing_keys]
