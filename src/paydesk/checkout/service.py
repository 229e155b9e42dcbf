"""Checkout: price a cart from the catalog, reserve its stock, open a Stripe Checkout Session.

The order and its reservation are committed before Stripe is called (a transaction must not stay
open across a network call); if the call fails, both are removed again so nothing half-written
remains. Stock after checkout moves with the order (orders.moves).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog
from sqlalchemy import update
from stripe.params.checkout import (
    SessionCreateParams,
    SessionCreateParamsLineItem,
    SessionCreateParamsLineItemPriceDataProductData,
)

from paydesk.checkout.cart import Line, abandoned_if_unpaid, merge_cart, place_order
from paydesk.context import AppContext
from paydesk.core.ids import checkout_idempotency_key, new_order_id
from paydesk.orders.tables import orders

__all__ = ["Checkout", "create_checkout"]

log = structlog.get_logger(__name__)

# Stripe accepts expires_at from 30 minutes to 24 hours after creation, measured on its own clock:
# a minute of margin at either end keeps a slightly slow request (or clock) from being refused.
_STRIPE_MIN_SECONDS, _STRIPE_MAX_SECONDS, _MARGIN = 30 * 60, 24 * 3600, 60


def session_lifetime(minutes: int) -> int:
    """Seconds a Checkout Session (and the stock it holds) stays open: CHECKOUT_SESSION_MINUTES,
    kept inside what Stripe accepts."""
    return min(max(minutes * 60, _STRIPE_MIN_SECONDS + _MARGIN), _STRIPE_MAX_SECONDS - _MARGIN)


SESSION_LIFETIME_SECONDS = session_lifetime(30)


@dataclass(frozen=True)
class Checkout:
    order_id: str
    url: str
    session_id: str


def create_checkout(
    ctx: AppContext, items: Iterable[tuple[str, int]], email: str | None = None
) -> Checkout:
    """Reserve stock for `items` (product id, quantity) and open a Checkout Session for them."""
    cart = merge_cart(items)
    order_id = new_order_id()
    with ctx.engine.begin() as conn:
        lines = place_order(conn, order_id, cart, email)
    with abandoned_if_unpaid(ctx.engine, order_id, starting="a checkout"):
        session = ctx.stripe.v1.checkout.sessions.create(
            _session_params(
                ctx.client_url, order_id, lines, email,
                session_lifetime(ctx.settings.checkout_session_minutes),
            ),
            {"idempotency_key": checkout_idempotency_key(order_id)},
        )
    with ctx.engine.begin() as conn:
        conn.execute(
            update(orders)
            .where(orders.c.id == order_id)
            .values(checkout_session_id=session.id, updated_at=datetime.now(UTC))
        )
    log.info("checkout.created", order_id=order_id, session_id=session.id)
    return Checkout(order_id=order_id, url=str(session.url), session_id=session.id)


def _session_params(
    client_url: str, order_id: str, lines: list[Line], email: str | None,
    lifetime_seconds: int = SESSION_LIFETIME_SECONDS,
) -> SessionCreateParams:
    params: SessionCreateParams = {
        "mode": "payment",
        # The SDK's types no longer list this parameter; the API version we pin takes it.
        "payment_method_types": ["card", "link"],  # type: ignore[typeddict-unknown-key]
        "line_items": [_line_item(line) for line in lines],
        "success_url": client_url + "/payment/success?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": f"{client_url}/payment/cancel?order_id={order_id}",
        "client_reference_id": order_id,
        "metadata": {"order_id": order_id},
        "payment_intent_data": {"metadata": {"order_id": order_id}},
        "expires_at": int(time.time()) + lifetime_seconds,
    }
    if email:
        params["customer_email"] = email
    return params


def _line_item(line: Line) -> SessionCreateParamsLineItem:
    if line.stripe_price_id:
        return {"price": line.stripe_price_id, "quantity": line.quantity}
    product_data: SessionCreateParamsLineItemPriceDataProductData = {
        "name": line.name, "metadata": {"product_id": line.product_id},
    }
    if line.description:
        product_data["description"] = line.description
    return {
        "price_data": {
            "currency": line.currency,
            "unit_amount": line.unit_amount,
            "product_data": product_data,
        },
        "quantity": line.quantity,
    }
