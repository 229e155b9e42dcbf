"""The composition root: settings -> database, Stripe (or the embedded sandbox), AppContext, app.

`build_context` is what `paydesk serve` and every command run on (one signing key, one shop URL,
one Stripe client); `prepare` adds what serving needs (migrations, the embedded sandbox, the
catalog, the app) and does everything except serve, so tests start the same shop `serve` runs.
"""

from __future__ import annotations

import contextlib
import gc
import secrets
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

import stripe as stripe_sdk
import structlog
import uvicorn
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import Engine, select

from paydesk import demo
from paydesk.app import create_app
from paydesk.catalog.model import read_catalog
from paydesk.catalog.service import load_catalog, sync_to_stripe
from paydesk.catalog.tables import products
from paydesk.cli_errors import ConfigError, port_in_use
from paydesk.context import AppContext
from paydesk.ops.logging import configure_logging
from paydesk.sandbox.keys import publishable_key
from paydesk.sandbox.server import PortInUse, bind
from paydesk.settings import Settings, load_settings, plain_secret
from paydesk.store.engine import make_engine, reading
from paydesk.store.kv import kept
from paydesk.store.migrate import upgrade
from paydesk.stripe_gateway import make_stripe_client

SIGNING_KEY_NAME = "signing_key"
# Where `paydesk serve` listens by default (cli.py's defaults); commands link there too.
DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8000

log = structlog.get_logger(__name__)


@dataclass
class Prepared:
    ctx: AppContext
    app: FastAPI
    sandbox_url: str | None = None
    admin_token_generated: bool = False
    cleanups: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        for cleanup in reversed(self.cleanups):
            cleanup()


class StartupError(ConfigError):
    """The configuration cannot run; the message says what to set."""


def public_url(host: str, port: int) -> str:
    # A wildcard bind address is not somewhere a browser (or the sandbox) can be sent.
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104
    return f"http://{shown}:{port}"


def shop_url(settings: Settings, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> str:
    """CLIENT_URL, else where the server listens: one answer for `serve` and every command, so
    an email fulfilled by `paydesk reconcile` links where the server's own would."""
    return (settings.client_url or public_url(host, port)).rstrip("/")


def build_context(settings: Settings, client_url: str | None = None) -> AppContext:
    """The AppContext every part of the shop runs on. The caller disposes `ctx.engine`."""
    engine = make_engine(settings.database_url)
    configured = settings.signing_keys
    try:
        key = signing_key(engine, configured[0] if configured else None)
    except BaseException:
        engine.dispose()
        raise
    return AppContext(
        settings=settings, engine=engine, stripe=make_stripe_client(settings), signing_key=key,
        webhook_secrets=settings.webhook_secrets, client_url=client_url or shop_url(settings),
        test_clocks=settings.paydesk_test_clocks,
        previous_signing_keys=tuple(k.encode() for k in configured[1:]),
    )


@contextmanager
def command_context(migrate: bool = False) -> Iterator[AppContext]:
    """The context of a one-shot command (`paydesk reconcile`, `refund`, …): settings from the
    environment (a bad one is a one-line error), optionally migrated, disposed at the end."""
    settings = load_settings()
    if migrate:
        upgrade(settings.database_url)
    if settings.uses_embedded_sandbox:
        # Beside a demo shop: its kept key and its sandbox's address.
        engine = make_engine(settings.database_url)
        try:
            settings = demo.command_settings(settings, engine)
        finally:
            engine.dispose()
    ctx = build_context(settings)
    try:
        yield ctx
    finally:
        ctx.engine.dispose()


@contextmanager
def command_database() -> Iterator[tuple[Settings, Engine]]:
    """`command_context` for the commands that need only the database (`paydesk worker`,
    `events retry`): they run without a Stripe key."""
    settings = load_settings()
    engine = make_engine(settings.database_url)
    try:
        yield settings, engine
    finally:
        engine.dispose()


def prepare(
    settings: Settings, host: str, port: int, sandbox_port: int = 12111
) -> Prepared:
    """Build the running shop: migrate, connect Stripe or start the sandbox, build the app."""
    _refuse_unrunnable(settings)
    cleanups: list[Callable[[], None]] = []
    client_url = shop_url(settings, host, port)
    sandbox_url = None
    try:
        upgrade(settings.database_url)
        engine = make_engine(settings.database_url)
        cleanups.append(engine.dispose)
        if settings.uses_embedded_sandbox:
            handle = demo.start_sandbox(settings, engine, sandbox_port, settings.shop_name)
            cleanups.append(handle.stop)
            sandbox_url = handle.url
            settings = _demo_settings(settings, engine, sandbox_url)
        generated = not settings.paydesk_admin_token and settings.paydesk_env == "development"
        if generated:
            settings = settings.model_copy(
                update={"paydesk_admin_token": SecretStr(demo.admin_token(engine))}
            )
        ctx = build_context(settings, client_url)
        cleanups.append(ctx.engine.dispose)
        if sandbox_url:
            # The embedded sandbox: each new customer on a test clock of its own.
            ctx = replace(ctx, webhook_secrets=[demo.register_webhook(ctx.stripe, client_url)],
                          test_clocks=True)
        # A shop with no products yet gets the demo catalog, so a first run against any Stripe
        # can be clicked through; `paydesk catalog sync` puts a real catalog in its place.
        if sandbox_url or settings.catalog_file or not _has_products(ctx.engine):
            _load_catalog(ctx, sync=sandbox_url is not None)
        app = create_app(ctx)
    except BaseException:
        for cleanup in reversed(cleanups):
            cleanup()
        raise
    return Prepared(ctx=ctx, app=app, sandbox_url=sandbox_url, cleanups=cleanups,
                    admin_token_generated=generated)


def _demo_settings(settings: Settings, engine: Engine, sandbox_url: str) -> Settings:
    key = demo.secret_key(engine)
    return settings.model_copy(update={
        "stripe_secret_key": SecretStr(key),
        # The sandbox account's own: Stripe.js on the shop's pages reaches this account.
        "stripe_publishable_key": publishable_key(key),
        "stripe_api_base": sandbox_url,
    })


def _refuse_unrunnable(settings: Settings) -> None:
    # Every problem at once: fixing them one start at a time is a slow way to deploy.
    problems = settings.production_problems()
    if problems:
        raise StartupError("PAYDESK_ENV=production, but:\n  " + "\n  ".join(problems))
    if (not settings.uses_embedded_sandbox and settings.paydesk_test_clocks
            and settings.stripe_secret_key is not None
            and settings.stripe_secret_key.get_secret_value().startswith("sk_live")):
        raise StartupError("PAYDESK_TEST_CLOCKS=true needs a test-mode key (sk_test_…): "
                           "test clocks do not exist in live mode.")
    if not settings.uses_embedded_sandbox and not settings.webhook_secrets:
        raise StartupError(
            "STRIPE_WEBHOOK_SECRET is not set: the shop cannot verify Stripe's webhooks. "
            "Copy the endpoint's signing secret (whsec_…) into the environment."
        )


def _has_products(engine: Engine) -> bool:
    with reading(engine) as conn:
        return conn.execute(select(products.c.id).limit(1)).first() is not None


def _load_catalog(ctx: AppContext, sync: bool) -> None:
    catalog = read_catalog(ctx.settings.catalog_file)
    with ctx.engine.begin() as conn:
        load_catalog(conn, catalog)
    if sync:
        try:
            sync_to_stripe(ctx.engine, ctx.stripe)
        except stripe_sdk.StripeError as exc:
            # Checkout still works unsynced (it sends price_data); say so and carry on.
            log.warning("catalog.sync_failed", error=type(exc).__name__, detail=exc.user_message)


def signing_key(engine: Engine, configured: str | None) -> bytes:
    """PAYDESK_SIGNING_KEY, else one made on first start and kept (so links survive restarts)."""
    if configured:
        return configured.encode()
    return kept(engine, SIGNING_KEY_NAME, lambda: secrets.token_urlsafe(32)).encode()


def serve(host: str, port: int, sandbox_port: int) -> None:
    """`paydesk serve`: run the shop until interrupted.

    The port is bound before anything is started or printed, so a port in use is the one
    line the user sees."""
    configure_logging()
    settings = load_settings()
    try:
        sock = bind(host, port)
    except PortInUse:
        raise port_in_use(port, "the shop", "--port") from None
    with contextlib.closing(sock):
        prepared = prepare(settings, host, port, sandbox_port)
        try:
            _banner(prepared)
            # Everything built so far (modules, the app, SQLAlchemy's caches) lives as long as
            # the process: move it out of the collector's sight, or each full collection scans
            # it all and stops every thread for ~100 ms, which lands in webhook acknowledgements.
            gc.collect()
            gc.freeze()
            config = uvicorn.Config(prepared.app, log_config=None, access_log=False)
            uvicorn.Server(config).run(sockets=[sock])
        finally:
            prepared.close()


def _banner(prepared: Prepared) -> None:
    url = prepared.ctx.client_url
    settings = prepared.ctx.settings
    lines = ["", "  paydesk shop is running", f"    Shop:       {url}/"]
    if prepared.sandbox_url:
        kept_in = settings.sandbox_db if settings.sandbox_db != "memory" else "memory"
        lines += [
            f"    Sandbox:    {prepared.sandbox_url}  (Stripe API, state in {kept_in}; "
            "no network used)",
            "    Test card:  4242 4242 4242 4242, any future expiry (12/34), any CVC",
        ]
    else:
        lines.append(f"    Stripe:     {settings.stripe_api_base}")
    if prepared.admin_token_generated:
        # Made for this shop and kept in its database: printing it puts the admin in reach.
        token = settings.paydesk_admin_token
        shown = plain_secret(token) or ""
        lines.append(f"    Admin:      {url}/admin?token={shown}")
    elif settings.paydesk_admin_token is not None:
        lines.append(f"    Admin:      {url}/admin  (sign in with PAYDESK_ADMIN_TOKEN)")
    lines += [f"    Health:     {url}/healthz", ""]
    print("\n".join(lines), file=sys.stderr, flush=True)
