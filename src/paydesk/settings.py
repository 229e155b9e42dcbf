"""Settings from the environment or `.env`, built by a function: nothing is read at import."""

from __future__ import annotations

from typing import Literal

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

STRIPE_API = "https://api.stripe.com"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    stripe_secret_key: str | None = None
    stripe_publishable_key: str | None = None
    # Comma-separated so that a rotated secret and its successor both verify during the overlap.
    stripe_webhook_secret: str | None = None
    stripe_api_base: str = STRIPE_API
    database_url: str = "sqlite:///var/paydesk.db"
    client_url: str | None = None
    smtp_url: str | None = None
    paydesk_admin_token: str | None = None
    # Signs access links; when unset one is generated once and kept in the database.
    paydesk_signing_key: str | None = None
    paydesk_env: Literal["development", "production"] = "development"
    catalog_file: str | None = None
    reconcile_interval_seconds: int = 300
    # Run the outbox worker inside `paydesk serve` (set false when `paydesk worker` runs apart).
    inline_worker: bool = True

    @field_validator("stripe_secret_key")
    @classmethod
    def _no_placeholder_key(cls, value: str | None) -> str | None:
        if value is not None and (value.endswith("...") or "YOUR_KEY" in value):
            raise ValueError("STRIPE_SECRET_KEY is a placeholder; paste the real key")
        return value

    @property
    def webhook_secrets(self) -> list[str]:
        raw = self.stripe_webhook_secret or ""
        return [s.strip() for s in raw.split(",") if s.strip()]

    @property
    def uses_embedded_sandbox(self) -> bool:
        return self.stripe_secret_key is None


def load_settings(**overrides: object) -> Settings:
    """Read settings now (environment, then `.env`); keyword overrides win (tests, wiring)."""
    return Settings(**overrides)  # type: ignore[arg-type]
