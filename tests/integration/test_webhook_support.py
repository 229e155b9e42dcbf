"""Shared pieces for the webhook/fulfilment/outbox tests (no tests here): a database with the
schema, a context, seeded orders, signed Stripe events, and the pipeline served by uvicorn."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Literal

import httpx
import orjson
import stripe
from sqlalchemy import Engine, func, insert, select

from paydesk.app import create_app
from paydesk.catalog.tables import products
from paydesk.context import AppContext
from paydesk.notify.tables import mailbox, outbox
from paydesk.orders.payments import CheckoutSession
from paydesk.orders.tables import order_items, orders
from paydesk.schema import metadata
from paydesk.settings import load_settings
from paydesk.store.engine import make_engine
from paydesk.webhooks.tables import inbox_events
from tests.support import ADMIN_TOKEN, serving, stripe_signature, wait_for

SECRET = "whsec_test_current"
OLD_SECRET = "whsec_test_previous"
# What each seeded order costs, so its sessions carry the amount Stripe would send.
_SEEDED_TOTALS: dict[str, int] = {}


def make_ctx(database_url: str, **settings: Any) -> AppContext:
    engine = make_engine(database_url)
    metadata.create_all(engine)
    values: dict[str, Any] = {
        "database_url": database_url, "stripe_secret_key": "sk_test_unused",
        "stripe_webhook_secret": f"{SECRET},{OLD_SECRET}", "paydesk_admin_token": ADMIN_TOKEN,
        "reconcile_interval_seconds": 0, "inline_worker": True,
    }
    values.update(settings)
    s = load_settings(_env_file=None, **values)
    return AppContext(
        settings=s, engine=engine, stripe=stripe.StripeClient("sk_test_unused"),
        signing_key=b"k" * 32, webhook_secrets=s.webhook_secrets,
        client_url="http://shop.test",
    )


def seed_product(engine: Engine, product_id: str = "ebook", stock: int | None = 10,
                 kind: str = "digital") -> None:
    with engine.begin() as conn:
        conn.execute(insert(products).values(
            id=product_id, name=f"The {product_id}", description="", unit_amount=1500,
            currency="usd", stock=stock, type=kind, resource="https://files.test/" + product_id,
            active=True,
        ))


def seed_order(engine: Engine, product_id: str = "ebook", quantity: int = 2,
               email: str | None = "buyer@example.com") -> str:
    """A pending order whose stock is reserved, as checkout leaves it."""
    order_id = "ord_" + uuid.uuid4().hex
    _SEEDED_TOTALS[order_id] = 1500 * quantity
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            products.update().where(products.c.id == product_id)
            .values(stock=products.c.stock - quantity)
        )
        conn.execute(insert(orders).values(
            id=order_id, status="pending", email=email, currency="usd",
            amount_total=1500 * quantity, amount_refunded=0, stock_state="reserved",
            checkout_session_id="cs_" + order_id, created_at=now, updated_at=now,
        ))
        conn.execute(insert(order_items).values(
            order_id=order_id, product_id=product_id, name=f"The {product_id}",
            unit_amount=1500, quantity=quantity,
        ))
    return order_id


def session_obj(order_id: str, payment_status: str = "paid",
                amount_total: int | None | Literal["order"] = "order",
                currency: str = "usd", email: str | None = None) -> dict[str, Any]:
    """A Checkout Session; by default it carries the seeded order's amount, as Stripe's do
    (`amount_total=None` leaves it out: such a paid session is held, not fulfilled)."""
    if amount_total == "order":
        amount_total = _SEEDED_TOTALS.get(order_id)
    session: dict[str, Any] = {
        "id": "cs_" + order_id, "object": "checkout.session", "payment_status": payment_status,
        "status": "complete", "client_reference_id": order_id,
        "metadata": {"order_id": order_id}, "payment_intent": "pi_" + order_id,
        "currency": currency, "customer_details": {"email": email} if email else None,
    }
    if amount_total is not None:
        session["amount_total"] = amount_total
    return session


def checkout_session(order_id: str, **fields: Any) -> CheckoutSession:
    """`session_obj` as fulfilment sees it (parsed at the edge)."""
    parsed = CheckoutSession.parse(session_obj(order_id, **fields))
    assert parsed is not None
    return parsed


def charge_obj(order_id: str, amount_refunded: int, with_metadata: bool = True) -> dict[str, Any]:
    return {
        "id": "ch_" + order_id, "object": "charge", "payment_intent": "pi_" + order_id,
        "amount": 3000, "amount_refunded": amount_refunded,
        "refunded": amount_refunded >= 3000,
        "metadata": {"order_id": order_id} if with_metadata else {},
    }


def event(event_type: str, obj: dict[str, Any], created: int | None = None,
          event_id: str | None = None) -> dict[str, Any]:
    return {
        "id": event_id or "evt_" + uuid.uuid4().hex, "object": "event", "type": event_type,
        "created": created or int(time.time()), "api_version": "2024-06-20",
        "data": {"object": obj}, "livemode": False,
    }


def signed(evt: dict[str, Any], secret: str = SECRET,
           timestamp: int | None = None) -> tuple[bytes, dict[str, str]]:
    body = orjson.dumps(evt)
    return body, {"Stripe-Signature": stripe_signature(body, secret, timestamp),
                  "Content-Type": "application/json"}


def order_row(engine: Engine, order_id: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(select(orders).where(orders.c.id == order_id)).one()


def stock_of(engine: Engine, product_id: str = "ebook") -> int | None:
    with engine.connect() as conn:
        return conn.execute(select(products.c.stock).where(products.c.id == product_id)).scalar()


def count(engine: Engine, table: Any, *where: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


def inbox_count(engine: Engine) -> int:
    return count(engine, inbox_events)


def emails_queued(engine: Engine) -> int:
    return count(engine, outbox)


def mailbox_count(engine: Engine) -> int:
    return count(engine, mailbox)


@contextmanager
def serve_pipeline(ctx: AppContext, create_app: Any = create_app) -> Iterator[str]:
    """The shop's own app (`create_app(ctx)`), served by uvicorn on loopback."""
    with _serve(create_app(ctx)) as base:
        yield base


@contextmanager
def _serve(app: Any) -> Iterator[str]:
    with serving(app, "the shop") as port:
        yield f"http://127.0.0.1:{port}"


def wait_until(predicate: Any, timeout: float = 10.0) -> None:
    wait_for(predicate, "the condition", timeout)


def deliver(ctx: AppContext, base: str, evt: dict[str, Any]) -> None:
    """POST `evt`, signed, to the pipeline at `base`; return once the shop has handled it
    (processed or ignored)."""
    assert post(base, *signed(evt)).status_code == 200
    wait_for(lambda: count(ctx.engine, inbox_events, inbox_events.c.id == evt["id"],
                           inbox_events.c.status.in_(("processed", "ignored"))) == 1,
             f"{evt['type']} {evt['id']} to be handled", 10.0)


def dedupe_keys(engine: Engine) -> list[str]:
    """The dedupe key of every email queued in the outbox, sorted."""
    with engine.connect() as conn:
        return sorted(conn.execute(select(outbox.c.dedupe_key)).scalars())


def post(base: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{base}/api/webhook", content=body, headers=headers, timeout=10)
