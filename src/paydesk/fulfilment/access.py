"""Access links: a signed token names (order, product); it opens only while that order is paid.

The token is HMAC-signed with ctx.signing_key, so it cannot be forged or moved to another
order; the order's status is checked on every use, so a refund closes the door.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

from sqlalchemy import Connection, select

from paydesk.catalog.tables import products
from paydesk.context import AppContext
from paydesk.fulfilment.tables import access_grants
from paydesk.orders.model import OrderStatus

OPEN_STATUSES = frozenset(
    {OrderStatus.PAID, OrderStatus.FULFILLED, OrderStatus.PARTIALLY_REFUNDED}
)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, message: bytes) -> str:
    return _b64(hmac.new(key, b"access:" + message, hashlib.sha256).digest())


def make_token(key: bytes, order_id: str, product_id: str) -> str:
    message = f"{order_id}\n{product_id}".encode()
    return f"{_b64(message)}.{_mac(key, message)}"


def read_token(key: bytes, token: str) -> tuple[str, str] | None:
    """(order_id, product_id) when the token is ours and untampered, else None."""
    encoded, _, mac = token.partition(".")
    try:
        message = _unb64(encoded)
    except ValueError:
        return None
    if not hmac.compare_digest(_mac(key, message), mac):
        return None
    order_id, sep, product_id = message.decode(errors="replace").partition("\n")
    return (order_id, product_id) if sep else None


def access_links(ctx: AppContext, conn: Connection, order_id: str) -> list[dict[str, Any]]:
    """The order's granted resources with their signed links (empty before fulfilment)."""
    rows = conn.execute(
        select(access_grants.c.product_id, products.c.name)
        .join(products, products.c.id == access_grants.c.product_id)
        .where(access_grants.c.order_id == order_id)
        .order_by(access_grants.c.id)
    ).all()
    return [
        {
            "product_id": product_id,
            "name": name,
            "url": f"{ctx.client_url}/access/{make_token(ctx.signing_key, order_id, product_id)}",
        }
        for product_id, name in rows
    ]
