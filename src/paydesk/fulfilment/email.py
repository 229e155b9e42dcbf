"""The order confirmation email, composed the same way by every fulfilment path."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from paydesk.context import AppContext
from paydesk.core.money import format_money
from paydesk.fulfilment.access import make_token


class PaidOrder(Protocol):
    """What the email reads of an order (an `orders` row)."""

    @property
    def id(self) -> str: ...
    @property
    def email(self) -> str | None: ...
    @property
    def amount_total(self) -> int: ...
    @property
    def currency(self) -> str: ...


class OrderedItem(Protocol):
    """What the email reads of an order item (joined with its product's type)."""

    @property
    def name(self) -> str: ...
    @property
    def quantity(self) -> int: ...
    @property
    def product_id(self) -> str: ...
    @property
    def type(self) -> str: ...  # physical | digital


def confirmation(
    ctx: AppContext, order: PaidOrder, items: Sequence[OrderedItem]
) -> dict[str, str]:
    lines = [f"Thank you for your order {order.id}.", ""]
    lines += [f"  {item.quantity} x {item.name}" for item in items]
    lines += ["", f"Total: {format_money(order.amount_total, order.currency)}"]
    digital = [item for item in items if item.type == "digital"]
    if digital:
        lines += ["", "Your downloads:"]
        lines += [
            f"  {item.name}: {ctx.client_url}/access/"
            f"{make_token(ctx.signing_key, order.id, item.product_id)}"
            for item in digital
        ]
    return {
        "to": order.email or "",
        "subject": f"Your order {order.id} is confirmed",
        "body": "\n".join(lines) + "\n",
    }
