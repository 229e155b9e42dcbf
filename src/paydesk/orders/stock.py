"""Stock moves, inside the caller's transaction (SQLAlchemy Core).

An order's `stock_state` says where its units are: reserved (taken at checkout), committed
(paid for) or released (given back when the session expired). Each move is a conditional UPDATE
on that column, so running it twice, or from two processes at once, moves the units once.
"""

from __future__ import annotations

from sqlalchemy import Connection, and_, or_, select, update

from paydesk.catalog.tables import products
from paydesk.orders.tables import order_items, orders


def reserve(conn: Connection, product_id: str, quantity: int) -> bool:
    """Take `quantity` units if that many are left (or stock is unlimited); False otherwise.

    The check and the decrement are one statement, so concurrent checkouts cannot oversell.
    """
    result = conn.execute(
        update(products)
        .where(
            and_(
                products.c.id == product_id,
                or_(products.c.stock.is_(None), products.c.stock >= quantity),
            )
        )
        .values(stock=products.c.stock - quantity)
    )
    return result.rowcount == 1


def release_stock(conn: Connection, order_id: str) -> None:
    """Give a reserved order's units back (its session expired). Idempotent."""
    if _move(conn, order_id, "reserved", "released"):
        _adjust(conn, order_id, +1)


def commit_stock(conn: Connection, order_id: str) -> None:
    """Keep the units of a paid order. Idempotent.

    If they had been released already (payment completed after we saw the session expire) the
    units are taken again even if that drives stock below zero: the money is already received.
    """
    if _move(conn, order_id, "reserved", "committed"):
        return
    if _move(conn, order_id, "released", "committed"):
        _adjust(conn, order_id, -1)


def _move(conn: Connection, order_id: str, src: str, dst: str) -> bool:
    result = conn.execute(
        update(orders)
        .where(and_(orders.c.id == order_id, orders.c.stock_state == src))
        .values(stock_state=dst)
    )
    return result.rowcount == 1


def _adjust(conn: Connection, order_id: str, sign: int) -> None:
    items = conn.execute(
        select(order_items.c.product_id, order_items.c.quantity)
        .where(order_items.c.order_id == order_id)
        .order_by(order_items.c.product_id)  # one lock order everywhere: no deadlocks
    )
    for product_id, quantity in items.all():
        conn.execute(
            update(products)
            .where(and_(products.c.id == product_id, products.c.stock.is_not(None)))
            .values(stock=products.c.stock + sign * quantity)
        )
