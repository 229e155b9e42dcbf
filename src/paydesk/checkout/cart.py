"""A cart placed as a pending order: merged, priced from the catalog, its stock reserved; and
undone when the payment provider cannot be reached. Checkout Sessions (checkout.service) and the
shop's own payment page (payments.service) both start this way."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import stripe as stripe_sdk
import structlog
from sqlalchemy import Connection, Engine, delete, select

from paydesk.catalog.tables import products
from paydesk.checkout.errors import InvalidCart, OutOfStock, PaymentProviderFailed, UnknownProduct
from paydesk.checkout.limits import MAX_QUANTITY, MAX_UNITS
from paydesk.orders.model import OrderStatus
from paydesk.orders.stock import release_stock, reserve
from paydesk.orders.tables import order_items, orders

__all__ = ["Line", "abandon_order", "abandoned_if_unpaid", "merge_cart", "place_order"]

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Line:
    product_id: str
    name: str
    description: str
    unit_amount: int
    currency: str
    quantity: int
    stripe_price_id: str | None


def merge_cart(items: Iterable[tuple[str, int]]) -> dict[str, int]:
    """(product id, quantity) pairs as one quantity per product, within the cart's limits."""
    cart: Counter[str] = Counter()
    for product_id, quantity in items:
        cart[product_id] += quantity
    if not cart:
        raise InvalidCart("the cart is empty")
    for product_id, quantity in cart.items():
        if not 1 <= quantity <= MAX_QUANTITY:
            raise InvalidCart(
                f"quantity of {product_id!r} must be 1..{MAX_QUANTITY}, not {quantity}"
            )
    units = sum(cart.values())
    if units > MAX_UNITS:
        raise InvalidCart(f"a cart holds at most {MAX_UNITS} units in all, not {units}")
    return dict(cart)


def place_order(
    conn: Connection, order_id: str, cart: dict[str, int], email: str | None
) -> list[Line]:
    """Price the cart from the catalog, reserve its stock and insert the pending order."""
    rows = {
        r["id"]: r
        for r in conn.execute(
            select(products).where(products.c.id.in_(cart), products.c.active.is_(True))
        ).mappings()
    }
    for product_id in cart:
        if product_id not in rows:
            raise UnknownProduct(product_id)
        if rows[product_id]["type"] == "recurring":
            raise InvalidCart(f"{product_id!r} is a subscription plan: subscribe to it with "
                              "POST /api/subscribe {\"plan_id\", \"email\"}")
    currencies = {r["currency"] for r in rows.values()}
    if len(currencies) > 1:
        raise InvalidCart(f"one order takes one currency; this cart mixes {sorted(currencies)}")
    lines = [
        Line(
            product_id=pid, name=rows[pid]["name"], description=rows[pid]["description"],
            unit_amount=rows[pid]["unit_amount"], currency=rows[pid]["currency"],
            quantity=cart[pid], stripe_price_id=rows[pid]["stripe_price_id"],
        )
        for pid in sorted(cart)  # one lock order everywhere: no deadlocks between checkouts
    ]
    for line in lines:
        if not reserve(conn, line.product_id, line.quantity):
            left = conn.execute(
                select(products.c.stock).where(products.c.id == line.product_id)
            ).scalar_one()
            raise OutOfStock(line.product_id, line.name, line.quantity, left or 0)
    now = datetime.now(UTC)
    conn.execute(
        orders.insert().values(
            id=order_id, status=OrderStatus.PENDING.value, email=email,
            currency=lines[0].currency,
            amount_total=sum(line.unit_amount * line.quantity for line in lines),
            amount_refunded=0, stock_state="reserved", created_at=now, updated_at=now,
        )
    )
    conn.execute(
        order_items.insert(),
        [
            {"order_id": order_id, "product_id": line.product_id, "name": line.name,
             "unit_amount": line.unit_amount, "quantity": line.quantity}
            for line in lines
        ],
    )
    return lines


def abandon_order(conn: Connection, order_id: str) -> None:
    """Undo place_order: its stock back, the order and its items gone (Stripe was never
    reached, so nothing else refers to it)."""
    release_stock(conn, order_id)
    conn.execute(delete(order_items).where(order_items.c.order_id == order_id))
    conn.execute(delete(orders).where(orders.c.id == order_id))


@contextmanager
def abandoned_if_unpaid(engine: Engine, order_id: str, starting: str) -> Iterator[None]:
    """Around the Stripe call that starts paying for a placed order: if it fails, the order is
    abandoned (its stock back), and a Stripe error reaches the buyer as PaymentProviderFailed
    ("could not start `starting`"), logged with Stripe's request id."""
    try:
        yield
    except Exception as exc:
        with engine.begin() as conn:
            abandon_order(conn, order_id)
        if isinstance(exc, stripe_sdk.StripeError):
            log.warning(
                "payment_provider_failed", order_id=order_id, starting=starting,
                error=type(exc).__name__, stripe_message=exc.user_message,
                stripe_request_id=exc.request_id,
            )
            raise PaymentProviderFailed(
                f"the payment provider could not start {starting}; nothing was charged, "
                "please try again"
            ) from exc
        raise
