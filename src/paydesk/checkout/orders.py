"""Reading an order back for the buyer: GET /api/orders/{id} and the success page."""

from __future__ import annotations

from sqlalchemy import select

from paydesk.checkout.schemas import AccessOut, OrderItemOut, OrderOut
from paydesk.context import AppContext
from paydesk.fulfilment.access import access_links
from paydesk.orders.tables import order_items, orders
from paydesk.store.engine import reading


def get_order(ctx: AppContext, order_id: str) -> OrderOut | None:
    """The order's live state; its access links only once it has been fulfilled."""
    with reading(ctx.engine) as conn:
        row = conn.execute(select(orders).where(orders.c.id == order_id)).mappings().first()
        if row is None:
            return None
        items = conn.execute(
            select(order_items).where(order_items.c.order_id == order_id).order_by(order_items.c.id)
        ).mappings()
        item_list = [OrderItemOut.model_validate(dict(i)) for i in items]
        access: list[AccessOut] = []
        if row["fulfilled_at"] is not None:
            access = [AccessOut.model_validate(a) for a in access_links(ctx, conn, order_id)]
    return OrderOut(
        order_id=row["id"], status=row["status"], email=row["email"],
        amount_total=row["amount_total"], currency=row["currency"],
        amount_refunded=row["amount_refunded"], items=item_list, access=access,
    )
