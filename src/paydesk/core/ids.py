"""Our own identifiers: unguessable, URL-safe, prefixed by kind."""

import secrets


def new_order_id() -> str:
    # 128 bits of randomness: an order id is also the capability to read that order.
    return "ord_" + secrets.token_urlsafe(16)


def checkout_idempotency_key(order_id: str) -> str:
    return f"checkout:{order_id}"


def refund_idempotency_key(order_id: str, n: int) -> str:
    return f"refund:{order_id}:{n}"
