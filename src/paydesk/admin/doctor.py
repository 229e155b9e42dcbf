"""`paydesk doctor`: the test-to-live checklist, run against the current settings and the Stripe
account they reach. One line per check, ✓ or ✗ with the fix; exit code 1 when any fails.

In demo mode (no STRIPE_SECRET_KEY) the account checks cannot run: it says so, and the rest
tells what would change for production.
"""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import stripe
import typer
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from pydantic import SecretStr
from sqlalchemy.exc import SQLAlchemyError

from paydesk.notify.smtp import connect
from paydesk.settings import MIN_SIGNING_KEY, Settings, is_placeholder, load_settings, plain_secret
from paydesk.store.engine import make_engine
from paydesk.store.migrate import alembic_config
from paydesk.stripe_gateway import make_stripe_client
from paydesk.webhooks.dispatch import EVENT_TYPES

MIN_ADMIN_TOKEN = 24
WEBHOOK_PATH = "/api/webhook"


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    fix: str = ""

    def line(self) -> str:
        return f"✓ {self.name}" if self.ok else f"✗ {self.name}: {self.fix}"


def doctor_cli() -> None:
    settings = load_settings()
    if settings.uses_embedded_sandbox:
        typer.echo("Demo mode: no STRIPE_SECRET_KEY, so the shop runs on its embedded sandbox. "
                   "What would change for production:")
    checks = list(run_checks(settings))
    for check in checks:
        typer.echo(check.line())
    failed = sum(not c.ok for c in checks)
    typer.echo(f"{len(checks) - failed} of {len(checks)} checks pass.")
    if failed:
        raise typer.Exit(1)


def run_checks(settings: Settings) -> Iterator[Check]:
    yield from _key_checks(settings)
    yield from _webhook_checks(settings)
    yield _database_check(settings.database_url)
    yield _smtp_check(settings.smtp_url)
    yield _admin_token_check(settings.paydesk_admin_token)
    yield _signing_key_check(settings)
    yield _client_url_check(settings.client_url)


def _mode(key: SecretStr | str | None) -> str | None:
    if isinstance(key, SecretStr):
        key = key.get_secret_value()
    if not key:
        return None
    return "live" if "_live_" in key else "test" if "_test_" in key else None


def _key_checks(settings: Settings) -> Iterator[Check]:
    secret, publishable = settings.stripe_secret_key, settings.stripe_publishable_key
    yield Check("STRIPE_SECRET_KEY is a live key", _mode(secret) == "live",
                "set the account's live secret key (sk_live_…, Dashboard → API keys); "
                + ("none is set: the demo sandbox stands in" if not secret
                   else f"this one is a {_mode(secret) or 'malformed'} key"))
    if publishable:
        yield Check("STRIPE_PUBLISHABLE_KEY is of the same mode as the secret key",
                    _mode(publishable) == _mode(secret),
                    f"a {_mode(publishable)} publishable key with a {_mode(secret)} secret key: "
                    "copy both from the same Dashboard mode")


def _webhook_checks(settings: Settings) -> Iterator[Check]:
    secrets = settings.webhook_secrets
    yield Check("STRIPE_WEBHOOK_SECRET is set and whsec_-shaped",
                bool(secrets) and all(s.startswith("whsec_") and not is_placeholder(s)
                                      for s in secrets),
                "copy the endpoint's signing secret (whsec_…); Stripe shows it only when the "
                "endpoint is created, so make a new endpoint if it is lost")
    if settings.uses_embedded_sandbox:
        yield Check("a webhook endpoint at Stripe for this shop", False,
                    "with live keys, `paydesk doctor` checks the endpoint on the account")
        return
    target = (settings.client_url or "").rstrip("/") + WEBHOOK_PATH
    try:
        found = _endpoint_for(settings, target)
    except stripe.StripeError as exc:
        yield Check("Stripe answers with these keys", False,
                    f"{exc.user_message or type(exc).__name__}: check STRIPE_SECRET_KEY "
                    "and STRIPE_API_BASE")
        return
    yield Check(f"a webhook endpoint at Stripe for {target}", found is not None,
                "add one (Dashboard → Developers → Webhooks) with that URL")
    if found is not None:
        missing = _missing_events(found)
        yield Check("the endpoint receives every event the shop handles", not missing,
                    "enable " + ", ".join(missing))
    yield Check("the webhook URL is https", target.startswith("https://"),
                "Stripe sends live events only over TLS: serve the shop over https and set "
                "CLIENT_URL to it")


def _endpoint_for(settings: Settings, target: str) -> dict[str, object] | None:
    client = make_stripe_client(settings)
    for endpoint in client.v1.webhook_endpoints.list({"limit": 100}).auto_paging_iter():
        data = endpoint.to_dict()
        if data.get("url") == target and data.get("status") == "enabled":
            return dict(data)
    return None


def _missing_events(endpoint: dict[str, object]) -> list[str]:
    enabled = endpoint.get("enabled_events") or []
    if not isinstance(enabled, list) or "*" in enabled:
        return []
    return sorted(EVENT_TYPES - set(enabled))


def _database_check(url: str) -> Check:
    name = "the database is reachable and migrated"
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    except SQLAlchemyError as exc:
        return Check(name, False, f"{type(exc).__name__}: check DATABASE_URL")
    finally:
        engine.dispose()
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    return Check(name, current == head,
                 f"at revision {current or 'none'}, not {head}: run `paydesk db upgrade`")


def _smtp_check(smtp_url: SecretStr | None) -> Check:
    name = "SMTP_URL reaches a mail server"
    if not smtp_url:
        return Check(name, False, "not set: emails are kept in the admin's mailbox, never "
                                  "sent; set smtp://user:pass@host:587 (or smtps://…)")
    try:
        with connect(smtp_url, timeout=10) as client:
            client.noop()
    except (OSError, smtplib.SMTPException) as exc:
        host = urlsplit(smtp_url.get_secret_value()).hostname
        return Check(name, False, f"{type(exc).__name__} from {host}: "
                                  "check the host, port and credentials")
    return Check(name, True)


def _admin_token_check(secret: SecretStr | None) -> Check:
    token = plain_secret(secret) or ""
    strong = len(token) >= MIN_ADMIN_TOKEN and not is_placeholder(token)
    return Check("PAYDESK_ADMIN_TOKEN is strong", strong,
                 f"set a random value of at least {MIN_ADMIN_TOKEN} characters "
                 "(python -c 'import secrets; print(secrets.token_urlsafe(32))')")


def _signing_key_check(settings: Settings) -> Check:
    keys = settings.signing_keys
    strong = bool(keys) and all(len(k) >= MIN_SIGNING_KEY for k in keys)
    return Check("PAYDESK_SIGNING_KEY is set", strong,
                 f"set a random value of at least {MIN_SIGNING_KEY} characters, the same on "
                 "every instance (access links are signed with it)")


def _client_url_check(url: str | None) -> Check:
    return Check("CLIENT_URL is https", bool(url) and (url or "").startswith("https://"),
                 "set the shop's public https address (buyers, Stripe's redirects and "
                 "webhooks use it)")
