"""The composition root: settings -> database, Stripe (or the embedded sandbox), AppContext, app.

`build_context` is what `paydesk serve` and every command run on (one signing key, one shop URL,
one Stripe client); `prepare` adds what serving needs (migrations, the embedded sandbox, the
catalog, the app) and does everything except serve, so tests start the same shop `serve` runs.
"""

from __future__ import annotations

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
from pydantic import ValidationError
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from stripe import StripeClient

from paydesk.app import create_app
from paydesk.catalog.model import read_catalog
from paydesk.catalog.service import load_catalog, sync_to_stripe
from paydesk.catalog.tables import products
from paydesk.context import AppContext
from paydesk.ops.logging import configure_logging
from paydesk.sandbox.keys import publishable_key
from paydesk.sandbox.server import start_in_thread
from paydesk.settings import Settings, load_settings
from paydesk.store.engine import make_engine
from paydesk.store.kv import kv
from paydesk.store.migrate import upgrade
from paydesk.stripe_gateway import make_stripe_client

# In embedded mode every key is an account of the in-memory sandbox. The demo's is random per
# start and never shown: the sandbox answers any web origin, so a well-known key would let any
# page the shop owner visits drive it.
DEMO_KEY_PREFIX = "sk_test_paydesk_"
SIGNING_KEY_NAME = "signing_key"
# Where `paydesk serve` listens by default (cli.py's defaults); commands link there too.
DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8000

log = structlog.get_logger(__name__)


@dataclass
class Prepared:
    ctx: AppContext
    app: FastAPI
    sandbox_url: str | None = None
    cleanups: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        for cleanup in reversed(self.cleanups):
            cleanup()


class StartupError(RuntimeError):
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
        previous_signing_keys=tuple(k.encode() for k in configured[1:]),
    )


@contextmanager
def command_context(migrate: bool = False) -> Iterator[AppContext]:
    """The context of a one-shot command (`paydesk reconcile`, `refund`, …): settings from the
    environment (a bad one is a one-line error), optionally migrated, disposed at the end."""
    settings = settings_or_exit()
    if migrate:
        upgrade(settings.database_url)
    ctx = build_context(settings)
    try:
        yield ctx
    finally:
        ctx.engine.dispose()


@contextmanager
def command_database() -> Iterator[tuple[Settings, Engine]]:
    """`command_context` for the commands that need only the database (`paydesk worker`,
    `events retry`): they run without a Stripe key."""
    settings = settings_or_exit()
    engine = make_engine(settings.database_url)
    try:
        yield settings, engine
    finally:
        engine.dispose()


def prepare(
    settings: Settings, host: str, port: int, sandbox_port: int = 12111
) -> Prepared:
    """Build the running shop: migrate, connect Stripe or start the sandbox, build the app."""
    problems = settings.production_problems()
    if problems:
        raise StartupError("PAYDESK_ENV=production, but " + "; ".join(problems) + ".")
    cleanups: list[Callable[[], None]] = []
    client_url = shop_url(settings, host, port)
    sandbox_url = None
    embedded = settings.uses_embedded_sandbox
    if embedded:
        handle = start_in_thread(host="127.0.0.1", port=sandbox_port, db_path=None)
        cleanups.append(handle.stop)
        sandbox_url = handle.url
        key = demo_key()
        settings = settings.model_copy(
            update={
                "stripe_secret_key": key,
                # The sandbox account's own: Stripe.js on the shop's pages reaches this account.
                "stripe_publishable_key": publishable_key(key),
                "stripe_api_base": sandbox_url,
            }
        )
    elif not settings.webhook_secrets:
        raise StartupError(
            "STRIPE_WEBHOOK_SECRET is not set: the shop cannot verify Stripe's webhooks. "
            "Copy the endpoint's signing secret (whsec_…) into the environment."
        )
    try:
        upgrade(settings.database_url)
        ctx = build_context(settings, client_url)
        cleanups.append(ctx.engine.dispose)
        if embedded:
            ctx = replace(ctx, webhook_secrets=[_register_webhook(ctx.stripe, client_url)])
        # A shop with no products yet gets the demo catalog, so a first run against any Stripe
        # can be clicked through; `paydesk catalog sync` puts a real catalog in its place.
        if embedded or settings.catalog_file or not _has_products(ctx.engine):
            _load_catalog(ctx, sync=embedded)
        app = create_app(ctx)
    except BaseException:
        for cleanup in reversed(cleanups):
            cleanup()
        raise
    return Prepared(ctx=ctx, app=app, sandbox_url=sandbox_url, cleanups=cleanups)


def demo_key() -> str:
    return DEMO_KEY_PREFIX + secrets.token_hex(16)


def _register_webhook(stripe: StripeClient, client_url: str) -> str:
    # The sandbox is in memory, so a fresh endpoint each start is the whole story.
    endpoint = stripe.v1.webhook_endpoints.create(
        {"url": client_url + "/api/webhook", "enabled_events": ["*"]}
    )
    return str(endpoint.secret)


def _has_products(engine: Engine) -> bool:
    with engine.connect() as conn:
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
    with engine.begin() as conn:
        found = conn.execute(select(kv.c.value).where(kv.c.key == SIGNING_KEY_NAME)).scalar()
    if found is not None:
        return str(found).encode()
    try:
        with engine.begin() as conn:
            conn.execute(kv.insert().values(key=SIGNING_KEY_NAME, value=secrets.token_urlsafe(32)))
    except IntegrityError:
        pass  # another instance made it first: use theirs
    with engine.begin() as conn:
        value = conn.execute(select(kv.c.value).where(kv.c.key == SIGNING_KEY_NAME)).scalar_one()
    return str(value).encode()


def serve(host: str, port: int, sandbox_port: int) -> None:
    """`paydesk serve`: run the shop until interrupted."""
    configure_logging()
    try:
        prepared = prepare(settings_or_exit(), host, port, sandbox_port)
    except StartupError as exc:
        print(f"paydesk: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
    try:
        _banner(prepared)
        # Everything built so far (modules, the app, SQLAlchemy's caches) lives as long as the
        # process: move it out of the collector's sight, or each full collection scans it all
        # and stops every thread for ~100 ms, which lands in webhook acknowledgements.
        gc.collect()
        gc.freeze()
        uvicorn.run(prepared.app, host=host, port=port, log_config=None, access_log=False)
    finally:
        prepared.close()


def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except ValidationError as exc:
        # One line per bad variable, without pydantic's traceback (or the value: it may be secret).
        lines = [f"{'.'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in exc.errors()]
        print("paydesk: invalid settings\n  " + "\n  ".join(lines), file=sys.stderr)
        raise SystemExit(2) from None


def _banner(prepared: Prepared) -> None:
    url = prepared.ctx.client_url
    lines = ["", "  paydesk shop is starting", f"    Shop:       {url}/"]
    if prepared.sandbox_url:
        lines += [
            f"    Sandbox:    {prepared.sandbox_url}  (Stripe API, in memory; no network used)",
            "    Test card:  4242 4242 4242 4242, any future expiry (12/34), any CVC",
        ]
    else:
        lines.append(f"    Stripe:     {prepared.ctx.settings.stripe_api_base}")
    lines += [f"    Health:     {url}/healthz", ""]
    print("\n".join(lines), file=sys.stderr, flush=True)
