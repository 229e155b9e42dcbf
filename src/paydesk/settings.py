"""Settings from the environment or `.env`, built by a function: nothing is read at import."""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

STRIPE_API = "https://api.stripe.com"
# Values copied from an example file rather than set: refused in production.
_PLACEHOLDERS = {"changeme", "change-me", "change_me", "changethis", "secret", "password",
                 "placeholder", "todo", "xxx", "example", "test"}
# PAYDESK_SIGNING_KEY signs access links (HMAC): a short one can be guessed.
MIN_SIGNING_KEY = 32
# The databases paydesk is written and tested for (URL schemes before any "+driver").
_DATABASES = ("sqlite", "postgresql", "postgres")
_DATABASE_HINT = "use sqlite:///var/paydesk.db or postgresql://user@host:5432/dbname"
# PAYDESK_ADMIN_TOKEN opens every order and refund: in production as long as the signing key.
MIN_ADMIN_TOKEN = 32


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    # Secrets are SecretStr: they print as '**********' in reprs, logs and errors, and are read
    # with .get_secret_value() only where they are used.
    stripe_secret_key: SecretStr | None = None
    stripe_publishable_key: str | None = None
    # Comma-separated so that a rotated secret and its successor both verify during the overlap.
    stripe_webhook_secret: SecretStr | None = None
    stripe_api_base: str = STRIPE_API
    database_url: str = "sqlite:///var/paydesk.db"
    client_url: str | None = None
    # May hold the SMTP password (smtp://user:password@host).
    smtp_url: SecretStr | None = None
    paydesk_admin_token: SecretStr | None = None
    # An admin session ends after this long unused, and after this long in all.
    paydesk_admin_idle_minutes: int = Field(default=30, ge=1)
    paydesk_admin_session_hours: int = Field(default=12, ge=1)
    # Wrong admin tokens per client address: this many at once, then this many a minute.
    paydesk_admin_login_burst: int = Field(default=10, ge=1)
    paydesk_admin_login_per_minute: float = Field(default=5, gt=0)
    # Signs access links; when unset one is generated once and kept in the database.
    # Comma-separated during a rotation: the first signs, the others still verify.
    paydesk_signing_key: SecretStr | None = None
    # How long an emailed access link opens (the order page always shows fresh ones).
    paydesk_access_link_days: int = Field(default=30, ge=1)
    paydesk_env: Literal["development", "production"] = "development"
    catalog_file: str | None = None
    # The shop's name on its pages, and where Stripe's hosted checkout shows the business name.
    shop_name: str = Field(default="Paydesk Coffee", min_length=1, max_length=100)
    reconcile_interval_seconds: int = 300
    # Run the outbox worker inside `paydesk serve` (set false when `paydesk worker` runs apart).
    inline_worker: bool = True
    # Per client address: this many checkouts at once, then this many a minute (0 turns it off).
    checkout_rate_burst: int = Field(default=10, ge=0)
    checkout_rate_per_minute: float = Field(default=10, ge=0)
    # How long a subscription that is `past_due` keeps its access (days from the failed payment).
    paydesk_grace_days: int = Field(default=7, ge=0, le=365)
    # Put each new Stripe customer on a test clock of its own (always so with the embedded
    # sandbox; test-mode keys only).
    paydesk_test_clocks: bool = False
    # How long a Checkout Session (and the stock it holds) stays open; Stripe's range is 30 min
    # to 24 h, and an abandoned checkout gives its stock back when it expires.
    checkout_session_minutes: int = Field(default=30, ge=30, le=24 * 60)
    # Where the demo's embedded sandbox keeps its state, so a restart keeps orders payable and
    # refundable; "memory" keeps nothing.
    sandbox_db: str = "var/sandbox.db"
    # Folder of the files digital products deliver (the catalog's "file" names one inside it).
    catalog_files: str | None = None

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        try:
            backend = make_url(value).get_backend_name()
        except ArgumentError:
            raise ValueError(f"cannot be parsed as a database URL: {_DATABASE_HINT}") from None
        if backend not in _DATABASES:
            raise ValueError(f"{backend} is not supported (SQLite and PostgreSQL are): "
                             f"{_DATABASE_HINT}")
        return value

    @field_validator("stripe_secret_key")
    @classmethod
    def _no_placeholder_key(cls, value: SecretStr | None) -> SecretStr | None:
        key = plain_secret(value) or ""
        if key.endswith("...") or "YOUR_KEY" in key:
            raise ValueError("STRIPE_SECRET_KEY is a placeholder; paste the real key")
        return value

    def production_problems(self) -> list[str]:
        """What keeps these settings from running in production (empty when nothing does).

        Development falls back to the embedded demo sandbox and a generated signing key; in
        production either fallback would hide a deployment mistake, so each one is named.
        """
        if self.paydesk_env != "production":
            return []
        problems: list[str] = []
        if not self.stripe_secret_key:
            problems.append("STRIPE_SECRET_KEY is not set (production never starts the demo "
                            "sandbox): set the account's secret key")
        if not self.webhook_secrets:
            problems.append("STRIPE_WEBHOOK_SECRET is not set: copy the webhook endpoint's "
                            "signing secret (whsec_…)")
        if not self.paydesk_signing_key:
            problems.append("PAYDESK_SIGNING_KEY is not set: set a random value of at least "
                            f"{MIN_SIGNING_KEY} characters, the same on every instance")
        elif any(len(key) < MIN_SIGNING_KEY for key in self.signing_keys):
            problems.append(f"PAYDESK_SIGNING_KEY is shorter than {MIN_SIGNING_KEY} characters")
        admin_token = plain_secret(self.paydesk_admin_token)
        if admin_token and len(admin_token) < MIN_ADMIN_TOKEN:
            problems.append(f"PAYDESK_ADMIN_TOKEN is shorter than {MIN_ADMIN_TOKEN} characters: "
                            "set a random value of at least that length (or unset it to close "
                            "the admin)")
        named: dict[str, Sequence[str | None]] = {
            "STRIPE_SECRET_KEY": [plain_secret(self.stripe_secret_key)],
            "STRIPE_WEBHOOK_SECRET": self.webhook_secrets,
            "PAYDESK_SIGNING_KEY": self.signing_keys,
            "PAYDESK_ADMIN_TOKEN": [admin_token],
        }
        for name, values in named.items():
            if any(v is not None and is_placeholder(v) for v in values):
                problems.append(f"{name} is a placeholder value: set the real one")
        return problems

    @property
    def webhook_secrets(self) -> list[str]:
        return _rotation(self.stripe_webhook_secret)

    @property
    def signing_keys(self) -> list[str]:
        return _rotation(self.paydesk_signing_key)

    @property
    def uses_embedded_sandbox(self) -> bool:
        return self.stripe_secret_key is None


def plain_secret(secret: SecretStr | None) -> str | None:
    """The secret's value where it is used (a client's key, a signature), None when unset."""
    return secret.get_secret_value() if secret is not None else None


def _rotation(secret: SecretStr | None) -> list[str]:
    """The comma-separated values of a secret that may be mid-rotation (old and new both set)."""
    raw = plain_secret(secret) or ""
    return [s.strip() for s in raw.split(",") if s.strip()]


def secret_matches(secret: SecretStr | None, given: str | bytes) -> bool:
    """Constant-time comparison of a caller's credential with a configured secret (False when
    the secret is unset)."""
    plain = plain_secret(secret)
    if not plain:
        return False
    # Bytes as they came (a raw ASGI header) are compared as they are: no decoding round trip.
    return hmac.compare_digest(given if isinstance(given, bytes) else given.encode(),
                               plain.encode())


def is_placeholder(value: str) -> bool:
    plain = value.strip().lower()
    bare = plain.split("_")[-1] if plain.startswith(("sk_", "whsec_", "rk_")) else plain
    return (
        plain in _PLACEHOLDERS or bare in _PLACEHOLDERS or bare == ""
        or plain.endswith("...") or "your_" in plain or "your-" in plain or "<" in plain
    )


def load_settings(**overrides: object) -> Settings:
    """Read settings now (environment, then `.env`); keyword overrides win (tests, wiring)."""
    return Settings(**overrides)  # type: ignore[arg-type]
