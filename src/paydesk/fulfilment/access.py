"""Access links: a signed token names (order, product); it opens only while that order is paid.

itsdangerous signs the token with the shop's signing key and a timestamp, so it cannot be forged
or moved to another order, and it expires (PAYDESK_ACCESS_LINK_DAYS; the order page always
shows fresh links). The order's status is checked on every use, so a refund closes the door.
Keys rotate: the first signs, the previous ones still verify until they are dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import Connection, select

from paydesk.catalog.tables import products
from paydesk.context import AppContext
from paydesk.fulfilment.tables import access_grants
from paydesk.orders.model import OrderStatus

OPEN_STATUSES = frozenset(
    {OrderStatus.PAID, OrderStatus.FULFILLED, OrderStatus.PARTIALLY_REFUNDED}
)
# Keeps these tokens from being valid as any other thing the same key may sign.
_SALT = "paydesk.access"


@lru_cache(maxsize=8)
def _serializer(keys: tuple[bytes, ...]) -> URLSafeTimedSerializer:
    # itsdangerous signs with the last key of the list and accepts any of them. One serializer
    # per key list (it holds only its configuration): every fulfilled order signs a token.
    return URLSafeTimedSerializer(list(reversed(keys)), salt=_SALT)


def make_token(key: bytes, order_id: str, product_id: str) -> str:
    return str(_serializer((key,)).dumps([order_id, product_id]))


def read_token(keys: Sequence[bytes], token: str, max_age_seconds: int) -> tuple[str, str] | None:
    """(order_id, product_id) when the token is ours, untampered and younger than
    `max_age_seconds`; else None."""
    try:
        ids = _serializer(tuple(keys)).loads(token, max_age=max_age_seconds)
    except BadData:  # bad signature, expired, or not a token at all
        return None
    if not (isinstance(ids, list) and len(ids) == 2 and all(isinstance(i, str) for i in ids)):
        return None
    return ids[0], ids[1]


def access_links(ctx: AppContext, conn: Connection, order_id: str) -> list[dict[str, object]]:
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
