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
    signing_key: bytes  # signs access links (itsdangerous)
    webhook_secrets: list[str]  # verified in order; several during a rotation
    client_url: str  # public base URL of the shop, no trailing slash
    # Keys that signed before a rotation: links they signed still open until they are dropped.
    previous_signing_keys: tuple[bytes, ...] = ()

    @property
    def signing_keys(self) -> list[bytes]:
        return [self.signing_key, *self.previous_signing_keys]
