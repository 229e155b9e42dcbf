"""Start-up wiring: settings -> database, Stripe (or the embedded sandbox), AppContext, app.

`prepare` does everything except serving, so tests can start the same shop `paydesk serve` runs.
"""

from __future__ import annotations

import contextlib
import gc
import secrets
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

import stripe as stripe_sdk
import structlog
from fastapi import FastAPI
from sqlalchemy import Engine, select

from paydesk import demo
from paydesk.cli_errors import ConfigError, port_in_use
from paydesk.context import AppContext
from paydesk.sandbox.server import PortInUse, bind
from paydesk.settings import Settings, load_settings
from paydesk.store.engine import make_engine
from paydesk.store.kv import kept
from paydesk.store.migrate import upgrade
from paydesk.stripe_gateway import make_stripe_client

SIGNING_KEY_NAME = "signing_key"

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


def prepare(
    settings: Settings, host: str, port: int, sandbox_port: int = 12111
) -> Prepared:
    """Build the running shop: migrate, connect Stripe or start the sandbox, build the app."""
    from paydesk.app import create_app

    _refuse_unrunnable(settings)
    cleanups: list[Callable[[], None]] = []
    client_url = (settings.client_url or public_url(host, port)).rstrip("/")
    sandbox_url = None
    try:
        upgrade(settings.database_url)
        engine = make_engine(settings.database_url)
        cleanups.append(engine.dispose)
        if settings.uses_embedded_sandbox:
            handle = demo.start_sandbox(settings, engine, sandbox_port, settings.shop_name)
            cleanups.append(handle.stop)
            sandbox_url = handle.url
            settings = settings.model_copy(update={
                "stripe_secret_key": demo.secret_key(engine), "stripe_api_base": sandbox_url,
            })
        generated = not settings.paydesk_admin_token and settings.paydesk_env == "development"
        if generated:
            settings = settings.model_copy(
                update={"paydesk_admin_token": demo.admin_token(engine)}
            )
        stripe = make_stripe_client(settings)
        webhook_secrets = settings.webhook_secrets
        if sandbox_url:
            webhook_secrets = [demo.register_webhook(stripe, client_url)]
        ctx = AppContext(
            settings=settings, engine=engine, stripe=stripe,
            signing_key=signing_key(engine, settings.paydesk_signing_key),
            webhook_secrets=webhook_secrets, client_url=client_url,
        )
        # A shop with no products yet gets the demo catalog, so a first run against any Stripe
        # can be clicked through; `paydesk catalog sync` puts a real catalog in its place.
        if sandbox_url or settings.catalog_file or not _has_products(engine):
            _load_catalog(ctx, sync=sandbox_url is not None)
        app = create_app(ctx)
    except BaseException:
        for cleanup in reversed(cleanups):
            cleanup()
        raise
    return Prepared(ctx=ctx, app=app, sandbox_url=sandbox_url, cleanups=cleanups,
                    admin_token_generated=generated)


def _refuse_unrunnable(settings: Settings) -> None:
    # Every problem at once: fixing them one start at a time is a slow way to deploy.
    problems = settings.production_problems()
    if problems:
        raise StartupError("PAYDESK_ENV=production, but:\n  " + "\n  ".join(problems))
    if not settings.uses_embedded_sandbox and not settings.webhook_secrets:
        raise StartupError(
            "STRIPE_WEBHOOK_SECRET is not set: the shop cannot verify Stripe's webhooks. "
            "Copy the endpoint's signing secret (whsec_…) into the environment."
        )


def command_context(settings: Settings) -> AppContext:
    """The context a one-shot command (`refund`, `reconcile`) works in; beside a demo shop it
    reaches that shop's sandbox with the shop's kept key."""
    engine = make_engine(settings.database_url)
    if settings.uses_embedded_sandbox:
        settings = demo.command_settings(settings, engine)
    return AppContext(
        settings=settings, engine=engine, stripe=make_stripe_client(settings),
        # The app's own key (configured, or the one kept in the database), so links match.
        signing_key=signing_key(engine, settings.paydesk_signing_key),
        webhook_secrets=settings.webhook_secrets,
        client_url=(settings.client_url or "http://127.0.0.1:8000").rstrip("/"),
    )


def _has_products(engine: Engine) -> bool:
    from paydesk.catalog.tables import products

    with engine.connect() as conn:
        return conn.execute(select(products.c.id).limit(1)).first() is not None


def _load_catalog(ctx: AppContext, sync: bool) -> None:
    from paydesk.catalog.model import read_catalog
    from paydesk.catalog.service import load_catalog, sync_to_stripe

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
    import uvicorn

    from paydesk.ops.logging import configure_logging

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
        lines.append(f"    Admin:      {url}/admin?token={settings.paydesk_admin_token}")
    elif settings.paydesk_admin_token:
        lines.append(f"    Admin:      {url}/admin  (sign in with PAYDESK_ADMIN_TOKEN)")
    lines += [f"    Health:     {url}/healthz", ""]
    print("\n".join(lines), file=sys.stderr, flush=True)
